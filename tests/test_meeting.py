"""Coalition meeting mode (tracker.meeting): the meeting, recording agreed statuses, what
changed, and the minutes in Markdown and Word."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.importer_support import add_recommendations
from tracker import auth, meeting
from tracker.assessments import add_assessment, retract_assessment
from tracker.errors import ValidationError
from tracker.filters import Filters
from tracker.importers.inputs import RecommendationInput
from tracker.models import Assessment, AuditEvent

DAY = dt.date(2025, 5, 14)
TEXT_WITH_MARKUP = "Adopt a *law* on <b>domestic violence</b> [now](http://x.example) # 1"


@pytest.fixture
def recs(session: Session) -> list[int]:
    ids = add_recommendations(
        session,
        [
            RecommendationInput(
                state_under_review="Kazakhstan",
                session=session_no,
                text=text,
                response="supported",
                recommending_states=[by],
                paragraph=para,
            )
            for session_no, text, by, para in [
                (20, TEXT_WITH_MARKUP, "Slovenia", "122.1"),
                (20, "Ratify the Optional Protocol to ICESCR", "Portugal", "122.2"),
                (7, "Establish a national preventive mechanism", "Ireland", "97.1"),
                (34, "Criminalize torture", "Germany", None),
            ]
        ],
    )
    add_assessment(
        session,
        ids[0],
        status="partially_implemented",
        assessed_on="2024-03-01",
        source_org="Legal centre",
        evidence="Draft law in parliament",
    )
    session.commit()
    return ids


def test_a_meeting_is_a_coalition_and_a_day() -> None:
    m = meeting.validate_meeting("  Kazakhstan   NGO Coalition ", "2025-05-14")
    assert m == meeting.Meeting("Kazakhstan NGO Coalition", DAY)
    assert m.source == "Kazakhstan NGO Coalition meeting 2025-05-14"


@pytest.mark.parametrize(
    ("coalition", "day", "message"),
    [
        ("", "2025-05-14", "Coalition: enter the coalition's name"),
        ("x" * 300, "2025-05-14", "Coalition: at most"),
        (
            "Coalition",
            "14.05.2025",
            "Meeting date: '14.05.2025' is not a date in the form YYYY-MM-DD",
        ),
        ("Coalition", (dt.date.today() + dt.timedelta(days=1)).isoformat(), "in the future"),
    ],
)
def test_a_meeting_that_cannot_be_is_explained(coalition: str, day: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        meeting.validate_meeting(coalition, day)


def test_the_agenda_follows_the_filters_in_meeting_order(session, recs) -> None:
    assert meeting.agenda(session, Filters(states=("KAZ",))) == [recs[2], recs[0], recs[1], recs[3]]
    assert meeting.agenda(session, Filters(cycles=(2,))) == [recs[0], recs[1]]


def test_the_agenda_is_counted_only_up_to_what_a_meeting_holds(session, recs) -> None:
    """The page tells an agenda from a list too long without reading every match."""
    kaz = Filters(states=("KAZ",))
    assert meeting.agenda_size(session, kaz) == len(meeting.agenda(session, kaz)) == 4
    assert meeting.agenda_size(session, kaz, cap=3) == 3
    assert meeting.agenda_size(session, Filters(states=("NOPE",))) == 0


def test_recording_a_status_is_an_assessment_of_the_meeting(session, recs) -> None:
    m = meeting.Meeting("Coalition", DAY)
    a = meeting.record_status(session, m, recs[0], "not_implemented", evidence="Law withdrawn")
    session.commit()
    assert (a.source_org, a.assessed_on, a.status) == (
        "Coalition meeting 2025-05-14",
        DAY,
        "not_implemented",
    )
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "assessment.add")
        .order_by(AuditEvent.id.desc())
    )
    assert event.entity_id == recs[0]
    assert event.after["source_org"] == "Coalition meeting 2025-05-14"


def test_recording_needs_a_status_and_an_editor(session, recs) -> None:
    m = meeting.Meeting("Coalition", DAY)
    with pytest.raises(ValidationError, match="Status agreed by the meeting: choose the status"):
        meeting.record_status(session, m, recs[0], "")
    with pytest.raises(ValidationError, match="Status: 'done' is not one of"):
        meeting.record_status(session, m, recs[0], "done")
    with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied):
        meeting.record_status(session, m, recs[0], "not_implemented")
    assert session.scalar(select(Assessment).where(Assessment.source_org.like("%meeting%"))) is None


def test_what_changed_in_the_meeting(session, recs) -> None:
    m = meeting.Meeting("Coalition", DAY)
    meeting.record_status(session, m, recs[0], "not_implemented")
    meeting.record_status(session, m, recs[1], "no_information")
    meeting.record_status(session, m, recs[0], "partially_implemented", evidence="On reflection")
    # Another meeting, and a meeting assessment later withdrawn, are not part of this one.
    meeting.record_status(
        session, meeting.Meeting("Coalition", dt.date(2025, 1, 9)), recs[2], "not_implemented"
    )
    withdrawn = meeting.record_status(session, m, recs[3], "fully_implemented")
    retract_assessment(session, withdrawn.id, reason="Wrong recommendation")
    session.commit()

    changes = meeting.meeting_changes(session, m)
    assert [c.recommendation_id for c in changes] == [recs[0], recs[1]]
    first, second = changes
    assert (first.previous_status, first.previous_source, first.previous_date) == (
        "partially_implemented",
        "Legal centre",
        dt.date(2024, 3, 1),
    )
    assert (first.status, first.evidence) == ("partially_implemented", "On reflection")
    assert (second.previous_status, second.status) == ("not_assessed", "no_information")
    assert first.recommending_states == "Slovenia"
    frame = meeting.changes_frame(changes)
    assert frame.columns.tolist() == meeting.CHANGE_COLUMNS
    assert frame["status"].tolist() == ["Partially implemented", "No information"]


def test_the_minutes_in_markdown_keep_the_texts_literal(session, recs) -> None:
    m = meeting.Meeting("Coalition", DAY)
    meeting.record_status(
        session,
        m,
        recs[0],
        "not_implemented",
        evidence="See *report*",
        evidence_url="https://example.org/report",
    )
    session.commit()
    md = meeting.minutes_markdown(
        m, meeting.meeting_changes(session, m), reviewed=3, scope="Kazakhstan; cycle 2"
    )
    assert md.startswith("# Minutes: Coalition meeting, 14 May 2025\n")
    assert "Recommendations reviewed: 3. Statuses agreed and recorded: 1." in md
    assert "Selection: Kazakhstan; cycle 2." in md
    assert (
        f"### 1. Recommendation {recs[0]} — Kazakhstan, cycle 2, session 20, paragraph 122.1" in md
    )
    # Raw HTML is written as entities (literal in every Markdown renderer, as in the report).
    assert (
        r"> Adopt a \*law\* on &lt;b&gt;domestic violence&lt;/b&gt; \[now\](http://x.example) \# 1"
        in md
    )
    assert "- **Status before**: Partially implemented (1 March 2024, Legal centre)" in md
    assert "- **Agreed status**: Not implemented" in md
    assert r"- **Evidence**: See \*report\*" in md
    assert "- **Link**: <https://example.org/report>" in md


def test_minutes_of_a_meeting_without_changes(session, recs) -> None:
    md = meeting.minutes_markdown(meeting.Meeting("Coalition", DAY), [], reviewed=0)
    assert "No status was recorded in this meeting." in md


def test_the_minutes_in_word(session, recs) -> None:
    m = meeting.Meeting("Coalition", DAY)
    meeting.record_status(session, m, recs[0], "not_implemented", evidence="Law withdrawn")
    meeting.record_status(session, m, recs[1], "partially_implemented")
    session.commit()
    data = meeting.minutes_docx(m, meeting.meeting_changes(session, m), reviewed=2)
    doc = Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Minutes: Coalition meeting, 14 May 2025"
    assert TEXT_WITH_MARKUP in paragraphs  # the text as it is, no markup applied or escaped
    assert "Evidence: Law withdrawn" in paragraphs
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "Id",
        "Where",
        "Status before",
        "Agreed status",
    ]
    assert [r.cells[3].text for r in table.rows[1:]] == ["Not implemented", "Partially implemented"]
    assert table.rows[1].cells[2].text == "Partially implemented (1 March 2024, Legal centre)"
    assert doc.core_properties.title == "Minutes: Coalition meeting, 14 May 2025"


def test_the_minutes_file_name_is_safe() -> None:
    m = meeting.Meeting("Coalition «Ü/..» NGO", DAY)
    assert meeting.minutes_file_stem(m) == "minutes-coalition-ü-ngo-2025-05-14"
