"""Streamlit glue: the one module of ``tracker`` that imports Streamlit.

* one engine per process (``st.cache_resource``) and a session per call;
* cached queries keyed on the database URL, the data version (bumped by every write, see
  tracker.audit), the language and the arguments — so a write anywhere is seen at once;
* the shared sidebar filters, kept in the URL query parameters;
* small shared widgets: the sample-data banner, safe text rendering, chart display.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tracker import audit, db, queries, schema, settings
from tracker.filters import QUERY_KEYS, Filters, from_query_params, to_query_params
from tracker.i18n import _, get_language
from tracker.sample import has_sample
from tracker.vocab import (
    REGIONAL_GROUPS,
    STATUS_ORDER,
    Response,
    regional_group_label,
    response_label,
    status_label,
)

T = TypeVar("T")

FILTERS_KEY = "_filters"
_WIDGET_KEYS = {
    "state": "f_state",
    "cycle": "f_cycle",
    "theme": "f_theme",
    "rs": "f_rs",
    "response": "f_response",
    "status": "f_status",
    "q": "f_q",
}
# Plotly toolbar: no logo; PNG downloads at 2x for sharp images; offline topojson for maps.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "topojsonURL": "/app/static/topojson/",
}


# --- database ------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = db.get_engine(url)
    if not schema.is_up_to_date(engine):
        schema.upgrade(engine)
    return engine


def engine() -> Engine:
    """The process-wide engine for the configured database (schema brought up to date)."""
    return _engine_for(settings.database_url())


@contextmanager
def session() -> Iterator[Session]:
    """A session committed on success, rolled back on error."""
    with db.session_scope(engine()) as s:
        yield s


def data_version() -> int:
    with session() as s:
        return audit.data_version(s)


@st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)
def _cached(
    _fn: Callable[..., Any], key: str, url: str, version: int, lang: str, args: tuple, kwargs: tuple
) -> Any:
    with db.session_scope(_engine_for(url)) as s:
        return _fn(s, *args, **dict(kwargs))


def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, **kwargs)``, cached until the next write to the database."""
    return _cached(
        fn,
        f"{fn.__module__}.{fn.__qualname__}",
        settings.database_url(),
        data_version(),
        get_language(),
        args,
        tuple(sorted(kwargs.items())),
    )


# --- filters -------------------------------------------------------------------------------
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
            format_func=lambda c: state_names.get(c, c),
            placeholder=_("All states"),
        )
        st.multiselect(
            _("Cycle"),
            cycles,
            key=_WIDGET_KEYS["cycle"],
            format_func=lambda c: _("Cycle {n}").format(n=c),
            placeholder=_("All cycles"),
        )
        st.multiselect(_("Theme"), themes, key=_WIDGET_KEYS["theme"], placeholder=_("All themes"))
        st.multiselect(
            _("Recommending state or regional group"),
            rs_options,
            key=_WIDGET_KEYS["rs"],
            format_func=lambda c: (
                regional_group_label(c) if c in REGIONAL_GROUPS else rs_names.get(c, c)
            ),
            placeholder=_("All recommending states"),
        )
        st.multiselect(
            _("Response"),
            [r.value for r in Response],
            key=_WIDGET_KEYS["response"],
            format_func=response_label,
            placeholder=_("All responses"),
        )
        st.multiselect(
            _("Current status"),
            list(STATUS_ORDER),
            key=_WIDGET_KEYS["status"],
            format_func=status_label,
            placeholder=_("All statuses"),
        )
        st.text_input(
            _("Search the text"), key=_WIDGET_KEYS["q"], placeholder=_('words or "a phrase"')
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
    )
    st.session_state[FILTERS_KEY] = f
    sync_query_params(f)
    return f


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
        parts.append(", ".join(names.get(s, s) for s in f.states))
    else:
        parts.append(_("all states"))
    if f.cycles:
        parts.append(_("cycle {n}").format(n=", ".join(str(c) for c in f.cycles)))
    if f.themes:
        parts.append(", ".join(f.themes))
    if f.recommending or f.regional_groups:
        rs = query(queries.recommending_state_options)
        names = dict(zip(rs["iso3"], rs["name"], strict=True))
        parts.append(
            _("recommended by {who}").format(
                who=", ".join(
                    [names.get(r, r) for r in f.recommending]
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
    return "; ".join(parts)


# --- shared widgets ------------------------------------------------------------------------
def sample_banner() -> None:
    """A warning banner while the database holds sample records."""
    if query(_has_sample):
        st.warning(
            _(
                "This database contains **sample data** for demonstration: illustrative "
                "recommendations and assessments are marked as sample. Remove them with "
                "`python -m tracker sample remove` before real use."
            ),
            icon="⚠️",
        )


def _has_sample(s: Session) -> bool:
    return has_sample(s)


def md_escape(text: str | None) -> str:
    """Text from the database made inert for st.markdown: shown literally, never as markup."""
    if not text:
        return ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~$])", r"\\\1", escaped).replace("\n", "  \n")


def plotly(fig: Any, key: str | None = None) -> None:
    """Show a plotly figure with the app's chart settings."""
    # theme=None: the page shows exactly the figure that is exported as an image.
    st.plotly_chart(fig, config=PLOTLY_CONFIG, key=key, theme=None)


__all__ = [
    "FILTERS_KEY",
    "PLOTLY_CONFIG",
    "current_filters",
    "data_version",
    "engine",
    "filter_description",
    "md_escape",
    "plotly",
    "query",
    "sample_banner",
    "session",
    "sidebar_filters",
    "sync_query_params",
]
