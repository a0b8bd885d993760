"""PostgreSQL does everything SQLite does, with the same figures; search and import treat SQL
metacharacters as text on both; backups move data between the two."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from tracker import auth, backup, db, queries, schema
from tracker.assessments import add_assessment, refresh_current_status, retract_assessment
from tracker.cli import main
from tracker.filters import Filters
from tracker.importers import ImportSource, import_files, read_file
from tracker.models import Assessment, Base, Recommendation
from tracker.settings import DATABASE_URL_ENV

pytestmark = pytest.mark.usefixtures("fast_hashing")

# Texts a search or an import must take literally: LIKE wildcards, quotes, SQL.
TRICKY_CSV = (
    "state_under_review,session,recommendation,recommending_states,response,themes\n"
    'Kazakhstan,34,"Ensure 100% birth registration by 2030",Mexico,supported,Birth\n'
    "Kazakhstan,34,Keep the snake_case register of shelters,Chile,noted,Shelters\n"
    "Kazakhstan,34,\"Repeal O'Brien's law; DROP TABLE recommendation; --\","
    '"Côte d\'Ivoire",supported,"Law; Order"\n'
    "Kazakhstan,34,Plain words about water,Egypt,supported,Water\n"
)


def write_tricky(tmp_path: Path) -> Path:
    path = tmp_path / "tricky.csv"
    path.write_text(TRICKY_CSV, encoding="utf-8")
    return path


def test_migrations_build_the_models_schema_on_postgresql(pg_url) -> None:
    engine = db.get_engine(pg_url)
    assert engine.dialect.name == "postgresql"
    schema.upgrade(engine)  # idempotent
    assert schema.is_up_to_date(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": schema.include_name}
        )
        assert compare_metadata(ctx, Base.metadata) == []


def _same_work(url: str, tricky: Path, capsys, monkeypatch) -> dict[str, object]:
    """init with the sample, an import, assessments, a retraction and an account; then the
    figures of ``stats --json`` for the whole database and a few selections."""
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    assert main(["init"]) == 0
    assert main(["import", str(tricky)]) == 0
    engine = db.get_engine(url)
    with db.session_scope(engine) as s:
        rid = s.scalar(
            select(Recommendation.id).where(Recommendation.text.like("%snake\\_case%", escape="\\"))
        )
        first = add_assessment(
            s, rid, status="fully_implemented", assessed_on="2025-04-01", source_org="A"
        )
        add_assessment(s, rid, status="not_implemented", assessed_on="2025-03-01", source_org="B")
        retract_assessment(s, first.id, reason="wrong recommendation")
        auth.create_user(s, "coordinator", "a long password", "admin")
    assert main(["assess", "--id", "1", "--status", "not_implemented", "--date", "2025-05-05",
                 "--source", "CLI NGO"]) == 0  # fmt: skip
    capsys.readouterr()
    figures: dict[str, object] = {}
    for name, args in {
        "all": [],
        "state": ["--state", "Kazakhstan"],
        "cycle": ["--cycle", "2", "--response", "noted"],
        "status": ["--status", "not_implemented", "--rs", "GRULAC"],
        "search": ["--q", "birth registration"],
        "percent": ["--q", "%"],
    }.items():
        assert main(["stats", "--json", *args]) == 0
        figures[name] = json.loads(capsys.readouterr().out)
    db.dispose_engines()
    return figures


@pytest.mark.postgres
def test_the_same_work_gives_the_same_stats_on_sqlite_and_postgresql(
    db_url, pg_url, tmp_path, capsys, monkeypatch
) -> None:
    tricky = write_tricky(tmp_path)
    on_sqlite = _same_work(db_url, tricky, capsys, monkeypatch)
    on_postgresql = _same_work(pg_url, tricky, capsys, monkeypatch)
    assert on_sqlite == on_postgresql
    assert on_sqlite["all"]["recommendations"] == 34
    assert on_sqlite["percent"]["recommendations"] == 1


@pytest.mark.postgres
def test_a_backup_moves_data_from_sqlite_to_postgresql_and_back(
    sample_url, pg_url, tmp_path
) -> None:
    lite = db.get_engine(sample_url)
    with db.session_scope(lite) as s:
        auth.create_user(s, "coordinator", "a long password", "admin")
        rid = s.scalar(select(func.min(Recommendation.id)))
        a = add_assessment(
            s, rid, status="fully_implemented", assessed_on="2025-05-05", source_org="Ünïcode «NGO»"
        )
        retract_assessment(s, a.id, reason="premature")
        figures = queries.stats(s)
        rows = _assessments(s)
    first = backup.write_backup(lite, tmp_path / "from_sqlite.zip")

    pg = db.get_engine(pg_url)
    backup.restore(pg, first.path)
    with db.session_scope(pg) as s:
        assert queries.stats(s) == figures
        assert _assessments(s) == rows
        assert auth.authenticate(s, "coordinator", "a long password").ok
        # the id sequences were moved past the restored ids
        new = add_assessment(
            s, rid, status="no_information", assessed_on="2025-06-01", source_org="On PG"
        )
        assert new.id > max(r[0] for r in rows)
        figures_pg = queries.stats(s)
    second = backup.write_backup(pg, tmp_path / "from_postgresql.zip")
    assert second.source_dialect == "postgresql"

    back = db.get_engine(f"sqlite:///{tmp_path / 'back.db'}")
    schema.upgrade(back)
    backup.restore(back, second.path)
    with db.session_scope(back) as s:
        assert queries.stats(s) == figures_pg
        assert queries.stats(s, Filters(q="Ünïcode")) == queries.stats(s, Filters(q="ünïcode"))


def _assessments(s) -> list[tuple]:
    return [
        tuple(r)
        for r in s.execute(
            select(
                Assessment.id,
                Assessment.status,
                Assessment.assessed_on,
                Assessment.source_org,
                Assessment.retracts_id,
                Assessment.created_at,
            ).order_by(Assessment.id)
        )
    ]


# (query, the texts it must find): LIKE wildcards, quotes, backslashes and SQL as text.
SEARCHES: list[tuple[str, list[str]]] = [
    ("%", ["Ensure 100% birth registration by 2030"]),
    ("100%", ["Ensure 100% birth registration by 2030"]),
    ("_", ["Keep the snake_case register of shelters"]),
    ("snake_case", ["Keep the snake_case register of shelters"]),
    ("O'Brien's", ["Repeal O'Brien's law; DROP TABLE recommendation; --"]),
    ('"DROP TABLE"', ["Repeal O'Brien's law; DROP TABLE recommendation; --"]),
    ("'; DROP TABLE recommendation; --", []),
    ("\\", []),
    ("water", ["Plain words about water"]),
]


def test_search_takes_sql_metacharacters_literally(any_db_url, tmp_path) -> None:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        report = import_files(s, [write_tricky(tmp_path)])
        assert report.written
    with db.session_scope(engine) as s:
        found = {
            q: queries.recommendations_frame(s, Filters(q=q))["text"].tolist() for q, _ in SEARCHES
        }
        assert found == dict(SEARCHES)
        assert queries.count(s) == 4  # nothing was dropped


def test_imported_metacharacters_are_stored_exactly(any_db_url, tmp_path) -> None:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        import_files(s, [write_tricky(tmp_path)])
    with db.session_scope(engine) as s:
        frame = queries.recommendations_frame(s)
    texts = set(frame["text"])
    assert "Repeal O'Brien's law; DROP TABLE recommendation; --" in texts
    assert "Ensure 100% birth registration by 2030" in texts
    assert "Côte d'Ivoire" in ";".join(frame["recommending_states"])


def test_accounts_and_lockout_work_on_every_database(any_db_url) -> None:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        auth.create_user(s, "coordinator", "a long password", "admin")
    for _ in range(auth.MAX_FAILED_LOGINS):
        with db.session_scope(engine) as s:
            assert not auth.authenticate(s, "coordinator", "guess").ok
    with db.session_scope(engine) as s:
        result = auth.authenticate(s, "coordinator", "a long password")
        assert not result.ok
        assert "locked until" in result.message
        token_user = auth.list_users(s)[0]
        assert token_user.is_locked()


@pytest.mark.postgres
def test_every_page_opens_on_postgresql(pg_url) -> None:
    from streamlit.testing.v1 import AppTest

    from tracker.sample import load_sample

    with db.session_scope(db.get_engine(pg_url)) as s:
        load_sample(s)
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60).run()
    assert not at.exception
    for page in sorted((root / "pages").glob("*.py")):
        at.query_params["id"] = "1"  # the recommendation page needs one
        at.switch_page(f"pages/{page.name}").run()
        assert not at.exception, (page.name, [e.value for e in at.exception])


def test_a_large_import_through_copy_stores_every_value_exactly(
    pg_url, tmp_path, monkeypatch
) -> None:
    """Issue 19: from writer.COPY_MIN_ROWS rows PostgreSQL is written with COPY; texts with
    tabs, backslashes, line breaks, quotes and COPY's own markers (``\\N``, ``\\.``) are
    stored as written, and every link row arrives."""
    from tests.importer_support import UPR_INFO_HEADER, csv_bytes, upr_row
    from tracker.importers import bulk_sql, writer

    odd = ["a\ttab", "back\\slash", "line\nbreak", 'quote "x"', "\\N", "\\.", "Ünïcødé ∑"]
    texts = [f"Recommendation {i}: {odd[i % len(odd)]} end." for i in range(writer.COPY_MIN_ROWS)]
    rows = [upr_row(text_=t, session=str(7 + i % 3 * 13)) for i, t in enumerate(texts)]
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, rows))
    engine = db.get_engine(pg_url)
    copied: list[str] = []
    real_copy = bulk_sql.copy_rows

    def spy(conn, table, columns, rows):  # which tables went through COPY
        done = real_copy(conn, table, columns, rows)
        copied.extend([table.name] if done else [])
        return done

    monkeypatch.setattr(bulk_sql, "copy_rows", spy)
    with db.session_scope(engine) as s:
        report = import_files(s, [path])
    assert report.added == writer.COPY_MIN_ROWS
    assert {"recommendation", "recommendation_state"} <= set(copied)
    # As the importer reads them (a tab or a line break inside a text is a space).
    read = [p.rec.text for p in read_file(ImportSource.from_path(path)).parsed]
    assert "Recommendation 1: back\\slash end." in read
    with db.session_scope(engine) as s:
        frame = queries.recommendations_frame(s)
        assert sorted(frame["text"]) == sorted(read)
        assert set(frame["recommending_states"]) == {"France"}
        assert queries.stats(s)["recommendation_state_pairs"] == writer.COPY_MIN_ROWS


def _row_versions(session) -> tuple[object, ...]:
    """What tells whether rows were rewritten: PostgreSQL's xmin of every recommendation and
    assessment row (a new row version has a new one); on SQLite, the rows a temporary trigger
    saw updated in those two tables (``total_changes()`` would also count the kept
    ``status_day`` totals, which a refresh recounts whole)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS rewritten (tbl TEXT)")
        for table in ("recommendation", "assessment"):
            conn.exec_driver_sql(
                f"CREATE TEMP TRIGGER IF NOT EXISTS rewritten_{table} AFTER UPDATE ON {table} "
                f"BEGIN INSERT INTO rewritten VALUES ('{table}'); END"
            )
        return (conn.exec_driver_sql("SELECT count(*) FROM rewritten").scalar(),)
    return tuple(
        conn.exec_driver_sql(f"SELECT id, xmin::text FROM {table} ORDER BY id").all()
        for table in ("recommendation", "assessment")
    )


