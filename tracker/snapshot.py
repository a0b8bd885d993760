"""The country snapshot for donors: headline numbers and three charts for one state under
review, composed into one 16:9 image (1920 × 1080 px) or a one-page PDF.

One plotly figure holds everything (number cards drawn with shapes and annotations, three
bar charts as subplots, one shared status legend), so that kaleido renders the PNG and the
PDF from the same layout and the page can show it interactively.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy.orm import Session

from tracker import images, own_links, progress, queries
from tracker.chart_layout import FONT_FAMILY, plain, shorten, wrap
from tracker.errors import ValidationError
from tracker.filters import Filters
from tracker.formats import number as format_number
from tracker.formats import percent, plotly_separators
from tracker.i18n import _, get_language, long_date
from tracker.organisation import organisation_name
from tracker.states import formal_name, resolve_iso3
from tracker.vocab import STATUS_COLOURS, STATUS_ORDER, Status, status_label, theme_label

WIDTH, HEIGHT = 1920, 1080  # 16:9, full HD: pastes into slides and A4 landscape reports
TOP_THEMES = 6  # themes shown in the theme chart (the rest would be unreadable at this size)
MAX_THEME_CHARS = 32  # longer theme names are shortened on the axis
TEXT = "#222"
MUTED = "#555"
CARD_FILL = "#F3F5F8"
MARGIN = 60  # px around the whole image
PAPER_WIDTH = WIDTH - 2 * MARGIN
CHART_TOP, CHART_BOTTOM = 0.53, 0.10  # paper y of the chart row
CARDS_TOP, CARDS_BOTTOM = 0.865, 0.695  # paper y of the number cards
# The chart row in pixels from the left of the paper: (where the block starts, where the plot
# starts after its axis labels, where it ends). Axis labels get fixed room (no automargin), so
# that the cards, titles and charts line up.
CHART_BLOCKS_PX = ((0, 200, 520), (610, 650, 1060), (1150, 1440, PAPER_WIDTH))


@dataclass
class SnapshotData:
    """What the snapshot shows, read from the database."""

    iso3: str
    state_name: str
    figures: dict  # queries.stats
    status_counts: pd.DataFrame  # status, count
    by_cycle: pd.DataFrame  # cycle, status, count
    by_theme: pd.DataFrame  # theme, status, count (top themes, largest first)
    as_of: dt.date | None
    is_sample: bool
    organisation: str | None
    taken_up: list[str] = field(default_factory=list)  # "Own text — taken up by 3 States (…)"


def snapshot_data(
    session: Session,
    state: str,
    organisation: str | None = None,
    as_of: dt.date | None = None,
) -> SnapshotData:
    """Read the snapshot's figures for ``state`` (any spelling or ISO code).

    ``as_of``: the status as it was on that day (later assessments left out); the image
    then says "status as of" that day. ``organisation`` defaults to the saved
    organisation name; raises
    :class:`~tracker.errors.ValidationError` when the state has no recommendation."""
    iso3 = resolve_iso3(state)
    name = formal_name(iso3, get_language())  # a document for donors: the UN name
    f = Filters(states=(iso3,), as_of=as_of)
    figures = queries.stats(session, f)
    if not figures["recommendations"]:
        raise ValidationError(
            "state",
            _("state: the database holds no recommendation to {state!r}").format(state=name),
        )
    themes = progress.status_by_theme(session, f)
    themes = themes[themes["theme"] != ""]
    totals = themes.groupby("theme")["count"].sum()
    top = sorted(totals.index, key=lambda t: (-int(totals[t]), t.casefold()))[:TOP_THEMES]
    by_theme = themes[themes["theme"].isin(top)].copy()
    by_theme["_order"] = by_theme["theme"].map({t: i for i, t in enumerate(top)})
    by_theme = by_theme.sort_values("_order").drop(columns="_order")
    return SnapshotData(
        iso3=iso3,
        state_name=name,
        figures=figures,
        status_counts=queries.status_counts(session, f),
        by_cycle=progress.status_by_cycle(session, f),
        by_theme=by_theme,
        as_of=as_of or queries.latest_assessment_date(session, f),
        taken_up=[f"{t} — {p}" for t, p in own_links.state_take_ups(session, iso3)],
        is_sample=queries.selection_has_sample(session, f),
        organisation=organisation or organisation_name(session),
    )


def _theme_lines(text: str, n: int = MAX_THEME_CHARS) -> str:
    """A theme name wrapped on up to two lines of ``n`` characters (was cut with "…")."""
    lines = wrap(text, n)
    if len(lines) > 2:
        lines = [lines[0], shorten(" ".join(lines[1:]), n)]
    return "<br>".join(plain(line) for line in lines)


def _share(n: int, total: int) -> str:
    """The share in the language's form; "<1%" rather than "0%" for a few."""
    return percent(n, total)


