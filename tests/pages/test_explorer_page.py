"""The Explorer under AppTest: search from the URL and the search box, sort, pages."""

from __future__ import annotations

from tests.pages.dashboard_support import open_page, texts

PAGE = "pages/explorer_page.py"


def test_q_in_the_url_fills_the_search(sample_url) -> None:
    at = open_page(PAGE, q='"trafficking in persons"')
    assert at.text_input(key="explorer_q").value == '"trafficking in persons"'
    assert at.text_input(key="f_q").value == '"trafficking in persons"'
    rows = at.dataframe(key="explorer_table").value
    assert len(rows) == 3
    assert all("trafficking in persons" in t.lower() for t in rows["text"])
    assert "of **3** recommendations" in texts(at)


def test_the_search_box_updates_the_url_and_the_sidebar(sample_url) -> None:
    at = open_page(PAGE, state="KAZ")
    assert len(at.dataframe(key="explorer_table").value) == 26
    at.text_input(key="explorer_q").input("torture").run()
    assert at.query_params["q"] in ("torture", ["torture"])
    assert at.text_input(key="f_q").value == "torture"
    rows = at.dataframe(key="explorer_table").value
    assert 0 < len(rows) < 26
    at.text_input(key="f_q").input("").run()  # cleared in the sidebar: cleared here too
    assert at.text_input(key="explorer_q").value == ""
    assert len(at.dataframe(key="explorer_table").value) == 26


def test_sorting_and_paging_reach_every_row(sample_url) -> None:
    at = open_page(PAGE, sort="cycle", desc="true", size="25")
    assert at.selectbox(key="sort").value == "cycle"
    first = at.dataframe(key="explorer_table").value
    assert len(first) == 25
    assert list(first["cycle"]) == sorted(first["cycle"], reverse=True)
    at.number_input(key="page").set_value(2).run()
    second = at.dataframe(key="explorer_table").value
    assert len(second) == 5  # 30 in all, no cap
    assert not set(first["id"]) & set(second["id"])
    assert at.query_params["page"] in ("2", ["2"])
    at.selectbox(key="sort").set_value("status").run()
    assert at.number_input(key="page").value == 1  # a new sort starts at page 1


def test_explorer_explains_an_empty_search(sample_url) -> None:
    at = open_page(PAGE, q="no such words anywhere")
    assert "No recommendations match these filters" in texts(at)


def test_the_columns_follow_the_selection(sample_url) -> None:
    # Two states in the sample: the State column; one state: none (the header names it).
    order = list(open_page(PAGE).dataframe(key="explorer_table").proto.column_order)
    assert {"state", "text", "recommending_states", "response", "themes", "status"} <= set(order)
    order = list(open_page(PAGE, state="KAZ").dataframe(key="explorer_table").proto.column_order)
    assert "state" not in order
    assert {"response", "themes", "assessed_on"} <= set(order)
