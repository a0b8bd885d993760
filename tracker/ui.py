"""Streamlit glue: the one module of ``tracker`` that imports Streamlit.

* one engine per process (``st.cache_resource``) and a session per call;
* cached queries keyed on the database URL, the data version (bumped by every write, see
  tracker.audit), the language and the arguments — so a write anywhere is seen at once;
* the shared sidebar filters, kept in the URL query parameters;
* small shared widgets: the sample-data banner, safe text rendering, chart display.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import tracker.auth as auth
from tracker import audit, db, images, queries, reports, schema, settings
from tracker.filters import QUERY_KEYS, Filters, from_query_params, to_query_params
from tracker.i18n import _, available_languages, get_language, is_rtl, set_language
from tracker.memory import gc_paused
from tracker.sample import has_sample
from tracker.states import shown_name
from tracker.vocab import (
    REGIONAL_GROUPS,
    STATUS_ORDER,
    Response,
    regional_group_label,
    response_label,
    status_label,
    theme_label,
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


_RUN_VERSION_KEY = "_data_version_this_run"  # (database URL, version) read by begin_run


def begin_run() -> None:
    """Read the data version once, at the top of a script run (require_login calls this):
    the run's cached queries are keyed on it instead of each reading it again (a page makes
    twenty; docs/performance.md). A write (:func:`write`) forgets it, so that the queries
    after it see the change; the next run reads it afresh."""
    st.session_state[_RUN_VERSION_KEY] = (settings.database_url(), data_version())


def _run_version() -> int:
    kept = st.session_state.get(_RUN_VERSION_KEY)
    if isinstance(kept, tuple) and kept[0] == settings.database_url():
        return int(kept[1])
    return data_version()


@st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)
def _cached(
    _fn: Callable[..., Any], key: str, url: str, version: int, lang: str, args: tuple, kwargs: tuple
) -> Any:
    with gc_paused(), db.session_scope(_engine_for(url)) as s:  # tracker.memory: why
        return _fn(s, *args, **dict(kwargs))


def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, **kwargs)``, cached until the next write to the database."""
    return _cached(
        fn,
        f"{fn.__module__}.{fn.__qualname__}",
        settings.database_url(),
        _run_version(),
        get_language(),
        args,
        tuple(sorted(kwargs.items())),
    )


# --- language ------------------------------------------------------------------------------
LANG_PARAM = "lang"  # ?lang=ru in the URL
_LANG_KEY = "_lang"  # the language chosen in this browser session
_LANG_WIDGET = "lang_switch"
_LANG_ACCOUNT_CHECKED = "_lang_account"  # the account whose stored language was looked up
# Each language's name in that language (shown in the switch whatever the interface language).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
}
_RTL_CSS = (
    "<style>[data-testid='stMain'] .block-container,[data-testid='stSidebarUserContent']"
    "{direction:rtl;text-align:right}</style>"
)


def _account_language() -> str | None:
    actor = _session_actor()
    if actor is None or actor.local or not actor.username:
        return None
    with session() as s:
        return auth.user_language(s, actor.username)


def init_language() -> str:
    """Set the interface language for this rerun, before anything is rendered (app.py calls
    it right after ``st.set_page_config``): ``?lang=`` in the URL, else the language chosen
    earlier in this browser session, else the logged-in account's language, else English.
    The choice is kept in the URL like the filters; right-to-left languages get RTL layout."""
    langs = available_languages()
    url_lang = st.query_params.get(LANG_PARAM)
    if url_lang in langs:
        st.session_state[_LANG_KEY] = url_lang  # an explicit choice (a link, the switch)
    lang = st.session_state.get(_LANG_KEY)
    if lang not in langs:
        lang = _account_language()
    lang = set_language(lang)
    if (lang != "en" or url_lang) and url_lang != lang:
        st.query_params[LANG_PARAM] = lang
    if is_rtl(lang):
        st.html(_RTL_CSS)
    return lang


