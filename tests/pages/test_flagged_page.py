"""The Flagged page under AppTest."""

from __future__ import annotations

from tests.pages.dashboard_support import open_page, texts

PAGE = "pages/flagged_page.py"


def test_partially_implemented_grouped_by_theme_and_cycle(sample_url) -> None:
    at = open_page(PAGE, state="KAZ")
    assert at.button_group(key="flag").value == "partial"
    counts_table = at.dataframe[0].value  # themes x cycles
    assert counts_table.iloc[0]["theme"] == "Women's rights"
    table = at.dataframe(key="flagged_table")
    assert list(table.proto.column_order[:2]) == ["theme", "cycle"]  # grouped by these
    rows = table.value
    assert set(rows["status"]) == {"Partially implemented"}
    malaysia = rows[rows["recommending_states"] == "Malaysia"]
    assert malaysia["evidence"].notna().all()  # the latest evidence is shown
    assert len(at.get("download_button")) == 2


def test_other_flags_from_the_url_and_the_control(sample_url) -> None:
    at = open_page(PAGE, state="KAZ", flag="regressed")
    assert at.button_group(key="flag").value == "regressed"
    rows = at.dataframe(key="flagged_table").value
    assert len(rows) == 2
    assert all("→" in d for d in rows["detail"])
    at.button_group(key="flag").set_value("contested").run()
    assert at.query_params["flag"] in ("contested", ["contested"])
    rows = at.dataframe(key="flagged_table").value
    assert len(rows) == 1
    assert "Ombudsman" in rows["detail"].iloc[0]


def test_never_assessed_lists_supported_recommendations_with_the_reviews_age(sample_url) -> None:
    at = open_page(PAGE, state="KAZ", flag="never_assessed")
    assert at.button_group(key="flag").value == "never_assessed"
    assert "never assessed since the review" in texts(at)
    table = at.dataframe(key="flagged_table")
    rows = table.value
    assert sorted(rows["id"]) == [22, 24]
    assert set(rows["response"]) == {"Supported"}
    assert all(d.startswith("Reviewed on 23 January 2025") for d in rows["detail"])
    # No empty assessment columns for recommendations that have none.
    assert "assessed_on" not in table.proto.column_order
    assert "age_months" in table.proto.column_order


def test_stale_months_are_configurable(sample_url) -> None:
    at = open_page(PAGE, state="KAZ", flag="stale")
    twelve = len(at.dataframe(key="flagged_table").value)
    at.number_input(key="months").set_value(100).run()
    assert at.query_params["months"] in ("100", ["100"])
    hundred = len(at.dataframe(key="flagged_table").value)
    assert hundred < twelve
    at.toggle(key="unassessed").set_value(True).run()
    assert len(at.dataframe(key="flagged_table").value) > hundred


def test_flagged_explains_empty_results(sample_url) -> None:
    at = open_page(PAGE, q="no such words anywhere")
    assert "No recommendations match these filters" in texts(at)
    at = open_page(PAGE, state="KAZ", status="fully_implemented")
    assert "is flagged" in texts(at)


def test_the_stale_list_leaves_out_its_empty_details_and_the_one_state(sample_url) -> None:
    at = open_page(PAGE, state="KAZ", flag="stale")
    order = list(at.dataframe(key="flagged_table").proto.column_order)
    assert "detail" not in order  # stale needs no explanation: the column was always empty
    assert "state" not in order  # the page header names the one state
    assert order[:3] == ["link", "cycle", "text"]
    assert "age_months" in order
