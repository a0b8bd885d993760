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

from bench.common import free_port
from bench.pgserver import pg_bindir
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


# --- PostgreSQL: a throwaway server per test session (RECIPES.md) ----------------------------
PG_TEMPLATE_DB = "upr_template"  # migrated once; each test copies it (CREATE DATABASE ... TEMPLATE)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL server of our own (initdb into a temporary folder, fsync off, a free
    port on 127.0.0.1) for the test session; yield its base URL. Skips, or fails under CI,
    when PostgreSQL is not installed."""
    import shutil
    import subprocess
    import tempfile

    bindir = pg_bindir()
    if bindir is None:
        skip_or_fail("PostgreSQL is not installed (apt-get install postgresql)")
    assert bindir is not None
    data = Path(tempfile.mkdtemp(prefix="upr-tracker-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as "postgres"
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("PostgreSQL needs a 'postgres' system user when tests run as root")
        os.chown(data, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*prefix, *cmd], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data / "db"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-l",
            str(data / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
    except BaseException:
        shutil.rmtree(data, ignore_errors=True)
        raise
    base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    try:
        _pg_admin(base, f"CREATE DATABASE {PG_TEMPLATE_DB}")
        template = db.create_engine_for(f"{base}/{PG_TEMPLATE_DB}")
        schema.upgrade(template)
        template.dispose()
        yield base
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


def _pg_admin(base: str, sql: str) -> None:
    import psycopg

    port = base.rsplit(":", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


@pytest.fixture
def pg_url(postgres_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (a copy of the template); also set as
    UPR_TRACKER_DATABASE_URL."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    _pg_admin(postgres_server, f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE_DB}")
    url = f"{postgres_server}/{name}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    # The signing secret's file (PostgreSQL's default is data/secret.key in the project).
    monkeypatch.setenv("UPR_TRACKER_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    yield url
    db.dispose_engines()
    _pg_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """The same test on an empty migrated SQLite database and on a PostgreSQL one."""
    return str(request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture(scope="session", autouse=True)
def _backups_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Automatic backups (before every import) go to a temporary folder, not the project's;
    set for the whole session, so that servers started by the tests inherit it too."""
    key = "UPR_TRACKER_BACKUP_DIR"
    old = os.environ.get(key)
    os.environ[key] = str(tmp_path_factory.mktemp("auto-backups"))
    yield
    if old is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = old


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters and no failed-login delay: account tests stay fast (the real
    parameters cost ~0.3 s per hash on a busy machine)."""
    from argon2 import PasswordHasher

    from tracker import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    monkeypatch.setattr(auth, "_dummy_hash", None)
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.0)
