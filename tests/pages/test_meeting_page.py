"""The coalition meeting page under AppTest: a walk through a meeting that records two
statuses, navigation, the summary and the minutes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tracker import db, meeting
from tracker.filters import Filters
from tracker.models import Assessment, AuditEvent

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/meeting_page.py"
COALITION = "Kazakhstan NGO Coalition"


def _open(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _record(at: AppTest, status: str, evidence: str) -> None:
    form_radio = next(r for r in at.radio if r.key and r.key.startswith("meeting_status_"))
    form_radio.set_value(status)
    next(a for a in at.text_area if a.key.startswith("meeting_evidence_")).input(evidence)
    next(b for b in at.button if b.label == "Record and go to the next").click().run()
    assert not at.exception, at.exception


def test_a_meeting_records_two_statuses_and_writes_the_minutes(sample_url) -> None:
    with db.session_scope(db.get_engine(sample_url)) as s:
        agenda = meeting.agenda(s, Filters(states=("KAZ",), cycles=(2,)))
    n = len(agenda)
    assert n >= 3
    at = _open({"state": "KAZ", "cycle": "2"})
    start = next(b for b in at.button if b.label.startswith("Start the meeting"))
    assert start.label == f"Start the meeting with these {n} recommendations"

    at.text_input(key="meeting_coalition").input(COALITION)
    start.click().run()
    assert not at.exception
    assert f"recommendation 1 of {n}" in at.caption[0].value
    first_text = _texts(at)
    assert "Adopt legislative measures to criminalize torture" in first_text

    _record(at, "not_implemented", "No law criminalizing torture adopted yet")
    assert any("Recorded for recommendation" in s.value for s in at.success)
    assert f"recommendation 2 of {n}" in at.caption[0].value

    # Previous shows the first one again, with the status the meeting agreed on.
    at.button(key="meeting_prev").click().run()
    assert f"recommendation 1 of {n}" in at.caption[0].value
    assert any("Agreed in this meeting: Not implemented" in s.value for s in at.success)
    at.button(key="meeting_next").click().run()

    _record(at, "partially_implemented", "Action plan 2021-2023 partly carried out")
    assert f"recommendation 3 of {n}" in at.caption[0].value

    at.button(key="meeting_summary").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"On the agenda": str(n), "Reviewed": "3", "Statuses recorded": "2"}
    table = at.dataframe[0].value
    assert table["status"].tolist() == ["Not implemented", "Partially implemented"]
    assert table["previous"].str.startswith("Partially implemented").all()
    downloads = list(at.get("download_button"))
    assert len(downloads) == 2

    today = dt.date.today().isoformat()
    with db.session_scope(db.get_engine(sample_url)) as s:
        recorded = s.scalars(
            select(Assessment).where(Assessment.source_org == f"{COALITION} meeting {today}")
        ).all()
        assert sorted(a.status for a in recorded) == ["not_implemented", "partially_implemented"]
        assert {a.assessed_on.isoformat() for a in recorded} == {today}
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.add")).all()
        assert len(events) == 2


def test_the_meeting_needs_a_coalition_name(sample_url) -> None:
    at = _open({"state": "KAZ", "cycle": "1"})
    next(b for b in at.button if b.label.startswith("Start the meeting")).click().run()
    assert any("Coalition: enter the coalition's name" in e.value for e in at.error)
    assert not any(b.key == "meeting_next" for b in at.button)


def test_recording_without_a_status_explains_and_stays(sample_url) -> None:
    at = _open({"state": "KAZ", "cycle": "1"})
    at.text_input(key="meeting_coalition").input(COALITION)
    next(b for b in at.button if b.label.startswith("Start the meeting")).click().run()
    next(b for b in at.button if b.label == "Record and go to the next").click().run()
    assert any("choose the status the meeting agreed on" in e.value for e in at.error)
    assert "recommendation 1 of" in at.caption[0].value


def test_ending_the_meeting_returns_to_the_setup(sample_url) -> None:
    at = _open({"state": "KAZ", "cycle": "1"})
    at.text_input(key="meeting_coalition").input(COALITION)
    next(b for b in at.button if b.label.startswith("Start the meeting")).click().run()
    at.button(key="meeting_end").click().run()
    assert any(b.label.startswith("Start the meeting") for b in at.button)


def test_an_empty_selection_is_explained(sample_url) -> None:
    at = _open({"q": "no such words anywhere"})
    assert any("No recommendations match these filters" in i.value for i in at.info)


def test_a_list_too_long_for_a_meeting_says_how_many_match(sample_url, monkeypatch) -> None:
    """More matches than an agenda holds: the page says how many (all of them, not the
    number it counted up to) and offers no start."""
    monkeypatch.setattr(meeting, "MAX_AGENDA", 2)
    with db.session_scope(db.get_engine(sample_url)) as s:
        n = len(meeting.agenda(s, Filters(states=("KAZ",))))
    assert n > 3
    at = _open({"state": "KAZ"})
    assert any(f"{n} recommendations match these filters" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label.startswith("Start the meeting")]
