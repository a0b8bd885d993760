"""Suspending the triggers that keep counts in the database (tracker.kept_links: migration
0011; tracker.kept_reviews: 0012) around a bulk write, and counting once after it.

A row trigger costs an UPSERT per row written: a first import of a corpus or a restore
takes them off, writes, puts them back and counts the table again from what was written.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def active(conn: Connection, prefix: str) -> list[tuple[str, str]]:
    """(name, table, or on SQLite the CREATE statement) of the enabled triggers whose name
    starts with ``prefix``."""
    pattern = prefix.replace("_", "\\_") + "%"
    if conn.dialect.name == "postgresql":
        sql = (
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgname LIKE :p ORDER BY 1"
        )
    else:
        sql = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE :p ESCAPE '\\' ORDER BY 1"
        )
    return [(n, t) for n, t in conn.execute(text(sql), {"p": pattern}).all()]


def suspend(
    session: Session, prefix: str, recount: Callable[[Session], None]
) -> Callable[[], None]:
    """Take the triggers named ``prefix``... off for a bulk write, in the caller's
    transaction; returns the function that puts them back and calls ``recount`` once. Not
    called on an error: the rollback restores the triggers as they were (SQLite and
    PostgreSQL both roll DDL back). On PostgreSQL the triggers are disabled (ALTER TABLE,
    which locks the tables until the commit: bulk writes are alone then anyway); on SQLite
    dropped and created again. Inside another suspension there is nothing to take off: the
    function returned does nothing (the outer one counts)."""
    conn = session.connection()
    found = active(conn, prefix)
    if not found:
        return lambda: None
    quote = conn.dialect.identifier_preparer.quote
    postgres = conn.dialect.name == "postgresql"
    for name, where in found:
        if postgres:
            conn.exec_driver_sql(f"ALTER TABLE {where} DISABLE TRIGGER {quote(name)}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER {quote(name)}")

    def resume() -> None:
        for name, where in found:
            if postgres:
                conn.exec_driver_sql(f"ALTER TABLE {where} ENABLE TRIGGER {quote(name)}")
            else:
                conn.exec_driver_sql(where)
        recount(session)

    return resume
