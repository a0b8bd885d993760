"""Chart builders: DataFrame in, plotly Figure out. Pure functions, testable without a browser.

One status palette and order for the whole app (tracker.vocab.STATUS_COLOURS / STATUS_ORDER),
readable translated labels, titles that state the filter and a caption line with the source
and the "as of" date (added by :func:`finish`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from tracker.i18n import _
from tracker.vocab import STATUS_COLOURS, STATUS_ORDER, response_label, status_label

FONT_FAMILY = "Inter, 'Source Sans Pro', 'Segoe UI', Arial, sans-serif"
BASE_FONT_SIZE = 14


def status_colour_map() -> dict[str, str]:
    """Translated status label -> colour, for plotly's color_discrete_map."""
    return {status_label(s): STATUS_COLOURS[s] for s in STATUS_ORDER}


def finish(
    fig: go.Figure, title: str, caption: str | None = None, *, height: int = 420
) -> go.Figure:
    """Common layout: the title (what is shown, for which filter) at the top left, the legend
    in one row under it, and the caption (source, "as of" date) under the x axis."""
    fig.update_layout(
        title={
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
            "font": {"size": 17},
        },
        font={"family": FONT_FAMILY, "size": BASE_FONT_SIZE, "color": "#222"},
        height=height,
        margin={"l": 10, "r": 20, "t": 110, "b": 105 if caption else 20},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "title": None,
            "traceorder": "normal",
        },
        template="plotly_white",
    )
    # Let plotly make room for long category labels and the axis titles.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if caption:
        fig.add_annotation(
            text=caption,
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-75,
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11, "color": "#555"},
        )
    return fig


def status_bar(counts: pd.DataFrame, title: str, caption: str | None = None) -> go.Figure:
    """Horizontal bars of recommendations by current status (columns: status, count)."""
    df = counts.set_index("status").reindex(STATUS_ORDER, fill_value=0).reset_index()
    total = int(df["count"].sum())
    labels = [status_label(s) for s in df["status"]]
    texts = [f"{n} ({n / total:.0%})" if total else "0" for n in df["count"].astype(int)]
    fig = go.Figure(
        go.Bar(
            x=df["count"],
            y=labels,
            orientation="h",
            marker_color=[STATUS_COLOURS[s] for s in df["status"]],
            text=texts,
            textposition="auto",
            cliponaxis=False,
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=_("Recommendations"), showgrid=True, gridcolor="#eee")
    fig.update_layout(showlegend=False)
    return finish(fig, title, caption, height=380)


def response_status_bar(df: pd.DataFrame, title: str, caption: str | None = None) -> go.Figure:
    """Stacked bars: current status within each response (columns: response, status, count)."""
    fig = go.Figure()
    responses = [
        r
        for r in ("supported", "noted", "mixed", "pending", "not_supported")
        if r in set(df["response"])
    ] + sorted(
        {
            r
            for r in df["response"]
            if r not in ("supported", "noted", "mixed", "pending", "not_supported")
        },
        key=str,
    )
    for s in STATUS_ORDER:
        part = df[df["status"] == s].set_index("response")["count"]
        fig.add_bar(
            name=status_label(s),
            x=[response_label(r) for r in responses],
            y=[int(part.get(r, 0)) for r in responses],
            marker_color=STATUS_COLOURS[s],
            hovertemplate="%{x} – " + status_label(s) + ": %{y}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title=_("Recommendations"), gridcolor="#eee")
    fig.update_xaxes(title=_("Response of the state"))
    return finish(fig, title, caption)
