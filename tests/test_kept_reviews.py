"""The recommendations counted per review, response and status, kept in ``review_count`` by
database triggers (migration 0012), equal a count of the recommendations after every kind
of write, on SQLite and PostgreSQL: the sample loaded and removed, assessments added,
retracted and bulk, metadata edits, the ORM, raw SQL (a response, a move to another review,
a delete with its cascade), a review deleted, a full refresh, imports into an empty and a
filled database (the bulk path suspends the triggers and counts once), a restore. The
Overview, ``stats`` and the Progress page read them and give what counting gives. The same
writes keep the number of assessments (``assessment_count``, migration 0013, PostgreSQL) and
the partially implemented by theme and review (``kept_partial_theme``) exact."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas.testing as pd_testing
import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from tests.importer_support import UPR_INFO_HEADER, csv_bytes, run_import, upr_row
from tracker import (
    auth,
    backup,
    bulk,
    db,
    editing,
    evidence,
    flags,
    kept_assessments,
    kept_partial,
    kept_reviews,
    progress,
    queries,
)
from tracker.assessments import add_assessment, refresh_current_status, retract_assessment
from tracker.filters import Filters
from tracker.importers import bulk_sql
from tracker.models import Recommendation, Review, ReviewCount, State
from tracker.sample import load_sample, remove_sample

STATUSES = ["fully_implemented", "partially_implemented", "not_implemented", "no_information"]


def assert_kept(s: Session, what: str) -> None:
    """The kept counts equal a count of the recommendations (rows at 0 aside), and none is
    negative."""
    s.flush()
    assert kept_reviews.kept(s) == kept_reviews.counted(s), what
    # The assessments counted by the triggers of migration 0013 (PostgreSQL), after the
    # same writes.
    assert kept_assessments.total(s) == kept_assessments.counted(s), what
    assert kept_partial.kept(s) == kept_partial.counted(s), what  # (by theme, review: 0013)
    assert s.scalar(select(ReviewCount.n).where(ReviewCount.n < 0).limit(1)) is None, what


@pytest.fixture
def engine(any_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("UPR_TRACKER_BACKUP_DIR", str(tmp_path / "backups"))
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        load_sample(s)
    return engine


def test_every_kind_of_write_keeps_the_counts(engine: Engine, tmp_path: Path) -> None:
    rng = random.Random(12)
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        assert_kept(s, "the sample")
        assert kept_reviews.kept(s)
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        for step in range(15):
            made = add_assessment(
                s,
                rng.choice(ids),
                status=rng.choice(STATUSES),
                assessed_on=dt.date(2023, 1, 1) + dt.timedelta(days=step),
                source_org=rng.choice(["NGO A", "Ombudsman"]),
            )
            assert_kept(s, f"assessment {step}")
            if step % 3 == 0:
                retract_assessment(s, made.id, reason="entered twice")
                assert_kept(s, f"retracted {step}")
        bulk.bulk_assess(
            s,
            rng.sample(ids, 20),
            status="not_implemented",
            assessed_on="2023-03-01",
            source_org="Coalition",
        )
        assert_kept(s, "bulk assessment")
        rec = s.get(Recommendation, ids[0])
        assert rec is not None
        new_response = "noted" if rec.response != "noted" else "supported"
        editing.update_recommendation(s, rec.id, rec.version, {"response": new_response})
        assert_kept(s, "edited response")
        rec.response = None  # the ORM
        assert_kept(s, "ORM: no response")
        s.delete(s.get(Recommendation, ids[1]))
        assert_kept(s, "ORM delete")
        reviews = list(s.scalars(select(Review.id).order_by(Review.id)))
        s.execute(text("UPDATE recommendation SET response = 'noted' WHERE id % 7 = 0"))
        assert_kept(s, "raw SQL response")
        s.execute(
            text("UPDATE recommendation SET review_id = :r WHERE id % 5 = 0"), {"r": reviews[0]}
        )
        assert_kept(s, "raw SQL move to another review")
        s.execute(text("UPDATE recommendation SET current_status = NULL WHERE id % 4 = 0"))
        assert_kept(s, "raw SQL status cleared")
        s.execute(text("DELETE FROM recommendation WHERE id % 11 = 0"))  # assessments cascade
        assert_kept(s, "raw SQL delete")
        refresh_current_status(s)
        assert_kept(s, "full refresh")
        # A review deleted (its recommendations first: the key restricts)
        gone = reviews[-1]
        s.execute(delete(Recommendation).where(Recommendation.review_id == gone))
        s.execute(delete(Review).where(Review.id == gone))
        assert_kept(s, "review deleted")
        assert gone not in {r for r, *_ in kept_reviews.kept(s)}
        assert gone not in {row[0] for row in queries._grouped(s, None)}
    path = tmp_path / "b.zip"
    backup.write_backup(engine, path)
    with db.session_scope(engine) as s:
        before = kept_reviews.kept(s)
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        remove_sample(s)
        assert_kept(s, "sample removed")
        assert kept_reviews.kept(s) != before
    with auth.acting_as("ed", "admin"):
        backup.restore(engine, path)
    with db.session_scope(engine) as s:
        assert_kept(s, "restored")
        assert kept_reviews.kept(s) == before


def _upr_file(tmp_path: Path, n: int, name: str, response: str) -> Path:
    """A UPR Info file of ``n`` recommendations to three reviews, all with ``response``;
    texts of random words (alike texts would make the repeat suggestions the test's cost)."""
    rng = random.Random(name)
    words = [f"w{i:04d}" for i in range(3000)]
    rows = [
        upr_row(
            text_=" ".join(rng.sample(words, 12)) + f" {i}.",
            response=response,
            session=str(7 + i % 3 * 13),
        )
        for i in range(n)
    ]
    path = tmp_path / name
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, rows))
    return path


