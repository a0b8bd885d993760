"""Chart builders: DataFrame in, plotly Figure out. Pure functions, testable without a browser.

One status palette and order for the whole app (tracker.vocab.STATUS_COLOURS / STATUS_ORDER),
readable translated labels, titles that state the filter and a caption line with the source
and the "as of" date (added by :func:`finish`).

Text that comes from the database (theme and state names, the search words in a title) is
passed through :func:`plain` before it reaches a figure: plotly reads ``<b>``, ``<a href>``
and ``<br>`` in titles, labels and hover text as markup, and must show them literally.

Layout (see :func:`finish`): the title wraps at the top left, the legend sits in one or more
rows between the title and the plot, the caption wraps under the x axis; the top and
bottom margins are computed from the number of lines, so that nothing overlaps or is cut
off. ``width`` says how wide the chart will be drawn ("full" or "half" of the page).

The builders assemble plain dicts and make one Figure at the end without plotly's
property-by-property validation (:func:`figure`): validation cost about 60 ms a chart, more
than all the queries of a page for one country. The tests validate every builder's output.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracker.formats import date_ticks, number, percent, plotly_separators
from tracker.i18n import _
from tracker.states import shown_name
from tracker.vocab import (
    STATUS_COLOURS,
    STATUS_ORDER,
    Response,
    regional_group_label,
    response_label,
    status_label,
)

FONT_FAMILY = "Inter, 'Source Sans Pro', 'Segoe UI', Arial, sans-serif"
BASE_FONT_SIZE = 14
TITLE_FONT_SIZE = 17
CAPTION_FONT_SIZE = 12
TEXT_COLOUR = "#222"
CAPTION_COLOUR = "#555"
GRID_COLOUR = "#e5e5e5"
# Drawn widths in pixels (layout="wide" page at 1400 px; a half is one of two columns), and
# the average character widths used to wrap text to them.
WIDTH_PX = {"full": 940, "half": 440}
TITLE_CHAR_PX = 8.6
CAPTION_CHAR_PX = 6.3
LEGEND_CHAR_PX = 7.4
LABEL_CHAR_PX = 7.3
VALUE_AXIS_PX = 78  # left margin for a numeric y axis with its title
LEGEND_ITEM_PAD_PX = 46  # symbol and gaps around each legend entry
MAX_LABEL_CHARS = 40  # longer category labels are shortened (the hover has the full text)
LABEL_LINE_CHARS = 30  # category labels wrap into lines of this length...
LABEL_MAX_LINES = 3  # ... at most this many (then shortened; the hover has the full text)
LABEL_LINE_PX = 17  # the height of one line of a category label
# A sequential, colour-blind-safe scale for counts (light = few, dark blue = many); it starts
# at a visible blue so that a state with one recommendation stands out from the grey land.
COUNT_SCALE = [[0.0, "#dbe9f6"], [0.35, "#6baed6"], [0.7, "#2171b5"], [1.0, "#08306b"]]
RESPONSE_ORDER = tuple(r.value for r in Response)
# plotly_white as a plain dict, resolved once (templates are slow to look up per figure).
TEMPLATE = pio.templates["plotly_white"].to_plotly_json()

Width = Literal["full", "half"]


def plain(text: object) -> str:
    """Text shown literally by plotly (its pseudo-HTML made inert)."""
    return html.escape(str(text), quote=False)


def wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters (words are never split)."""
    lines = textwrap.wrap(
        text, width=max(chars, 10), break_long_words=False, break_on_hyphens=False
    )
    return lines or [""]


