"""The SQL end of a bulk write: many rows per statement, past SQLAlchemy's per-row work.

* :func:`insert_many`: one ``executemany`` handed to the driver (SQLAlchemy's bind processors
  applied per column, each distinct value once); on PostgreSQL from :data:`COPY_MIN_ROWS`
  rows, ``COPY ... FROM STDIN`` (:func:`copy_rows`).
* :func:`deferred_fts_trigger`: SQLite's full-text index (migration 0002) is kept by a
  trigger per inserted row, which costs five times the insert itself; for a bulk insert the
  trigger is dropped and re-created inside the same transaction, and the new rows are indexed
  with one ``INSERT ... SELECT``. A rollback restores the trigger.

Used by :mod:`tracker.importers.plan_write` only; knows nothing of the identity rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any, cast

from sqlalchemy import Connection, Date, DateTime, Table, insert, select, text
from sqlalchemy.orm import Session

from tracker.models import Recommendation

FTS_TABLE = "recommendation_fts"
FTS_INSERT_TRIGGER = "recommendation_fts_insert"


def table_of(model: Any) -> Table:
    """A model's Core table (typed as the Table it is, for insert/update statements)."""
    return cast(Table, model.__table__)


# nothing over an executemany, which psycopg pipelines).
COPY_MIN_ROWS = 1000
# Rows converted and handed to the driver at a time: a bulk insert's parameters are never
# all held at once (60,000 recommendations' tuples and their transposition took 25 MB).
BATCH_ROWS = 5000


def insert_many(
    conn: Connection, table: Table, columns: list[str], values: Iterable[tuple[Any, ...]]
) -> None:
    """INSERT ``values`` (tuples of values for ``columns``; a generator is best: its rows
    are taken :data:`BATCH_ROWS` at a time, never all held as parameters) with
    ``executemany`` handed straight to the driver: SQLAlchemy's per-row parameter handling
    would cost as much as the database's own work. Its bind processors (booleans on SQLite,
    ...) are applied per column, as it would. On PostgreSQL, from :data:`COPY_MIN_ROWS`
    rows, one ``COPY`` of them all."""
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
    if compiled.positional:
        order = [compiled.binds[name].key for name in compiled.positiontup or ()]
    else:
        order = list(columns)
    at = [columns.index(k) for k in order]
    convert = [_converter(conn, table.c[k].type) for k in order]
    batches = _batches(values, None if at == list(range(len(columns))) else at, convert)
    first = next(batches, None)
    if first is None:
        return
    if len(first) >= COPY_MIN_ROWS and copy_rows(conn, table, order, chain([first], batches)):
        return
    for batch in chain([first], batches):
        params: list[Any] = (
            batch if compiled.positional else [dict(zip(order, r, strict=True)) for r in batch]
        )
        conn.exec_driver_sql(compiled.string, params)


def _batches(
    values: Iterable[tuple[Any, ...]],
    at: list[int] | None,
    convert: list[Callable[[Any], Any] | None],
) -> Iterator[list[tuple[Any, ...]]]:
    """``values`` in lists of :data:`BATCH_ROWS` rows, each row's values put in the order
    ``at`` (None: as they are) and converted by ``convert`` (per column)."""
    it = iter(values)
    while batch := list(islice(it, BATCH_ROWS)):
        if at is not None:
            batch = [tuple(r[i] for i in at) for r in batch]
        if any(convert):
            # Column by column (a transposition is cheap); each distinct value converted once.
            cols = list(zip(*batch, strict=True))
            for i, fn in enumerate(convert):
                if fn is not None:
                    cols[i] = _convert_column(fn, cols[i])
            batch = list(zip(*cols, strict=True))
            del cols
        yield batch


def can_copy(conn: Connection) -> bool:
    """True when ``conn`` is PostgreSQL through psycopg 3, which :func:`copy_rows` needs."""
    raw = conn.connection.driver_connection
    return (
        conn.dialect.name == "postgresql"
        and conn.dialect.driver == "psycopg"
        and raw is not None
        and hasattr(raw, "cursor")
    )


def copy_rows(
    conn: Connection, table: Table, columns: list[str], batches: Iterable[list[tuple[Any, ...]]]
) -> bool:
    """PostgreSQL through psycopg 3: the rows sent with ``COPY ... FROM STDIN`` on the
    transaction's own connection (one stream instead of a round of INSERTs; the identity
    columns' defaults and the triggers run as for an INSERT). False, with nothing read from
    ``batches``, when the driver is not psycopg 3 (:func:`can_copy`): the caller INSERTs."""
    if not can_copy(conn):
        return False
    raw = cast(Any, conn.connection.driver_connection)
    quote = conn.dialect.identifier_preparer
    names = ", ".join(quote.quote(c) for c in columns)
    sql = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for batch in batches:
            for row in batch:
                copy.write_row(row)
    return True


