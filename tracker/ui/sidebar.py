"""The shared sidebar filters, kept in the URL query parameters, the description of a
filter for titles and captions, and the Explorer's search box mirrored with the sidebar's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from tracker import queries
from tracker.filters import QUERY_KEYS, Filters, from_query_params, to_query_params
from tracker.i18n import _, long_date
from tracker.states import shown_name
from tracker.ui.data import query
from tracker.vocab import (
    REGIONAL_GROUPS,
    STATUS_ORDER,
    Response,
    regional_group_label,
    response_label,
    status_label,
    theme_label,
)

FILTERS_KEY = "_filters"  # the Filters of this rerun, for current_filters()
# The session-state keys of the sidebar's widgets, by query parameter.
_WIDGET_KEYS = {
    "state": "f_state",
    "cycle": "f_cycle",
    "theme": "f_theme",
    "rs": "f_rs",
    "response": "f_response",
    "status": "f_status",
    "q": "f_q",
    "as_of": "f_as_of",
}


def current_filters() -> Filters:
    """The filters chosen in the sidebar (empty before the sidebar has run)."""
    f = st.session_state.get(FILTERS_KEY)
    return f if isinstance(f, Filters) else Filters()


def _init_from_url(states: list[str], cycles: list[int], themes: list[str], rs: list[str]) -> None:
    params = {k: st.query_params.get_all(k) for k in QUERY_KEYS}
    f = from_query_params(params)
    st.session_state[_WIDGET_KEYS["state"]] = [s for s in f.states if s in states]
    st.session_state[_WIDGET_KEYS["cycle"]] = [c for c in f.cycles if c in cycles]
    st.session_state[_WIDGET_KEYS["theme"]] = [t for t in f.themes if t in themes]
    st.session_state[_WIDGET_KEYS["rs"]] = [
        r for r in list(f.recommending) + list(f.regional_groups) if r in rs
    ]
    st.session_state[_WIDGET_KEYS["response"]] = list(f.responses)
    st.session_state[_WIDGET_KEYS["status"]] = list(f.statuses)
    st.session_state[_WIDGET_KEYS["q"]] = f.q
    st.session_state[_WIDGET_KEYS["as_of"]] = f.as_of


def format_now(options: Any, label: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's format_func with the labels made now, in the language of this rerun:
    Streamlit may format widget values again outside the script run (where the language of
    the run is not in force), and a widget's value is matched by its label."""
    made = {o: label(o) for o in options}
    return lambda o: made[o] if o in made else label(o)


def sidebar_filters() -> Filters:
    """Render the shared filter set in the sidebar, keep it in the URL, and return it."""
    state_df = query(queries.states_under_review)
    states = state_df["iso3"].tolist()
    state_names = dict(zip(state_df["iso3"], state_df["name"], strict=True))
    cycles = query(queries.cycle_options)
    themes = query(queries.theme_options)
    rs_df = query(queries.recommending_state_options)
    rs_names = dict(zip(rs_df["iso3"], rs_df["name"], strict=True))
    rs_options = list(REGIONAL_GROUPS) + rs_df["iso3"].tolist()

    if not st.session_state.get("_filters_from_url"):
        _init_from_url(states, cycles, themes, rs_options)
        st.session_state["_filters_from_url"] = True

    with st.sidebar:
        st.subheader(_("Filters"))
        st.multiselect(
            _("State under review"),
            states,
            key=_WIDGET_KEYS["state"],
            format_func=format_now(states, lambda c: shown_name(state_names.get(c, c))),
            placeholder=_("All states"),
        )
        st.multiselect(
            _("Cycle"),
            cycles,
            key=_WIDGET_KEYS["cycle"],
            format_func=format_now(cycles, lambda c: _("Cycle {n}").format(n=c)),
            placeholder=_("All cycles"),
        )
        st.multiselect(
            _("Theme"),
            themes,
            key=_WIDGET_KEYS["theme"],
            format_func=format_now(themes, theme_label),
            placeholder=_("All themes"),
        )
        st.multiselect(
            _("Recommending state or regional group"),
            rs_options,
            key=_WIDGET_KEYS["rs"],
            format_func=format_now(
                rs_options,
                lambda c: (
                    regional_group_label(c)
                    if c in REGIONAL_GROUPS
                    else shown_name(rs_names.get(c, c))
                ),
            ),
            placeholder=_("All recommending states"),
        )
        st.multiselect(
            _("Response"),
            [r.value for r in Response],
            key=_WIDGET_KEYS["response"],
            format_func=format_now([r.value for r in Response], response_label),
            placeholder=_("All responses"),
        )
        st.multiselect(
            _("Current status"),
            list(STATUS_ORDER),
            key=_WIDGET_KEYS["status"],
            format_func=format_now(STATUS_ORDER, status_label),
            placeholder=_("All statuses"),
        )
        st.text_input(
            _("Search the text"), key=_WIDGET_KEYS["q"], placeholder=_('words or "a phrase"')
        )
        st.date_input(
            _("Status as of"),
            key=_WIDGET_KEYS["as_of"],
            min_value=dt.date(2008, 1, 1),
            format="YYYY-MM-DD",
            help=_(
                "Empty: today. A date shows each recommendation's status as it was then (the "
                "latest assessment on or before it); later assessments are left out."
            ),
        )

    ss = st.session_state
    rs_sel = ss.get(_WIDGET_KEYS["rs"], [])
    f = Filters(
        states=tuple(ss.get(_WIDGET_KEYS["state"], [])),
        cycles=tuple(ss.get(_WIDGET_KEYS["cycle"], [])),
        themes=tuple(ss.get(_WIDGET_KEYS["theme"], [])),
        recommending=tuple(r for r in rs_sel if r not in REGIONAL_GROUPS),
        regional_groups=tuple(r for r in rs_sel if r in REGIONAL_GROUPS),
        responses=tuple(ss.get(_WIDGET_KEYS["response"], [])),
        statuses=tuple(ss.get(_WIDGET_KEYS["status"], [])),
        q=" ".join(str(ss.get(_WIDGET_KEYS["q"], "")).split()),
        as_of=_as_of(ss.get(_WIDGET_KEYS["as_of"])),
    )
    st.session_state[FILTERS_KEY] = f
    sync_query_params(f)
    return f


