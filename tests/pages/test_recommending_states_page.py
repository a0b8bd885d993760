"""The Recommending states page under AppTest."""

from __future__ import annotations

from tests.pages.dashboard_support import chart_titles, charts, open_page, texts

PAGE = "pages/recommending_states_page.py"


def test_map_bars_and_one_state(sample_url) -> None:  # type: ignore[no-untyped-def]
    at = open_page(PAGE, state="KAZ")
    figures = charts(at)
    world = figures[0]
    assert world["data"][0]["type"] == "choropleth"
    assert world["data"][0]["locationmode"] == "ISO-3"
    assert "MYS" in world["data"][0]["locations"]
    assert world["data"][1]["locations"] == ["KAZ"]  # the state under review, outlined
    titles = chart_titles(at)
    assert titles[0].startswith("Recommendations made, by recommending state — Kazakhstan")
    assert any(t.startswith("Recommendations by regional group") for t in titles)


def test_choosing_a_recommending_state(sample_url) -> None:  # type: ignore[no-untyped-def]
    at = open_page(PAGE, state="KAZ", by="MEX")
    assert at.selectbox(key="by").value == "MEX"
    rows = at.dataframe(key="chosen_table").value
    assert len(rows) == 2
    assert "recommended by Mexico" in chart_titles(at)[-1]
    at.selectbox(key="by").set_value("EGY").run()
    assert at.query_params["by"] in ("EGY", ["EGY"])
    assert "by Egypt" in texts(at)


def test_recommending_states_explains_an_empty_result(sample_url) -> None:  # type: ignore[no-untyped-def]
    at = open_page(PAGE, q="no such words anywhere")
    assert "No recommendations match these filters" in texts(at)
