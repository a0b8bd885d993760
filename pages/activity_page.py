"""Activity: the drafts awaiting review (with review before publishing, tracker.evidence) and
the audit trail — who changed what and when, with the values before and after."""

import streamlit as st

from tracker import audit, evidence, ui
from tracker.i18n import _
from tracker.vocab import Role

st.title(_("Activity"))
ui.require_role(Role.EDITOR, _("The activity log"))
st.caption(
    _(
        "Every change is recorded here: imports, assessments and retractions, edits, link "
        "decisions, restores and account changes. Times are UTC."
    )
)

st.subheader(_("Drafts awaiting review"))
review_on = ui.query(evidence.review_required)
if ui.is_admin():
    wanted = st.toggle(
        _(
            "Review before publishing: new assessments are drafts until a second account "
            "publishes them"
        ),
        value=review_on,
        key="review_before_publish",
    )
    if wanted != review_on:
        ui.write(evidence.set_review_required, wanted)
        st.rerun()
elif review_on:
    st.caption(_("Review before publishing is on: new assessments are saved as drafts."))
ui.flash()
ui.drafts_for_review()

st.subheader(_("Changes"))
options = ui.query(audit.activity_options)
c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
actors = c1.multiselect(_("Who"), options["actors"], key="act_actor", placeholder=_("Everyone"))
actions = c2.multiselect(
    _("What"),
    options["actions"],
    key="act_action",
    format_func=audit.action_label,
    placeholder=_("All changes"),
)
start = c3.date_input(_("From"), value=None, key="act_from", format="YYYY-MM-DD")
end = c4.date_input(_("To"), value=None, key="act_to", format="YYYY-MM-DD")

args = (tuple(actors), tuple(actions), start, end)
total = ui.query(audit.activity_count, *args)
if total == 0:
    st.info(_("No recorded changes match these filters."))
    st.stop()
events = ui.query(audit.activity_frame, *args)
if total > len(events):
    st.caption(
        _(
            "{n} changes match; the newest {shown} are listed. Narrow the filters to see others."
        ).format(n=total, shown=len(events))
    )
else:
    st.caption(_("{n} changes match.").format(n=total))

picked = st.dataframe(
    events,
    column_order=["at", "actor", "what", "record", "summary", "changes"],
    column_config={
        "at": st.column_config.DatetimeColumn(_("When (UTC)"), format="YYYY-MM-DD HH:mm:ss"),
        "actor": st.column_config.TextColumn(_("Who")),
        "what": st.column_config.TextColumn(_("What")),
        "record": st.column_config.TextColumn(_("Record")),
        "summary": st.column_config.TextColumn(_("Summary"), width="large"),
        "changes": st.column_config.TextColumn(_("Before → after"), width="large"),
    },
    hide_index=True,
    key="activity_table",
    on_select="rerun",
    selection_mode="single-row",
)
rows = picked.selection.rows if picked is not None else []  # type: ignore[union-attr]
if rows:
    event_id = int(events.iloc[rows[0]]["id"])
    detail = ui.query(audit.event_detail, event_id)
    if detail:
        st.subheader(_("Change {id} in full").format(id=event_id))
        left, right = st.columns(2)
        with left:
            st.caption(_("Before"))
            st.json(detail["before"] or {}, expanded=True)
        with right:
            st.caption(_("After"))
            st.json(detail["after"] or {}, expanded=True)
else:
    st.caption(_("Select a row to see the values before and after in full."))
