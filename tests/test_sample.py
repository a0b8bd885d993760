"""The bundled sample: real seed records, everything else marked as sample."""

from __future__ import annotations

from sqlalchemy import select

from tracker.importers import import_files
from tracker.models import Assessment, Recommendation, Review, State
from tracker.queries import has_sample
from tracker.sample import load_sample, remove_sample

SEEDS = {
    "Malaysia": (
        7,
        4,
        "Further strengthen law enforcement and the judicial system in the "
        "effort to address impunity and prevent trafficking and domestic violence, as "
        "well as the sexual abuse of women and girls",
    ),
    "Mexico": (
        20,
        5,
        "Adopt legislative measures to criminalize torture, violence against "
        "women and trafficking in persons in line with international standards",
    ),
    "Egypt": (
        20,
        2,
        "Maintain its efforts in the area of combating trafficking in persons, "
        "especially women and children, based on the relevant National Action Plan "
        "endorsed in 2012",
    ),
}


def test_kazakhstan_has_its_four_reviews(sample_session) -> None:
    reviews = sample_session.execute(
        select(Review.session, Review.cycle, Review.review_date, Review.report_symbol)
        .join(State)
        .where(State.iso3 == "KAZ")
        .order_by(Review.session)
    ).all()
    assert [(r.session, r.cycle) for r in reviews] == [(7, 1), (20, 2), (34, 3), (48, 4)]
    assert reviews[0].report_symbol == "A/HRC/14/10"
    assert reviews[0].review_date.isoformat() == "2010-02-12"
    assert reviews[1].report_symbol == "A/HRC/28/10"
    assert reviews[3].review_date.isoformat() == "2025-01-23"


def test_the_three_cited_recommendations_are_exact_and_real(sample_session) -> None:
    for state, (session_no, action, text) in SEEDS.items():
        rec = sample_session.scalars(
            select(Recommendation).where(Recommendation.text == text)
        ).one()
        assert [s.name for s in rec.recommending_states] == [state]
        assert rec.review.session == session_no
        assert rec.action_category == action
        assert rec.response == "supported"
        assert rec.is_sample is False
        assert rec.current_assessment is not None
        assert rec.current_assessment.status == "partially_implemented"
        assert rec.current_assessment.evidence


def test_everything_illustrative_is_marked_sample(sample_session) -> None:
    real_texts = {t for (_, _, t) in SEEDS.values()}
    for rec in sample_session.scalars(select(Recommendation)):
        assert rec.is_sample == (rec.text not in real_texts)
    assert all(a.is_sample for a in sample_session.scalars(select(Assessment)))
    assert has_sample(sample_session)


def test_remove_sample_empties_the_database(sample_session) -> None:
    remove_sample(sample_session)
    sample_session.commit()
    assert not has_sample(sample_session)
    assert sample_session.scalars(select(Recommendation)).first() is None
    assert sample_session.scalars(select(Review)).first() is None


def test_load_sample_into_empty_database_is_complete(session) -> None:
    summary = load_sample(session)
    session.commit()
    assert summary.recommendations == 30
    assert summary.assessments == 32


def kazakhstan_count(session) -> int:
    return len(
        session.scalars(
            select(Recommendation.id).join(Review).join(State).where(State.iso3 == "KAZ")
        ).all()
    )


def test_removing_the_sample_keeps_what_a_real_import_holds(sample_session, shared_data) -> None:
    """Issue 13.1: the Kazakhstan export names the sample's three real recommendations; after
    importing it, `sample remove` (as the banner advises) must keep all 318."""
    report = import_files(sample_session, [shared_data / "upr_info_kazakhstan_sessions07_20.csv"])
    sample_session.commit()
    assert (report.added, report.updated, report.unchanged) == (315, 1, 2)
    assert report.adopted == 3
    assert report.sample_present
    lines = report.summary_lines()
    assert lines[1] == (
        "This database still holds the sample data. Remove it with `.venv/bin/tracker sample "
        "remove`: what your imports hold stays."
    )
    assert (
        "3 recommendations the sample brought in are now held by this import (removing the "
        "sample keeps them)." in lines
    )
    assert kazakhstan_count(sample_session) == 318 + 23  # with the sample's illustrative ones
    remove_sample(sample_session)
    sample_session.commit()
    assert kazakhstan_count(sample_session) == 318
    assert not has_sample(sample_session)
    # The import's real figures stay: the seeds keep the recommending states the file gives.
    for state, (_session_no, _action, text) in SEEDS.items():
        rec = sample_session.scalars(
            select(Recommendation).where(Recommendation.text == text)
        ).one()
        assert state in [s.name for s in rec.recommending_states]
        assert rec.current_assessment is None  # its sample assessment went with the sample


def test_an_import_without_sample_says_nothing_about_it(session, shared_data) -> None:
    report = import_files(session, [shared_data / "upr_info_kazakhstan_sessions07_20.csv"])
    assert not report.sample_present
    assert not any("sample" in line for line in report.summary_lines())