def _converter(conn: Connection, type_: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy (or the driver, for dates on SQLite) does to a value of ``type_``."""
    proc = type_.bind_processor(conn.dialect)
    if proc is None and conn.dialect.name == "sqlite" and type_._type_affinity in (Date, DateTime):
        # pysqlite's own adapters, which SQLAlchemy relies on: ISO text, as it stores dates.
        return _sqlite_date_text
    return proc


def _sqlite_date_text(value: Any) -> Any:
    """A date or datetime as the ISO text pysqlite's adapters store."""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _convert_column(fn: Callable[[Any], Any], column: tuple[Any, ...]) -> tuple[Any, ...]:
    """``fn`` applied to every value of ``column``, each distinct value once (a column of
    timestamps or flags holds one or two)."""
    try:
        done = {v: fn(v) for v in set(column)}
    except TypeError:  # an unhashable value: one call each
        return tuple(map(fn, column))
    return tuple(map(done.__getitem__, column))


@contextmanager
def deferred_fts_trigger(session: Session) -> Iterator[Callable[[Any], None]]:
    """On SQLite with the full-text index: drop its per-row insert trigger for the bulk insert
    and index the new rows with one statement instead (the caller says which rows, by a
    condition on ``recommendation``); re-create the trigger exactly as it was. Elsewhere: do
    nothing. Runs inside the caller's transaction, so a rollback restores the trigger."""
    conn = session.connection()
    trigger_sql = None
    if conn.dialect.name == "sqlite":
        trigger_sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": FTS_INSERT_TRIGGER},
        ).scalar()
    if trigger_sql is None:
        yield lambda _condition: None
        return
    conn.exec_driver_sql(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")

    def index_rows(condition: Any) -> None:
        ids = select(Recommendation.id, Recommendation.text).where(condition)
        compiled = ids.compile(conn, compile_kwargs={"literal_binds": True})
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, text) {compiled}")

    yield index_rows
    conn.exec_driver_sql(trigger_sql)  # not on an error: the rollback restores it then


# New recommendations from which a bulk insert into empty tables builds their secondary
# indexes after the rows rather than row by row.
DEFER_INDEXES_MIN_ROWS = 5000


@contextmanager
def deferred_indexes(session: Session, tables: Sequence[Table]) -> Iterator[None]:
    """For a bulk insert into ``tables`` while they are empty (the first import of a
    database): their secondary indexes, and on PostgreSQL their foreign keys, are dropped
    for the insert and created again after it, inside the caller's transaction (a rollback
    restores them as they were). An index built over rows sorted once costs less than one
    kept up to date row by row, and a foreign key added to a filled table is checked by one
    join instead of one look-up per row (PostgreSQL: two per link row).

    Kept: the primary keys and unique constraints (the identity rule relies on them while
    the rows arrive), the partial indexes (sample, contested, regressed: a new row matches
    none of them, so keeping them costs a test per row, and building each again read the
    whole table: 0.03 s of the 61k import), and PostgreSQL's full-text GIN index, which its
    pending list already fills in bulk (rebuilding it took longer). On PostgreSQL the
    dropped objects lock their tables until the commit: the import is alone on an empty
    database then."""
    conn = session.connection()
    dialect = conn.dialect.name
    restore: list[str] = []
    if dialect == "sqlite":
        names = [t.name for t in tables]
        marks = ", ".join(f":t{i}" for i in range(len(names)))
        found = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) AND sql NOT LIKE '% WHERE %' ORDER BY name"
            ),
            {f"t{i}": n for i, n in enumerate(names)},
        ).all()
        quote = conn.dialect.identifier_preparer.quote
        for name, sql in found:
            conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
            restore.append(sql)
    elif dialect == "postgresql":
        restore = _drop_pg_indexes_and_keys(conn, tables)
    yield
    for sql in restore:  # not on an error: the rollback restores them then
        conn.exec_driver_sql(sql)


def _drop_pg_indexes_and_keys(conn: Connection, tables: Sequence[Table]) -> list[str]:
    """Drop the btree indexes that back no constraint and the foreign keys of ``tables``;
    return the statements that create them again."""
    quote = conn.dialect.identifier_preparer
    oids = "ARRAY[" + ", ".join(f"to_regclass('{quote.format_table(t)}')" for t in tables) + "]"
    indexes = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
            f"WHERE x.indrelid = ANY({oids}) AND NOT x.indisprimary AND NOT x.indisunique "
            "AND x.indpred IS NULL "
            "AND am.amname = 'btree' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1"
        )
    ).all()
    keys = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            f"FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY({oids}) ORDER BY 2"
        )
    ).all()
    restore: list[str] = []
    for table, name, definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote.quote(name)}")
        restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {quote.quote(name)} {definition}")
    for name, definition in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote.quote(name)}")
        restore.insert(0, definition)  # the indexes first: the keys' checks may use them
    return restore