def _card(
    layout: dict[str, list[dict[str, Any]]],
    x0: float,
    x1: float,
    texts: tuple[str, str, str],
    colour: str,
    scale: float,
) -> None:
    """Add a number card's shapes and annotations to ``layout`` (lists of dicts)."""
    number, label, note = texts
    layout["shapes"].append(
        {
            "type": "rect",
            "xref": "paper",
            "yref": "paper",
            "x0": x0,
            "x1": x1,
            "y0": CARDS_BOTTOM,
            "y1": CARDS_TOP,
            "fillcolor": CARD_FILL,
            "line": {"width": 0},
            "layer": "below",
        }
    )
    layout["shapes"].append(
        {
            "type": "rect",
            "xref": "paper",
            "yref": "paper",
            "x0": x0,
            "x1": x1,
            "y0": CARDS_TOP - 0.012,
            "y1": CARDS_TOP,
            "fillcolor": colour,
            "line": {"width": 0},
        }
    )
    middle = (x0 + x1) / 2
    span = CARDS_TOP - CARDS_BOTTOM
    for text, y, size, colour_ in (
        (number, CARDS_BOTTOM + span * 0.60, 64 * scale, TEXT),
        (label, CARDS_BOTTOM + span * 0.27, 22 * scale, TEXT),
        (note, CARDS_BOTTOM + span * 0.10, 17 * scale, MUTED),
    ):
        layout["annotations"].append(
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": middle,
                "y": y,
                "showarrow": False,
                "xanchor": "center",
                "yanchor": "middle",
                "font": {"size": size, "color": colour_},
            }
        )


