"""The database edge of the pages: one engine per process, a session per call, and the
cached ``query`` / transactional ``write`` pair.

Cached queries are keyed on the database URL, the data version (bumped by every write, see
tracker.audit), the language and the arguments, so that a write anywhere is seen at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker import audit, db, schema, settings
from tracker.errors import DatabaseBusy
from tracker.i18n import _, get_language
from tracker.memory import gc_paused

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = db.get_engine(url)
    if not schema.is_up_to_date(engine):
        schema.upgrade(engine)
    return engine


def engine() -> Engine:
    """The process-wide engine for the configured database (schema brought up to date)."""
    return _engine_for(settings.database_url())


@contextmanager
def session() -> Iterator[Session]:
    """A session committed on success, rolled back on error. A write that waited past
    SQLite's busy timeout for another (a large import holds the one write lock for minutes)
    raises :class:`~tracker.errors.DatabaseBusy`, which the pages show as they show a
    refused input, instead of a generic error."""
    try:
        with db.session_scope(engine()) as s:
            yield s
    except OperationalError as exc:
        if not db.is_busy(exc):
            raise
        raise DatabaseBusy(
            _(
                "The database is busy with another change (a large import can take a few "
                "minutes): nothing was saved. Try again in a moment."
            )
        ) from exc


def data_version() -> int:
    """The database's data version now (every write bumps it; tracker.audit)."""
    with session() as s:
        return audit.data_version(s)


_RUN_VERSION_KEY = "_data_version_this_run"  # (database URL, version) read by begin_run


def begin_run() -> None:
    """Read the data version once, at the top of a script run (require_login calls this):
    the run's cached queries are keyed on it instead of each reading it again (a page makes
    twenty; docs/performance.md). A write (:func:`write`) forgets it, so that the queries
    after it see the change; the next run reads it afresh."""
    st.session_state[_RUN_VERSION_KEY] = (settings.database_url(), data_version())


def _run_version() -> int:
    kept = st.session_state.get(_RUN_VERSION_KEY)
    if isinstance(kept, tuple) and kept[0] == settings.database_url():
        return int(kept[1])
    return data_version()


def _run(
    _fn: Callable[..., Any], key: str, url: str, version: int, lang: str, args: tuple, kwargs: tuple
) -> Any:
    """Run a query (called by the two caches below with what :func:`_key` gives: ``key``,
    ``version`` and ``lang`` only key the cache)."""
    with gc_paused(), db.session_scope(_engine_for(url)) as s:  # tracker.memory: why
        return _fn(s, *args, **dict(kwargs))


def _key(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """What a cached query is called with: ``fn`` (not hashed), its name, the database, the
    data version of this run, the language, the arguments."""
    return (
        fn,
        f"{fn.__module__}.{fn.__qualname__}",
        settings.database_url(),
        _run_version(),
        get_language(),
        args,
        tuple(sorted(kwargs.items())),
    )


_cached = st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)(_run)


def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, **kwargs)``, cached until the next write to the database."""
    return _cached(*_key(fn, args, kwargs))


# A large result pages only read (a country's built report: 3.7 MB pickled at a million) is
# kept as one object per process instead: st.cache_data pickles what it stores and unpickles
# it on every run that reads it (0.05-0.15 s and 0.16-0.22 s for that report). Few are kept:
# each is held whole, not as bytes.
_shared = st.cache_resource(show_spinner=False, max_entries=4, ttl=6 * 3600)(_run)


def query_shared(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """:func:`query` for a large result that pages only read: one object shared by every
    run and session until the next write, never copied. The caller must not change it."""
    return _shared(*_key(fn, args, kwargs))


def forget_queries() -> None:
    """Forget every cached query result (:func:`query`, :func:`query_shared`): what a write
    does by its new data version; the benchmarks' cold runs call it."""
    _cached.clear()
    _shared.clear()


# --- writes --------------------------------------------------------------------------------
def write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in its own transaction (committed on success);
    every cached query sees the change at once (the write bumps the data version)."""
    try:
        with session() as s:
            return fn(s, *args, **kwargs)
    finally:
        st.session_state.pop(_RUN_VERSION_KEY, None)  # the queries after it read it afresh
