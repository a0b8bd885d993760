"""the current status and the flags kept on each recommendation (docs/performance.md)

Measured on 156,000 recommendations with 520,000 assessments (bench/run_all.py): the
Overview, Progress and Flagged pages joined every recommendation to its current assessment
for each chart and walked every assessment history for the "regressed" and "contested"
flags: 3 to 7 s per page after every write. The recommendation now holds what the pages
read (``current_status``, ``current_assessed_on``, ``regressed_from_id``, ``contested``),
kept by ``tracker.assessments.refresh_current_status`` with ``current_assessment_id``, which
every write of assessments already calls.

The index on ``review_id`` becomes ``(review_id, response, current_status,
current_assessed_on)``: the counts by review, response and status (``stats``, every chart)
and the partially implemented and stale lists read the index, not the table with its texts
(0.35 s -> 0.13 s for the grouped count of the whole corpus).

Each counting assessment gets ``previous_status``, the status of the recommendation's
counting assessment before it, and the index ``(assessed_on, status, previous_status,
recommendation_id)`` replaces the one on ``assessed_on``: the status history by day is read
from that index in date order (0.26 s instead of 1.1 s for a window function over every
assessment of the corpus).

``regressed_from_id`` is no foreign key: it is derived data, recomputed with the rest (an
``ALTER TABLE ... ADD COLUMN`` with a constraint would make SQLite rebuild the table, and a
rebuild drops the full-text triggers of migration 0002).

The columns are filled by the application's own refresh (one statement per column on the
whole table; a few seconds on the whole corpus), called at the end of migration 0007 since
that refresh reads 0007's columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("current_status", sa.String(30), nullable=True),
        sa.Column("current_assessed_on", sa.Date(), nullable=True),
        sa.Column("regressed_from_id", sa.Integer(), nullable=True),
        sa.Column("contested", sa.Boolean(), nullable=False, server_default="0"),
    ]


# (index, column, SQLite condition, PostgreSQL condition): only the few flagged rows.
PARTIAL_INDEXES = [
    (
        "ix_recommendation_regressed",
        "regressed_from_id",
        "regressed_from_id IS NOT NULL",
        "regressed_from_id IS NOT NULL",
    ),
    ("ix_recommendation_contested", "contested", "contested IS 1", "contested IS TRUE"),
]


# op.add_column / op.create_index, never batch_alter_table (see 0003: a batch on SQLite would
# rebuild the recommendation table and drop the full-text triggers).
def upgrade() -> None:
    for column in _columns():
        op.add_column("recommendation", column)
    op.add_column("assessment", sa.Column("previous_status", sa.String(30), nullable=True))
    # Filled by migration 0007's call of the application's refresh: that reads columns added
    # by 0007 (source type, private, draft), which do not exist yet at this revision.
    # Covering for the counts by review, response and status; replaces the review_id index
    # (its first column).
    op.create_index(
        "ix_recommendation_review_status",
        "recommendation",
        ["review_id", "response", "current_status", "current_assessed_on"],
    )
    op.drop_index("ix_recommendation_review_id", table_name="recommendation")
    op.create_index(
        "ix_assessment_history",
        "assessment",
        ["assessed_on", "status", "previous_status", "recommendation_id"],
    )
    op.drop_index("ix_assessment_assessed_on", table_name="assessment")
    for name, column, sqlite_where, postgresql_where in PARTIAL_INDEXES:
        op.create_index(
            name,
            "recommendation",
            [column],
            sqlite_where=sa.text(sqlite_where),
            postgresql_where=sa.text(postgresql_where),
        )


def downgrade() -> None:
    for name, _column, _sqlite, _postgresql in reversed(PARTIAL_INDEXES):
        op.drop_index(name, table_name="recommendation")
    op.create_index("ix_recommendation_review_id", "recommendation", ["review_id"])
    op.drop_index("ix_recommendation_review_status", table_name="recommendation")
    op.create_index("ix_assessment_assessed_on", "assessment", ["assessed_on"])
    op.drop_index("ix_assessment_history", table_name="assessment")
    op.drop_column("assessment", "previous_status")
    for column in reversed(_columns()):
        op.drop_column("recommendation", column.name)
