"""The repeats of a recommendation across cycles (tracker.linking), as the recommendation
page and the Flagged page show them: the confirmed lineage, suggested repeats with Confirm /
Not a repeat buttons for editors, and the "repeated and still not implemented" list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

import tracker.auth as auth
from tracker import display_frames, linking, own_links
from tracker.display_frames import detail_path
from tracker.errors import ValidationError
from tracker.filters import Filters
from tracker.i18n import _, long_date
from tracker.ui.actor import can_write
from tracker.ui.data import query, write
from tracker.ui.markup import md_escape, text
from tracker.ui.widgets import STATUS_BADGE_COLOURS, column_config, open_recommendation, table
from tracker.vocab import status_label

_REPEATS_MESSAGE = "_repeats_message"


def _decide(decide: Callable[..., Any], link_id: int, confirm: bool, said: str) -> None:
    """Write a person's decision on a suggested pair (``decide``: linking.decide_link or
    own_links.decide_own_link; one transaction, audited) and keep what to say about it."""
    try:
        write(decide, link_id, confirm)
    except (ValidationError, auth.PermissionDenied) as exc:
        st.session_state[_REPEATS_MESSAGE] = ("error", str(exc))
    else:
        st.session_state[_REPEATS_MESSAGE] = ("success", said)


def _decide_link(link_id: int, confirm: bool) -> None:
    """Button callback: confirm or reject a suggested repeat."""
    said = _("Confirmed as a repeat.") if confirm else _("Marked as not a repeat.")
    _decide(linking.decide_link, link_id, confirm, said)


def _link_card(view: Any, editable: bool) -> None:
    """One linked recommendation: where it is, its text, its status, and the decision
    buttons for a suggestion (or to change a decision)."""
    side = _("Earlier") if view.direction == "earlier" else _("Later")
    with st.container(border=True):
        st.markdown(
            "**{side}: {cycle}, {session}** · {who} · {status} · {score}".format(
                side=side,
                cycle=_("cycle {n}").format(n=view.other_cycle),
                session=_("session {n}").format(n=view.other_session),
                who=md_escape(view.other_states or _("no recommending state")),
                status=status_label(view.other_status),
                score=_("similarity {score:.0f}/100").format(score=view.score),
            )
        )
        text(view.other_text)
        row = st.container(horizontal=True, gap="small")
        row.markdown(
            f"[{_('Open recommendation {id}').format(id=view.other_id)}]"
            f"({detail_path(view.other_id)})"
        )
        if not editable:
            return
        if view.status != "confirmed":
            row.button(
                _("Confirm repeat"),
                key=f"link_confirm_{view.link_id}",
                on_click=_decide_link,
                args=(view.link_id, True),
                icon=":material/link:",
                type="primary" if view.status == "suggested" else "secondary",
            )
        if view.status != "rejected":
            row.button(
                _("Not a repeat"),
                key=f"link_reject_{view.link_id}",
                on_click=_decide_link,
                args=(view.link_id, False),
                icon=":material/link_off:",
            )


def render_repeats(rec_id: int) -> None:
    """The "repeats in other cycles" section of a recommendation's page: the confirmed
    lineage with the status at each cycle, the suggested repeats with Confirm / Not a repeat
    buttons (editors), and earlier decisions, which can be changed."""
    kept = st.session_state.pop(_REPEATS_MESSAGE, None)
    if kept:
        kind, message = kept
        (st.error if kind == "error" else st.success)(md_escape(message))
    steps = query(linking.lineage, rec_id)
    views = query(linking.links_for, rec_id)
    editable = can_write()
    if len(steps) > 1:
        st.markdown(
            _("**Followed across cycles:** made {n} times, first in cycle {first}.").format(
                n=len(steps), first=steps[0].cycle
            )
        )
        with st.container(horizontal=True, gap="small"):
            for step in steps:
                st.badge(
                    _("Cycle {n}: {status}").format(n=step.cycle, status=status_label(step.status)),
                    color=STATUS_BADGE_COLOURS.get(step.status, "gray"),
                    icon=":material/arrow_right:" if step.recommendation_id == rec_id else None,
                )
        st.dataframe(
            [
                {
                    "link": detail_path(s.recommendation_id),
                    "this": "▶" if s.recommendation_id == rec_id else "",
                    "cycle": s.cycle,
                    "session": s.session,
                    "text": s.text,
                    "recommending_states": s.recommending_states,
                    "status": status_label(s.status),
                    "assessed_on": s.assessed_on,
                }
                for s in steps
            ],
            column_order=[
                "this",
                "link",
                "cycle",
                "session",
                "text",
                "recommending_states",
                "status",
                "assessed_on",
            ],
            column_config=column_config() | {"this": st.column_config.TextColumn("", width=40)},
            hide_index=True,
            key=f"lineage_{rec_id}",
        )
    suggested = [v for v in views if v.status == "suggested"]
    decided = [v for v in views if v.status != "suggested"]
    if suggested:
        st.markdown(
            _("**Suggested repeats ({n})** — found by text similarity; please check.").format(
                n=len(suggested)
            )
        )
        if not editable:
            st.caption(_("Log in as an editor to confirm or reject suggestions."))
        for v in suggested:
            _link_card(v, editable)
    if not views:
        st.caption(_("No earlier or later repeat of this recommendation is linked yet."))
    elif decided:
        with st.expander(
            _("Decisions made ({n}): confirmed and rejected repeats").format(n=len(decided)),
            icon=":material/history:",
        ):
            for v in decided:
                st.caption(
                    _("{decision} by {who} on {day}").format(
                        decision=_("Confirmed") if v.status == "confirmed" else _("Rejected"),
                        who=md_escape(v.decided_by or "?"),
                        day=long_date(v.decided_at.date()) if v.decided_at else "?",
                    )
                )
                _link_card(v, editable)


def render_repeated_not_implemented(f: Filters) -> None:
    """The Flagged page's "repeated and still not implemented" list: recommendations made
    again in a later cycle whose current status is not fully implemented."""
    include = bool(st.session_state.get("repeated_include_suggested", False))
    df = query(linking.repeated_not_implemented, f, include_suggested=include)
    with st.expander(
        _("Repeated and still not implemented: {n}").format(n=len(df)),
        icon=":material/repeat:",
        expanded=False,
    ):
        st.caption(
            _(
                "Recommendations that repeat one of an earlier cycle (a confirmed link) and are "
                "not assessed as fully implemented: the state was asked again."
            )
        )
        st.toggle(
            _("Also count suggested repeats that nobody has confirmed yet"),
            key="repeated_include_suggested",
        )
        if df.empty:
            st.info(_("None with these filters."), icon=":material/check_circle:")
            return
        chosen = table(
            display_frames.labelled(df),
            [
                "link",
                "state",
                "first_cycle",
                "cycle",
                "text",
                "recommending_states",
                "status",
                "assessed_on",
                "repeats",
            ],
            key="repeated_table",
            select=True,
            extra_config={
                "first_cycle": st.column_config.NumberColumn(
                    _("First made in cycle"), format="%d", width="small"
                ),
                "repeats": st.column_config.TextColumn(
                    _("Repeats"), help=_("Ids of the earlier recommendations it repeats")
                ),
            },
        )
        if chosen is not None:
            open_recommendation(chosen)


def _decide_own_link(link_id: int, confirm: bool) -> None:
    """Button callback: confirm or reject that this recommendation took up one of ours."""
    said = (
        _("Confirmed: it took up our recommendation.")
        if confirm
        else _("Marked as not taking up our recommendation.")
    )
    _decide(own_links.decide_own_link, link_id, confirm, said)


def render_own_links(rec_id: int) -> None:
    """The organisation's own recommendations this recommendation may have taken up: the
    confirmed ones with "taken up by 3 States (supported)", the suggestions with Confirm /
    Not taken up buttons for editors. Nothing when there is none."""
    views = query(own_links.links_for_recommendation, rec_id)
    if not views:
        return
    st.subheader(_("Our own recommendations taken up"))
    said = query(own_links.taken_up, tuple(v.own_id for v in views if v.confirmed))
    editable = can_write()
    for view in views:
        with st.container(border=True):
            who = md_escape(view.organisation or _("our organisation"))
            if view.confirmed:
                st.markdown(f"**{who}** · {md_escape(said.get(view.own_id, ''))}")
            else:
                st.markdown(
                    f"**{who}** · "
                    + _("suggested, similarity {score:.0f}/100").format(score=view.score)
                )
            text(view.own_text)
            if not editable:
                continue
            row = st.container(horizontal=True, gap="small")
            if not view.confirmed:
                row.button(
                    _("Confirm: it took this up"),
                    key=f"own_confirm_{view.link_id}",
                    on_click=_decide_own_link,
                    args=(view.link_id, True),
                    icon=":material/link:",
                    type="primary",
                )
            row.button(
                _("Not taken up"),
                key=f"own_reject_{view.link_id}",
                on_click=_decide_own_link,
                args=(view.link_id, False),
                icon=":material/link_off:",
            )
