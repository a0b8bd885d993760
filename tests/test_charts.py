"""Chart builders: valid plotly figures, one palette in one order, readable labels, text from
the database made inert, titles and captions that fit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from tracker import chart_layout, charts, progress, queries
from tracker.filters import Filters
from tracker.vocab import STATUS_COLOURS, STATUS_ORDER, status_label

KAZ = Filters(states=("KAZ",))
EVIL = '<b>x</b><a href="javascript:alert(1)">y</a> <img src=x onerror=alert(1)> **z**'


def _figures(session) -> dict[str, go.Figure]:
    return {
        "status_bar": charts.status_bar(queries.status_counts(session, KAZ), "T", "C"),
        "response": charts.response_status_bar(
            queries.response_status_counts(session, KAZ), "T", "C"
        ),
        "by_cycle": charts.status_stack(
            progress.status_by_cycle(session, KAZ),
            "cycle",
            "T",
            "C",
            label=charts.cycle_label,
            horizontal=False,
        ),
        "by_theme": charts.status_stack(
            progress.top_categories(progress.status_by_theme(session, KAZ), "theme", 5),
            "theme",
            "T",
            "C",
            share=True,
        ),
        "over_time": charts.status_over_time(progress.status_over_time(session, KAZ), "T", "C"),
        "by_response": charts.implementation_by_response(
            progress.implementation_by_response(session, KAZ), "T", "C"
        ),
        "map": charts.world_map(
            progress.recommending_state_totals(session, KAZ), "T", "C", under_review=["KAZ"]
        ),
    }


def test_every_builder_makes_a_valid_figure(sample_session) -> None:
    for name, fig in _figures(sample_session).items():
        spec = fig.to_plotly_json()
        go.Figure(spec)  # validates every property (the builders skip it for speed)
        assert spec["layout"]["title"]["text"] == "T", name
        captions = [a["text"] for a in spec["layout"].get("annotations", [])]
        assert any(c.startswith("C") for c in captions), name


def test_one_palette_in_one_order_with_readable_labels(sample_session) -> None:
    expected = [status_label(s) for s in STATUS_ORDER]
    for name in ("response", "by_cycle", "by_theme", "by_response"):
        fig = _figures(sample_session)[name]
        assert [t.name for t in fig.data] == expected, name
        assert [t.marker.color for t in fig.data] == [STATUS_COLOURS[s] for s in STATUS_ORDER]
    assert "Partially implemented" in expected
    assert "partially_implemented" not in expected
    # "partially implemented" is not the colour of any other status
    assert list(STATUS_COLOURS.values()).count(STATUS_COLOURS["partially_implemented"]) == 1


def test_text_from_the_database_is_inert_in_figures() -> None:
    df = pd.DataFrame(
        {"theme": [EVIL, EVIL], "status": ["not_assessed", "fully_implemented"], "count": [1, 2]}
    )
    fig = charts.status_stack(df, "theme", f"Status — {EVIL}", f"as of {EVIL}")
    spec = fig.to_plotly_json()
    texts = [spec["layout"]["title"]["text"], spec["layout"]["annotations"][0]["text"]]
    texts += [str(y) for t in spec["data"] for y in t["y"]]
    texts += [str(c[0]) for t in spec["data"] for c in t["customdata"]]
    for t in texts:
        assert "<b>" not in t
        assert "<a " not in t
        assert "<img" not in t
    assert "&lt;b&gt;x&lt;/b&gt;" in spec["layout"]["title"]["text"]


def test_long_titles_wrap_and_leave_room_for_the_legend() -> None:
    df = pd.DataFrame({"cycle": [1], "status": ["fully_implemented"], "count": [3]})
    title = "Current status by cycle — " + ", ".join(["Kazakhstan"] * 12)
    fig = charts.status_stack(df, "cycle", title, "Source", horizontal=False, width="half")
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 1
    assert all(
        len(line) * chart_layout.TITLE_CHAR_PX <= chart_layout.WIDTH_PX["half"] for line in lines
    )
    # the top margin holds the title lines and the legend rows
    assert fig.layout.margin.t >= 24 * len(lines) + 25


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (3, 1), (14, 5), (7_596, 2_000), (58_000, 20_000)]
)
def test_count_axes_have_whole_number_ticks(largest: int, step: int) -> None:
    """Whole numbers, and few enough ticks to stay level on a half-width chart."""
    assert chart_layout.count_ticks(largest)["dtick"] == step
    assert largest / step <= 5


def test_timeline_of_one_date_has_room_around_it() -> None:
    df = pd.DataFrame(
        {
            "assessed_on": [pd.Timestamp("2023-10-01").date()] * 2,
            "status": ["partially_implemented", "not_implemented"],
            "source_org": ["Ombudsman", "<i>NGO</i>"],
            "retracted": [False, False],
        }
    )
    fig = charts.timeline(df, "T", "C")
    go.Figure(fig.to_plotly_json())
    low, high = fig.layout.xaxis.range
    assert low < "2023-10-01" < high
    assert "&lt;i&gt;NGO&lt;/i&gt;" in list(fig.layout.yaxis.categoryarray)