def snapshot_figure(data: SnapshotData, scale: float = 1.0) -> go.Figure:
    """The snapshot figure: 1920 × 1080 px, or ``scale`` times that with every text and
    margin scaled alike (the page shows it smaller; the images are drawn at full size)."""

    def px(value: float) -> int:
        return max(1, round(value * scale))

    fig = go.Figure()
    figures = data.figures
    total = int(figures["recommendations"])
    by_status = figures["by_status"]
    cycles = sorted(int(c) for c in figures["by_cycle"])
    if len(cycles) == 1:
        cycle_text = _("cycle {n}").format(n=cycles[0])
    elif cycles == list(range(cycles[0], cycles[-1] + 1)):
        cycle_text = _("cycles {first}–{last}").format(first=cycles[0], last=cycles[-1])
    else:
        cycle_text = _("cycles {list}").format(list=", ".join(str(c) for c in cycles))
    as_of = long_date(data.as_of) if data.as_of else _("no assessment yet")
    title = _("{state}: implementation of UPR recommendations").format(state=plain(data.state_name))
    subtitle = _("{n} recommendations from {rs} States in {cycles} · status as of {date}").format(
        n=format_number(total),
        rs=format_number(figures["recommending_states"]),
        cycles=cycle_text,
        date=as_of,
    )
    fig.update_layout(
        width=px(WIDTH),
        height=px(HEIGHT),
        margin={"l": px(MARGIN), "r": px(MARGIN), "t": px(40), "b": px(40), "autoexpand": False},
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": FONT_FAMILY, "size": px(18), "color": TEXT},
        separators=plotly_separators(),  # "1 373" in Russian, as in the texts
        barmode="stack",
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0.5,
            "xanchor": "center",
            "y": CHART_TOP + 0.075,
            "yanchor": "bottom",
            "font": {"size": px(19)},
            "traceorder": "normal",
        },
        title={
            "text": f"<b>{title}</b><br><span style='font-size:{px(24)}px;color:{MUTED}'>"
            f"{subtitle}</span>",
            "x": MARGIN / WIDTH,
            "xanchor": "left",
            "y": 0.955,
            "yanchor": "top",
            "font": {"size": px(42), "color": TEXT},
        },
    )

    # Number cards.
    supported = int(figures["by_response"].get("supported", 0))
    cards = [
        (format_number(total), _("Recommendations"), cycle_text, "#1F3A5F"),
        (
            format_number(supported),
            _("Supported"),
            _("{share} of all").format(share=_share(supported, total)),
            "#1F3A5F",
        ),
    ]
    for status in (Status.FULLY_IMPLEMENTED, Status.PARTIALLY_IMPLEMENTED, Status.NOT_IMPLEMENTED):
        n = int(by_status.get(status, 0))
        cards.append(
            (
                format_number(n),
                status_label(status),
                _("{share} of all").format(share=_share(n, total)),
                STATUS_COLOURS[status],
            )
        )
    gap = 0.02
    width = (1 - gap * (len(cards) - 1)) / len(cards)
    # Shapes and annotations are collected and set at once: plotly checks the whole list
    # again at every add_annotation (0.3 s per figure; docs/performance.md).
    layout: dict[str, list[dict[str, Any]]] = {"shapes": [], "annotations": []}
    for i, (number, label, note, colour) in enumerate(cards):
        x0 = i * (width + gap)
        _card(layout, x0, x0 + width, (number, label, note), colour, scale)

    # Chart 1: current status.
    counts = data.status_counts.set_index("status")["count"].reindex(STATUS_ORDER, fill_value=0)
    fig.add_bar(
        x=[int(n) for n in counts],
        y=[status_label(s) for s in STATUS_ORDER],
        orientation="h",
        marker_color=[STATUS_COLOURS[s] for s in STATUS_ORDER],
        text=[f"{format_number(int(n))} ({_share(int(n), total)})" for n in counts],
        textposition="outside",
        cliponaxis=False,
        showlegend=False,
        xaxis="x",
        yaxis="y",
        textfont={"size": px(18)},
    )
    # Chart 2: status by cycle; chart 3: status in the largest themes (one shared legend).
    cycle_df = data.by_cycle
    themes = list(dict.fromkeys(data.by_theme["theme"]))
    for s in STATUS_ORDER:
        part = cycle_df[cycle_df["status"] == s].set_index("cycle")["count"]
        fig.add_bar(
            name=status_label(s),
            x=[_("Cycle {n}").format(n=c) for c in cycles],
            y=[int(part.get(c, 0)) for c in cycles],
            marker_color=STATUS_COLOURS[s],
            legendgroup=s,
            xaxis="x2",
            yaxis="y2",
        )
        tpart = data.by_theme[data.by_theme["status"] == s].set_index("theme")["count"]
        fig.add_bar(
            name=status_label(s),
            x=[int(tpart.get(t, 0)) for t in themes],
            y=[_theme_lines(theme_label(t)) for t in themes],
            orientation="h",
            marker_color=STATUS_COLOURS[s],
            legendgroup=s,
            showlegend=False,
            xaxis="x3",
            yaxis="y3",
        )
    axis = {"gridcolor": "#e5e5e5", "tickfont": {"size": px(17)}, "automargin": False}
    domains = [(plot / PAPER_WIDTH, end / PAPER_WIDTH) for _start, plot, end in CHART_BLOCKS_PX]
    fig.update_layout(
        xaxis={
            **axis,
            "domain": domains[0],
            "anchor": "y",
            "range": [0, max(1, int(counts.max())) * 1.35],
        },
        yaxis={
            **axis,
            "domain": (CHART_BOTTOM, CHART_TOP),
            "anchor": "x",
            "autorange": "reversed",
            "showgrid": False,
        },
        xaxis2={**axis, "domain": domains[1], "anchor": "y2", "showgrid": False},
        yaxis2={**axis, "domain": (CHART_BOTTOM, CHART_TOP), "anchor": "x2"},
        xaxis3={**axis, "domain": domains[2], "anchor": "y3"},
        yaxis3={
            **axis,
            "domain": (CHART_BOTTOM, CHART_TOP),
            "anchor": "x3",
            "autorange": "reversed",
            "showgrid": False,
        },
    )
    for (start, _plot, _end), text in zip(
        CHART_BLOCKS_PX,
        (
            _("Current status"),
            _("Status by UPR cycle"),
            _("Status in the {n} largest themes").format(n=len(themes)),
        ),
        strict=True,
    ):
        layout["annotations"].append(
            {
                "text": f"<b>{text}</b>",
                "xref": "paper",
                "yref": "paper",
                "x": start / PAPER_WIDTH,
                "y": CHART_TOP + 0.04,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": px(22), "color": TEXT},
            }
        )

    caption = _(
        "Source: UPR Tracker database; current status = the latest assessment of each "
        "recommendation; as of {date}. A recommendation counts once under each of its themes."
    ).format(date=as_of)
    if data.taken_up:
        # Our own recommendations that the review took up (stored text: escaped).
        caption += "<br>" + plain(
            _("Our recommendations: {items}").format(items="; ".join(data.taken_up[:2]))
            + ("…" if len(data.taken_up) > 2 else "")
        )
    layout["annotations"].append(
        {
            "text": caption,
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 0.0,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": px(16), "color": MUTED},
        }
    )
    if data.organisation:
        layout["annotations"].append(
            {
                "text": _("Prepared by {organisation}").format(
                    organisation=f"<b>{plain(data.organisation)}</b>"
                ),
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 0.0,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": px(18), "color": TEXT},
            }
        )
    fig.update_layout(layout)
    if data.is_sample:
        images.add_watermark(fig)
    return fig


def snapshot_image(figure: go.Figure, fmt: str) -> bytes:
    """The snapshot (a full-size :func:`snapshot_figure`) as PNG (1920 × 1080 px) or a
    one-page PDF."""
    if fmt not in ("png", "pdf"):
        raise ValueError(f"format: {fmt!r} is not png or pdf")
    return images.render(figure, fmt, width=WIDTH, height=HEIGHT, scale=1)


__all__ = [
    "HEIGHT",
    "WIDTH",
    "SnapshotData",
    "snapshot_data",
    "snapshot_figure",
    "snapshot_image",
]
