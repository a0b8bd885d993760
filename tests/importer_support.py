"""Helpers shared by the importer tests: a fresh migrated database, running an import,
writing small files of our own rows in the exact byte formats people bring."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from tracker import audit, db, queries, schema
from tracker.importers import ImportReport, ImportSource, import_files
from tracker.importers.inputs import RecommendationInput
from tracker.importers.writer import BulkWriter
from tracker.models import (
    Assessment,
    AuditEvent,
    ImportRun,
    Recommendation,
    Review,
    State,
    Theme,
    recommendation_states,
    recommendation_themes,
)

UPR_INFO_HEADER = [
    "SuR",
    "Rgrp",
    "Org",
    "Recommendation",
    "RS",
    "Rgrp",
    "Org",
    "Response",
    "Action",
    "Issue",
    "Session",
]
TERMAN_HEADER = [
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
]
UHRI_HEADER = [
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Document Symbol",
    "Themes",
    "Affected Persons",
    "Sdgs",
    "Document Publication Date",
    "UPR Reccomending States",
    "UPR Position",
    "Type",
    "OHCHR Annotation Id",
    "UPR Session",
    "Regions Concerned",
    "Recommending Regions",
    "Date of publication on UHRI",
]

_TEMPLATE_DB: dict[str, Path] = {}


@pytest.fixture(autouse=True)
def backups_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every import first backs the database up (tracker.backup.auto_backup): into the test's
    own folder, not the project's backups/. Import this fixture into each test module."""
    monkeypatch.setenv("UPR_TRACKER_BACKUP_DIR", str(tmp_path / "backups"))


def new_engine(tmp_path: Path, name: str = "t.db") -> Engine:
    """A new, migrated SQLite database under ``tmp_path`` (copied from a migrated template
    so that each test pays for the migrations once per session)."""
    template = _TEMPLATE_DB.get("path")
    if template is None or not template.exists():
        base = tmp_path.parent / f"_migrated_template_{id(_TEMPLATE_DB)}.db"
        engine = db.create_engine_for(f"sqlite:///{base}")
        schema.upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATE_DB["path"] = template = base
    target = tmp_path / name
    shutil.copyfile(template, target)
    return db.create_engine_for(f"sqlite:///{target}")


def run_import(
    engine: Engine,
    sources: Sequence[str | Path | ImportSource],
    fmt: str = "auto",
    **kwargs: Any,
) -> ImportReport:
    """Import in one transaction, committed (as the CLI does)."""
    with db.session_scope(engine) as session:
        return import_files(session, list(sources), fmt, **kwargs)


def stats(engine: Engine) -> dict[str, Any]:
    with db.session_scope(engine) as session:
        return queries.stats(session)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything an import may change, to compare before and after."""
    with db.session_scope(engine) as s:
        counts = {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (Recommendation, Review, State, Theme, Assessment, ImportRun, AuditEvent)
        }
        counts["recommendation_state"] = s.scalar(
            select(func.count()).select_from(recommendation_states)
        )
        counts["recommendation_theme"] = s.scalar(
            select(func.count()).select_from(recommendation_themes)
        )
        counts["data_version"] = audit.data_version(s)
        counts["stats"] = queries.stats(s)
        return counts


def recommendations(engine: Engine) -> list[dict[str, Any]]:
    """Every recommendation with its state, session and recommending states, sorted."""
    with db.session_scope(engine) as s:
        df = queries.recommendations_frame(s)
    rows = df[
        [
            "state_iso3",
            "session",
            "paragraph",
            "text",
            "response",
            "action_category",
            "recommending_iso3",
            "themes",
        ]
    ].to_dict("records")
    for r in rows:
        r["action_category"] = None if r["action_category"] is None else r["action_category"]
    return sorted(rows, key=lambda r: (r["state_iso3"], r["session"], r["text"]))


def fts_count(engine: Engine, word: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM recommendation_fts WHERE recommendation_fts MATCH :w"),
            {"w": word},
        ).scalar_one()


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    line_end: str = "\r\n",
) -> bytes:
    """A CSV file's bytes, as a spreadsheet program would write it."""
    out = []
    for row in [header, *rows]:
        buf = io.StringIO()
        # "\r\n" makes both CR and LF special, so that a value with a line break is quoted
        # whatever the file's own line ends are.
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerow(row)
        out.append(buf.getvalue()[:-2] + line_end)
    return "".join(out).encode(encoding)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def upr_row(
    sur: str = "Kazakhstan",
    text_: str = "Ratify the Optional Protocol to the Convention against Torture.",
    rs: str = "France",
    response: str = "Supported",
    action: str = "5",
    issue: str = "Torture and other CID treatment",
    session: str = "20",
) -> list[str]:
    """One UPR Info export row (our own example values)."""
    return [sur, "Asia", "CIS", text_, rs, "WEOG", "EU", response, action, issue, session]


def add_recommendations(session: Session, rows: Sequence[RecommendationInput]) -> list[int]:
    """Write ``rows`` as one test import through the importers' writer (the one identity
    rule); return the id of each row's recommendation, in order."""
    run = ImportRun(filename="test", format="test")
    session.add(run)
    session.flush()
    writer = BulkWriter(session)
    writer.plan([[(row, []) for row in rows]])
    writer.apply([run.id], actor="test")
    return writer.recommendation_ids()


def add_recommendation(session: Session, row: RecommendationInput) -> int:
    """Write one row (see :func:`add_recommendations`); return its recommendation's id."""
    return add_recommendations(session, [row])[0]
