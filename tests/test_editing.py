"""Metadata edits with optimistic locking, retractions, and writers that wait for each other."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from tracker import auth, db, editing
from tracker.assessments import add_assessment, retract_assessment
from tracker.errors import ValidationError
from tracker.models import Assessment, AuditEvent, Recommendation
from tracker.sample import load_sample


@pytest.fixture
def loaded_url(any_db_url: str) -> str:
    """The sample in a fresh SQLite or PostgreSQL database."""
    with db.session_scope(db.get_engine(any_db_url)) as s:
        load_sample(s)
    return any_db_url


def rec_id(session) -> int:
    return session.scalar(select(func.min(Recommendation.id)))


# --- editing ---------------------------------------------------------------------------------
def test_an_edit_changes_the_fields_moves_the_version_on_and_is_audited(sample_session) -> None:
    rid = rec_id(sample_session)
    before = editing.get_metadata(sample_session, rid)
    assert before is not None
    with auth.acting_as("aigerim", "editor"):
        after = editing.update_recommendation(
            sample_session,
            rid,
            before.version,
            {"paragraph": " 97.12 ", "action_category": "4", "themes": "Trafficking; women"},
        )
    sample_session.commit()
    assert (after.paragraph, after.action_category, after.themes) == (
        "97.12",
        4,
        ["Trafficking", "women"],
    )
    assert after.version == before.version + 1
    event = sample_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.actor, event.action, event.entity_id) == ("aigerim", "recommendation.edit", rid)
    assert event.after["paragraph"] == "97.12"
    assert event.before["paragraph"] == before.paragraph
    assert event.after["version"] == after.version


def test_an_edit_that_changes_nothing_writes_nothing(sample_session) -> None:
    rid = rec_id(sample_session)
    meta = editing.get_metadata(sample_session, rid)
    assert meta is not None
    events = sample_session.scalar(select(func.count()).select_from(AuditEvent))
    same = editing.update_recommendation(
        sample_session, rid, meta.version, {"text": meta.text + "  ", "themes": meta.themes}
    )
    sample_session.commit()
    assert same.version == meta.version
    assert sample_session.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"action_category": 7}, "action_category", "action_category: 7 is not a number from 1"),
        ({"response": "maybe"}, "response", "response: 'maybe' is not one of supported"),
        ({"text": "   "}, "text", "text: the recommendation text is required"),
        ({"paragraph": "x" * 21}, "paragraph", "is longer than 20 characters"),
        ({"version": 9}, "version", "version: not an editable field"),
    ],
)
def test_bad_values_are_refused_naming_the_field(sample_session, changes, field, message) -> None:
    rid = rec_id(sample_session)
    meta = editing.get_metadata(sample_session, rid)
    assert meta is not None
    with pytest.raises(ValidationError, match=message) as exc:
        editing.update_recommendation(sample_session, rid, meta.version, changes)
    assert exc.value.field == field


def test_an_edit_cannot_make_two_recommendations_identical(sample_session) -> None:
    a, b = sample_session.scalars(select(Recommendation).order_by(Recommendation.id).limit(2)).all()
    if a.review_id != b.review_id:  # same review needed for the identity rule
        b = sample_session.scalars(
            select(Recommendation)
            .where(Recommendation.review_id == a.review_id, Recommendation.id != a.id)
            .limit(1)
        ).one()
    with pytest.raises(ValidationError, match=f"recommendation {a.id} already has this text"):
        editing.update_recommendation(
            sample_session,
            b.id,
            b.version,
            {"text": a.text, "response": a.response, "action_category": a.action_category},
        )


def test_the_same_text_under_another_paragraph_number_is_another_recommendation(
    sample_session,
) -> None:
    a = sample_session.scalars(select(Recommendation).order_by(Recommendation.id).limit(1)).one()
    b = sample_session.scalars(
        select(Recommendation)
        .where(Recommendation.review_id == a.review_id, Recommendation.id != a.id)
        .limit(1)
    ).one()
    same = {"text": a.text, "response": a.response, "action_category": a.action_category}
    with auth.acting_as("aigerim", "editor"):
        a_meta = editing.get_metadata(sample_session, a.id)
        assert a_meta is not None
        editing.update_recommendation(sample_session, a.id, a_meta.version, {"paragraph": "115.8"})
        b_meta = editing.get_metadata(sample_session, b.id)
        assert b_meta is not None
        after = editing.update_recommendation(
            sample_session, b.id, b_meta.version, {**same, "paragraph": "115.10"}
        )
        assert (after.text, after.paragraph) == (a.text, "115.10")
        # numbered as the other one, it would be the same recommendation again
        with pytest.raises(ValidationError, match=f"recommendation {a.id} already has this text"):
            editing.update_recommendation(
                sample_session, b.id, after.version, {"paragraph": "115.8"}
            )


def test_the_second_of_two_editors_is_told_who_changed_it_and_loses_nothing(loaded_url) -> None:
    engine = db.get_engine(loaded_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
        shown = editing.get_metadata(s, rid)  # both editors open the form on this version
    assert shown is not None
    with db.session_scope(engine) as s, auth.acting_as("first", "editor"):
        editing.update_recommendation(s, rid, shown.version, {"paragraph": "12.1"})
    with (
        pytest.raises(editing.ConflictError) as exc,
        db.session_scope(engine) as s,
        auth.acting_as("second", "editor"),
    ):
        editing.update_recommendation(s, rid, shown.version, {"paragraph": "12.2"})
    conflict = exc.value
    assert "changed by first at" in str(conflict)
    assert f"version {shown.version}" in str(conflict)
    assert conflict.theirs["paragraph"] == "12.1"
    assert conflict.yours == {"paragraph": "12.2"}
    with db.session_scope(engine) as s:
        now = editing.get_metadata(s, rid)
    assert now is not None
    assert now.paragraph == "12.1"
    assert now.version == shown.version + 1


def test_simultaneous_edits_from_two_threads_give_one_winner_and_one_conflict(loaded_url) -> None:
    engine = db.get_engine(loaded_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
        version = editing.get_metadata(s, rid).version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(name: str) -> None:
        with auth.acting_as(name, "editor"):
            barrier.wait()
            try:
                with db.session_scope(engine) as s:
                    editing.update_recommendation(s, rid, version, {"paragraph": name})
                outcomes[name] = "saved"
            except editing.ConflictError:
                outcomes[name] = "conflict"
            except Exception as exc:  # a lock error would land here
                outcomes[name] = f"error: {exc}"

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("p1", "p2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(n for n, o in outcomes.items() if o == "saved")
    with db.session_scope(engine) as s:
        assert editing.get_metadata(s, rid).paragraph == winner


# --- retractions -----------------------------------------------------------------------------
def test_a_retraction_is_appended_and_the_previous_assessment_counts_again(loaded_url) -> None:
    engine = db.get_engine(loaded_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
        rec = s.get(Recommendation, rid)
        earlier = rec.current_assessment.status if rec and rec.current_assessment else None
        wrong = add_assessment(
            s, rid, status="fully_implemented", assessed_on="2025-06-01", source_org="Typo"
        )
        wrong_id = wrong.id
    with db.session_scope(engine) as s, auth.acting_as("aigerim", "editor"):
        retraction = retract_assessment(s, wrong_id, reason="  entered for the wrong  state ")
        retraction_id = retraction.id
    with db.session_scope(engine) as s:
        rec = s.get(Recommendation, rid)
        assert rec is not None
        assert (rec.current_assessment.status if rec.current_assessment else None) == earlier
        kept = s.get(Assessment, wrong_id)
        assert kept is not None  # nothing is deleted
        assert kept.status == "fully_implemented"
        r = s.get(Assessment, retraction_id)
        assert r is not None
        assert (r.retracts_id, r.evidence, r.author) == (
            wrong_id,
            "entered for the wrong state",
            "aigerim",
        )
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.action == "assessment.retract"
        assert event.before["current_status"] == "fully_implemented"
        assert event.after["current_status"] == earlier


def test_retractions_are_checked(sample_session) -> None:
    rid = rec_id(sample_session)
    a = add_assessment(
        sample_session, rid, status="not_implemented", assessed_on="2025-01-01", source_org="X"
    )
    with pytest.raises(ValidationError, match=r"Why is it withdrawn\? Say why") as exc:
        retract_assessment(sample_session, a.id, reason=" ")
    assert exc.value.field == "reason"
    r = retract_assessment(sample_session, a.id, reason="duplicate")
    with pytest.raises(ValidationError, match=f"was already retracted \\(by assessment {r.id}\\)"):
        retract_assessment(sample_session, a.id, reason="again")
    with pytest.raises(ValidationError, match="is itself a retraction"):
        retract_assessment(sample_session, r.id, reason="undo")
    with pytest.raises(ValidationError, match="there is no assessment with id 999999"):
        retract_assessment(sample_session, 999_999, reason="x")


# --- writers wait for each other (SQLite) -------------------------------------------------------
def test_an_assessment_waits_for_a_long_write_instead_of_failing(sample_url) -> None:
    """Another writer (an import) holds the SQLite write lock; the assessment waits for it
    and succeeds, where a plain read-then-write transaction would fail "database is locked"."""
    engine = db.get_engine(sample_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
    holding = threading.Event()

    def long_writer() -> None:
        with db.session_scope(engine) as other:
            db.begin_write(other)
            other.execute(text("UPDATE meta SET value = value"))
            holding.set()
            time.sleep(1.0)

    t = threading.Thread(target=long_writer)
    t.start()
    holding.wait(10)
    started = time.monotonic()
    with db.session_scope(engine) as s:
        add_assessment(
            s, rid, status="not_implemented", assessed_on="2025-03-03", source_org="Waiting NGO"
        )
    waited = time.monotonic() - started
    t.join()
    assert waited >= 0.5  # it did wait for the other writer
    with db.session_scope(engine) as s:
        assert s.scalar(select(func.count()).where(Assessment.source_org == "Waiting NGO")) == 1


def test_concurrent_assessments_of_one_recommendation_all_count(loaded_url) -> None:
    engine = db.get_engine(loaded_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
    barrier = threading.Barrier(4)
    errors: list[str] = []

    def assess(day: int) -> None:
        barrier.wait()
        try:
            with db.session_scope(engine) as s:
                add_assessment(
                    s,
                    rid,
                    status="not_implemented" if day < 4 else "fully_implemented",
                    assessed_on=f"2025-07-0{day}",
                    source_org=f"NGO {day}",
                )
        except Exception as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=assess, args=(d,)) for d in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with db.session_scope(engine) as s:
        rec = s.get(Recommendation, rid)
        assert rec is not None
        assert rec.current_assessment is not None
        assert rec.current_assessment.source_org == "NGO 4"  # the latest date wins


# --- the edit form (tracker.ui.edit_forms) -------------------------------------------------------
def _edit_page(rec_id: int) -> None:
    from tracker import ui

    ui.flash()
    ui.edit_recommendation_form(rec_id)
    ui.retraction_form(rec_id)


def test_the_edit_form_reports_a_conflict_and_keeps_what_was_typed(sample_url) -> None:
    from streamlit.testing.v1 import AppTest

    engine = db.get_engine(sample_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
    at = AppTest.from_function(_edit_page, args=(rid,), default_timeout=30).run()
    assert not at.exception
    at.text_input(key=f"edit_{rid}_paragraph").input("97.1 (mine)")
    with db.session_scope(engine) as s, auth.acting_as("colleague", "editor"):
        meta = editing.get_metadata(s, rid)
        editing.update_recommendation(s, rid, meta.version, {"paragraph": "97.1 (theirs)"})
    at.button[0].click().run()
    assert "changed by colleague at" in at.warning[0].value
    assert "paragraph: 97.1 (theirs)" in [t.value for t in at.text]
    assert at.text_input(key=f"edit_{rid}_paragraph").value == "97.1 (mine)"  # nothing lost
    with db.session_scope(engine) as s:
        assert editing.get_metadata(s, rid).paragraph == "97.1 (theirs)"
    at.button[0].click().run()  # saving again, knowingly, applies mine
    assert not at.warning
    assert "Saved the changes" in at.success[0].value
    with db.session_scope(engine) as s:
        assert editing.get_metadata(s, rid).paragraph == "97.1 (mine)"


def test_the_edit_and_retraction_forms_are_not_shown_to_viewers(sample_url) -> None:
    from streamlit.testing.v1 import AppTest

    from tracker import ui

    with db.session_scope(db.get_engine(sample_url)) as s:
        rid = rec_id(s)
    at = AppTest.from_function(_edit_page, args=(rid,), default_timeout=30)
    at.session_state[ui.ACTOR_KEY] = auth.Actor("donor", auth.Role.VIEWER)
    at.run()
    assert not at.exception
    assert not at.expander
    assert not at.button


def test_the_retraction_form_appends_a_retraction(sample_url) -> None:
    from streamlit.testing.v1 import AppTest

    engine = db.get_engine(sample_url)
    with db.session_scope(engine) as s:
        rid = rec_id(s)
        wrong = add_assessment(
            s, rid, status="fully_implemented", assessed_on="2025-08-08", source_org="Typo NGO"
        ).id
    at = AppTest.from_function(_edit_page, args=(rid,), default_timeout=30).run()
    at.selectbox(key=f"retract_{rid}_id").set_value(wrong)
    at.button[1].click().run()  # without a reason
    assert "Why is it withdrawn? Say why" in at.error[0].value
    at.selectbox(key=f"retract_{rid}_id").set_value(wrong)
    at.text_input(key=f"retract_{rid}_reason").input("wrong state")
    at.button[1].click().run()
    assert not at.exception
    assert "Retracted the assessment of 2025-08-08" in at.success[0].value.replace("\\", "")
    with db.session_scope(engine) as s:
        assert s.scalar(select(Assessment.retracts_id).where(Assessment.id > wrong)) == wrong


def test_same_day_assessment_finds_the_same_source_on_the_same_day(sample_session) -> None:
    from tracker.assessments import same_day_assessment

    rid = 1
    assert same_day_assessment(sample_session, rid, "2025-09-30", "Our NGO") is None
    a = add_assessment(
        sample_session,
        rid,
        status="not_implemented",
        assessed_on="2025-09-30",
        source_org="Our NGO",
    )
    sample_session.commit()
    found = same_day_assessment(sample_session, rid, "2025-09-30", " our   ngo ")
    assert found is not None
    assert (found.id, found.status) == (a.id, "not_implemented")
    assert same_day_assessment(sample_session, rid, "2025-09-29", "Our NGO") is None
    assert same_day_assessment(sample_session, rid, "2025-09-30", "Another NGO") is None
    retract_assessment(sample_session, a.id, reason="entered twice")
    sample_session.commit()
    assert same_day_assessment(sample_session, rid, "2025-09-30", "Our NGO") is None
