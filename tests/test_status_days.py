"""The status changes per day kept in ``status_day`` (migration 0010) stay what counting the
assessments gives, after every kind of write: an assessment added, retracted, made private,
saved as a draft and published, a bulk assessment, an import into an empty and into a
filled database, the sample removed, a restore. The Progress page's "status over time" of
the whole corpus is read from them."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas.testing as pd_testing
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from tests.importer_support import backups_in_tmp, new_engine, run_import
from tracker import auth, backup, bulk, db, evidence, progress, template_format
from tracker.assessments import add_assessment, refresh_current_status, retract_assessment
from tracker.filters import Filters
from tracker.models import Assessment, Recommendation, Review, StatusDay
from tracker.sample import load_sample, remove_sample
from tracker.status_days import counted_changes, kept_changes

__all__ = ["backups_in_tmp"]  # the fixture, used by name below

STATUSES = ["fully_implemented", "partially_implemented", "not_implemented", "no_information"]


def _assert_kept(s: Session, what: str) -> None:
    """The kept days equal a count of the assessments, and are not empty."""
    s.flush()
    kept = kept_changes(s)
    assert kept == counted_changes(s), what
    assert kept, what


def _random_day(rng: random.Random) -> dt.date:
    # Few distinct days, so that writes land on days other recommendations share.
    return dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 40))


@pytest.fixture
def engine(tmp_path: Path, backups_in_tmp: None) -> Engine:
    engine = new_engine(tmp_path)
    with db.session_scope(engine) as s:
        load_sample(s)
    return engine


def test_every_kind_of_write_keeps_the_days_as_counted(engine: Engine, tmp_path: Path) -> None:
    rng = random.Random(19)
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        _assert_kept(s, "the sample")
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        for step in range(25):
            made = add_assessment(
                s,
                rng.choice(ids),
                status=rng.choice(STATUSES),
                assessed_on=_random_day(rng),
                source_org=rng.choice(["NGO A", "Ombudsman"]),
                private=rng.random() < 0.2,
            )
            _assert_kept(s, f"added {step}")
            if rng.random() < 0.4:
                retract_assessment(s, made.id, reason="entered twice")
                _assert_kept(s, f"retracted {step}")
        bulk.bulk_assess(
            s,
            rng.sample(ids, 30),
            status="partially_implemented",
            assessed_on=_random_day(rng),
            source_org="Coalition",
        )
        _assert_kept(s, "bulk")
        evidence.set_review_required(s, True)
    with auth.acting_as("writer", "editor"), db.session_scope(engine) as s:
        draft = add_assessment(
            s, ids[0], status="fully_implemented", assessed_on="2023-01-05", source_org="NGO B"
        )
        assert draft.is_draft
        draft_id = draft.id
        _assert_kept(s, "draft")
    with auth.acting_as("ed", "editor"), db.session_scope(engine) as s:
        before = kept_changes(s)
        evidence.publish(s, draft_id)
        _assert_kept(s, "published")
        assert kept_changes(s) != before  # the published one now counts
    path = tmp_path / "b.zip"
    backup.write_backup(engine, path)
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        remove_sample(s)
        _assert_kept(s, "sample removed")
    backup.restore(engine, path)
    with db.session_scope(engine) as s:
        _assert_kept(s, "restored")


def test_an_import_keeps_the_days_as_counted(engine: Engine, tmp_path: Path) -> None:
    """Into an empty database (every recommendation refreshed), then again after more
    assessments (only the assessed ones refreshed)."""
    target = new_engine(tmp_path, "target.db")
    out = tmp_path / "export.xlsx"
    with db.session_scope(engine) as s:
        template_format.export(s, out)
    assert run_import(target, [out]).ok
    with db.session_scope(target) as s:
        _assert_kept(s, "first import")
    rng = random.Random(5)
    with db.session_scope(engine) as s:
        for rid in rng.sample(list(s.scalars(select(Recommendation.id))), 10):
            add_assessment(
                s, rid, status=rng.choice(STATUSES), assessed_on="2023-01-02", source_org="NGO"
            )
        template_format.export(s, out)
    report = run_import(target, [out])
    assert report.ok
    assert report.assessments_added == 10
    with db.session_scope(target) as s:
        _assert_kept(s, "second import")


def test_the_whole_corpus_history_is_what_counting_every_assessment_gives(
    engine: Engine,
) -> None:
    """status_over_time of the whole corpus (from the kept days) equals the same history
    counted from the assessments (a filter matching every recommendation)."""
    rng = random.Random(3)
    with db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id)))
        for _ in range(40):
            add_assessment(
                s,
                rng.choice(ids),
                status=rng.choice(STATUSES),
                assessed_on=_random_day(rng),
                source_org=rng.choice(["NGO A", "Ombudsman"]),
            )
        every_cycle = Filters(cycles=tuple(sorted(set(s.scalars(select(Review.cycle))))))
        for points in (10_000, 12):
            whole = progress.status_over_time(s, None, points)
            assert len(whole) > 12
            pd_testing.assert_frame_equal(whole, progress.status_over_time(s, every_cycle, points))


def test_a_full_refresh_rebuilds_the_days_from_nothing(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        expected = kept_changes(s)
        s.execute(Assessment.__table__.update().values(previous_status=None))
        s.execute(delete(StatusDay))
        assert kept_changes(s) == []
        refresh_current_status(s)
        assert kept_changes(s) == expected