def _apply_account_language(actor: auth.Actor) -> None:
    """Once per browser session, right after login (or a remembered login) is known: switch
    to the account's language unless a language was chosen explicitly (URL or switch)."""
    if actor.local or not actor.username or st.session_state.get(_LANG_KEY):
        return
    if st.session_state.get(_LANG_ACCOUNT_CHECKED) == actor.username:
        return
    st.session_state[_LANG_ACCOUNT_CHECKED] = actor.username
    lang = _account_language()
    if lang in available_languages() and lang != get_language():
        st.session_state[_LANG_KEY] = lang
        st.rerun()  # the page list and the sidebar were already drawn in the other language


def _language_chosen() -> None:
    lang = st.session_state.get(_LANG_WIDGET)
    if not lang or lang not in available_languages():
        return  # the switch was clicked off: keep the language in force
    st.session_state[_LANG_KEY] = lang
    st.query_params[LANG_PARAM] = lang
    actor = _session_actor()
    if actor is not None and not actor.local and actor.username:
        with session() as s:
            auth.set_user_language(s, actor.username, lang)


def language_switch() -> None:
    """The language switch in the sidebar (each language named in itself); hidden while only
    English has a catalogue. The choice goes into the URL and, when logged in, the account."""
    langs = available_languages()
    if len(langs) < 2:
        return
    st.session_state[_LANG_WIDGET] = get_language()
    with st.sidebar:
        st.segmented_control(
            _("Language"),
            langs,
            key=_LANG_WIDGET,
            format_func=lambda c: LANGUAGE_NAMES.get(c, c),
            on_change=_language_chosen,
            label_visibility="collapsed",
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
    """Show a plotly figure with the app's chart settings, and PNG/SVG download buttons."""
    # theme=None: the page shows exactly the figure that is exported as an image.
    st.plotly_chart(fig, config=PLOTLY_CONFIG, key=key, theme=None)
    chart_downloads(fig, images.file_stem(images.figure_title(fig)), key=key)


def chart_downloads(fig: Any, basename: str, *, key: str | None = None) -> None:
    """PNG (2x) and SVG download buttons for a chart, drawn on the server by kaleido only
    when a button is clicked. The image carries the title (the filter, when the figure has no
    title), the source and "as of" caption, the organisation's name when it is set, and a
    "sample data" watermark when the filtered selection holds sample records."""
    f = current_filters()
    labels: dict[str, Any] = {
        "title": filter_description(f),
        "caption": source_caption(f),
        "organisation": query(reports.organisation_name),
        "sample": query(reports.selection_has_sample, f),
    }

    def maker(fmt: str) -> Callable[[], bytes]:
        scale = images.DEFAULT_SCALE if fmt == "png" else 1

        def make() -> bytes:
            # Prepared on click only: copying a figure costs ~0.1 s, paid per chart and rerun
            # before (docs/performance.md).
            prepared = images.prepare_for_export(fig, **labels).to_plotly_json()
            return images.render(prepared, fmt, scale=scale)

        return make

    widget_key = f"img_{key or basename}"
    with st.container(horizontal=True, gap="small", key=f"{widget_key}_row"):
        for fmt, label in (("png", _("PNG image")), ("svg", _("SVG image"))):
            st.download_button(
                label,
                maker(fmt),
                file_name=f"{basename}.{fmt}",
                mime=images.MIME_TYPES[fmt],
                key=f"{widget_key}_{fmt}",
                on_click="ignore",
                icon=":material/download:",
                type="tertiary",
                help=_("Download this chart with its title, source and date"),
            )


# --- page furniture ------------------------------------------------------------------------
def page_number(key: str, pages: int, signature: object, *, where: Any = st) -> int:
    """A "Page (of n)" box drawn in ``where``, its value kept in the URL as ``key``; back to
    page 1 when ``signature`` changes (another search, filter, sort or page size) and never
    past the last page. The Explorer and the Recommending states list page this way."""
    url_value(key, parse_int(1, pages), 1)
    mark = f"_{key}_signature"
    if st.session_state.get(mark, signature) != signature:
        st.session_state[key] = 1
    st.session_state[mark] = signature
    st.session_state[key] = min(st.session_state[key], pages)
    page = int(
        where.number_input(
            _("Page (of {n})").format(n=f"{pages:,}"),
            min_value=1,
            max_value=pages,
            step=1,
            key=key,
        )
    )
    keep_in_url(key, page, 1)
    return page


def page_header(title: str) -> tuple[Filters, str]:
    """The page title and, under it, what the filter shows; returns (filters, description)."""
    f = current_filters()
    where = filter_description(f)
    st.title(title)
    st.caption(md_escape(where))
    return f, where


def no_match() -> None:
    """The explanation shown instead of an empty table or chart."""
    st.info(_("No recommendations match these filters."), icon=":material/filter_alt_off:")


def as_of(f: Filters) -> str:
    """The date of the latest assessment of the filtered recommendations, as text."""
    latest = query(queries.latest_assessment_date, f)
    return latest.isoformat() if latest else _("no assessment yet")


def source_caption(f: Filters) -> str:
    """The caption of every chart: data source and "as of" date."""
    return _(
        "Source: UPR Tracker database, current status = latest assessment; as of {date}"
    ).format(date=as_of(f))


def text(value: str | None) -> None:
    """Text from the database, shown exactly as stored (no Markdown, no HTML)."""
    st.text(value or "", width="stretch")


# --- tables --------------------------------------------------------------------------------
def _column_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        "link": cc.LinkColumn(
            _("Id"),
            display_text=r"recommendation\?id=(\d+)",
            help=_("Open the recommendation (new tab)"),
            width="small",
        ),
        "id": cc.NumberColumn(_("Id"), format="%d", width="small"),
        "state": cc.TextColumn(_("State under review")),
        "cycle": cc.NumberColumn(_("Cycle"), format="%d", width="small"),
        "session": cc.NumberColumn(_("Session"), format="%d", width="small"),
        "paragraph": cc.TextColumn(_("Paragraph"), width="small"),
        "text": cc.TextColumn(_("Recommendation"), width="large"),
        "recommending_states": cc.TextColumn(_("Recommended by")),
        "response": cc.TextColumn(_("Response")),
        "action_category": cc.TextColumn(_("Action category")),
        "themes": cc.TextColumn(_("Themes")),
        "theme": cc.TextColumn(_("Theme"), width=170),
        "status": cc.TextColumn(_("Current status")),
        "assessed_on": cc.DateColumn(_("Assessed on"), format="YYYY-MM-DD"),
        "age_months": cc.NumberColumn(
            _("Age (months)"), format="%d", help=_("Months since the latest assessment")
        ),
        "source_org": cc.TextColumn(_("Source")),
        "evidence": cc.TextColumn(_("Latest evidence"), width=320),
        "evidence_url": cc.LinkColumn(_("Evidence link")),
        "detail": cc.TextColumn(_("Details"), width=320),
    }


