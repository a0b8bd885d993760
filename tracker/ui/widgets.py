"""Shared page furniture: the sample-data banner, page titles with the filter, charts with
their image downloads, recommendation tables, CSV/Excel downloads and the page-number box."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from tracker import auth, db, images, queries
from tracker.filters import Filters
from tracker.hints import cli_command
from tracker.i18n import _, get_language, long_date, set_language
from tracker.organisation import organisation_name
from tracker.queries import has_sample
from tracker.ui.data import engine, query
from tracker.ui.markup import md_escape
from tracker.ui.sidebar import current_filters, filter_description
from tracker.ui.url import keep_in_url, parse_int, url_value

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

# Plotly toolbar: no logo; PNG downloads at 2x for sharp images; offline topojson for maps.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "topojsonURL": "/app/static/topojson/",
}


def sample_banner() -> None:
    """A warning banner while the database holds sample records."""
    if query(_has_sample):
        st.warning(
            _(
                "This database contains **sample data** for demonstration: illustrative "
                "recommendations and assessments are marked as sample. Remove them with "
                "`{command}` before real use."
            ).format(command=cli_command("sample remove")),
            icon="⚠️",
        )


def _has_sample(s: Session) -> bool:
    return has_sample(s)


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
        "organisation": query(organisation_name),
        "sample": query(queries.selection_has_sample, f),
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
    """The date of the latest assessment of the filtered recommendations, written out."""
    latest = query(queries.latest_assessment_date, f)
    return long_date(latest) if latest else _("no assessment yet")


def source_caption(f: Filters) -> str:
    """The caption of every chart: data source and "as of" date."""
    return _(
        "Source: UPR Tracker database, current status = latest assessment; as of {date}"
    ).format(date=as_of(f))


# --- tables --------------------------------------------------------------------------------
# Widths (px) for a table to fit the main area at 1440 px: about 950 px beside the sidebar,
# less the row selector. Each heading fits its column in English and Russian (text wraps in
# the cells: rows are three lines high when a table shows long text). On a wider screen every
# column grows alike (Streamlit stretches a table to its container).
TABLE_WIDTH = 940
# The grid breaks a word longer than its column mid-word ("Международны/е договоры" at 120
# px, issue #18's screenshots): Themes holds every word of the Russian theme names (up to
# "недискриминация", 114 px at the grid's 14 px font, with 2 x 8 px of padding and a margin);
# the state, cycle and date columns give up what they did not need.
COLUMN_WIDTHS: dict[str, int] = {
    "link": 56,
    "id": 56,
    "state": 92,
    "cycle": 46,
    "session": 64,
    "paragraph": 76,
    "recommending_states": 112,
    "response": 96,
    "action_category": 120,
    "themes": 136,
    "theme": 140,
    "status": 110,
    "assessed_on": 92,
    "age_months": 100,
    "source_org": 110,
    "evidence_url": 110,
}
# The long texts share what the other columns leave: (share, least width in px).
WRAPPED_COLUMNS: dict[str, tuple[int, int]] = {
    "text": (5, 200),
    "evidence": (3, 150),
    "detail": (3, 150),
}


def column_widths(columns: list[str]) -> dict[str, int]:
    """The width of each of ``columns`` in a table of :data:`TABLE_WIDTH`: the fixed ones
    from :data:`COLUMN_WIDTHS`, and the long texts sharing the rest (never below their least
    width: then the table scrolls sideways rather than cut every line to a few words)."""
    widths = {c: COLUMN_WIDTHS[c] for c in columns if c in COLUMN_WIDTHS}
    wrapped = [c for c in columns if c in WRAPPED_COLUMNS]
    least = {c: WRAPPED_COLUMNS[c][1] for c in wrapped}
    spare = max(0, TABLE_WIDTH - sum(widths.values()) - sum(least.values()))
    shares = sum(WRAPPED_COLUMNS[c][0] for c in wrapped)
    for c in wrapped:
        widths[c] = least[c] + spare * WRAPPED_COLUMNS[c][0] // shares
    return widths


def fitting(columns: list[str], optional: Sequence[str] = ()) -> list[str]:
    """``columns`` less as many of the ``optional`` ones (in that order) as it takes for the
    table to fit :data:`TABLE_WIDTH` with its long texts at their least width."""
    shown = list(columns)
    for column in optional:
        if sum(column_widths(shown).values()) <= TABLE_WIDTH:
            break
        if column in shown:
            shown.remove(column)
    return shown


def column_config(columns: list[str] | None = None) -> dict[str, Any]:
    """The headings and formats of the columns of a recommendations table (in the language of
    this rerun), sized by :func:`column_widths` for ``columns`` when given; :func:`table` and
    the repeats lineage use them."""
    cc = st.column_config
    w = column_widths(columns or [])
    return {
        "link": cc.LinkColumn(
            _("Id"),
            display_text=r"recommendation\?id=(\d+)",
            help=_("Open the recommendation (new tab)"),
            width=w.get("link", "small"),
        ),
        "id": cc.NumberColumn(_("Id"), format="%d", width=w.get("id", "small")),
        "state": cc.TextColumn(_("State"), width=w.get("state"), help=_("State under review")),
        "cycle": cc.NumberColumn(_("Cycle"), format="%d", width=w.get("cycle", "small")),
        "session": cc.NumberColumn(_("Session"), format="%d", width=w.get("session", "small")),
        "paragraph": cc.TextColumn(_("Paragraph"), width=w.get("paragraph", "small")),
        "text": cc.TextColumn(_("Recommendation"), width=w.get("text", "large")),
        "recommending_states": cc.TextColumn(
            _("Recommended by"), width=w.get("recommending_states")
        ),
        "response": cc.TextColumn(_("Response"), width=w.get("response")),
        "action_category": cc.TextColumn(_("Action category"), width=w.get("action_category")),
        "themes": cc.TextColumn(_("Themes"), width=w.get("themes")),
        "theme": cc.TextColumn(_("Theme"), width=w.get("theme", 170)),
        "status": cc.TextColumn(_("Current status"), width=w.get("status")),
        "assessed_on": cc.DateColumn(
            _("Assessed on"), format="YYYY-MM-DD", width=w.get("assessed_on")
        ),
        "age_months": cc.NumberColumn(
            _("Age (months)"),
            format="%d",
            help=_("Months since the latest assessment (never assessed: since the review)"),
            width=w.get("age_months"),
        ),
        "source_org": cc.TextColumn(_("Source"), width=w.get("source_org")),
        "evidence": cc.TextColumn(_("Latest evidence"), width=w.get("evidence", 320)),
        "evidence_url": cc.LinkColumn(_("Evidence link"), width=w.get("evidence_url")),
        "detail": cc.TextColumn(_("Details"), width=w.get("detail", 320)),
    }


def table(
    df: Any,
    columns: list[str],
    *,
    key: str,
    select: bool = False,
    height: int | str = "auto",
    extra_config: dict[str, Any] | None = None,
    optional: Sequence[str] = (),
) -> int | None:
    """A table of recommendations (a :func:`tracker.display_frames.labelled` frame) showing
    ``columns`` (less the ``optional`` ones it takes to fit a 1440-px screen: :func:`fitting`),
    text literally; rows are three lines high when they show a recommendation's text or
    evidence (it wraps). With ``select``, a row can be chosen: its id is returned."""
    rows = _dataframe(
        df, columns, key, "single-row" if select else None, height, extra_config, optional
    )
    return int(df.iloc[rows[0]]["id"]) if rows else None


def ticked_table(
    df: Any,
    columns: list[str],
    *,
    key: str,
    extra_config: dict[str, Any] | None = None,
    optional: Sequence[str] = (),
) -> list[int]:
    """A :func:`table` whose rows can be ticked (several): the ids of the ticked rows."""
    rows = _dataframe(df, columns, key, "multi-row", "auto", extra_config, optional)
    return [int(df.iloc[r]["id"]) for r in rows]


def _dataframe(
    df: Any,
    columns: list[str],
    key: str,
    mode: str | None,
    height: int | str,
    extra_config: dict[str, Any] | None,
    optional: Sequence[str] = (),
) -> list[int]:
    """Draw the table; the positions of the selected rows (none without ``mode``)."""
    columns = fitting(columns, optional)
    config = column_config(columns) | (extra_config or {})
    wraps = any(c in columns for c in ("text", "evidence", "detail"))
    if wraps and height == "auto":
        # Up to eight three-line rows in view (the header and a border: 38 px); more scroll.
        height = TEXT_ROW_HEIGHT * max(1, min(len(df), TABLE_ROWS_IN_VIEW)) + 38
    kwargs: dict[str, Any] = {}
    if mode:
        kwargs = {"on_select": "rerun", "selection_mode": mode}
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
    if mode and event is not None:
        return list(event.selection.rows)  # type: ignore[attr-defined]
    return []


def open_recommendation(rec_id: int) -> None:
    """Go to the detail page of a recommendation (the filters stay in the URL)."""
    st.switch_page(DETAIL_PAGE, query_params={"id": str(rec_id)})


def private_choice(key: str, help: str | None = None) -> bool:
    """An "Include private evidence" checkbox for editors, off by default; False without a
    checkbox for everyone else (viewers and visitors never get private evidence, the rule of
    tracker.evidence)."""
    if not auth.current_actor().can(auth.Role.EDITOR):
        return False
    return bool(
        st.checkbox(
            _("Include private evidence in the downloads"),
            value=False,
            key=key,
            help=help or _("Only for use inside the organisation: the file says so first."),
        )
    )


def downloads(basename: str, build: Callable[[Session, str], bytes], *, key: str) -> None:
    """CSV and XLSX download buttons. ``build(session, "csv" | "xlsx")`` makes the file only
    when a button is clicked (on Streamlit's download thread, with its own session, as the
    user of this page: the right to private evidence is checked for them)."""
    eng = engine()
    lang = get_language()
    who = auth.current_actor()

    def maker(fmt: str) -> Callable[[], bytes]:
        def make() -> bytes:
            set_language(lang)  # the download thread has its own context
            with auth.acting_as(who), db.session_scope(eng) as s:
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