def test_imports_keep_the_counts(any_db_url: str, tmp_path: Path, monkeypatch) -> None:
    """The first large import into an empty database (triggers suspended, one count at the
    end), then more into the filled database (triggers on)."""
    monkeypatch.setenv("UPR_TRACKER_BACKUP_DIR", str(tmp_path / "backups"))
    engine = db.get_engine(any_db_url)
    first = _upr_file(tmp_path, bulk_sql.DEFER_INDEXES_MIN_ROWS + 10, "a.csv", "Supported")
    with auth.acting_as("ed", "admin"):
        assert run_import(engine, [first]).ok
    with db.session_scope(engine) as s:
        assert_kept(s, "first import")
        assert sum(n for *_k, n in kept_reviews.kept(s)) == bulk_sql.DEFER_INDEXES_MIN_ROWS + 10
        if engine.dialect.name == "sqlite":  # the triggers are back after the bulk path
            names = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type='trigger'")))
            assert set(kept_reviews.TRIGGERS) <= names
    second = _upr_file(tmp_path, 300, "b.csv", "Noted")
    with auth.acting_as("ed", "admin"):
        assert run_import(engine, [second]).ok
    with db.session_scope(engine) as s:
        assert_kept(s, "second import")
        assert sum(n for *_k, n in kept_reviews.kept(s)) == bulk_sql.DEFER_INDEXES_MIN_ROWS + 310
        assert sum(n for _r, resp, _s, n in kept_reviews.kept(s) if resp == "noted") == 300


def _filters(s: Session) -> list[Filters | None]:
    iso3 = list(s.scalars(select(State.iso3).join(Review).distinct().order_by(State.iso3)))
    cycles = sorted(set(s.scalars(select(Review.cycle))))
    return [
        None,
        Filters(),
        Filters(states=tuple(iso3[:1])),
        Filters(cycles=tuple(cycles[-1:])),
        Filters(responses=("noted",)),
        Filters(statuses=("not_assessed", "partially_implemented")),
        Filters(
            states=tuple(iso3[:2]),
            cycles=tuple(cycles),
            responses=("supported",),
            statuses=("fully_implemented",),
        ),
        Filters(states=("ZZZ",)),
    ]


def test_pages_read_the_kept_counts_and_get_what_counting_gives(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(4)
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id)))
        for i in range(30):
            add_assessment(
                s,
                rng.choice(ids),
                status=rng.choice(STATUSES),
                assessed_on=dt.date(2022, 5, 1) + dt.timedelta(days=i),
                source_org="NGO",
            )
        s.execute(
            update(Recommendation).where(Recommendation.id.in_(ids[:5])).values(response=None)
        )
    with db.session_scope(engine) as s:
        filters = _filters(s)
        kept = [
            (
                queries.overview(s, f),
                queries.stats(s, f),
                progress.current_breakdowns(s, f),
                flags.flag_counts(s, f),
            )
            for f in filters
        ]
        assert kept[0][1]["recommendations"] == len(ids)
        assert all(kept_reviews.applies(f) for f in filters)
        monkeypatch.setattr(kept_reviews, "applies", lambda _f: False)  # count them instead
        for f, (overview, stats, breakdowns, flagged) in zip(filters, kept, strict=True):
            counted = queries.overview(s, f)
            assert overview.figures == counted.figures, f
            pd_testing.assert_frame_equal(overview.status_counts, counted.status_counts)
            pd_testing.assert_frame_equal(overview.response_status, counted.response_status)
            assert stats == queries.stats(s, f), f
            again = progress.current_breakdowns(s, f)
            for name in ("by_cycle", "by_response"):
                pd_testing.assert_frame_equal(
                    getattr(breakdowns, name), getattr(again, name), check_dtype=False
                )
            assert flagged == flags.flag_counts(s, f), f


