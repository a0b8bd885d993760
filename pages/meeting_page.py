"""Coalition meeting: walk the filtered recommendations one at a time in large type, record
the status the meeting agrees on, and take away the minutes (Markdown and Word).

The agenda is fixed when the meeting starts (recording a status must not move the list);
the position, date and coalition live in the browser session, the statuses in the database
(tracker.meeting), so the summary survives a reload.
"""

import datetime as dt

import streamlit as st

from tracker import detail, linking, meeting, queries, ui
from tracker.auth import PermissionDenied
from tracker.errors import ValidationError
from tracker.formats import number
from tracker.i18n import _, long_date, ngettext
from tracker.states import shown_name
from tracker.vocab import Status, response_label, status_label

STATE = "meeting"  # session state: {"meeting", "ids", "pos", "visited", "scope", "summary"}
FORM_NO = "meeting_form_no"
MESSAGE = "meeting_message"

# Projector-friendly type: the recommendation's text at about 2.2x, the facts and status at
# 1.4-1.6x. Static CSS only (no data), keyed to the containers below.
st.html(
    """<style>
.st-key-meeting_text p { font-size: 2.2rem !important; line-height: 1.35 !important; }
.st-key-meeting_facts p { font-size: 1.4rem !important; }
.st-key-meeting_status p, .st-key-meeting_status span { font-size: 1.5rem !important; }
.st-key-meeting_record p { font-size: 1.25rem !important; }
</style>"""
)


def _go(delta: int) -> None:
    m = st.session_state[STATE]
    m["pos"] = max(0, min(len(m["ids"]), m["pos"] + delta))
    m["summary"] = False


def _summary(show: bool) -> None:
    m = st.session_state[STATE]
    m["summary"] = show
    if not show:
        m["pos"] = min(m["pos"], len(m["ids"]) - 1)


def _end() -> None:
    st.session_state.pop(STATE, None)


def _nav_bar(m: dict, n: int) -> None:
    pos = m["pos"]
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button(
            _("Previous"),
            key="meeting_prev",
            on_click=_go,
            args=(-1,),
            disabled=pos == 0 and not m["summary"],
            icon=":material/arrow_back:",
            shortcut="PageUp",
        )
        st.button(
            _("Next"),
            key="meeting_next",
            on_click=_go,
            args=(1,),
            disabled=pos >= n or m["summary"],
            icon=":material/arrow_forward:",
            shortcut="PageDown",
        )
        st.button(
            _("Summary and minutes"),
            key="meeting_summary",
            on_click=_summary,
            args=(True,),
            icon=":material/summarize:",
        )
        st.button(_("End the meeting"), key="meeting_end", on_click=_end, icon=":material/close:")


# --- before the meeting: choose the list, name the coalition and the date -----------------
m = st.session_state.get(STATE)
if m is None:
    f, where = ui.page_header(_("Coalition meeting"))
    # Counted up to one more than an agenda holds first: a whole corpus is not read in order.
    size = ui.query(meeting.agenda_size, f)
    if size == 0:
        ui.no_match()
        st.stop()
    if size > meeting.MAX_AGENDA:
        st.warning(
            _(
                "{n} recommendations match these filters; a meeting can walk through at most "
                "{max}. Narrow the list with the filters in the sidebar (a state, a cycle, a "
                "theme or a status)."
            ).format(n=number(ui.query(queries.count, f)), max=meeting.MAX_AGENDA),
            icon=":material/filter_alt:",
        )
        st.stop()
    ids = ui.query(meeting.agenda, f)
    st.markdown(
        _(
            "Walk through the **{n}** recommendations chosen with the sidebar filters, one at a "
            "time in large type, and record the status the meeting agrees on. Each status is "
            "saved as an assessment dated the meeting's day, with the meeting as its source; at "
            "the end you can download the minutes."
        ).format(n=len(ids))
    )
    if not ui.can_write():
        st.info(
            _("You can present the recommendations; recording statuses needs the editor role."),
            icon=":material/lock:",
        )
    with st.form("meeting_setup"):
        coalition = st.text_input(
            _("Coalition"),
            key="meeting_coalition",
            max_chars=meeting.MAX_COALITION_LENGTH,
            placeholder=_("e.g. Coalition of NGOs on the UPR"),
        )
        day = st.date_input(
            _("Meeting date"),
            value=dt.date.today(),
            max_value=dt.date.today(),
            format="YYYY-MM-DD",
            key="meeting_day",
        )
        start = st.form_submit_button(
            _("Start the meeting with these {n} recommendations").format(n=len(ids)),
            type="primary",
            icon=":material/play_arrow:",
        )
    if start:
        try:
            mt = meeting.validate_meeting(coalition, day)
        except ValidationError as exc:
            st.error(ui.md_escape(str(exc)), icon=":material/error:")
        else:
            st.session_state[STATE] = {
                "meeting": mt,
                "ids": ids,
                "pos": 0,
                "visited": [],
                "scope": where,
                "summary": False,
            }
            st.rerun()
    st.stop()

