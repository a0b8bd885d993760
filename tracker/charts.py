"""Chart builders: DataFrame in, plotly Figure out. Pure functions, testable without a browser.

One status palette and order for the whole app (tracker.vocab.STATUS_COLOURS / STATUS_ORDER),
readable translated labels, titles that state the filter and a caption line with the source
and the "as of" date. How a chart is framed (title, legend, caption, margins), how labels are
escaped and wrapped, and the fonts and sizes are in :mod:`tracker.chart_layout`, shared by
every builder here (and re-exported: ``charts.finish``, ``charts.plain``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from tracker.chart_layout import (
    COUNT_SCALE,
    GRID_COLOUR,
    LABEL_LINE_PX,
    RESPONSE_ORDER,
    VALUE_AXIS_PX,
    WIDTH_PX,
    Width,
    axis,
    count_ticks,
    date_axis,
    figure,
    finish,
    finish_layout,
    iso_dates,
    label_lines,
    label_px,
    plain,
    shorten,
    status_colour_map,
    value_figure,
    wrap,
    wrapped_label,
    wrapped_px,
)
from tracker.formats import number, percent
from tracker.i18n import _
from tracker.states import shown_name
from tracker.vocab import (
    STATUS_COLOURS,
    STATUS_ORDER,
    regional_group_label,
    response_label,
    status_label,
)


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
        "yaxis": axis(autorange="reversed", title=None),
        "xaxis": axis(
            title=_("Recommendations"),
            showgrid=True,
            gridcolor=GRID_COLOUR,
            range=[0, max(1, max(values, default=0)) * 1.4],  # room for "7,596 (44%)"
            **count_ticks(max(values, default=0)),
        ),
    }
    finish_layout(
        data,
        layout,
        title,
        caption,
        height=210,
        width=width,
        x_title=True,
        plot_left_px=label_px(labels),
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
        "yaxis": axis(
            title=_("Recommendations"),
            gridcolor=GRID_COLOUR,
            **count_ticks(max(df.groupby("response")["count"].sum(), default=0)),
        ),
        "xaxis": axis(title=_("Response of the state")),
    }
    return value_figure(data, layout, title, caption, width=width)


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
    value_axis = axis(
        title=axis_title or (_("Share of recommendations") if share else _("Recommendations")),
        gridcolor=GRID_COLOUR,
    )
    if share:
        value_axis.update(tickformat=".0%", range=[0, 1])
    else:
        value_axis.update(count_ticks(max(totals.values(), default=0)))
    category_axis = axis(title=None, type="category")
    layout: dict[str, Any] = {
        "barmode": "stack",
        "uniformtext": {"minsize": 10, "mode": "hide"},
    }
    if horizontal:
        category_axis["autorange"] = "reversed"
        layout.update(xaxis=value_axis, yaxis=category_axis)
        lines = sum(len(label_lines(t)) for t in full)
        height = max(120, 22 * len(cats) + LABEL_LINE_PX * lines + 20)
        left = wrapped_px(full)
    else:
        layout.update(xaxis=category_axis, yaxis=value_axis)
        height = 300
        left = VALUE_AXIS_PX
    finish_layout(
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
                "x": iso_dates(part["date"]),
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
        "yaxis": axis(
            title=_("Share of assessed recommendations"),
            tickformat=".0%",
            range=[0, 1.02],
            gridcolor=GRID_COLOUR,
        ),
        "xaxis": axis(
            title=_("Date of assessment"), gridcolor=GRID_COLOUR, **date_axis(df["date"])
        ),
    }
    return value_figure(data, layout, title, caption, width=width)


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
                **count_ticks(max(1, int(df["recommendations"].max()))),
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
    finish_layout(
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
                "x": iso_dates(part["assessed_on"]),
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
        "yaxis": axis(
            type="category",
            categoryorder="array",
            categoryarray=[wrapped_label(o) for o in sources],
            title=None,
        ),
        "xaxis": axis(
            title=_("Date of assessment"), gridcolor=GRID_COLOUR, **date_axis(live["assessed_on"])
        ),
    }
    finish_layout(
        data,
        layout,
        title,
        caption,
        height=max(90, 34 * len(sources) + 16 * sum(len(label_lines(o)) for o in sources) + 30),
        width="full",
        x_title=True,
        plot_left_px=wrapped_px(sources),
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