def table(
    df: Any,
    columns: list[str],
    *,
    key: str,
    select: bool = False,
    height: int | str = "auto",
    extra_config: dict[str, Any] | None = None,
) -> int | None:
    """A table of recommendations (a :func:`tracker.tables.labelled` frame) showing
    ``columns``, text literally; rows are three lines high when they show a recommendation's
    text or evidence (it wraps). With ``select``, a row can be chosen: its id is returned."""
    config = _column_config() | (extra_config or {})
    wraps = any(c in columns for c in ("text", "evidence", "detail"))
    if wraps and height == "auto":
        # Up to eight three-line rows in view (the header and a border: 38 px); more scroll.
        height = TEXT_ROW_HEIGHT * max(1, min(len(df), TABLE_ROWS_IN_VIEW)) + 38
    kwargs: dict[str, Any] = {}
    if select:
        kwargs = {"on_select": "rerun", "selection_mode": "single-row"}
    event = st.dataframe(
        df,
        column_order=columns,
        column_config=config,
        hide_index=True,
        key=key,
        height=height,  # type: ignore[arg-type]
        row_height=TEXT_ROW_HEIGHT if wraps else None,
        placeholder="",
        **kwargs,
    )
    if select and event is not None:
        rows = event.selection.rows  # type: ignore[union-attr]
        if rows:
            return int(df.iloc[rows[0]]["id"])
    return None


