"""The migrations build exactly the schema the models describe, and SQLite is set up safely."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tracker import schema
from tracker.models import Base


def test_migrated_schema_matches_the_models(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(ctx, Base.metadata) if not _is_search_object(d)]
    assert diff == []


def _is_search_object(d) -> bool:  # type: ignore[no-untyped-def]
    """Full-text search tables/triggers are created by migrations only (not ORM models)."""
    name = ""
    if isinstance(d, tuple) and len(d) > 1 and hasattr(d[1], "name"):
        name = str(d[1].name)
    return "fts" in name or "search" in name


def test_upgrade_is_idempotent_and_at_head(engine) -> None:  # type: ignore[no-untyped-def]
    schema.upgrade(engine)
    assert schema.is_up_to_date(engine)


def test_sqlite_runs_with_foreign_keys_wal_and_busy_timeout(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
