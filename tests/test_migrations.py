"""The migrations build exactly the schema the models describe, and SQLite is set up safely."""

from __future__ import annotations

import ast
import datetime as dt
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy import inspect as sa_inspect

from tests.conftest import _pg_admin
from tracker import db, schema
from tracker.assessments import refresh_current_status
from tracker.models import Assessment, Base, Recommendation, StatusDay


def test_migrated_schema_matches_the_models(engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(ctx, Base.metadata) if not _is_search_object(d)]
    assert diff == []


def _is_search_object(d) -> bool:
    """Full-text search tables/triggers are created by migrations only (not ORM models)."""
    name = ""
    if isinstance(d, tuple) and len(d) > 1 and hasattr(d[1], "name"):
        name = str(d[1].name)
    return "fts" in name or "search" in name


def test_upgrade_is_idempotent_and_at_head(engine) -> None:
    schema.upgrade(engine)
    assert schema.is_up_to_date(engine)


def test_sqlite_runs_with_foreign_keys_wal_and_busy_timeout(engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000


# --- upgrading an old database with data ----------------------------------------------------
SOURCES = ("Amnesty", "amnesty ", "HRW", "Local NGO")  # two spellings of one source
STATUSES = ("fully_implemented", "partially_implemented", "not_implemented", "no_information")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema at all) on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        db.dispose_engines()
        return
    base = str(request.getfixturevalue("postgres_server"))
    name = f"t_{uuid.uuid4().hex[:12]}"
    _pg_admin(base, f"CREATE DATABASE {name}")
    yield f"{base}/{name}"
    db.dispose_engines()
    _pg_admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _fill_at_0001(conn: Connection) -> int:
    """Reviews, recommendations and varied assessment histories (same-day entries, two
    spellings of a source, regressions, retractions) written with the columns of revision
    0001; returns the number of retractions."""
    rnd = random.Random(17)
    now = dt.datetime(2025, 1, 1, 12, 0)
    conn.execute(
        text("INSERT INTO state (id, iso3, name, un_name) VALUES (1, 'KAZ', 'Kazakhstan', 'KZ')")
    )
    conn.execute(
        text(
            "INSERT INTO review (id, state_id, cycle, session) VALUES (1, 1, 3, 34), (2, 1, 4, 48)"
        )
    )
    assessment_id = 0
    retractions = 0
    for rec_id in range(1, 81):
        conn.execute(
            text(
                "INSERT INTO recommendation (id, review_id, text, identity, created_at, updated_at)"
                " VALUES (:id, :review, :text, :identity, :now, :now)"
            ),
            {
                "id": rec_id,
                "review": 1 + rec_id % 2,
                "text": f"Recommendation {rec_id}",
                "identity": f"{rec_id:064d}",
                "now": now,
            },
        )
        ids: list[int] = []
        for _ in range(rnd.randrange(0, 7)):
            assessment_id += 1
            day = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randrange(0, 1500))
            conn.execute(
                text(
                    "INSERT INTO assessment (id, recommendation_id, status, assessed_on,"
                    " source_org, created_at) VALUES (:id, :rec, :status, :day, :source, :at)"
                ),
                {
                    "id": assessment_id,
                    "rec": rec_id,
                    "status": rnd.choice(STATUSES),
                    "day": day,
                    "source": rnd.choice(SOURCES),
                    "at": now + dt.timedelta(seconds=rnd.randrange(0, 3)),
                },  # ties on purpose
            )
            ids.append(assessment_id)
        if ids and rnd.random() < 0.3:  # retract one of them
            target = rnd.choice(ids)
            assessment_id += 1
            retractions += 1
            conn.execute(
                text(
                    "INSERT INTO assessment (id, recommendation_id, status, assessed_on,"
                    " source_org, retracts_id, created_at) SELECT :id, recommendation_id,"
                    " status, :day, source_org, id, :at FROM assessment WHERE id = :target"
                ),
                {"id": assessment_id, "day": dt.date(2024, 6, 1), "at": now, "target": target},
            )
    if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("recommendation", "assessment", "review", "state"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            )
    return retractions


def _derived(engine: Engine) -> tuple[list[tuple], list[tuple], list[tuple]]:
    with engine.connect() as conn:
        recs = conn.execute(
            select(
                Recommendation.id,
                Recommendation.current_assessment_id,
                Recommendation.current_status,
                Recommendation.current_assessed_on,
                Recommendation.regressed_from_id,
                Recommendation.contested,
            ).order_by(Recommendation.id)
        ).all()
        kept = conn.execute(
            select(Assessment.id, Assessment.previous_status, Assessment.latest_of_type).order_by(
                Assessment.id
            )
        ).all()
        days = conn.execute(
            select(StatusDay.day, StatusDay.status, StatusDay.change).order_by(
                StatusDay.day, StatusDay.status
            )
        ).all()
    return [tuple(r) for r in recs], [tuple(r) for r in kept], [tuple(r) for r in days]


