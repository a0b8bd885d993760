"""the whole corpus' status changes per day kept in status_day (page speed, issue #19)

The Progress page's "status over time" summed, on every cold view, the status changes of
every counting assessment by day: 0.33 s of CPU on the benchmark corpus (519,882
assessments), 0.8 s on a million, for a few thousand days' totals. ``status_day`` keeps
them for the whole corpus: per day, one row per status whose count changed (the day's
counting assessments in it less those whose ``previous_status`` it was) and one row with
status "" counting the recommendations first assessed that day (always present: the day is
a point of the history). ``tracker.status_days.keep_status_days`` keeps it from
``refresh_current_status``.

It also adds ``ix_recommendation_id_status (id, current_status)``: the whole corpus'
counts by recommending state and theme join the link tables by id, and PostgreSQL read the
whole recommendation table with its texts for that (1.3 GB at a million recommendations;
4.2 s → 2.3 s under load). SQLite's indexes carry the rowid: there it only saves pages.

The upgrade fills ``status_day`` from the assessments with SQL written here (frozen: ``sa.table``
definitions of this file, never ``tracker.models``); a counting assessment is not a
retraction, not retracted, not private, not a draft. tests/test_migrations.py checks that
the result equals what today's refresh keeps.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIRST = ""  # the row counting first assessments
INDEX = "ix_recommendation_id_status"

assessment = sa.table(
    "assessment",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("previous_status", sa.String()),
    sa.column("assessed_on", sa.Date()),
    sa.column("retracts_id", sa.Integer()),
    sa.column("is_private", sa.Boolean()),
    sa.column("is_draft", sa.Boolean()),
)


def upgrade() -> None:
    status_day = op.create_table(
        "status_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status", name=op.f("pk_status_day")),
    )
    assert status_day is not None
    _fill(op.get_bind(), status_day)
    op.create_index(INDEX, "recommendation", ["id", "current_status"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="recommendation")
    op.drop_table("status_day")


def _fill(conn: sa.Connection, status_day: sa.Table) -> None:
    """Each day's changes: +1 for a counting assessment's status, -1 for its previous
    status, and the first assessments counted under "" (kept even when 0)."""
    retracted = sa.select(assessment.c.retracts_id).where(assessment.c.retracts_id.is_not(None))
    counting = sa.and_(
        assessment.c.retracts_id.is_(None),
        assessment.c.id.not_in(retracted),
        assessment.c.is_private.is_(False),
        assessment.c.is_draft.is_(False),
    )
    day = assessment.c.assessed_on
    parts = sa.union_all(
        sa.select(
            day.label("day"), assessment.c.status.label("status"), sa.literal(1).label("change")
        ).where(counting),
        sa.select(day, assessment.c.previous_status, sa.literal(-1)).where(
            counting, assessment.c.previous_status.is_not(None)
        ),
        sa.select(
            day,
            sa.literal(FIRST),
            sa.case((assessment.c.previous_status.is_(None), 1), else_=0),
        ).where(counting),
    ).subquery("parts")
    day_col, status_col, change_col = parts.c
    total = sa.func.sum(change_col)
    rows = (
        sa.select(day_col, status_col, total)
        .group_by(day_col, status_col)
        .having(sa.or_(total != 0, status_col == FIRST))
    )
    conn.execute(
        sa.insert(status_day).from_select(["day", "status", "change"], rows),
    )
