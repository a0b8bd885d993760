"""The Progress page under AppTest."""

from __future__ import annotations

from tests.pages.dashboard_support import chart_captions, chart_titles, charts, open_page, texts

PAGE = "pages/progress_page.py"


def test_progress_draws_every_breakdown_for_the_filter(sample_url) -> None:
    at = open_page(PAGE, state="KAZ")
    titles = chart_titles(at)
    for start in (
        "Current status by cycle",
        "Implementation of supported and noted",
        "Status over time",
        "Current status by theme",
        "Current status by recommending state",
        "Current status by regional group",
    ):
        assert any(t.startswith(start) for t in titles), (start, titles)
    assert all("Kazakhstan" in t for t in titles)  # every title states the filter
    captions = chart_captions(at)
    assert len(captions) == len(titles)
    assert all(
        "Source: UPR Tracker database" in c and "as of 1 September 2025" in c for c in captions
    )


def test_progress_follows_the_filters_and_its_controls(sample_url) -> None:
    at = open_page(PAGE, state="KAZ", cycle="2")
    cycle_chart = charts(at)[0]
    assert next(t["x"] for t in cycle_chart["data"]) == ["Cycle 2"]
    assert all("Kazakhstan; cycle 2" in t for t in chart_titles(at))
    at.multiselect(key="f_response").select("noted").run()
    assert all("noted" in t for t in chart_titles(at))
    at.button_group(key="progress_mode").set_value("share").run()
    assert charts(at)[0]["layout"]["yaxis"]["tickformat"] == ".0%"
    at.slider(key="progress_top_themes").set_value(5).run()
    assert any("top 5" in t for t in chart_titles(at))


def test_progress_explains_an_empty_result(sample_url) -> None:
    at = open_page(PAGE, q="no such words anywhere")
    assert "No recommendations match these filters" in texts(at)
    assert not at.get("plotly_chart")