def test_a_database_made_at_0001_upgrades_to_what_the_refresh_computes(empty_url: str) -> None:
    """Migration 0004 fills the derived fields of an old database with its own frozen copy of
    the refresh; the result is what today's refresh computes from the same histories."""
    engine = db.get_engine(empty_url)
    cfg = schema._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        retractions = _fill_at_0001(conn)
    assert retractions > 3
    schema.upgrade(engine)
    assert schema.is_up_to_date(engine)
    migrated = _derived(engine)
    recs, kept, days = migrated
    assert any(r[2] is not None for r in recs)  # current statuses
    assert any(r[4] is not None for r in recs)  # regressed
    assert any(r[5] for r in recs)  # contested
    assert any(p is not None for _i, p, _l in kept)  # previous statuses
    assert any(latest for _i, _p, latest in kept)  # each source type's latest (0009)
    assert not all(latest for _i, _p, latest in kept)
    assert {status for _d, status, _n in days} > {""}  # the status changes per day (0010)
    with db.session_scope(engine) as s:  # today's refresh, from scratch
        s.execute(
            update(Recommendation).values(
                current_assessment_id=None,
                current_status=None,
                current_assessed_on=None,
                regressed_from_id=None,
                contested=False,
            )
        )
        s.execute(update(Assessment).values(previous_status=None, latest_of_type=False))
        refresh_current_status(s)
    assert _derived(engine) == migrated


def test_no_migration_runs_the_applications_code() -> None:
    """A migration reads and writes through SQL and tables defined inside it: importing
    tracker code would make an old database's upgrade depend on today's models."""
    offenders = []
    for path in sorted((schema.MIGRATIONS_DIR / "versions").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "tracker"]
    assert offenders == []


def _down_from_a_filled_database(empty_url: str, revision: str) -> tuple[Engine, tuple]:
    """A database made at 0001 with histories, upgraded, then downgraded to ``revision``:
    the engine and what the upgrade had derived."""
    engine = db.get_engine(empty_url)
    cfg = schema._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        _fill_at_0001(conn)
    schema.upgrade(engine)
    migrated = _derived(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return engine, migrated


def _up_again(engine: Engine, migrated: tuple) -> None:
    schema.upgrade(engine)
    assert schema.is_up_to_date(engine)
    assert _derived(engine) == migrated


def test_migration_0009_downgrades_and_fills_the_latest_of_each_type_again(
    empty_url: str,
) -> None:
    """0009 goes down (the column and its index gone) and up again, filled as before."""
    engine, migrated = _down_from_a_filled_database(empty_url, "0008")
    columns = {c["name"] for c in sa_inspect(engine).get_columns("assessment")}
    indexes = {i["name"] for i in sa_inspect(engine).get_indexes("assessment")}
    assert "latest_of_type" not in columns
    assert "ix_assessment_latest_of_type" not in indexes
    _up_again(engine, migrated)


def test_migration_0010_downgrades_and_fills_the_status_days_again(empty_url: str) -> None:
    """0010 goes down (its table and index gone) and up again, filled as before."""
    engine, migrated = _down_from_a_filled_database(empty_url, "0009")
    assert migrated[2]
    assert "status_day" not in sa_inspect(engine).get_table_names()
    indexes = {i["name"] for i in sa_inspect(engine).get_indexes("recommendation")}
    assert "ix_recommendation_id_status" not in indexes
    _up_again(engine, migrated)


def test_migration_0012_downgrades_and_counts_the_reviews_again(empty_url: str) -> None:
    """0012 goes down (its table, triggers and index gone: writes no longer count) and up
    again: the counts per review, response and status equal a count of the recommendations,
    and its triggers keep them so from then on."""
    from tracker import kept_reviews
    from tracker.models import ReviewCount

    engine, migrated = _down_from_a_filled_database(empty_url, "0011")
    assert "review_count" not in sa_inspect(engine).get_table_names()
    indexes = {i["name"] for i in sa_inspect(engine).get_indexes("recommendation")}
    assert "ix_recommendation_status_review" not in indexes
    with engine.begin() as conn:  # no trigger left to fail on the missing table
        conn.execute(update(Recommendation).where(Recommendation.id == 1).values(response="noted"))
    _up_again(engine, migrated)
    with db.session_scope(engine) as s:
        counted = kept_reviews.counted(s)
        assert sum(n for *_k, n in counted) == 80
        assert kept_reviews.kept(s) == counted
        assert {r.status for r in s.scalars(select(ReviewCount))} > {""}
        s.execute(update(Recommendation).where(Recommendation.id <= 5).values(response=None))
        assert kept_reviews.kept(s) == kept_reviews.counted(s)


def test_migration_0013_downgrades_and_counts_the_assessments_again(empty_url: str) -> None:
    """0013 goes down (its table, triggers and index gone, the index by id and status back:
    writes no longer count) and up again: the number of assessments read for the headline
    (kept on PostgreSQL, counted on SQLite) equals a count, an assessment deleted or not."""
    from tracker import kept_assessments
    from tracker.models import Assessment

    engine, migrated = _down_from_a_filled_database(empty_url, "0012")
    assert "assessment_count" not in sa_inspect(engine).get_table_names()
    indexes = {i["name"] for i in sa_inspect(engine).get_indexes("recommendation")}
    assert "ix_recommendation_id_status_review" not in indexes
    assert "ix_recommendation_id_status" in indexes
    _up_again(engine, migrated)
    indexes = {i["name"] for i in sa_inspect(engine).get_indexes("recommendation")}
    assert "ix_recommendation_id_status" not in indexes
    with db.session_scope(engine) as s:
        assert kept_assessments.total(s) == kept_assessments.counted(s) > 0
        s.execute(
            delete(Assessment).where(Assessment.id == s.scalar(select(func.min(Assessment.id))))
        )
        assert kept_assessments.total(s) == kept_assessments.counted(s) > 0
