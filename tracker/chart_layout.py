"""How every chart of the app is laid out: fonts, colours and sizes, labels made plain and
wrapped, and the shared frame (:func:`finish_layout`): the title wraps at the top left, the
legend sits in one or more rows between the title and the plot, the caption wraps under the x
axis; the top and bottom margins are computed from the number of lines, so that nothing
overlaps or is cut off. ``width`` says how wide the chart will be drawn ("full" or "half" of
the page).

Text that comes from the database (theme and state names, the search words in a title) is
passed through :func:`plain` before it reaches a figure: plotly reads ``<b>``, ``<a href>``
and ``<br>`` in titles, labels and hover text as markup, and must show them literally.

Figures are assembled as plain dicts and made once at the end without plotly's
property-by-property validation (:func:`figure`): validation cost about 60 ms a chart. The
chart builders themselves are in :mod:`tracker.charts`.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracker.formats import date_ticks, plotly_separators
from tracker.vocab import STATUS_COLOURS, STATUS_ORDER, Response, status_label

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


def wrapped_px(labels: Sequence[str]) -> int:
    """Room for wrapped category labels (their longest line)."""
    return label_px([line for t in labels for line in label_lines(t)])


def date_axis(values: Any) -> dict[str, Any]:
    """A date axis over ``values`` with room around them and month names in the language
    in force (plotly writes English ones)."""
    span = date_range(values)
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


def finish_layout(
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
    finish_layout(
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


def label_px(labels: Sequence[str]) -> int:
    """Room for horizontal category labels at the base font size."""
    return int(max((len(s) for s in labels), default=0) * LABEL_CHAR_PX) + 14


def count_ticks(largest: float) -> dict[str, Any]:
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


def axis(**kwargs: Any) -> dict[str, Any]:
    """An axis dict; ``title`` given as text."""
    out = dict(kwargs)
    if "title" in out:
        out["title"] = {"text": plain(out["title"]) if out["title"] else ""}
    return out


def iso_dates(values: Any) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() for v in values]


def date_range(values: Any) -> list[str] | None:
    """An x range with some room around the dates (plotly zooms to milliseconds when all
    dates are equal)."""
    days = [pd.Timestamp(v) for v in values]
    if not days:
        return None
    pad = max((max(days) - min(days)) * 0.04, pd.Timedelta(days=90))
    return [(min(days) - pad).date().isoformat(), (max(days) + pad).date().isoformat()]


def value_figure(
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    title: str,
    caption: str | None,
    *,
    width: Width,
) -> go.Figure:
    """The Figure of a 300-pixel chart with a numeric y axis and a titled x axis (the
    supported/noted bars, the status over time), in the common frame."""
    finish_layout(
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