def shorten(text: str, chars: int = MAX_LABEL_CHARS) -> str:
    """``text`` cut to ``chars`` characters with an ellipsis."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def label_lines(text: str, chars: int = LABEL_LINE_CHARS) -> list[str]:
    """A category label in lines of about ``chars`` characters (words kept whole), at most
    LABEL_MAX_LINES (the last shortened with "…" when the text is longer still): long theme
    and group names stay readable instead of being cut after 40 characters."""
    lines = wrap(text, chars)
    if len(lines) > LABEL_MAX_LINES:
        rest = " ".join(lines[LABEL_MAX_LINES - 1 :])
        lines = [*lines[: LABEL_MAX_LINES - 1], shorten(rest, chars)]
    return lines


def wrapped_label(text: str, chars: int = LABEL_LINE_CHARS) -> str:
    """:func:`label_lines` as plotly text (escaped, lines joined by ``<br>``)."""
    return "<br>".join(plain(line) for line in label_lines(text, chars))


def _wrapped_px(labels: Sequence[str]) -> int:
    """Room for wrapped category labels (their longest line)."""
    return _label_px([line for t in labels for line in label_lines(t)])


def _date_axis(values: Any) -> dict[str, Any]:
    """A date axis over ``values`` with room around them and month names in the language
    in force (plotly writes English ones)."""
    span = _date_range(values)
    if span is None:
        return {"type": "date"}
    vals, text = date_ticks(dt.date.fromisoformat(span[0]), dt.date.fromisoformat(span[1]))
    return {"type": "date", "range": span, "tickvals": vals, "ticktext": text}


def status_colour_map() -> dict[str, str]:
    """Translated status label -> colour, for plotly's color_discrete_map."""
    return {status_label(s): STATUS_COLOURS[s] for s in STATUS_ORDER}


