"""The Activity page's audit trail in the reader's language (tracker.audit_text): each event
is worded from its fields in the interface language, its record named in words; an event
whose fields cannot say it (an older version's) keeps its stored English summary, which is
also what the database (and so every export and backup) holds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit, audit_text, auth, linking
from tracker.assessments import add_assessment, retract_assessment
from tracker.i18n import set_language
from tracker.models import AuditEvent, Recommendation, RecommendationLink

PASSWORD = "a long enough password"


@pytest.fixture
def russian() -> Iterator[None]:
    set_language("ru")
    try:
        yield
    finally:
        set_language("en")


@pytest.fixture
def trail(sample_session: Session) -> Session:
    """The sample, then an assessment and its retraction, a repeat confirmed, two accounts
    (one changed role), and an event as an older version wrote it (no fields to word it)."""
    s = sample_session
    rid = s.scalar(select(func.min(Recommendation.id)))
    assert rid is not None
    with auth.acting_as("aigerim", "editor"):
        a = add_assessment(
            s, rid, status="not_implemented", assessed_on="2025-02-02", source_org="Kadyr"
        )
        retract_assessment(s, a.id, reason="Wrong source")
        link = s.scalars(select(RecommendationLink).order_by(RecommendationLink.id)).first()
        assert link is not None
        linking.decide_link(s, link.id, confirm=True)
    auth.create_user(s, "alice", PASSWORD, "admin")
    with auth.acting_as("alice", "admin"):
        auth.create_user(s, "bob", PASSWORD, "editor")
        auth.set_role(s, "bob", "viewer")
    audit.record(
        s,
        actor="old-version",
        action="user.set_role",
        entity="user",
        entity_id=9999,  # an account removed since: its name is only in the summary
        summary="ghost: editor → viewer",
        before={"role": "editor"},
        after={"role": "viewer"},
    )
    s.commit()
    return s


def _shown(s: Session) -> list[tuple[str, str, str]]:
    """(action, record, summary) of every event listed, newest first."""
    df = audit.activity_frame(s)
    return list(zip(df["action"], df["record"], df["summary"], strict=True))


def test_each_event_is_worded_in_russian_with_its_record_in_words(
    trail: Session, russian: None
) -> None:
    shown = _shown(trail)
    assert ("user.set_role", "Учётная запись 2", "bob: редактор → читатель") in shown
    assert ("user.add", "Учётная запись 1", "alice (администратор)") in shown
    assert ("sample.load", "База данных", "30 рекомендаций, 32 оценки") in shown
    assert ("link.suggest", "Связь рекомендаций", "Предложен 1 повтор (порог 45)") in shown
    by_action = {action: (record, summary) for action, record, summary in shown}
    record, summary = by_action["link.confirm"]
    assert record.startswith("Связь рекомендаций ")
    assert summary.endswith(": предложено → подтверждено")
    assert by_action["assessment.add"] == (
        "Рекомендация 1",
        "Не выполнена (2025-02-02, Kadyr, Другое)",
    )
    record, summary = by_action["assessment.retract"]
    assert summary.startswith("Оценка ")
    # The retracted assessment's facts come from the assessment itself; the reason as typed.
    assert summary.endswith(" отозвана (Не выполнена, 2025-02-02, Kadyr): Wrong source")


def test_an_event_its_fields_cannot_word_keeps_its_stored_summary(
    trail: Session, russian: None
) -> None:
    assert _shown(trail)[0] == ("user.set_role", "Учётная запись 9999", "ghost: editor → viewer")


def test_the_database_keeps_the_english_summary_and_english_reads_as_before(
    trail: Session,
) -> None:
    stored = trail.scalars(
        select(AuditEvent.summary).where(AuditEvent.action == "assessment.add")
    ).all()
    assert stored == ["not_implemented (2025-02-02, Kadyr, other)"]  # what backups carry
    shown = _shown(trail)
    assert ("user.set_role", "Account 2", "bob: editor → viewer") in shown
    assert ("sample.load", "Database", "30 recommendations, 32 assessments") in shown
    assert (
        "assessment.add",
        "Recommendation 1",
        "Not implemented (2025-02-02, Kadyr, Other)",
    ) in shown


@pytest.mark.parametrize(
    ("action", "before", "after", "english", "russian"),
    [
        (
            "plan.add",
            None,
            {"action": "Draft a law\nsecond line", "responsible": None, "due_on": "2026-06-01"},
            "Draft a law (-, due 2026-06-01)",
            "Draft a law (-, срок 2026-06-01)",
        ),
        (
            "plan.edit",
            {"action_id": 4, "progress": None},
            {"action_id": 4, "progress": "Half", "due_on": "2026-07-01", "version": 2},
            "Changed: Progress, Due date",
            "Изменено: Ход выполнения, Срок",  # the plan table's headings
        ),
        (
            "import",
            None,
            {
                "file": "a.csv",
                "format": "uhri",
                "added": 1200,
                "updated": 0,
                "unchanged": 3,
                "rejected": 1,
            },
            "a.csv (uhri): 1,200 added, 0 updated, 3 unchanged, 1 rejected",
            "a.csv (uhri): добавлено 1\xa0200, обновлено 0, без изменений 3, отклонено 1",
        ),
        ("settings.organisation", None, {"organisation": None}, "(cleared)", "(удалено)"),
        ("settings.review", None, {"review_before_publish": True}, "on", "вкл."),
        (
            "own_link.reject",
            {"status": "suggested"},
            {"status": "rejected"},
            "suggested → rejected",
            "предложено → отклонено",
        ),
        # Written before the fields existed: the stored text, in either language.
        ("sample.load", None, None, "30 recommendations, 32 assessments", None),
        ("report.save", None, {"settings": {}}, "Our shadow report", None),
    ],
)
def test_each_kind_of_event_is_worded_from_its_fields(
    action: str, before: dict | None, after: dict | None, english: str, russian: str | None
) -> None:
    stored = english if russian is None else "stored English"
    assert audit_text.event_summary(action, before, after, stored) == english
    set_language("ru")
    try:
        assert audit_text.event_summary(action, before, after, stored) == (russian or english)
    finally:
        set_language("en")


@pytest.mark.parametrize(
    ("lang", "shown"), [("en", "Import run 3"), ("ru", "Импорт 3"), ("fr", "Importation 3")]
)
def test_an_import_is_named_as_a_record_not_as_the_page_or_the_verb(lang: str, shown: str) -> None:
    # "Import" is the page's name, and French words a page by its verb («Importer»).
    set_language(lang)
    try:
        assert audit_text.record_label("import_run", 3) == shown
    finally:
        set_language("en")
