"""Issue 19.1: the first large import into an empty database writes its rows, then builds
the indexes (and on PostgreSQL the foreign keys) of the recommendations and their links
(tracker.importers.bulk_sql.deferred_indexes), in the import's transaction: the database
ends with exactly the schema it had, and an import that fails leaves it as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    fts_count,
    new_engine,
    run_import,
    stats,
    upr_row,
)
from tracker import db, queries
from tracker.importers import bulk_sql, plan_write

ROWS = 60


@pytest.fixture(autouse=True)
def small_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk import from 20 new recommendations (5,000 in use), to keep the files small."""
    monkeypatch.setattr(plan_write, "DEFER_INDEXES_MIN_ROWS", 20)


def _file(tmp_path: Path, name: str = "u.csv", n: int = ROWS, start: int = 0) -> Path:
    rows = [
        upr_row(
            text_=f"Guarantee the freedom of assembly, recommendation {i}.",
            rs=("France", "Chile; Peru")[i % 2],
            issue=("Torture", "Justice, Women's rights")[i % 2],
            session=("7", "20")[i % 2],
            sur=("Kazakhstan", "Norway")[i % 2],
        )
        for i in range(start, start + n)
    ]
    path = tmp_path / name
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, rows))
    return path


def _schema(engine: Engine) -> list[tuple[str, ...]]:
    """Every index, trigger and constraint definition of the database."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.execute(
                text("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
            )
        else:
            found = conn.execute(
                text(
                    "SELECT 'index', indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() UNION ALL "
                    "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE connamespace = current_schema()::regnamespace"
                )
            )
        return sorted(tuple(r) for r in found)


def _check_bulk_import(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _schema(engine)
    dropped: list[str] = []
    real = bulk_sql.deferred_indexes

    def spy(session, tables):  # the first import takes the bulk path
        dropped.append(",".join(t.name for t in tables))
        return real(session, tables)

    monkeypatch.setattr(plan_write, "deferred_indexes", spy)
    report = run_import(engine, [_file(tmp_path)])
    assert (report.added, dropped) == (ROWS, [dropped[0]])
    assert dropped[0].startswith("recommendation,recommendation_state")
    assert _schema(engine) == before
    with db.session_scope(engine) as s:
        assert queries.stats(s)["recommendation_state_pairs"] == ROWS // 2 * 3
        frame = queries.recommendations_frame(s)
        assert set(frame["themes"]) == {"Torture", "Justice; Women's rights"}
    # A second import adds to a filled database: indexes kept up to date as it writes.
    report = run_import(engine, [_file(tmp_path, "more.csv", start=ROWS)])
    assert (report.added, len(dropped)) == (ROWS, 1)
    assert _schema(engine) == before
    assert stats(engine)["recommendations"] == 2 * ROWS


def _check_failed_import(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _schema(engine)

    def broken(self) -> None:
        raise RuntimeError("the disk is full")

    # fails after the rows are written with their indexes and keys dropped
    monkeypatch.setattr(plan_write.PlanWriter, "_write_links", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        run_import(engine, [_file(tmp_path)])
    assert _schema(engine) == before
    assert stats(engine)["recommendations"] == 0


def test_a_bulk_import_into_an_empty_sqlite_database_keeps_its_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = new_engine(tmp_path)
    _check_bulk_import(engine, tmp_path, monkeypatch)
    assert fts_count(engine, "assembly") == 2 * ROWS


def test_a_failed_bulk_import_into_sqlite_leaves_the_schema_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_failed_import(new_engine(tmp_path), tmp_path, monkeypatch)


@pytest.mark.usefixtures("fast_hashing")
def test_a_bulk_import_into_an_empty_postgresql_database_keeps_its_schema(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.get_engine(pg_url)
    _check_bulk_import(engine, tmp_path, monkeypatch)
    with db.session_scope(engine) as s:
        assert queries.stats(s)["recommendations"] == 2 * ROWS


@pytest.mark.usefixtures("fast_hashing")
def test_a_failed_bulk_import_into_postgresql_leaves_the_schema_as_it_was(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_failed_import(db.get_engine(pg_url), tmp_path, monkeypatch)


def test_an_import_writes_with_a_larger_sqlite_cache_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import's connection writes with a larger page cache (its tables and indexes stay
    in memory while built; a small file's: the least of it), and has SQLite's default again
    once the import is committed or rolled back: a server's pooled connections do not keep
    it."""
    engine = new_engine(tmp_path)
    with engine.connect() as conn:
        default = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    seen: list[int] = []
    real = plan_write.PlanWriter._write_links

    def spy(self) -> None:
        seen.append(self.session.connection().exec_driver_sql("PRAGMA cache_size").scalar())
        real(self)

    monkeypatch.setattr(plan_write.PlanWriter, "_write_links", spy)
    run_import(engine, [_file(tmp_path)])
    assert seen == [-db.SQLITE_WRITER_CACHE_MIN_KIB]
    assert default != seen[0]

    def broken(self) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(plan_write.PlanWriter, "_write_links", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        run_import(engine, [_file(tmp_path, "more.csv", start=ROWS)])
    # The pool holds one connection here (SQLite file, one thread): every checkout gets it.
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == default


def test_the_import_cache_grows_with_the_files_within_its_bounds() -> None:
    """Half the files' size, at least 8 MiB and at most 32 MiB: the 61k export (14.7 MB)
    gets the least, the 156k corpus' 62 MB round file about 30 MiB, a 400 MB file the most."""
    mib = 1024 * 1024
    assert db.writer_cache_kib(1) == db.SQLITE_WRITER_CACHE_MIN_KIB == 8 * 1024
    assert db.writer_cache_kib(14_673_784) == 8 * 1024
    assert db.writer_cache_kib(62 * mib) == 31 * 1024
    assert db.writer_cache_kib(400 * mib) == db.SQLITE_WRITER_CACHE_KIB == 32 * 1024
