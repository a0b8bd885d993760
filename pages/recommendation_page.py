"""One recommendation (``/recommendation?id=ID``): its text and review, recommending states,
response, themes, the sources side by side with the implementation index, the assessment
timeline from every source, repeats in other cycles, the action plan, and a form to add an
assessment. Private assessments and drafts are shown to editors only (tracker.evidence)."""

import streamlit as st

from tracker import charts, detail, display_frames, evidence, ui
from tracker.assessments import add_assessment, same_day_assessment
from tracker.auth import PermissionDenied
from tracker.errors import ValidationError
from tracker.formats import number
from tracker.i18n import _, label_value, long_date, ngettext
from tracker.models import parse_id
from tracker.vocab import (
    confidence_label,
    status_label,
)

raw_id = st.query_params.get("id", "")
rec_id = parse_id(raw_id)
# Passed, not left to the default: the cache is shared by every reader of this page.
editor = ui.can_write()
rec = ui.query(detail.recommendation_detail, rec_id, include_private=editor) if rec_id else None
if rec is None:
    st.title(_("Recommendation"))
    if raw_id:
        st.error(_("There is no recommendation with id {id}.").format(id=ui.md_escape(raw_id)))
    else:
        st.info(_("Choose a recommendation in the Explorer or on the Flagged page."))
    st.page_link("pages/explorer_page.py", label=_("Open the Explorer"), icon=":material/search:")
    st.stop()

st.title(_("Recommendation {id}").format(id=rec.id))
badges = st.container(horizontal=True)
with badges:
    st.badge(
        _("Current status: {status}").format(status=status_label(rec.status)),
        color=ui.STATUS_BADGE_COLOURS[rec.status],
    )
    if rec.editors_status is not None and rec.editors_status != (
        None if rec.status == "not_assessed" else rec.status
    ):
        st.badge(
            _("With private evidence: {status}").format(status=status_label(rec.editors_status)),
            color="violet",
            icon=":material/lock:",
        )
    if rec.is_sample:
        st.badge(_("Sample record"), color="gray", icon=":material/science:")

with st.container(border=True):
    ui.text(rec.text)

for label, value in display_frames.detail_facts(rec):
    st.markdown(label_value(f"**{label}**", ui.md_escape(value)))

st.subheader(_("Sources side by side"))
if rec.sources.empty:
    st.caption(_("No source has assessed it yet."))
else:
    st.metric(_("Implementation index"), rec.index.label())
    st.caption(
        ngettext(
            "UPR Info's mid-term method: the latest assessment of each type of source, fully "
            "implemented = 1, partially = 0.5, not implemented = 0, averaged over {n} source "
            "type.",
            "UPR Info's mid-term method: the latest assessment of each type of source, fully "
            "implemented = 1, partially = 0.5, not implemented = 0, averaged over {n} source "
            "types.",
            rec.index.source_types,
        ).format(n=number(rec.index.source_types))
        + (" " + _("Private evidence included (editors only).") if editor else "")
    )
    cols = st.columns(min(len(rec.sources), 3))
    for i, src in enumerate(rec.sources.itertuples(index=False)):
        with cols[i % len(cols)].container(border=True):
            st.markdown(f"**{ui.md_escape(src.source_type_label)}**")
            st.badge(status_label(src.status), color=ui.STATUS_BADGE_COLOURS[src.status])
            st.caption(
                ui.md_escape(f"{src.source_org}, {long_date(src.assessed_on)}")
                + (
                    " · " + _("confidence: {level}").format(level=confidence_label(src.confidence))
                    if isinstance(src.confidence, str) and src.confidence
                    else ""
                )
                + (" · " + _("private") if src.is_private else "")
            )

st.subheader(_("Assessments"))
ui.flash()
history = rec.assessments
# The chart (and its image download) shows public evidence unless an editor asks.
public = history[~history["is_private"] & ~history["is_draft"]]
charted = public
if (
    editor
    and len(public) < len(history)
    and st.checkbox(_("Show private evidence and drafts in the chart"), key="chart_private")
):
    charted = history
if history.empty:
    st.info(_("Not assessed yet. Add the first assessment below."), icon=":material/info:")