def open_recommendation(rec_id: int) -> None:
    """Go to the detail page of a recommendation (the filters stay in the URL)."""
    st.switch_page(DETAIL_PAGE, query_params={"id": str(rec_id)})


DETAIL_PAGE = "pages/recommendation_page.py"
TEXT_ROW_HEIGHT = 75  # px: three lines of a recommendation's text, wrapped
TABLE_ROWS_IN_VIEW = 8
# st.badge colours nearest to the status palette (vocab.STATUS_COLOURS).
STATUS_BADGE_COLOURS: dict[str, Any] = {
    "fully_implemented": "green",
    "partially_implemented": "orange",
    "not_implemented": "red",
    "no_information": "blue",
    "not_assessed": "gray",
}


def downloads(basename: str, build: Callable[[Session, str], bytes], *, key: str) -> None:
    """CSV and XLSX download buttons. ``build(session, "csv" | "xlsx")`` makes the file only
    when a button is clicked (on Streamlit's download thread, with its own session)."""
    eng = engine()
    lang = get_language()

    def maker(fmt: str) -> Callable[[], bytes]:
        def make() -> bytes:
            set_language(lang)  # the download thread has its own context
            with db.session_scope(eng) as s:
                return build(s, fmt)

        return make

    left, right, _rest = st.columns([1, 1, 3])
    left.download_button(
        _("Download CSV"),
        maker("csv"),
        file_name=f"{basename}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    right.download_button(
        _("Download Excel"),
        maker("xlsx"),
        file_name=f"{basename}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )


def file_stem(prefix: str, f: Filters) -> str:
    """A download file name: prefix, the states filtered on, today's date."""
    parts = [prefix, *f.states[:3], dt.date.today().isoformat()]
    return "-".join(parts)


# --- page-local controls kept in the URL ---------------------------------------------------
# The sidebar filters are synced by sync_query_params; a page's own controls (the flag shown,
# the Explorer's sort and page, the chosen recommending state) use these two calls around
# their widget, so that a copied link reproduces them too. (Streamlit's bind="query-params"
# loses them when the app rewrites the filter parameters on the same run.)
def url_value(key: str, parse: Callable[[str], Any], default: Any) -> None:
    """Before the widget with ``key``: take its value from ``?key=`` when the URL holds a
    value the app did not write itself (a pasted link, a page link); else keep the widget's
    own value, or ``default``. ``parse`` returns the value for a URL string, None if invalid.
    """
    raw = st.query_params.get(key)
    written = st.session_state.get(f"_url_{key}") if key in st.session_state else None
    if raw is not None and raw != written:
        try:
            value = parse(raw)
        except (TypeError, ValueError):
            value = None
        if value is not None:
            st.session_state[key] = value
    if key not in st.session_state or not _still_valid(parse, st.session_state[key]):
        st.session_state[key] = default


def _still_valid(parse: Callable[[str], Any], value: Any) -> bool:
    """Whether a kept value is still allowed (the options change with the filters)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return parse(text) is not None
    except (TypeError, ValueError):
        return False


def keep_in_url(key: str, value: Any, default: Any) -> None:
    """After the widget: write its value to ``?key=`` (left out when it is the default)."""
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
        st.session_state[f"_url_{key}"] = None
        return
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if st.query_params.get(key) != text:
        st.query_params[key] = text
    st.session_state[f"_url_{key}"] = text


def parse_choice(options: Any) -> Callable[[str], Any]:
    """A ``parse`` for url_value: the option whose text is the URL value."""
    by_text = {str(o): o for o in options}
    return by_text.get


def parse_int(low: int, high: int) -> Callable[[str], int | None]:
    """A ``parse`` for url_value: a whole number from ``low`` to ``high``."""

    def parse(raw: str) -> int | None:
        n = int(raw)
        return n if low <= n <= high else None

    return parse


def parse_bool(raw: str) -> bool | None:
    """A ``parse`` for url_value: true/false, 1/0."""
    return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower())


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


# --- writes --------------------------------------------------------------------------------
def write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in its own transaction (committed on success);
    every cached query sees the change at once (the write bumps the data version)."""
    try:
        with session() as s:
            return fn(s, *args, **kwargs)
    finally:
        st.session_state.pop(_RUN_VERSION_KEY, None)  # the queries after it read it afresh


def flash(message: str | None = None) -> None:
    """Keep ``message`` (plain text) to show after the next rerun; without a message, show
    and forget the one kept (a success box here and a toast)."""
    if message is not None:
        st.session_state["_flash"] = message
        return
    kept = st.session_state.pop("_flash", None)
    if kept:
        st.success(md_escape(kept), icon=":material/check_circle:")
        st.toast(md_escape(kept), icon=":material/check_circle:")


__all__ = [
    "DETAIL_PAGE",
    "FILTERS_KEY",
    "PLOTLY_CONFIG",
    "SEARCH_KEY",
    "STATUS_BADGE_COLOURS",
    "as_of",
    "begin_run",
    "chart_downloads",
    "current_filters",
    "data_version",
    "downloads",
    "engine",
    "file_stem",
    "filter_description",
    "flash",
    "keep_in_url",
    "md_escape",
    "no_match",
    "open_recommendation",
    "page_header",
    "page_number",
    "parse_bool",
    "parse_choice",
    "parse_int",
    "plotly",
    "query",
    "sample_banner",
    "search_box",
    "session",
    "sidebar_filters",
    "source_caption",
    "sync_query_params",
    "table",
    "text",
    "url_value",
    "write",
]


# --- accounts: login, logout, roles (see tracker.auth) ---------------------------------------
LOGIN_KEY = "_auth_login"  # {"token", "issued", "last_seen"} of this browser session's login
ACTOR_KEY = "_auth_actor"  # the auth.Actor this browser session acts as
COOKIE = "upr_tracker_login"  # the remembered login (a signed token), so reloads stay logged in
TOKEN_REFRESH_S = 15 * 60  # renew the cookie this often while active (idle expiry's precision)
_CLEAR_COOKIE_KEY = "_auth_clear_cookie"
_LOGIN_ATTEMPT_KEY = "_auth_attempt"
_LOGIN_FAILURE_KEY = "_auth_failure"


def _session_actor() -> auth.Actor | None:
    """auth's actor provider: the actor of the Streamlit session running this code (also in
    widget callbacks, which run before the page script); None outside a script run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, auth.Actor) else None


auth.set_actor_provider(_session_actor)


def _establish(actor: auth.Actor) -> None:
    st.session_state[ACTOR_KEY] = actor
    auth.set_actor(actor)
    _apply_account_language(actor)


def _accounts_exist(s: Session) -> bool:
    return auth.accounts_exist(s)


def _cookie_script(value: str, max_age: int) -> None:
    # The token is base64url text and a dot: nothing in it can end the string or the script.
    st.html(
        "<script>(function(){var s=location.protocol==='https:'?'; Secure':'';"
        f"document.cookie='{COOKIE}={value}; path=/; max-age={max_age}; SameSite=Strict'+s;"
        "})();</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def _remember(token: str) -> None:
    """Keep the login in this session and in the browser (cookie) for reloads and new tabs."""
    issued = auth.token_issued_at(token) or time.time()
    st.session_state[LOGIN_KEY] = {"token": token, "issued": issued, "last_seen": time.time()}
    with st.sidebar:
        _cookie_script(token, int(auth.session_hours() * 3600))


def require_login() -> auth.Actor:
    """Decide who acts in this browser session, at the top of every rerun (app.py).

    No account in the database: local single-user mode (everything allowed, a banner says
    so). Otherwise a logged-in session acts as its account with its role as stored now, until
    it has been idle for ``UPR_TRACKER_SESSION_HOURS`` (default 8), its password changes, or
    it logs out; the login survives reloads and new tabs (a signed cookie). With
    ``UPR_TRACKER_PUBLIC_READONLY=1`` anyone else views as a viewer; otherwise the login
    form is shown and the page stops.
    """
    begin_run()
    if not query(_accounts_exist):
        st.session_state.pop(LOGIN_KEY, None)
        actor = auth.local_actor()
        _establish(actor)
        st.sidebar.info(
            _(
                "**Local single-user mode**: no accounts are set up, so whoever opens this "
                "app can change the data. To share it, add an admin account: "
                "`python -m tracker users add NAME --role admin`."
            ),
            icon=":material/person:",
        )
        return actor
    notice = None
    login = st.session_state.get(LOGIN_KEY)
    if not isinstance(login, dict) and not st.session_state.get(_CLEAR_COOKIE_KEY):
        remembered = st.context.cookies.get(COOKIE)
        if remembered:
            with session() as s:
                if auth.verify_token(s, remembered) is not None:
                    login = {
                        "token": remembered,
                        "issued": auth.token_issued_at(remembered) or 0.0,
                        "last_seen": time.time(),
                    }
                    st.session_state[LOGIN_KEY] = login
    if isinstance(login, dict):
        now = time.time()
        found = query(auth.verify_token, str(login.get("token", "")))
        if (now - float(login.get("last_seen", 0))) / 3600 > auth.session_hours():
            notice = _(
                "Your session ended after {hours:g} hours without activity. Please log in again."
            ).format(hours=auth.session_hours())
        elif found is None:
            notice = _(
                "Your login has ended (logged out, new password, or the account was removed). "
                "Please log in again."
            )
        else:
            login["last_seen"] = now
            _establish(found)
            if now - float(login.get("issued", 0)) > TOKEN_REFRESH_S:
                _remember(write(auth.issue_token, found.username))
            _account_sidebar(found)
            return found
        st.session_state.pop(LOGIN_KEY, None)
    if st.session_state.pop(_CLEAR_COOKIE_KEY, False):
        with st.sidebar:
            _cookie_script("", 0)
    if auth.public_readonly():
        actor = auth.public_viewer()
        _establish(actor)
        with st.sidebar.expander(_("Log in to edit"), icon=":material/login:"):
            _login_form(notice)
        return actor
    _establish(auth.anonymous())
    st.title(_("Log in"))
    st.caption(_("This UPR Tracker is shared: log in with the account an administrator gave you."))
    _login_form(notice, width=460)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the script run


def _login_form(notice: str | None, width: int | str = "stretch") -> None:
    if notice:
        st.info(notice, icon=":material/schedule:", width=width)  # type: ignore[arg-type]
    # A new key after each failed attempt gives an empty password field.
    attempt = st.session_state.get(_LOGIN_ATTEMPT_KEY, 0)
    with st.form("login", border=True, width=width):  # type: ignore[arg-type]
        username = st.text_input(_("Username"), key="login_username", autocomplete="username")
        password = st.text_input(
            _("Password"),
            type="password",
            key=f"login_password_{attempt}",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(_("Log in"), type="primary", icon=":material/login:")
    failure = st.session_state.pop(_LOGIN_FAILURE_KEY, None)
    if failure and not submitted:
        st.error(failure, icon=":material/error:", width=width)  # type: ignore[arg-type]
    if not submitted:
        return
    with session() as s:
        result = auth.authenticate(s, username, password, client=st.context.ip_address)
        token = auth.issue_token(s, result.actor.username) if result.actor else None
    if result.actor is None or token is None:
        st.session_state[_LOGIN_FAILURE_KEY] = result.message
        st.session_state[_LOGIN_ATTEMPT_KEY] = attempt + 1
        st.rerun()
    st.session_state[LOGIN_KEY] = {"token": token, "issued": 0.0, "last_seen": time.time()}
    _establish(result.actor)
    st.rerun()  # the next run sets the cookie ("issued" 0 asks for a fresh token)


def _account_sidebar(actor: auth.Actor) -> None:
    with st.sidebar:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.caption(
            _("Logged in as **{user}** ({role})").format(
                user=md_escape(actor.username), role=auth.role_label(actor.role)
            )
        )
        if c2.button(_("Log out"), key="logout", icon=":material/logout:", type="tertiary"):
            logout()


def logout() -> None:
    """End this account's login (in every browser) and show the login form."""
    actor = auth.current_actor()
    if actor.role is not None and not actor.local:
        write(auth.end_remembered_logins, actor.username)
    st.session_state.pop(LOGIN_KEY, None)
    st.session_state[_CLEAR_COOKIE_KEY] = True
    _establish(auth.anonymous())
    st.rerun()


def current_actor() -> auth.Actor:
    """Who acts in this browser session (set by :func:`require_login`)."""
    return auth.current_actor()


def can_write() -> bool:
    """True when the current user may change data (editor or admin): pages show write
    actions only then. The real check is in tracker's write functions."""
    return auth.current_actor().can(auth.Role.EDITOR)


def is_admin() -> bool:
    """True when the current user manages accounts (admin, or local single-user mode)."""
    return auth.current_actor().can(auth.Role.ADMIN)


def require_role(role: str, what: str) -> auth.Actor:
    """Stop the page with a short explanation unless the current user has ``role``."""
    actor = auth.current_actor()
    if not actor.can(role):
        st.info(
            _("{what} needs the {role} role; you are logged in as {user} ({have}).").format(
                what=what,
                role=auth.role_label(role),
                user=md_escape(actor.username),
                have=auth.role_label(actor.role),
            ),
            icon=":material/lock:",
        )
        st.stop()
    return actor


__all__ += [  # the accounts section
    "ACTOR_KEY",
    "LOGIN_KEY",
    "can_write",
    "current_actor",
    "is_admin",
    "logout",
    "require_login",
    "require_role",
]


# --- repeats across cycles (tracker.linking) ------------------------------------------------
_REPEATS_MESSAGE = "_repeats_message"


def _decide_link(link_id: int, confirm: bool) -> None:
    """Button callback: confirm or reject a suggested repeat (one transaction, audited)."""
    from tracker import linking  # imported here: this section was added to a shared module
    from tracker.assessments import ValidationError

    try:
        write(linking.decide_link, link_id, confirm)
    except (ValidationError, auth.PermissionDenied) as exc:
        st.session_state[_REPEATS_MESSAGE] = ("error", str(exc))
    else:
        st.session_state[_REPEATS_MESSAGE] = (
            "success",
            _("Confirmed as a repeat.") if confirm else _("Marked as not a repeat."),
        )


def _link_card(view: Any, editable: bool) -> None:
    """One linked recommendation: where it is, its text, its status, and the decision
    buttons for a suggestion (or to change a decision)."""
    from tracker.tables import detail_path

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
    from tracker import linking
    from tracker.tables import detail_path

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
            column_config=_column_config() | {"this": st.column_config.TextColumn("", width=40)},
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
                        day=v.decided_at.date().isoformat() if v.decided_at else "?",
                    )
                )
                _link_card(v, editable)


