"""The Overview's additions for the dashboard: flag counts that link to Flagged, the figures
line, and text from the database kept inert in the caption."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.dashboard_support import APP, texts


def test_flag_counts_link_to_the_flagged_page(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["state"] = "KAZ"
    at.run()
    links = [(p.proto.query_string, p.proto.label) for p in at.get("page_link")]
    assert ("flag=partial", "Partially implemented: **14**") in links
    assert ("flag=regressed", "Regressed: **2**") in links
    assert ("flag=never_assessed", "Never assessed: **2**") in links
    assert {q for q, _label in links} == {
        "flag=partial",
        "flag=stale",
        "flag=never_assessed",
        "flag=regressed",
        "flag=contested",
        "flag=overdue",
    }
    assert all(p.proto.page == "flagged" for p in at.get("page_link"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Latest assessment"] == "2025-09-01"
    assert "Recommending states: 34" in texts(at)


def test_search_words_in_the_caption_are_shown_literally(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["q"] = "**traffick** <b>"
    at.run()
    caption = at.caption[0].value
    assert "\\*\\*traffick\\*\\*" in caption  # Markdown escaped
    assert "&lt;b&gt;" in caption  # HTML escaped
