"""each source type's latest public assessment kept on the assessment (page speed, issue #19)

The Progress page's "by source type" counted, for each source type, the status of its latest
public assessment of each recommendation with a window function over every assessment: on
the benchmark corpus (156,005 recommendations, 519,882 assessments) 1.2 s of CPU on every
cold view, more than the rest of the page. The assessment now holds ``latest_of_type``,
True on the latest counting public assessment of its recommendation by its source type, kept
by ``tracker.assessments.refresh_current_status`` with ``previous_status`` (the same window
pass), and a partial covering index ``(source_type, status, recommendation_id)`` over the
flagged rows answers the count from the index alone.

The upgrade fills the column with one UPDATE from a window function written here (frozen:
the tables are ``sa.table`` definitions of this file, never ``tracker.models``);
tests/test_migrations.py checks that the result equals what today's refresh computes. Plain
``ADD COLUMN`` and ``CREATE INDEX``, no batch (a batch on SQLite rebuilds the table and
drops the full-text triggers of 0002).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "ix_assessment_latest_of_type"

assessment = sa.table(
    "assessment",
    sa.column("id", sa.Integer()),
    sa.column("recommendation_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("assessed_on", sa.Date()),
    sa.column("created_at", sa.DateTime()),
    sa.column("retracts_id", sa.Integer()),
    sa.column("source_type", sa.String()),
    sa.column("is_private", sa.Boolean()),
    sa.column("is_draft", sa.Boolean()),
    sa.column("latest_of_type", sa.Boolean()),
)


def upgrade() -> None:
    op.add_column(
        "assessment",
        sa.Column("latest_of_type", sa.Boolean(), nullable=False, server_default="0"),
    )
    _fill(op.get_bind())  # before the index: one build instead of an update per row
    op.create_index(
        INDEX,
        "assessment",
        ["source_type", "status", "recommendation_id"],
        sqlite_where=sa.text("latest_of_type IS 1"),
        postgresql_where=sa.text("latest_of_type IS TRUE"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="assessment")
    op.drop_column("assessment", "latest_of_type")


def _fill(conn: sa.Connection) -> None:
    """True on each recommendation's latest counting public assessment of each source type:
    not a retraction, not retracted, not private, not a draft; latest by date, entry time,
    id (the order of the current status)."""
    a = assessment.alias("a")
    retracted = sa.select(assessment.c.retracts_id).where(assessment.c.retracts_id.is_not(None))
    ranked = (
        sa.select(
            a.c.id,
            sa.func.row_number()
            .over(
                partition_by=(a.c.recommendation_id, a.c.source_type),
                order_by=(a.c.assessed_on.desc(), a.c.created_at.desc(), a.c.id.desc()),
            )
            .label("n"),
        )
        .where(
            a.c.retracts_id.is_(None),
            a.c.id.not_in(retracted),
            a.c.is_private.is_(False),
            a.c.is_draft.is_(False),
        )
        .subquery("ranked")
    )
    latest = sa.select(ranked.c.id).where(ranked.c.n == 1)
    conn.execute(
        sa.update(assessment).values(latest_of_type=True).where(assessment.c.id.in_(latest))
    )
