"""The Recommending states page under AppTest."""

from __future__ import annotations

from tests.pages.dashboard_support import chart_titles, charts, open_page, texts
from tracker import db, explorer, queries
from tracker.filters import Filters

PAGE = "pages/recommending_states_page.py"


def test_map_bars_and_one_state(sample_url) -> None:
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


def test_choosing_a_recommending_state(sample_url) -> None:
    at = open_page(PAGE, state="KAZ", by="MEX")
    assert at.selectbox(key="by").value == "MEX"
    rows = at.dataframe(key="chosen_table").value
    assert len(rows) == 2
    assert "recommended by Mexico" in chart_titles(at)[-1]
    at.selectbox(key="by").set_value("EGY").run()
    assert at.query_params["by"] in ("EGY", ["EGY"])
    assert "by Egypt" in texts(at)


def test_recommending_states_explains_an_empty_result(sample_url) -> None:
    at = open_page(PAGE, q="no such words anywhere")
    assert "No recommendations match these filters" in texts(at)


def test_the_chosen_states_list_is_paged_and_downloadable(sample_url, monkeypatch) -> None:
    """One page of the list at a time (here one row per page); the downloads hold it all."""
    monkeypatch.setattr(explorer, "DEFAULT_PAGE_SIZE", 1)
    at = open_page(PAGE, state="KAZ", by="MEX")
    assert "**2** recommendations by Mexico" in texts(at)
    assert "The downloads hold all 2 recommendations by Mexico" in texts(at)
    assert {b.proto.label for b in at.get("download_button")} >= {
        "Download CSV",
        "Download Excel",
    }
    pager = at.number_input(key="by_page")
    assert pager.label == "Page (of 2)"
    first = at.dataframe(key="chosen_table").value["id"].tolist()
    pager.set_value(2).run()
    assert at.query_params["by_page"] in ("2", ["2"])
    second = at.dataframe(key="chosen_table").value["id"].tolist()
    assert len(first) == len(second) == 1
    with db.session_scope(db.get_engine(sample_url)) as s:
        everyone = queries.recommendations_frame(
            s, Filters(states=("KAZ",), recommending=("MEX",))
        )["id"].tolist()
    assert first + second == everyone  # in the frame's order, each once
    at.selectbox(key="by").set_value("EGY").run()  # another state starts at page 1
    assert at.number_input(key="by_page").value == 1
    assert "by_page" not in at.query_params