def test_past_days_and_other_filters_count_the_recommendations() -> None:
    """The status on a past day is the assessments', not current_status; themes, recommending
    states and the text choose recommendations, not reviews."""
    for f in (
        Filters(as_of=dt.date(2020, 1, 1)),
        Filters(themes=("Women's rights",)),
        Filters(recommending=("FRA",)),
        Filters(regional_groups=("EEG",)),
        Filters(q="torture"),
        Filters(responses=("",)),
    ):
        assert not kept_reviews.applies(f), f


def test_the_whole_corpus_figures_equal_a_filter_matching_everything(engine: Engine) -> None:
    """stats of the whole corpus (link pairs, recommending states, public assessments each
    counted from an index) equal those of every cycle chosen (counted row by row), with
    private assessments and drafts left out of both."""
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        for i, rid in enumerate(ids[:6]):
            add_assessment(
                s,
                rid,
                status="not_implemented",
                assessed_on="2023-02-01",
                source_org="NGO",
                private=i % 2 == 0,
            )
        evidence.set_review_required(s, True)
    with auth.acting_as("writer", "editor"), db.session_scope(engine) as s:
        assert add_assessment(
            s, ids[7], status="fully_implemented", assessed_on="2023-02-02", source_org="NGO B"
        ).is_draft
    with db.session_scope(engine) as s:
        every_cycle = Filters(cycles=tuple(sorted(set(s.scalars(select(Review.cycle))))))
        whole = queries.stats(s, None)
        assert whole == queries.stats(s, every_cycle)
        assert whole["assessments"] > 0
        assert whole["recommending_states"] > 0


def test_a_status_filter_lists_what_the_statuses_say(engine: Engine) -> None:
    """The status filter (spelt on the column itself for PostgreSQL's index) and the Overview's
    short list (ids chosen without the current assessment's join) list exactly the
    recommendations whose current status is asked for, "not_assessed" for none."""
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        for i, rid in enumerate(ids[:12]):
            add_assessment(
                s, rid, status=STATUSES[i % 4], assessed_on="2023-04-01", source_org="NGO"
            )
    with db.session_scope(engine) as s:
        status = dict(s.execute(select(Recommendation.id, Recommendation.current_status)).all())
        cycles = tuple(sorted(set(s.scalars(select(Review.cycle)))))
        for wanted in (("partially_implemented",), ("not_assessed", "no_information")):
            expected = sorted(r for r, st in status.items() if (st or "not_assessed") in wanted)
            assert expected
            for f in (Filters(statuses=wanted), Filters(statuses=wanted, cycles=cycles)):
                frame = queries.recommendations_frame(s, f, limit=len(ids))
                assert sorted(frame["id"]) == expected, f
                assert queries.count(s, f) == len(expected), f


def test_the_whole_corpus_flag_counts_equal_a_filter_matching_everything(engine: Engine) -> None:
    """The Flagged page's and Overview's counts of the whole corpus (the kept counts less the
    ranges of the covering index: the recently assessed, the never assessed) equal those of
    every cycle chosen (one pass over every recommendation), whatever the stale window, the
    day and whether the never assessed count as stale; a supported recommendation with a
    status but no date (written by hand) counts as the pass counts it."""
    rng = random.Random(11)
    with auth.acting_as("ed", "admin"), db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        for i in range(60):
            add_assessment(
                s,
                rng.choice(ids),
                status=rng.choice(STATUSES),
                assessed_on=dt.date(2019, 1, 1) + dt.timedelta(days=37 * i),
                source_org=rng.choice(["NGO", "NHRI"]),
            )
        s.execute(
            update(Recommendation)
            .where(Recommendation.id == ids[-1])
            .values(
                response="supported", current_status="not_implemented", current_assessed_on=None
            )
        )
    with db.session_scope(engine) as s:
        every_cycle = Filters(cycles=tuple(sorted(set(s.scalars(select(Review.cycle))))))
        seen = set()
        for today in (dt.date(2021, 6, 1), dt.date(2024, 1, 15), dt.date(2030, 1, 1)):
            for months in (6, 12, 60):
                for unassessed in (False, True):
                    o = flags.FlagOptions(
                        today=today, stale_months=months, include_unassessed=unassessed
                    )
                    whole = flags.flag_counts(s, None, o)
                    assert whole == flags.flag_counts(s, every_cycle, o), (today, months)
                    seen.add((whole["stale"], whole["never_assessed"], whole["partial"]))
        assert len(seen) > 3  # the options moved the counts: none of them is trivially 0
        assert all(never > 0 and partial > 0 for _stale, never, partial in seen)
