"""Shared fixtures: a temporary database per test, with or without the sample.

Browser tests (marker ``browser``) and PostgreSQL tests skip with a stated reason when
chromium / PostgreSQL are missing, except when ``CI=true`` or ``REQUIRE_ALL=1``: then a missing
tool fails the run instead of hiding it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tracker import db, schema
from tracker.sample import load_sample
from tracker.settings import DATABASE_URL_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data" / "upr"


def require_all() -> bool:
    """True when a missing tool must fail the run instead of skipping (CI)."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> None:
    if require_all():
        pytest.fail(f"{reason} (required because CI=true or REQUIRE_ALL=1)")
    pytest.skip(reason)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty, migrated SQLite database; also set as UPR_TRACKER_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    schema.upgrade(db.get_engine(url))
    yield url
    db.dispose_engines()


@pytest.fixture
def engine(db_url: str) -> Engine:
    return db.get_engine(db_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the empty database; the test commits what it wants to keep."""
    s = db.session_factory(engine)()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sample_url(db_url: str) -> str:
    """The database URL of a database holding the bundled sample."""
    with db.session_scope(db.get_engine(db_url)) as s:
        load_sample(s)
    return db_url


@pytest.fixture
def sample_session(sample_url: str) -> Iterator[Session]:
    s = db.session_factory(db.get_engine(sample_url))()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def shared_data() -> Path:
    """The real UPR files in ../shared/data/upr (skip, or fail under CI, when absent)."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"the real UPR data is not at {SHARED_DATA}")
    return SHARED_DATA