# --- during the meeting -------------------------------------------------------------------
mt: meeting.Meeting = m["meeting"]
ids: list[int] = m["ids"]
n = len(ids)
changes = ui.query(meeting.meeting_changes, mt)
agreed = {c.recommendation_id: c for c in changes}

if m["summary"] or m["pos"] >= n:
    st.title(
        _("Summary: {coalition} meeting, {date}").format(
            coalition=ui.md_escape(mt.coalition), date=long_date(mt.day)
        )
    )
    _nav_bar(m, n)
    reviewed = len(set(m["visited"]))
    c1, c2, c3 = st.columns(3)
    c1.metric(_("On the agenda"), n)
    c2.metric(_("Reviewed"), reviewed)
    c3.metric(_("Statuses recorded"), len(changes))
    if not changes:
        st.info(_("No status was recorded in this meeting yet."), icon=":material/info:")
    else:
        st.dataframe(
            meeting.changes_frame(changes),
            hide_index=True,
            column_config={
                "id": st.column_config.NumberColumn(_("Id"), format="%d", width="small"),
                "where": _("Where"),
                "text": st.column_config.TextColumn(_("Recommendation"), width="large"),
                "previous": _("Status before"),
                "status": _("Agreed status"),
                "evidence": st.column_config.TextColumn(_("Evidence"), width="large"),
            },
            key="meeting_changes",
        )
    stem = meeting.minutes_file_stem(mt)
    ui.download_row(
        stem,
        [
            ui.Download(
                _("Minutes (Markdown)"),
                meeting.minutes_markdown(mt, changes, reviewed=reviewed, scope=m["scope"]),
                "md",
                "minutes_md",
            ),
            ui.Download(
                _("Minutes (Word)"),
                meeting.minutes_docx(mt, changes, reviewed=reviewed, scope=m["scope"]),
                "docx",
                "minutes_docx",
            ),
        ],
    )
    st.stop()

pos = m["pos"]
rec_id = ids[pos]
if m.get("shown") != pos:
    # A new recommendation starts at the top of the screen, not where the form was left.
    # Static script; the position is only there to make each insertion a new element.
    st.html(
        f"<script>/* {pos} */ document.querySelector('[data-testid=\"stMain\"]')"
        "?.scrollTo({top: 0});</script>",
        unsafe_allow_javascript=True,
    )
    m["shown"] = pos
if rec_id not in m["visited"]:
    m["visited"].append(rec_id)
rec = ui.query(detail.recommendation_detail, rec_id)

st.caption(
    _("{coalition} meeting, {date} · recommendation {i} of {n} · {scope}").format(
        coalition=ui.md_escape(mt.coalition),
        date=long_date(mt.day),
        i=pos + 1,
        n=n,
        scope=ui.md_escape(m["scope"]),
    )
)
st.progress((pos + 1) / n)
_nav_bar(m, n)
kept = st.session_state.pop(MESSAGE, None)
if kept:
    st.success(ui.md_escape(kept), icon=":material/check_circle:")
if rec is None:
    st.warning(_("Recommendation {id} is no longer in the database.").format(id=rec_id))
    st.stop()