elif not charted.empty:
    ui.plotly(
        charts.timeline(
            charted,
            _("Assessment timeline of recommendation {id}, by source").format(id=rec.id),
            ngettext(
                "Source: UPR Tracker database; {n} assessment, the latest on {date}",
                "Source: UPR Tracker database; {n} assessments, the latest on {date}",
                len(charted),
            ).format(n=len(charted), date=long_date(charted["assessed_on"].max()))
            + (" · " + evidence.private_notice() if len(charted) > len(public) else ""),
        ),
        key="timeline",
    )
    for a in display_frames.assessment_rows(history).itertuples(index=False):
        with st.container(border=True):
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"**{long_date(a.assessed_on)}**", width="content")
                st.badge(a.status, color=ui.STATUS_BADGE_COLOURS[a.status_code])
                st.markdown(ui.md_escape(a.source_org), width="content")
                if a.note:
                    st.caption(ui.md_escape(a.note), width="content")
            if a.evidence:
                ui.text(a.evidence)
            if a.evidence_link:
                st.link_button(
                    _("Open the evidence"), a.evidence_link, icon=":material/open_in_new:"
                )
            if a.author:
                st.caption(_("Entered by {author}").format(author=ui.md_escape(a.author)))

st.subheader(_("Repeats in other cycles"))
ui.render_repeats(rec.id)  # lineage, suggestions with Confirm / Not a repeat (tracker.linking)
ui.render_own_links(rec.id)  # our own recommendations it took up (tracker.own_links)

ui.action_plan_section(rec.id)  # planned actions; editors add, change, remove (tracker.plans)

if not ui.can_write():
    # Viewers see no write action; tracker.assessments refuses them anyway.
    st.stop()

st.subheader(_("Add an assessment"))
form_no = st.session_state.setdefault("assessment_form_no", 0)
with st.form(f"assessment_form_{form_no}"):
    fields = ui.assessment_fields()
    status, day, source = fields["status"], fields["day"], fields["source"]
    evidence_text, url = fields["evidence"], fields["url"]
    source_type, confidence, private = (
        fields["source_type"],
        fields["confidence"],
        fields["private"],
    )
    if ui.query(evidence.review_required):
        st.caption(
            _(
                "Review before publishing is on: this is saved as a draft until another editor "
                "or an admin publishes it."
            )
        )
    submitted = st.form_submit_button(_("Add assessment"), type="primary")

PENDING = f"pending_assessment_{rec.id}"  # an entry waiting for "save it anyway"


def save(entry: dict) -> None:
    """Add the assessment ``entry`` (add_assessment's keywords); an error is shown, success
    flashed after a rerun with a fresh form."""
    try:
        ui.write(add_assessment, rec.id, **entry)
    except (ValidationError, PermissionDenied) as exc:
        st.error(ui.md_escape(str(exc)), icon=":material/error:")
    else:
        ui.flash(
            _("Assessment added: {status} as of {date} ({source}).").format(
                status=status_label(entry["status"]),
                date=long_date(entry["assessed_on"]),
                source=" ".join(entry["source_org"].split()),
            )
        )
        st.session_state["assessment_form_no"] = form_no + 1  # a fresh, empty form
        st.rerun()


if submitted:
    entry = {
        "status": status or "",
        "assessed_on": day,
        "source_org": source,
        "evidence": evidence_text,
        "evidence_url": url,
        "source_type": source_type,
        "confidence": confidence,
        "private": private,
    }
    # The same source on the same day: most often one assessment entered twice; ask first.
    if source.strip() and ui.query(same_day_assessment, rec.id, day, source):
        st.session_state[PENDING] = entry
    else:
        st.session_state.pop(PENDING, None)
        save(entry)
pending = st.session_state.get(PENDING)
if pending:
    earlier = ui.query(same_day_assessment, rec.id, pending["assessed_on"], pending["source_org"])
    if earlier is None:  # retracted meanwhile: nothing to ask
        st.session_state.pop(PENDING, None)
        save(pending)
    else:
        st.warning(
            _(
                "{source} already assessed this recommendation on {date} (assessment {id}: "
                "{status}). Save this one as well?"
            ).format(
                source=ui.md_escape(earlier.source_org),
                date=long_date(pending["assessed_on"]),
                id=earlier.id,
                status=status_label(earlier.status),
            ),
            icon=":material/content_copy:",
        )
        yes, no = st.columns(2)
        if yes.button(_("Save it anyway"), key="same_day_save", type="primary"):
            st.session_state.pop(PENDING, None)
            save(pending)
        if no.button(_("Do not save it"), key="same_day_cancel"):
            st.session_state.pop(PENDING, None)
            st.rerun()

# Drafts awaiting review: a second editor or an admin publishes them (tracker.evidence).
ui.drafts_for_review(rec.id)
ui.retraction_form(rec.id)
ui.edit_recommendation_form(rec.id)
