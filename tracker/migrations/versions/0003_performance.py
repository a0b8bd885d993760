"""indexes for the whole corpus (docs/performance.md)

Measured on 156,000 recommendations with 520,000 assessments (bench/run_all.py).

Three partial indexes:

* ``ix_assessment_retracts_id`` (only rows that retract another): "does this assessment
  count?" is asked by the current status, the flags and the status history as
  ``id NOT IN (SELECT retracts_id ...)``; without an index that list is a scan of the whole
  assessment table per statement, and refreshing the current status after importing the
  synthetic corpus took 33 s (0.9 s with it);
* ``ix_recommendation_is_sample`` and ``ix_assessment_is_sample`` (only sample records):
  "does the database / the selection hold sample data?" is asked on every page and was a
  scan of both tables (0.1 s per page after each write).

Two indexes dropped, on columns of four or five values (``recommendation.response``,
``assessment.status``): no query is selective on them, and SQLite's planner (which keeps no
statistics unless ANALYZE is run) took them for selective: one country's supported
recommendations were read through the ``response`` index, half the table (0.1 s instead of
1 ms). ANALYZE was tried instead and made the whole-corpus charts 3 to 6 times slower (it
then prefers index look-ups over the sequential scan the charts need).

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
PARTIAL_INDEXES = [
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
# (index, table, column) of migration 0001
DROPPED_INDEXES = [
    ("ix_recommendation_response", "recommendation", "response"),
    ("ix_assessment_status", "assessment", "status"),
]


# op.create_index / op.drop_index, never batch_alter_table: a batch on SQLite would rebuild
# the recommendation table and drop the full-text triggers of migration 0002.
def upgrade() -> None:
    for name, table, column, sqlite_where, postgresql_where in PARTIAL_INDEXES:
        op.create_index(
            name,
            table,
            [column],
            sqlite_where=sa.text(sqlite_where),
            postgresql_where=sa.text(postgresql_where),
        )
    for name, table, _column in DROPPED_INDEXES:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in DROPPED_INDEXES:
        op.create_index(name, table, [column])
    for name, table, _column, _sqlite, _postgresql in reversed(PARTIAL_INDEXES):
        op.drop_index(name, table_name=table)
