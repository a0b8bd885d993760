"""The Overview page under AppTest."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_overview_shows_headline_numbers_and_status_chart(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["state"] = "KAZ"
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Recommendations"] == "26"
    assert metrics["Supported"] == "20"
    assert metrics["Noted"] == "6"
    assert metrics["Partially implemented"] == "14"
    titles = _chart_titles(at)
    assert any(t.startswith("Current status — Kazakhstan") for t in titles)
    assert any("Partially implemented: 14" in h.value for h in at.subheader)


def test_overview_follows_the_sidebar_filter(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert {m.label: m.value for m in at.metric}["Recommendations"] == "30"
    at.multiselect(key="f_cycle").select(2).run()
    assert {m.label: m.value for m in at.metric}["Recommendations"] == "10"
    assert at.query_params["cycle"] in ("2", ["2"])


def test_overview_explains_an_empty_result(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["q"] = "no such words anywhere"
    at.run()
    assert not at.exception
    assert any("No recommendations match these filters" in i.value for i in at.info)


def test_sample_banner_is_shown_while_sample_data_exists(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert any("sample data" in w.value for w in at.warning)


def test_no_banner_on_an_empty_database(db_url) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert not any("sample data" in w.value for w in at.warning)


def test_overview_shows_the_next_review_and_submission_deadline(sample_url) -> None:
    # Kazakhstan's cycle-4 review was in January 2025; session 62 is its next one until it is
    # held (projected November 2029), so the line is the same whatever today is until then.
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["state"] = "KAZ"
    at.run()
    assert not at.exception
    lines = [i.value for i in at.info if "Next review" in i.value]
    assert lines == [
        "**Kazakhstan** · Next review: session 62 (cycle 5), about November 2029; "
        "stakeholder submissions due about May 2029"
    ]


def test_overview_next_review_in_russian(sample_url) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["state"] = "KAZ"
    at.query_params["lang"] = "ru"
    at.run()
    assert not at.exception
    lines = [i.value for i in at.info if "62" in i.value]
    assert len(lines) == 1
    assert "Следующий обзор: сессия 62 (цикл 5), ориентировочно ноябрь 2029" in lines[0]


def test_overview_without_a_state_filter_names_each_state_under_review(sample_url) -> None:
    # The sample holds two states under review: without a filter both next reviews are shown.
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    lines = [i.value for i in at.info if "Next review" in i.value]
    assert [line.split(" · ")[0] for line in lines] == ["**Kazakhstan**", "**Kyrgyzstan**"]
    assert "Next review: session 63 (cycle 5), about January 2030" in lines[1]