def _as_of(value: Any) -> dt.date | None:
    """The sidebar's date (None when cleared; a date range is not a date)."""
    return value if isinstance(value, dt.date) else None


def sync_query_params(f: Filters) -> None:
    """Write the filters into the URL, keeping other parameters (id, lang, ...)."""
    wanted = to_query_params(f)
    for key in QUERY_KEYS:
        current = st.query_params.get_all(key)
        new = wanted.get(key, [])
        if current != new:
            if new:
                st.query_params[key] = new
            elif key in st.query_params:
                del st.query_params[key]


def filter_description(f: Filters) -> str:
    """A short human description of the filter, for chart titles ("Kazakhstan, cycle 2")."""
    parts: list[str] = []
    if f.states:
        df = query(queries.states_under_review)
        names = dict(zip(df["iso3"], df["name"], strict=True))
        parts.append(", ".join(shown_name(names.get(s, s)) for s in f.states))
    else:
        parts.append(_("all states"))
    if f.cycles:
        parts.append(_("cycle {n}").format(n=", ".join(str(c) for c in f.cycles)))
    if f.themes:
        parts.append(", ".join(theme_label(t) for t in f.themes))
    if f.recommending or f.regional_groups:
        rs = query(queries.recommending_state_options)
        names = dict(zip(rs["iso3"], rs["name"], strict=True))
        parts.append(
            _("recommended by {who}").format(
                who=", ".join(
                    [shown_name(names.get(r, r)) for r in f.recommending]
                    + [regional_group_label(g) for g in f.regional_groups]
                )
            )
        )
    if f.responses:
        parts.append(", ".join(response_label(r).lower() for r in f.responses))
    if f.statuses:
        parts.append(", ".join(status_label(s).lower() for s in f.statuses))
    if f.q:
        parts.append(_("text contains {q}").format(q=f.q))
    if f.as_of:
        parts.append(_("status as of {date}").format(date=long_date(f.as_of)))
    return "; ".join(parts)


# --- the search box of the Explorer, mirrored with the sidebar's ---------------------------
SEARCH_KEY = "explorer_q"


def _copy_search() -> None:
    st.session_state[_WIDGET_KEYS["q"]] = st.session_state.get(SEARCH_KEY, "")


def search_box() -> None:
    """A large search box for the text search; it and the sidebar's show the same words
    (either can be used; ``?q=`` in the URL fills both)."""
    sidebar_value = st.session_state.get(_WIDGET_KEYS["q"], "")
    if st.session_state.get(SEARCH_KEY) != sidebar_value:
        st.session_state[SEARCH_KEY] = sidebar_value
    st.text_input(
        _("Search the recommendations"),
        key=SEARCH_KEY,
        on_change=_copy_search,
        placeholder=_('words, or "an exact phrase" — e.g. traffick "domestic violence"'),
        help=_(
            "Every word must occur; a word also finds longer words that start with it "
            "(traffick finds trafficking). Put an exact phrase in double quotes."
        ),
        icon=":material/search:",
    )
