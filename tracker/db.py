"""Engine and session factory.

One engine per process (:func:`get_engine` caches by URL). SQLite gets foreign keys, WAL
journaling and a busy timeout so that a page reading while an import writes waits instead of
failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tracker import private_files, settings

# Writers wait this long for a lock before SQLite gives up (an import of the whole corpus
# holds the write lock for several seconds).
SQLITE_BUSY_TIMEOUT_MS = 60_000

# Execution option marking a transaction that will write (see begin_write).
WRITE_OPTION = "upr_tracker_write"
T = TypeVar("T")
# PostgreSQL advisory-lock key of the "exclusive writers" (imports, restores, the sample):
# they run one at a time, so that two imports cannot both add the same recommendation.
EXCLUSIVE_WRITE_LOCK_KEY = 0x55505254  # "UPRT"

# SQLite's page cache (KiB) of a connection while an exclusive writer (an import, a restore,
# the repeats step) holds it; the default is 2 MiB. Put back when the connection returns to
# the pool. An import sizes it by its files (:func:`writer_cache_kib`): the 156k corpus'
# first round file (62 MB) imports in 12.9 s with 32 MiB against 16.5 s with SQLite's
# default, and its later rounds 10 % faster, while the 61k export (14.7 MB) takes the same
# CPU time with 8 MiB as with 32 MiB (1.48-1.53 s against 1.53-1.66 s, 5 December): memory
# held in proportion to what is imported, at most half the files' size above 8 MiB.
SQLITE_WRITER_CACHE_KIB = 32 * 1024
SQLITE_WRITER_CACHE_MIN_KIB = 8 * 1024
_CACHE_BEFORE = "upr_tracker_cache_size"  # a pooled connection's info: its cache_size before

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses no committed data
    cur.close()


def _sqlite_begin(conn) -> None:
    # pysqlite's own transaction handling is disabled (see create_engine_for); emit BEGIN
    # ourselves so that every transaction, DDL included, is atomic. A write transaction
    # (begin_write) takes the write lock at once: see begin_write.
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's SQLITE_BUSY ("database is locked"), also wrapped by SQLAlchemy:
    another connection held the write lock for longer than :data:`SQLITE_BUSY_TIMEOUT_MS`."""
    code = getattr(getattr(exc, "orig", exc), "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY  # primary code of extended


def writer_cache_kib(nbytes: int) -> int:
    """The SQLite page cache (KiB) of an import of files holding ``nbytes``: half their size,
    between :data:`SQLITE_WRITER_CACHE_MIN_KIB` and :data:`SQLITE_WRITER_CACHE_KIB`."""
    return max(SQLITE_WRITER_CACHE_MIN_KIB, min(SQLITE_WRITER_CACHE_KIB, nbytes // 2048))


def _sqlite_widen_cache(session: Session, kib: int) -> None:
    """A page cache of ``kib`` KiB on ``session``'s connection until it goes back to the
    pool (:func:`_sqlite_cache_back`)."""
    conn = session.connection()
    info = conn.connection.info
    if _CACHE_BEFORE not in info:
        info[_CACHE_BEFORE] = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")


def _sqlite_cache_back(dbapi_connection, record) -> None:
    # After the commit or rollback: the connection serves pages again, with their cache.
    before = record.info.pop(_CACHE_BEFORE, None)
    if before is not None and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA cache_size={int(before)}")


def create_engine_for(url: str) -> Engine:
    """A new engine for ``url`` with this project's connection settings."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            # Created private before SQLite opens it: its -wal and -shm files take its mode.
            private_files.touch_private(u.database)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_cache_back)
        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    url = url or settings.database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine_for(url)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests switch databases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """The session maker bound to ``engine`` (the default database when None)."""
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_write(session: Session, *, exclusive: bool = False, cache_kib: int | None = None) -> None:
    """Declare that ``session``'s transaction will write; call it before the first read.

    SQLite: a transaction that reads first and writes later fails at once with "database is
    locked" when another connection committed in between (the busy timeout does not apply to
    that case). Beginning with ``BEGIN IMMEDIATE`` takes the write lock up front, waiting up to
    the busy timeout, so writers queue instead of failing. Readers are not blocked (WAL).
    If the session already holds a transaction this cannot change it, and nothing happens.

    PostgreSQL: with ``exclusive=True`` (imports, restores, the sample) the transaction takes
    an advisory lock that is released at commit or rollback, so such writes run one at a time.
    SQLite: with ``exclusive=True`` the connection has a larger page cache until it goes back
    to the pool: ``cache_kib``, by default :data:`SQLITE_WRITER_CACHE_KIB`.
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        if not session.in_transaction():
            session.connection(execution_options={WRITE_OPTION: True})
        if exclusive:
            _sqlite_widen_cache(
                session, SQLITE_WRITER_CACHE_KIB if cache_kib is None else cache_kib
            )
    elif exclusive and bind.dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": EXCLUSIVE_WRITE_LOCK_KEY}
        )


# Threads of concurrently(): the machines this runs on have two cores or more; more threads
# than cores only queue in the database.
CONCURRENT_READS = 4


def concurrently(session: Session, calls: Sequence[Callable[[Session], T]]) -> list[T]:
    """The results of read-only ``calls``, each run in its own thread with its own session
    on ``session``'s engine, in the order given.

    A page that counts several independent things (the Progress page: five grouped passes
    over the corpus) waits for the slowest instead of the sum: the database works while
    the Python thread that asked waits (SQLite's driver releases the interpreter lock during
    a query; PostgreSQL is another process). Each call sees a committed state of the
    database; a write landing between two of them may show in one and not the other (the
    next run, keyed on the new data version, shows it in both). Runs them one after another
    in ``session`` instead when that session has begun a transaction (it may hold changes
    no other session sees) and for an in-memory SQLite database (one per connection)."""
    engine = session.get_bind()
    in_memory = engine.dialect.name == "sqlite" and engine.engine.url.database in (
        None,
        "",
        ":memory:",
    )
    if len(calls) < 2 or in_memory or session.in_transaction():
        return [call(session) for call in calls]

    def run(call: Callable[[Session], T]) -> T:
        with session_scope(engine) as s:  # type: ignore[arg-type]
            return call(s)

    with ThreadPoolExecutor(max_workers=min(len(calls), CONCURRENT_READS)) as pool:
        return list(pool.map(run, calls))


class Versioned(Protocol):
    """A row edited with optimistic locking: its ``version`` moves on with every write."""

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def row_at_version(
    session: Session,
    model: type[V],
    row_id: int,
    expected_version: int,
    *,
    missing: Callable[[], Exception],
    moved: Callable[[V], Exception],
) -> V:
    """The row ``row_id`` of ``model`` for an edit started at ``expected_version``: read
    afresh and row-locked (PostgreSQL), else raise ``missing()`` when it is gone or
    ``moved(row)`` when someone else changed it since (optimistic locking)."""
    row = session.get(model, row_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise missing()
    if row.version != expected_version:
        raise moved(row)
    return row
