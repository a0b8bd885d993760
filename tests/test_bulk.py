"""Bulk assessment (tracker.bulk, ``assess`` with filter flags): one assessment per selected
recommendation in one transaction, one audit event each, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.bulk_assess_bench import add_recommendations
from tracker import auth, bulk, cli, db
from tracker.assessments import ValidationError
from tracker.filters import Filters
from tracker.models import Assessment, AuditEvent, Recommendation
from tracker.sample import load_sample

KAZ = Filters(states=("KAZ",))
DAY = dt.date(2025, 3, 1)


def _count(s: Session, model: type, *where: object) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def five_hundred(any_db_url: str) -> str:
    """500 never-assessed recommendations of Kazakhstan on SQLite or PostgreSQL."""
    with db.session_scope(db.get_engine(any_db_url)) as s:
        add_recommendations(s, 500)
    return any_db_url


def test_500_recommendations_get_one_assessment_and_one_audit_event_each(five_hundred) -> None:
    engine = db.get_engine(five_hundred)
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        result = bulk.assess_selection(
            s,
            KAZ,
            status="partially_implemented",
            assessed_on=DAY,
            source_org="  Our   NGO ",
            evidence="Action plan adopted",
            evidence_url="https://example.org/plan",
        )
    assert result.count == 500
    assert result.message() == (
        "Recorded Partially implemented as of 2025-03-01 (Our NGO) for 500 recommendations."
    )
    with db.session_scope(engine) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.add")).all()
        assert len(events) == 500
        assert {e.entity_id for e in events} == set(s.scalars(select(Recommendation.id)))
        assert {e.actor for e in events} == {"aigerim"}
        assert events[0].before == {"current_status": None}
        assert events[0].after["source_org"] == "Our NGO"
        assert events[0].after["bulk"] == 500
        assert _count(s, Assessment, Assessment.author == "aigerim") == 500
        # The current status of every one is the new assessment.
        assert set(s.scalars(select(Recommendation.current_status))) == {"partially_implemented"}
        assert set(s.scalars(select(Recommendation.current_assessed_on))) == {DAY}


def test_a_bad_value_or_unknown_id_writes_nothing(any_db_url) -> None:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        load_sample(s)
    with db.session_scope(engine) as s:
        events = _count(s, AuditEvent)
        assessments = _count(s, Assessment)
        ids = list(s.scalars(select(Recommendation.id).limit(3)))
    bad = [
        ({"status": "done"}, "Status: 'done' is not one of"),
        ({"source_org": " "}, "Source organisation: say which organisation"),
        ({"assessed_on": dt.date.today() + dt.timedelta(days=2)}, "is in the future"),
        ({"evidence_url": "javascript:alert(1)"}, "not a web address"),
    ]
    for change, message in bad:
        values = {"status": "not_implemented", "assessed_on": DAY, "source_org": "NGO"} | change
        with pytest.raises(ValidationError, match=message), db.session_scope(engine) as s:
            bulk.bulk_assess(s, ids, **values)  # type: ignore[arg-type]
    unknown = pytest.raises(ValidationError, match="no recommendation with id 999999")
    with unknown, db.session_scope(engine) as s:
        bulk.bulk_assess(
            s, [*ids, 999999], status="not_implemented", assessed_on=DAY, source_org="NGO"
        )
    too_many = pytest.raises(bulk.TooManyError, match="3 recommendations are selected")
    with too_many, db.session_scope(engine) as s:
        bulk.bulk_assess(
            s, ids, status="not_implemented", assessed_on=DAY, source_org="NGO", limit=2
        )
    with db.session_scope(engine) as s:
        assert _count(s, AuditEvent) == events
        assert _count(s, Assessment) == assessments


def test_a_viewer_is_refused(sample_session) -> None:
    with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied):
        bulk.assess_selection(
            sample_session, KAZ, status="not_implemented", assessed_on=DAY, source_org="NGO"
        )


def test_cli_assess_with_filters_refuses_more_than_max_without_yes(sample_url, capsys) -> None:
    common = ["--status", "fully_implemented", "--date", "2025-04-01", "--source", "Ombudsman"]
    assert cli.main(["assess", "--state", "KAZ", "--cycle", "3", "--max", "5", *common]) == 1
    assert "more than --max 5; nothing was written" in capsys.readouterr().err
    with db.session_scope(db.get_engine(sample_url)) as s:
        assert _count(s, Assessment, Assessment.source_org == "Ombudsman") == 0
        kaz3 = len(bulk.selection_ids(s, Filters(states=("KAZ",), cycles=(3,))))
    assert kaz3 > 5
    code = cli.main(["assess", "--state", "KAZ", "--cycle", "3", "--max", "5", "--yes", *common])
    assert code == 0
    assert f"for {kaz3} recommendations" in capsys.readouterr().out
    # --status-now filters on the current status; --status stays the new one.
    fully = Filters(states=("KAZ",), statuses=("fully_implemented",))
    with db.session_scope(db.get_engine(sample_url)) as s:
        were_fully = bulk.selection_ids(s, fully)
    assert len(were_fully) >= kaz3
    selection = ["--state", "KAZ", "--status-now", "fully_implemented", "--yes"]
    new = ["--status", "not_implemented", "--date", "2025-04-02", "--source", "Ombudsman"]
    code = cli.main(["assess", *selection, *new])
    assert code == 0
    assert f"for {len(were_fully)} recommendations" in capsys.readouterr().out
    with db.session_scope(db.get_engine(sample_url)) as s:
        assert bulk.selection_ids(s, fully) == []
        now_not = bulk.selection_ids(s, KAZ.with_(statuses=("not_implemented",)))
        assert set(were_fully) <= set(now_not)


def test_cli_assess_needs_either_an_id_or_filters(sample_url, capsys) -> None:
    common = ["--status", "not_implemented", "--date", "2025-04-01", "--source", "NGO"]
    assert cli.main(["assess", *common]) == 1
    assert "give either --id ID" in capsys.readouterr().err
    assert cli.main(["assess", "--id", "1", "--state", "KAZ", *common]) == 1
    assert cli.main(["assess", "--q", "no such words anywhere xyz", *common]) == 1
    assert "No recommendations match these filters" in capsys.readouterr().err
    assert cli.DEFAULT_BULK_MAX == bulk.DEFAULT_MAX


def test_the_confirmation_speaks_russian(sample_url, capsys) -> None:
    from tracker.i18n import set_language

    selection = ["--state", "KAZ", "--cycle", "3", "--yes"]
    new = ["--status", "not_implemented", "--date", "2025-04-01", "--source", "НКО"]
    try:
        code = cli.main(["--lang", "ru", "assess", *selection, *new])
    finally:
        set_language("en")
    assert code == 0
    said = capsys.readouterr().out
    assert "Записано «Не выполнена» на 2025-04-01 (НКО) для 7 рекомендаций." in said, said