def render_repeated_not_implemented(f: Filters) -> None:
    """The Flagged page's "repeated and still not implemented" list: recommendations made
    again in a later cycle whose current status is not fully implemented."""
    from tracker import linking, tables

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
            tables.labelled(df),
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


__all__ += [  # repeats across cycles
    "render_repeated_not_implemented",
    "render_repeats",
]


# --- editing a recommendation and retracting assessments (tracker.editing) -------------------
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
    from tracker import editing  # imported here: this section was added to a shared module
    from tracker.assessments import ValidationError
    from tracker.vocab import action_category_label

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
    from tracker.assessments import ValidationError, retract_assessment, retractable

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
            _("Assessment"), list(options), format_func=options.get, key=f"retract_{rec_id}_id"
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


__all__ += ["edit_recommendation_form", "retraction_form"]  # the editing section


def serve(streamlit_args: list[str]) -> int:
    """Run the app's server in this process: ``streamlit run app.py ARGS``.

    Streamlit decides at its first script run whether the app uses the legacy ``pages/``
    folder (it does while ``st.navigation`` has not yet run in the process), so the very first
    visit to a deep link such as ``/recommendation?id=5`` after a start would show "Page not
    found". Starting the server through this function tells Streamlit up front that the app
    routes with ``st.navigation``.
    """
    import sys

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(settings.PROJECT_ROOT / "app.py"), *streamlit_args]
    return int(streamlit_cli.main(standalone_mode=False) or 0)
