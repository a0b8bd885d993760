"""The editor's forms of a recommendation's page (tracker.editing, tracker.assessments):
editing the metadata with optimistic locking, retracting an assessment, and the drafts
awaiting review with their Publish buttons (tracker.evidence)."""

from __future__ import annotations

import streamlit as st

import tracker.auth as auth
from tracker import editing, evidence
from tracker.assessments import retract_assessment, retractable
from tracker.errors import ValidationError
from tracker.i18n import _, long_date
from tracker.ui.actor import can_write
from tracker.ui.data import query, write
from tracker.ui.markup import flash, md_escape
from tracker.vocab import (
    Response,
    action_category_label,
    response_label,
    source_type_label,
    status_label,
)


def _edit_keys(rec_id: int) -> dict[str, str]:
    base = f"edit_{rec_id}"
    return {
        name: f"{base}_{name}"
        for name in ("version", "conflict", "paragraph", "text", "response", "action", "themes")
    }


def edit_recommendation_form(rec_id: int) -> None:
    """An "Edit this recommendation" expander for editors (nothing for viewers): paragraph,
    text, response, action category and themes, saved with optimistic locking. When someone
    else saved first, the form says who and when, shows their values, and keeps what this
    person typed, so that nothing is lost; saving again then applies it over theirs."""
    if not can_write():
        return
    meta = query(editing.get_metadata, rec_id)
    if meta is None:
        return
    keys = _edit_keys(rec_id)
    if keys["text"] not in st.session_state:  # the form is new: edit from the version shown
        st.session_state[keys["version"]] = meta.version
        st.session_state.pop(keys["conflict"], None)
    conflict = st.session_state.get(keys["conflict"])
    with st.expander(
        _("Edit this recommendation"), icon=":material/edit:", expanded=conflict is not None
    ):
        if conflict:
            st.warning(md_escape(conflict["message"]), icon=":material/sync_problem:")
            st.caption(_("Their values, saved now:"))
            for name, value in conflict["theirs"].items():
                shown = "; ".join(value) if isinstance(value, list) else value
                st.text(f"{name}: {'' if shown is None else shown}")
        with st.form(f"edit_{rec_id}"):
            paragraph = st.text_input(
                _("Paragraph"), value=meta.paragraph or "", key=keys["paragraph"], max_chars=20
            )
            text = st.text_area(_("Recommendation"), value=meta.text, key=keys["text"])
            responses = [r.value for r in Response]
            left, right = st.columns(2)
            response = left.selectbox(
                _("Response"),
                responses,
                index=responses.index(meta.response) if meta.response in responses else None,
                format_func=response_label,
                key=keys["response"],
            )
            categories: list[int | None] = [None, 1, 2, 3, 4, 5]
            action = right.selectbox(
                _("Action category"),
                categories,
                index=categories.index(meta.action_category),
                format_func=lambda c: action_category_label(c) or _("none"),
                key=keys["action"],
            )
            themes = st.text_input(
                _("Themes (separated by ;)"), value="; ".join(meta.themes), key=keys["themes"]
            )
            submitted = st.form_submit_button(_("Save changes"), icon=":material/save:")
    if not submitted:
        return
    changes = {
        "paragraph": paragraph,
        "text": text,
        "response": response,
        "action_category": action,
        "themes": themes,
    }
    try:
        write(editing.update_recommendation, rec_id, st.session_state[keys["version"]], changes)
    except editing.ConflictError as exc:
        st.session_state[keys["conflict"]] = {"message": str(exc), "theirs": exc.theirs}
        st.session_state[keys["version"]] = exc.current_version  # saving again applies yours
        st.rerun()
    except (ValidationError, auth.PermissionDenied) as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
    else:
        for key in keys.values():
            st.session_state.pop(key, None)  # the form shows the saved values afresh
        flash(_("Saved the changes to recommendation {id}.").format(id=rec_id))
        st.rerun()


def retraction_form(rec_id: int) -> None:
    """A "Retract an assessment" expander for editors: pick an assessment, say why; the
    retraction is appended (nothing is deleted) and the current status is recomputed."""
    if not can_write():
        return
    options = dict(query(retractable, rec_id))
    if not options:
        return
    with (
        st.expander(_("Retract an assessment"), icon=":material/undo:"),
        st.form(f"retract_{rec_id}", clear_on_submit=True),
    ):
        chosen = st.selectbox(
            _("Assessment"),
            list(options),
            format_func=lambda i: options.get(i, ""),
            key=f"retract_{rec_id}_id",
        )
        reason = st.text_input(_("Why is it withdrawn?"), key=f"retract_{rec_id}_reason")
        st.caption(
            _("The assessment stays in the history, marked as retracted; it no longer counts.")
        )
        submitted = st.form_submit_button(_("Retract"), icon=":material/undo:")
    if not submitted or chosen is None:
        return
    try:
        write(retract_assessment, int(chosen), reason=reason)
    except (ValidationError, auth.PermissionDenied) as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
    else:
        flash(_("Retracted the assessment of {label}.").format(label=options[chosen]))
        st.rerun()


def drafts_for_review(rec_id: int | None = None) -> None:
    """The draft assessments awaiting review (of one recommendation, or all), each with a
    Publish button, for editors (nothing for anyone else: a draft may be private). Four
    eyes: tracker.evidence.publish refuses the draft's own author, and says so."""
    if not can_write():
        return
    drafts = query(evidence.drafts_frame)
    if rec_id is not None:
        drafts = drafts[drafts["recommendation_id"] == rec_id]
    if drafts.empty:
        if rec_id is None:
            st.info(_("No drafts await review."), icon=":material/task_alt:")
        return
    st.caption(
        _("Drafts count nowhere until an editor or admin other than their author publishes them.")
    )
    for d in drafts.itertuples(index=False):
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            marks = [source_type_label(d.source_type)] + ([_("private")] if d.is_private else [])
            st.markdown(
                _(
                    "**{date}** {status} — {source} ({marks}); recommendation {id}, by {author}"
                ).format(
                    date=long_date(d.assessed_on),
                    status=status_label(d.status),
                    source=md_escape(d.source_org),
                    marks=md_escape(", ".join(marks)),
                    id=int(d.recommendation_id),
                    author=md_escape(d.author or ""),
                ),
                width="stretch",
            )
            if st.button(
                _("Publish"), key=f"publish_{int(d.assessment_id)}", icon=":material/publish:"
            ):
                try:
                    write(evidence.publish, int(d.assessment_id))
                except (ValidationError, auth.PermissionDenied) as exc:
                    st.error(md_escape(str(exc)), icon=":material/error:")
                else:
                    flash(_("Published draft {n}.").format(n=int(d.assessment_id)))
                    st.rerun()
