"""Alembic environment: runs on the connection tracker.schema hands over, or on the URL in
force (UPR_TRACKER_DATABASE_URL) when alembic is run by hand."""

from __future__ import annotations

from alembic import context

from tracker.db import get_engine
from tracker.models import Base
from tracker.schema import include_name

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        with get_engine().connect() as conn:
            _run(conn)
            conn.commit()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
