"""indexes for the whole corpus (docs/performance.md)

Three partial indexes, measured on 156,000 recommendations with 520,000 assessments:

* ``ix_assessment_retracts_id`` (only rows that retract another): "does this assessment
  count?" is asked by the current status, the flags and the status history as
  ``id NOT IN (SELECT retracts_id ...)``; without an index that list is a scan of the whole
  assessment table per statement, and refreshing the current status after importing the
  synthetic corpus took 33 s (0.9 s with it);
* ``ix_recommendation_is_sample`` and ``ix_assessment_is_sample`` (only sample records):
  "does the database / the selection hold sample data?" is asked on every page and was a
  scan of both tables (0.1 s per page after each write).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (index, table, column, SQLite condition, PostgreSQL condition)
INDEXES = [
    (
        "ix_assessment_retracts_id",
        "assessment",
        "retracts_id",
        "retracts_id IS NOT NULL",
        "retracts_id IS NOT NULL",
    ),
    (
        "ix_recommendation_is_sample",
        "recommendation",
        "is_sample",
        "is_sample IS 1",
        "is_sample IS TRUE",
    ),
    ("ix_assessment_is_sample", "assessment", "is_sample", "is_sample IS 1", "is_sample IS TRUE"),
]


def upgrade() -> None:
    # op.create_index, not batch_alter_table: a batch on SQLite would rebuild the
    # recommendation table and drop the full-text triggers of migration 0002.
    for name, table, column, sqlite_where, postgresql_where in INDEXES:
        op.create_index(
            name,
            table,
            [column],
            sqlite_where=sa.text(sqlite_where),
            postgresql_where=sa.text(postgresql_where),
        )


def downgrade() -> None:
    for name, table, _column, _sqlite, _postgresql in reversed(INDEXES):
        op.drop_index(name, table_name=table)