def test_a_refresh_leaves_rows_whose_status_did_not_change_alone(any_db_url, tmp_path) -> None:
    # A refresh after an import recomputes every recommendation; rewriting the unchanged
    # ones left a dead version of each row behind on PostgreSQL (a million at full scale).
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        import_files(s, [write_tricky(tmp_path)])
    with db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        # A regression, a retraction, a second source: every derived column has a value.
        add_assessment(s, ids[0], status="fully_implemented", assessed_on="2024-01-01",
                       source_org="A")  # fmt: skip
        add_assessment(s, ids[0], status="not_implemented", assessed_on="2025-01-01",
                       source_org="B")  # fmt: skip
        wrong = add_assessment(s, ids[1], status="partially_implemented",
                               assessed_on="2025-02-01", source_org="A")  # fmt: skip
        retract_assessment(s, wrong.id, reason="another recommendation")
    with db.session_scope(engine) as s:
        before = _row_versions(s)
        figures = s.execute(
            select(Recommendation.id, Recommendation.current_status,
                   Recommendation.regressed_from_id).order_by(Recommendation.id)
        ).all()  # fmt: skip
        refresh_current_status(s, None)
        refresh_current_status(s, ids[:2])
        assert _row_versions(s) == before
    with db.session_scope(engine) as s:
        assert s.execute(
            select(Recommendation.id, Recommendation.current_status,
                   Recommendation.regressed_from_id).order_by(Recommendation.id)
        ).all() == figures  # fmt: skip
        assert figures[0][2] is not None  # the regression is still marked
