"""Action plans and bulk assessment on the pages (tracker.plans, tracker.bulk): the plan of a
recommendation with its editor's forms, the "due in the next 30 days" list of Flagged, and the
Explorer's "assess the selection" form. Rules and checks live in tracker; these only draw."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

import tracker.auth as auth
from tracker import bulk, plans
from tracker.assessments import ValidationError
from tracker.display_frames import labelled
from tracker.filters import Filters
from tracker.formats import number
from tracker.i18n import _, ngettext, pgettext
from tracker.ui.actor import can_write
from tracker.ui.assessment_fields import assessment_fields
from tracker.ui.data import query, write
from tracker.ui.markup import flash, md_escape
from tracker.ui.widgets import column_config, downloads, file_stem


def _plan_config() -> dict[str, Any]:
    cc = st.column_config
    return column_config() | {
        "action": cc.TextColumn(_("Planned action"), width="large"),
        "responsible": cc.TextColumn(_("Responsible body")),
        "due_on": cc.DateColumn(_("Due date"), format="YYYY-MM-DD"),
        "indicator": cc.TextColumn(_("Indicator")),
        "progress": cc.TextColumn(pgettext("action plan", "Progress"), width="medium"),
        "completed_on": cc.DateColumn(_("Completed on"), format="YYYY-MM-DD"),
        "state_of_action": cc.TextColumn(_("Action status")),
        "days_left": cc.NumberColumn(_("Days left"), format="%d"),
    }


def _show(df: pd.DataFrame, columns: list[str], key: str) -> None:
    shown = df.assign(state_of_action=plans.action_states(df))
    # Text from the database is shown literally by st.dataframe (never as Markdown/HTML).
    st.dataframe(
        shown,
        column_order=columns,
        column_config=_plan_config(),
        hide_index=True,
        key=key,
        placeholder="",
    )


# --- the recommendation page --------------------------------------------------------------------
def action_plan_section(rec_id: int) -> None:
    """The recommendation's action plan (everyone), its download, and for editors the forms
    to add, change and remove planned actions."""
    st.subheader(_("Action plan"))
    today = dt.date.today()
    df = query(plans.actions_frame, rec_id, today)
    if df.empty:
        st.caption(_("No planned actions yet."))
    else:
        overdue = int(df["overdue"].sum())
        if overdue:
            st.warning(
                ngettext(
                    "{n} planned action is past its due date and not completed.",
                    "{n} planned actions are past their due date and not completed.",
                    overdue,
                ).format(n=overdue),
                icon=":material/alarm:",
            )
        _show(
            df,
            [
                "action",
                "responsible",
                "due_on",
                "state_of_action",
                "indicator",
                "progress",
                "completed_on",
            ],
            key=f"plan_{rec_id}",
        )
        downloads(
            f"upr-action-plan-{rec_id}-{today.isoformat()}",
            lambda s, fmt: plans.plan_export(s, None, fmt, recommendation_id=rec_id),  # type: ignore[arg-type]
            key=f"plan_download_{rec_id}",
        )
    if not can_write():
        return  # viewers see no write action; tracker.plans refuses them anyway
    _add_form(rec_id)
    if not df.empty:
        _edit_form(rec_id, df)


def _add_form(rec_id: int) -> None:
    form_no = st.session_state.setdefault(f"plan_add_no_{rec_id}", 0)
    with (
        st.expander(_("Add a planned action"), icon=":material/add_task:"),
        st.form(f"plan_add_{rec_id}_{form_no}"),
    ):
        action = st.text_area(_("Planned action"), placeholder=_("What is to be done"))
        left, right = st.columns(2)
        responsible = left.text_input(_("Responsible body"), max_chars=plans.MAX_RESPONSIBLE_LENGTH)
        due = right.date_input(_("Due date"), value=None, format="YYYY-MM-DD")
        indicator = st.text_input(_("Indicator"))
        progress = st.text_area(pgettext("action plan", "Progress"))
        submitted = st.form_submit_button(_("Add to the plan"), icon=":material/add_task:")
    if not submitted:
        return
    try:
        write(
            plans.add_action,
            rec_id,
            action=action,
            responsible=responsible,
            due_on=due,
            indicator=indicator,
            progress=progress,
        )
    except (ValidationError, auth.PermissionDenied) as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
    else:
        flash(_("Added a planned action to recommendation {id}.").format(id=rec_id))
        st.session_state[f"plan_add_no_{rec_id}"] = form_no + 1  # a fresh, empty form
        st.rerun()


def _edit_form(rec_id: int, df: pd.DataFrame) -> None:
    rows = {int(r.action_id): r for r in df.itertuples(index=False)}
    with st.expander(_("Change or remove a planned action"), icon=":material/edit_note:"):
        chosen = st.selectbox(
            _("Planned action"),
            list(rows),
            format_func=lambda i: " ".join(str(rows[i].action).split())[:80],
            key=f"plan_edit_{rec_id}_id",
        )
        if chosen is None:
            return
        row = rows[chosen]
        # The form's key holds the version: after anyone's save it shows the values afresh.
        with st.form(f"plan_edit_{rec_id}_{chosen}_{row.version}"):
            action = st.text_area(_("Planned action"), value=row.action)
            left, right = st.columns(2)
            responsible = left.text_input(
                _("Responsible body"),
                value=row.responsible or "",
                max_chars=plans.MAX_RESPONSIBLE_LENGTH,
            )
            due = right.date_input(
                _("Due date"),
                value=None if pd.isna(row.due_on) else row.due_on,
                format="YYYY-MM-DD",
            )
            indicator = st.text_input(_("Indicator"), value=row.indicator or "")
            progress = st.text_area(pgettext("action plan", "Progress"), value=row.progress or "")
            done = st.date_input(
                _("Completed on"),
                value=None if pd.isna(row.completed_on) else row.completed_on,
                max_value=dt.date.today(),
                format="YYYY-MM-DD",
            )
            save_col, remove_col = st.columns(2)
            save = save_col.form_submit_button(_("Save the action"), icon=":material/save:")
            remove = remove_col.form_submit_button(
                _("Remove this action"), icon=":material/delete:"
            )
    if not (save or remove):
        return
    try:
        if remove:
            write(plans.remove_action, chosen, int(row.version))
        else:
            write(
                plans.update_action,
                chosen,
                int(row.version),
                {
                    "action": action,
                    "responsible": responsible,
                    "due_on": due,
                    "indicator": indicator,
                    "progress": progress,
                    "completed_on": done,
                },
            )
    except (ValidationError, plans.PlanConflictError, auth.PermissionDenied) as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
    else:
        flash(_("Removed the planned action.") if remove else _("Saved the planned action."))
        st.rerun()


# --- Flagged ------------------------------------------------------------------------------------
def due_actions_section(f: Filters) -> None:
    """The open planned actions due in the next 30 days (of the filtered recommendations),
    soonest first, and the download of the whole action plan of the selection."""
    today = dt.date.today()
    due = query(plans.due_soon_frame, f, today, plans.DUE_SOON_DAYS)
    with st.expander(
        _("Actions due in the next {days} days ({n})").format(days=plans.DUE_SOON_DAYS, n=len(due)),
        icon=":material/event_upcoming:",
        expanded=not due.empty,
    ):
        if due.empty:
            st.caption(
                _("No open planned action falls due in the next {days} days.").format(
                    days=plans.DUE_SOON_DAYS
                )
            )
        else:
            _show(
                labelled(due),  # the link to each recommendation, names in the language
                [
                    "link",
                    "due_on",
                    "days_left",
                    "action",
                    "responsible",
                    "indicator",
                    "state",
                    "text",
                ],
                key="due_actions_table",
            )
        planned = query(plans.plan_count, f)
        if not planned:
            return
        st.caption(
            ngettext(
                "The action plan of the recommendations matching the filters: {n} action.",
                "The action plan of the recommendations matching the filters: {n} actions.",
                planned,
            ).format(n=number(planned))
        )
        downloads(
            file_stem("upr-action-plan", f),
            lambda s, fmt: plans.plan_export(s, f, fmt),  # type: ignore[arg-type]
            key="plan_download",
        )


# --- Explorer -----------------------------------------------------------------------------------
def bulk_assessment_form(f: Filters, total: int, ticked: list[int]) -> None:
    """For editors: one assessment for each recommendation of the selection, either the rows
    ticked in the table or all ``total`` recommendations matching the filters; the person
    confirms the count before anything is written."""
    if not can_write():
        return
    flash()  # the confirmation of the last bulk assessment: how many were assessed
    with st.expander(_("Assess the selection"), icon=":material/playlist_add_check:"):
        options = ["ticked", "filters"] if ticked else ["filters"]
        labels = {
            "ticked": _("The {n} ticked rows").format(n=number(len(ticked))),
            "filters": _("All {n} recommendations matching the filters").format(n=number(total)),
        }
        scope = st.radio(
            _("Which recommendations"), options, format_func=labels.get, key="bulk_scope"
        )
        count = len(ticked) if scope == "ticked" else total
        form_no = st.session_state.setdefault("bulk_form_no", 0)
        with st.form(f"bulk_form_{form_no}"):
            fields = assessment_fields()
            status, day, source = fields["status"], fields["day"], fields["source"]
            evidence, url = fields["evidence"], fields["url"]
            source_type, confidence, private = (
                fields["source_type"],
                fields["confidence"],
                fields["private"],
            )
            sure = st.checkbox(
                _("Yes, add this assessment to {n} recommendations").format(n=number(count))
            )
            submitted = st.form_submit_button(_("Assess the selection"), type="primary")
    if not submitted:
        return
    if not sure:
        st.error(_("Tick the confirmation first: nothing was written."), icon=":material/error:")
        return
    values: dict[str, Any] = {
        "status": status or "",
        "assessed_on": day,
        "source_org": source,
        "evidence": evidence,
        "evidence_url": url,
        "source_type": source_type,
        "confidence": confidence,
        "private": private,
    }
    try:
        if scope == "ticked":
            result = write(bulk.bulk_assess, ticked, limit=count, **values)
        else:
            # The count confirmed is the limit: a selection grown meanwhile is refused.
            result = write(bulk.assess_selection, f, limit=count, **values)
    except (ValidationError, auth.PermissionDenied) as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
    else:
        flash(result.message())
        st.session_state["bulk_form_no"] = form_no + 1
        st.rerun()
