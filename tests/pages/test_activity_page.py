"""The Activity page: the audit trail with its filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from tests.pages.dashboard_support import open_page
from tracker import auth, db
from tracker.assessments import add_assessment
from tracker.models import Recommendation

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/activity_page.py"
PAYLOAD = '<img src=x onerror="alert(1)"> & <script>alert(2)</script>'


def activity(url: str) -> AppTest:
    with db.session_scope(db.get_engine(url)) as s:
        rid = s.scalar(select(func.min(Recommendation.id)))
        with auth.acting_as("aigerim", "editor"):
            add_assessment(
                s,
                rid,
                status="not_implemented",
                assessed_on="2025-02-02",
                source_org="Kadyr Kasiet",
                evidence=PAYLOAD,
            )
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def rows(at: AppTest) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def test_every_change_is_listed_newest_first_with_who_and_what(sample_url) -> None:
    at = activity(sample_url)
    listed = rows(at)
    assert [(r["actor"], r["what"]) for r in listed] == [
        ("aigerim", "Assessment added"),
        (auth.os_user(), "Sample loaded"),  # the fixture loaded it, locally
        (auth.os_user(), "Repeats suggested"),  # by the sample load's linking pass
    ]
    newest = listed[0]
    assert newest["record"].startswith("Recommendation ")  # the kind of record in words
    assert "status: not_implemented" in newest["changes"]
    # Text from the database is data for the table, never markup.
    assert PAYLOAD in newest["changes"]
    assert any("3 changes match" in c.value for c in at.caption)


def test_the_filters_narrow_by_who_what_and_when(sample_url) -> None:
    at = activity(sample_url)
    at.multiselect(key="act_actor").select("aigerim").run()
    assert [r["what"] for r in rows(at)] == ["Assessment added"]
    at.multiselect(key="act_actor").unselect("aigerim").run()
    at.multiselect(key="act_action").select("sample.load").run()
    assert [r["what"] for r in rows(at)] == ["Sample loaded"]
    at.multiselect(key="act_action").unselect("sample.load").run()
    today = dt.datetime.now(dt.UTC).date()
    at.date_input(key="act_from").set_value(today).run()
    assert len(rows(at)) == 3
    at.date_input(key="act_to").set_value(today - dt.timedelta(days=1)).run()
    assert not at.dataframe
    assert any("No recorded changes match these filters" in i.value for i in at.info)


def test_in_russian_the_records_and_summaries_read_in_russian(sample_url) -> None:
    """?lang=ru: no code names ("recommendation_link") nor stored English sentences."""
    activity(sample_url)  # adds an assessment
    at = open_page(PAGE, lang="ru")
    shown = [(r["what"], r["record"], r["summary"]) for r in rows(at)]
    assert shown[1:] == [
        ("Демонстрационные данные загружены", "База данных", "30 рекомендаций, 32 оценки"),
        ("Предложены повторы", "Связь рекомендаций", "Предложен 1 повтор (порог 45)"),
    ]
    _what, record, summary = shown[0]
    assert record.startswith("Рекомендация ")
    assert summary == "Не выполнена (2025-02-02, Kadyr Kasiet, Другое)"