def _legend_rows(labels: Sequence[str], width_px: int) -> int:
    rows, used = 1, 0.0
    for label in labels:
        w = LEGEND_ITEM_PAD_PX + LEGEND_CHAR_PX * len(label)
        if used and used + w > width_px:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A Figure from plain trace and layout dicts, built without validation (fast)."""
    return go.Figure(data=data, layout=layout, _validate=False)


def _finish_layout(
    data: Sequence[dict[str, Any]],
    layout: dict[str, Any],
    title: str,
    caption: str | None,
    *,
    height: int,
    width: Width,
    x_title: bool,
    plot_left_px: int,
) -> dict[str, Any]:
    px = WIDTH_PX[width]
    title_lines = wrap(title, int((px - 16) / TITLE_CHAR_PX))
    legend_labels = [
        str(t["name"]) for t in data if t.get("showlegend", True) and t.get("name") is not None
    ]
    show_legend = bool(legend_labels) and layout.get("showlegend", True) is not False
    left = max(plot_left_px, 12)
    # The legend starts at the figure's left edge, like the title: its x is given in units
    # of the plot's width (paper), negative to reach over the y-axis labels.
    legend_x = -(left - 8) / max(px - left - 24, 50)
    legend_rows = _legend_rows(legend_labels, px - 24) if show_legend else 0
    top = 14 + 24 * len(title_lines) + (10 + 25 * legend_rows if show_legend else 6)
    caption_lines = wrap(caption, int((px - 16) / CAPTION_CHAR_PX)) if caption else []
    axis_px = 58 if x_title else 24
    bottom = (axis_px + 16 * len(caption_lines) + 8) if caption_lines else axis_px
    layout.update(
        title={
            "text": "<br>".join(plain(line) for line in title_lines),
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 12, "l": 8},
            "font": {"size": TITLE_FONT_SIZE},
        },
        font={"family": FONT_FAMILY, "size": BASE_FONT_SIZE, "color": TEXT_COLOUR},
        height=height + top + bottom,
        margin={"l": left, "r": 24, "t": top, "b": bottom, "autoexpand": True},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "yref": "paper",
            "x": legend_x,
            "xanchor": "left",
            "title": {"text": ""},
            "traceorder": "normal",
        },
        template=TEMPLATE,
        hoverlabel={"font": {"family": FONT_FAMILY, "size": 13}},
        separators=plotly_separators(),
        showlegend=show_legend,
    )
    for axis in ("xaxis", "yaxis"):
        layout.setdefault(axis, {})["automargin"] = True
    if caption_lines:
        layout.setdefault("annotations", []).append(
            {
                "text": "<br>".join(plain(line) for line in caption_lines),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "xshift": -left + 8,
                "yshift": -axis_px,
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "align": "left",
                "font": {"size": CAPTION_FONT_SIZE, "color": CAPTION_COLOUR},
            }
        )
    return layout


def finish(
    fig: go.Figure,
    title: str,
    caption: str | None = None,
    *,
    height: int = 300,
    width: Width = "half",
    x_title: bool = True,
    plot_left_px: int = VALUE_AXIS_PX,
) -> go.Figure:
    """Common layout for a Figure made elsewhere: the title (what is shown, for which filter)
    at the top left, the legend in rows under it, the caption (source, "as of" date) under
    the x axis, all three aligned on the left.

    ``height`` is the height of the plot area in pixels (the figure adds the room for the
    title, legend and caption). ``title`` and ``caption`` are plain text (escaped here).
    ``x_title`` says whether the x axis has a title (the caption goes below it);
    ``plot_left_px`` is the room the y-axis labels and title take (the left margin).
    """
    data = [t.to_plotly_json() for t in fig.data]
    layout: dict[str, Any] = {"showlegend": fig.layout.showlegend}
    _finish_layout(
        data,
        layout,
        title,
        caption,
        height=height,
        width=width,
        x_title=x_title,
        plot_left_px=plot_left_px,
    )
    annotations = layout.pop("annotations", [])
    fig.update_layout(layout)
    for a in annotations:
        fig.add_annotation(a)
    return fig


def _label_px(labels: Sequence[str]) -> int:
    """Room for horizontal category labels at the base font size."""
    return int(max((len(s) for s in labels), default=0) * LABEL_CHAR_PX) + 14


def _count_ticks(largest: float) -> dict[str, Any]:
    """Whole-number ticks for an axis of counts (plotly would draw 0.5 for small counts), at
    most about five: with more, a half-width chart's labels ("7,000") were turned on their
    side and ran into the axis title."""
    if largest <= 0:
        return {"dtick": 1, "range": [0, 1]}
    step = 1
    for m in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        step = m
        if largest / m <= 5:
            break
    else:
        return {"tickformat": ",d"}  # very large: plotly's own steps are whole numbers
    return {"tick0": 0, "dtick": step, "tickformat": ",d"}


def _axis(**kwargs: Any) -> dict[str, Any]:
    """An axis dict; ``title`` given as text."""
    out = dict(kwargs)
    if "title" in out:
        out["title"] = {"text": plain(out["title"]) if out["title"] else ""}
    return out


def status_bar(
    counts: pd.DataFrame, title: str, caption: str | None = None, *, width: Width = "half"
) -> go.Figure:
    """Horizontal bars of recommendations by current status (columns: status, count)."""
    df = counts.set_index("status").reindex(STATUS_ORDER, fill_value=0).reset_index()
    values = [int(n) for n in df["count"]]
    total = sum(values)
    labels = [status_label(s) for s in df["status"]]
    data = [
        {
            "type": "bar",
            "x": values,
            "y": [plain(label) for label in labels],
            "orientation": "h",
            "marker": {"color": [STATUS_COLOURS[s] for s in df["status"]]},
            "text": [f"{number(n)} ({percent(n, total)})" if total else "0" for n in values],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{x:,}<extra></extra>",
            "showlegend": False,
        }
    ]
    layout: dict[str, Any] = {
        "showlegend": False,
        "yaxis": _axis(autorange="reversed", title=None),
        "xaxis": _axis(
            title=_("Recommendations"),
            showgrid=True,
            gridcolor=GRID_COLOUR,
            range=[0, max(1, max(values, default=0)) * 1.4],  # room for "7,596 (44%)"
            **_count_ticks(max(values, default=0)),
        ),
    }
    _finish_layout(
        data,
        layout,
        title,
        caption,
        height=210,
        width=width,
        x_title=True,
        plot_left_px=_label_px(labels),
    )
    return figure(data, layout)


def _responses_in(values: Sequence[str]) -> list[str]:
    present = set(values)
    return [r for r in RESPONSE_ORDER if r in present] + sorted(
        {r for r in present if r not in RESPONSE_ORDER}, key=str
    )


def response_status_bar(
    df: pd.DataFrame, title: str, caption: str | None = None, *, width: Width = "half"
) -> go.Figure:
    """Stacked bars: current status within each response (columns: response, status, count)."""
    responses = _responses_in(list(df["response"]))
    data = []
    for s in STATUS_ORDER:
        part = df[df["status"] == s].set_index("response")["count"]
        data.append(
            {
                "type": "bar",
                "name": status_label(s),
                "x": [plain(response_label(r)) for r in responses],
                "y": [int(part.get(r, 0)) for r in responses],
                "marker": {"color": STATUS_COLOURS[s]},
                "hovertemplate": "%{x} – " + plain(status_label(s)) + ": %{y:,}<extra></extra>",
            }
        )
    layout: dict[str, Any] = {
        "barmode": "stack",
        "yaxis": _axis(
            title=_("Recommendations"),
            gridcolor=GRID_COLOUR,
            **_count_ticks(max(df.groupby("response")["count"].sum(), default=0)),
        ),
        "xaxis": _axis(title=_("Response of the state")),
    }
    _finish_layout(
        data,
        layout,
        title,
        caption,
        height=300,
        width=width,
        x_title=True,
        plot_left_px=VALUE_AXIS_PX,
    )
    return figure(data, layout)


def status_stack(
    df: pd.DataFrame,
    key: str,
    title: str,
    caption: str | None = None,
    *,
    label: Callable[[Any], str] = str,
    order: Sequence[Any] | None = None,
    horizontal: bool = True,
    share: bool = False,
    width: Width = "full",
    axis_title: str | None = None,
    apart: Any = None,
) -> go.Figure:
    """Stacked bars of the current status within each category of ``df[key]``.

    ``df`` has columns key, status, count (long form). Categories appear in ``order`` (default:
    their order in ``df``), labelled by ``label`` (plain text, escaped here, shortened with the
    full text in the hover). ``share=True`` draws each bar as 100 % (the hover keeps the
    counts). Horizontal bars suit long labels (themes, states, wrapped on up to three lines);
    vertical ones cycles.

    ``apart`` names a category drawn apart when bars show counts (the "other themes" sum of
    tracker.progress.top_categories): its bar, ten times the named ones on real data, set
    the scale and left them as slivers; its counts go to a note under the chart instead.
    """
    cats = list(order) if order is not None else list(dict.fromkeys(df[key]))
    if apart is not None and not share and apart in cats:
        rest = df[df[key] == apart]
        parts = [
            f"{status_label(s)} {number(n)}"
            for s in STATUS_ORDER
            if (n := int(rest[rest["status"] == s]["count"].sum()))
        ]
        note = _("{label}: {n} (not drawn, so that the scale serves the ones named: {parts}).")
        note = note.format(
            label=label(apart), n=number(int(rest["count"].sum())), parts=", ".join(parts)
        )
        caption = f"{caption} {note}" if caption else note
        cats = [c for c in cats if c != apart]
        df = df[df[key] != apart]
    full = [label(c) for c in cats]
    shown = [wrapped_label(t) if horizontal else plain(shorten(t)) for t in full]
    totals: dict[Any, int] = {}
    by_status: dict[tuple[str, Any], int] = {}
    for cat, status, n in zip(
        df[key].tolist(), df["status"].tolist(), df["count"].tolist(), strict=True
    ):
        totals[cat] = totals.get(cat, 0) + int(n)
        by_status[(status, cat)] = by_status.get((status, cat), 0) + int(n)
    data = []
    for s in STATUS_ORDER:
        counts = [int(by_status.get((s, c), 0)) for c in cats]
        tot = [int(totals.get(c, 0)) for c in cats]
        values = [n / t if t else 0.0 for n, t in zip(counts, tot, strict=True)]
        text = [percent(n, t) if share else number(n) for n, t in zip(counts, tot, strict=True)]
        bar: dict[str, Any] = {
            "type": "bar",
            "name": status_label(s),
            "marker": {"color": STATUS_COLOURS[s]},
            "customdata": [
                [plain(f), n, t, v] for f, n, t, v in zip(full, counts, tot, values, strict=True)
            ],
            "text": [t if n else "" for t, n in zip(text, counts, strict=True)],
            "textposition": "inside",
            "insidetextanchor": "middle",
            "textangle": 0,
            "hovertemplate": "%{customdata[0]}<br>"
            + plain(status_label(s))
            + ": %{customdata[1]:,} / %{customdata[2]:,} (%{customdata[3]:.0%})<extra></extra>",
        }
        y = values if share else counts
        if horizontal:
            bar.update(x=y, y=shown, orientation="h")
        else:
            bar.update(x=shown, y=y)
        data.append(bar)
    value_axis = _axis(
        title=axis_title or (_("Share of recommendations") if share else _("Recommendations")),
        gridcolor=GRID_COLOUR,
    )
    if share:
        value_axis.update(tickformat=".0%", range=[0, 1])
    else:
        value_axis.update(_count_ticks(max(totals.values(), default=0)))
    category_axis = _axis(title=None, type="category")
    layout: dict[str, Any] = {
        "barmode": "stack",
        "uniformtext": {"minsize": 10, "mode": "hide"},
    }
    if horizontal:
        category_axis["autorange"] = "reversed"
        layout.update(xaxis=value_axis, yaxis=category_axis)
        lines = sum(len(label_lines(t)) for t in full)
        height = max(120, 22 * len(cats) + LABEL_LINE_PX * lines + 20)
        left = _wrapped_px(full)
    else:
        layout.update(xaxis=category_axis, yaxis=value_axis)
        height = 300
        left = VALUE_AXIS_PX
    _finish_layout(
        data,
        layout,
        title,
        caption,
        height=height,
        width=width,
        x_title=horizontal,
        plot_left_px=left,
    )
    return figure(data, layout)


def _iso(values: Any) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() for v in values]


def _date_range(values: Any) -> list[str] | None:
    """An x range with some room around the dates (plotly zooms to milliseconds when all
    dates are equal)."""
    days = [pd.Timestamp(v) for v in values]
    if not days:
        return None
    pad = max((max(days) - min(days)) * 0.04, pd.Timedelta(days=90))
    return [(min(days) - pad).date().isoformat(), (max(days) + pad).date().isoformat()]


def status_over_time(
    df: pd.DataFrame, title: str, caption: str | None = None, *, width: Width = "full"
) -> go.Figure:
    """Lines: the share of each status among the recommendations assessed by each date
    (columns: date, status, count, assessed, share; see tracker.progress.status_over_time).
    The caption gets how many recommendations were assessed at the first and last date."""
    data = []
    for s in STATUS_ORDER:
        part = df[df["status"] == s]
        if part.empty:
            continue
        data.append(
            {
                "type": "scatter",
                "x": _iso(part["date"]),
                "y": [float(v) for v in part["share"]],
                "name": status_label(s),
                "mode": "lines+markers",
                "line": {"color": STATUS_COLOURS[s], "width": 3, "shape": "hv"},
                "marker": {"size": 6},
                "customdata": [
                    [int(n), int(a)] for n, a in zip(part["count"], part["assessed"], strict=True)
                ],
                "hovertemplate": "%{x|%Y-%m-%d}<br>"
                + plain(status_label(s))
                + ": %{y:.0%} (%{customdata[0]:,} / %{customdata[1]:,})<extra></extra>",
            }
        )
    if not df.empty:
        first, last = df.iloc[0], df.iloc[-1]
        note = _(
            "Recommendations assessed: {first_n} by {first_date}, {last_n} by {last_date}."
        ).format(
            first_n=number(int(first["assessed"])),
            first_date=pd.Timestamp(first["date"]).date().isoformat(),
            last_n=number(int(last["assessed"])),
            last_date=pd.Timestamp(last["date"]).date().isoformat(),
        )
        caption = f"{caption} {note}" if caption else note
    layout: dict[str, Any] = {
        "yaxis": _axis(
            title=_("Share of assessed recommendations"),
            tickformat=".0%",
            range=[0, 1.02],
            gridcolor=GRID_COLOUR,
        ),
        "xaxis": _axis(
            title=_("Date of assessment"), gridcolor=GRID_COLOUR, **_date_axis(df["date"])
        ),
    }
    _finish_layout(
        data,
        layout,
        title,
        caption,
        height=300,
        width=width,
        x_title=True,
        plot_left_px=VALUE_AXIS_PX,
    )
    return figure(data, layout)


def implementation_by_response(
    df: pd.DataFrame, title: str, caption: str | None = None, *, width: Width = "full"
) -> go.Figure:
    """100 % bars: how far the supported, the noted, ... recommendations are implemented
    (columns: response, status, count)."""
    responses = _responses_in(list(df["response"]))
    return status_stack(
        df,
        "response",
        title,
        caption,
        label=response_label,
        order=responses,
        share=True,
        width=width,
    )


def world_map(
    df: pd.DataFrame,
    title: str,
    caption: str | None = None,
    *,
    under_review: Sequence[str] = (),
    width: Width = "full",
) -> go.Figure:
    """Choropleth of the recommendations each state made (columns: iso3, name,
    recommendations, partially_implemented); ``under_review`` ISO codes are outlined.

    Needs the topojson served locally (tracker.ui.PLOTLY_CONFIG["topojsonURL"]).
    """
    data: list[dict[str, Any]] = [
        {
            "type": "choropleth",
            "locations": list(df["iso3"]),
            "z": [int(n) for n in df["recommendations"]],
            "locationmode": "ISO-3",
            "colorscale": COUNT_SCALE,
            "zmin": 0,
            "zmax": max(1, int(df["recommendations"].max())),
            "marker": {"line": {"color": "#777", "width": 0.4}},
            "customdata": [
                [plain(shown_name(n)), int(p)]
                for n, p in zip(df["name"], df["partially_implemented"], strict=True)
            ],
            "hovertemplate": "%{customdata[0]}: %{z:,} "
            + plain(_("recommendations"))
            + "<br>"
            + plain(status_label("partially_implemented"))
            + ": %{customdata[1]:,}<extra></extra>",
            "colorbar": {
                "title": {"text": plain(_("Recommendations"))},
                "thickness": 14,
                "len": 0.8,
                **_count_ticks(max(1, int(df["recommendations"].max()))),
            },
            "name": _("Recommendations made"),
            "showlegend": False,
        }
    ]
    if under_review:
        data.append(
            {
                "type": "choropleth",
                "locations": list(under_review),
                "z": [1] * len(under_review),
                "locationmode": "ISO-3",
                "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                "showscale": False,
                "marker": {"line": {"color": "#D55E00", "width": 2.5}},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    layout: dict[str, Any] = {
        "geo": {
            "projection": {"type": "natural earth"},
            "resolution": 50,  # world_50m.json: the 1:110m file lacks small states
            "showframe": False,
            "showcoastlines": False,
            "showcountries": True,
            "countrycolor": "#bbb",
            "showland": True,
            "landcolor": "#f0f0f0",
            "showocean": False,
            "lataxis": {"range": [-58, 85]},
        },
    }
    _finish_layout(
        data, layout, title, caption, height=420, width=width, x_title=False, plot_left_px=12
    )
    layout["margin"].update(r=0)
    return figure(data, layout)


TIMELINE_SYMBOLS = {
    "fully_implemented": "circle",
    "partially_implemented": "diamond",
    "not_implemented": "x",
    "no_information": "square",
}


def timeline(df: pd.DataFrame, title: str, caption: str | None = None) -> go.Figure:
    """Every assessment of one recommendation as a dot: date across, source down, colour
    and symbol by status (columns: assessed_on, status, source_org, retracted)."""
    live = df[~df["retracted"].astype(bool)] if "retracted" in df else df
    sources = list(dict.fromkeys(live.sort_values("assessed_on")["source_org"]))
    data = []
    for s in STATUS_ORDER:
        part = live[live["status"] == s]
        if part.empty:
            continue
        data.append(
            {
                "type": "scatter",
                "x": _iso(part["assessed_on"]),
                "y": [wrapped_label(o) for o in part["source_org"]],
                "mode": "markers",
                "name": status_label(s),
                "marker": {
                    "color": STATUS_COLOURS[s],
                    "size": 15,
                    "symbol": TIMELINE_SYMBOLS.get(s, "circle"),
                    "line": {"width": 1, "color": "#333"},
                },
                "customdata": [[plain(o)] for o in part["source_org"]],
                "hovertemplate": "%{x|%Y-%m-%d} – %{customdata[0]}<br>"
                + plain(status_label(s))
                + "<extra></extra>",
            }
        )
    layout: dict[str, Any] = {
        "yaxis": _axis(
            type="category",
            categoryorder="array",
            categoryarray=[wrapped_label(o) for o in sources],
            title=None,
        ),
        "xaxis": _axis(
            title=_("Date of assessment"), gridcolor=GRID_COLOUR, **_date_axis(live["assessed_on"])
        ),
    }
    _finish_layout(
        data,
        layout,
        title,
        caption,
        height=max(90, 34 * len(sources) + 16 * sum(len(label_lines(o)) for o in sources) + 30),
        width="full",
        x_title=True,
        plot_left_px=_wrapped_px(sources),
    )
    return figure(data, layout)


def cycle_label(cycle: Any) -> str:
    """ "Cycle 2"."""
    return _("Cycle {n}").format(n=cycle)


def group_label(group: str) -> str:
    """A regional group's label ("" = states without one)."""
    return regional_group_label(group or None)


__all__ = [
    "COUNT_SCALE",
    "WIDTH_PX",
    "cycle_label",
    "figure",
    "finish",
    "group_label",
    "implementation_by_response",
    "label_lines",
    "plain",
    "response_status_bar",
    "shorten",
    "status_bar",
    "status_colour_map",
    "status_over_time",
    "status_stack",
    "timeline",
    "world_map",
    "wrap",
    "wrapped_label",
]