with st.container(key="meeting_facts"):
    facts = [
        shown_name(rec.state),
        _("cycle {n}").format(n=rec.cycle),
        _("session {n}").format(n=rec.session),
    ]
    if rec.paragraph:
        facts.append(_("paragraph {p}").format(p=rec.paragraph))
    who = ", ".join(shown_name(s["name"]) for s in rec.recommending_states) or _(
        "no recommending state"
    )
    st.markdown(
        ui.md_escape(" · ".join(facts))
        + "  \n"
        + _("**Recommended by** {who} · **{response}**").format(
            who=ui.md_escape(who), response=response_label(rec.response)
        )
    )
with st.container(key="meeting_text", border=True):
    st.markdown(ui.md_escape(rec.text))

history = rec.assessments
current = history[history["is_current"]] if not history.empty else history
with st.container(key="meeting_status"):
    st.badge(
        _("Current status: {status}").format(status=status_label(rec.status)),
        color=ui.STATUS_BADGE_COLOURS.get(rec.status, "gray"),
    )
    if rec_id in agreed:
        st.success(
            _("Agreed in this meeting: {status}").format(
                status=status_label(agreed[rec_id].status)
            ),
            icon=":material/how_to_vote:",
        )

left, right = st.columns([3, 2])
with left:
    if not current.empty:
        row = current.iloc[0]
        st.markdown(
            _("**Evidence** ({date}, {source}):").format(
                date=long_date(row["assessed_on"]), source=ui.md_escape(row["source_org"])
            )
        )
        ui.text(row["evidence"] or _("(no evidence text)"))
    with st.expander(
        ngettext("History: {n} assessment", "History: {n} assessments", len(history)).format(
            n=len(history)
        ),
        expanded=False,
        icon=":material/history:",
    ):
        if history.empty:
            st.caption(_("Not assessed yet."))
        else:
            st.dataframe(
                history.assign(status=history["status"].map(status_label)),
                column_order=["assessed_on", "status", "source_org", "evidence"],
                column_config={
                    "assessed_on": st.column_config.DateColumn(_("Assessed on")),
                    "status": _("Status"),
                    "source_org": _("Source"),
                    "evidence": st.column_config.TextColumn(_("Evidence"), width="large"),
                },
                hide_index=True,
                key=f"meeting_history_{rec_id}",
            )
with right:
    steps = ui.query(linking.lineage, rec_id)
    if len(steps) > 1:
        st.markdown(_("**Made {n} times across cycles:**").format(n=len(steps)))
        for step in steps:
            st.badge(
                _("Cycle {n}: {status}").format(n=step.cycle, status=status_label(step.status)),
                color=ui.STATUS_BADGE_COLOURS.get(step.status, "gray"),
                icon=":material/arrow_right:" if step.recommendation_id == rec_id else None,
            )

if not ui.can_write():
    st.caption(_("Recording statuses needs the editor role."))
    st.stop()

form_no = st.session_state.setdefault(FORM_NO, 0)
with st.container(key="meeting_record"), st.form(f"meeting_record_{form_no}"):
    status = st.radio(
        _("Status agreed by the meeting"),
        [s.value for s in Status],
        index=None,
        format_func=status_label,
        horizontal=True,
        key=f"meeting_status_{form_no}",
    )
    evidence = st.text_area(
        _("Evidence and reasons"),
        key=f"meeting_evidence_{form_no}",
        placeholder=_("What the meeting based its view on: facts, dates, figures"),
    )
    url = st.text_input(
        _("Link to the evidence"), key=f"meeting_url_{form_no}", placeholder="https://"
    )
    submitted = st.form_submit_button(
        _("Record and go to the next"), type="primary", icon=":material/how_to_vote:"
    )
if submitted:
    try:
        ui.write(
            meeting.record_status,
            mt,
            rec_id,
            status or "",
            evidence=evidence,
            evidence_url=url,
        )
    except (ValidationError, PermissionDenied) as exc:
        st.error(ui.md_escape(str(exc)), icon=":material/error:")
    else:
        st.session_state[MESSAGE] = _("Recorded for recommendation {id}: {status}.").format(
            id=rec_id, status=status_label(status)
        )
        st.session_state[FORM_NO] = form_no + 1
        m["pos"] = pos + 1
        st.rerun()
st.caption(_("Page Down / Page Up (or a presentation remote) move to the next / previous one."))
