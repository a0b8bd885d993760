"""action plans: planned actions per recommendation (issue #16, point 6)

A table of planned actions, as in national implementation plans: what, the responsible
body, the due date, an indicator, a progress note and the day it was completed. A partial
index on the due date of the open actions serves the "overdue" flag and the "due in the
next 30 days" list.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planned_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=300), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("indicator", sa.Text(), nullable=True),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_planned_action_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_action")),
    )
    op.create_index(
        op.f("ix_planned_action_recommendation_id"),
        "planned_action",
        ["recommendation_id"],
        unique=False,
    )
    op.create_index(
        "ix_planned_action_open_due",
        "planned_action",
        ["due_on"],
        unique=False,
        sqlite_where=sa.text("completed_on IS NULL"),
        postgresql_where=sa.text("completed_on IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_planned_action_open_due", table_name="planned_action")
    op.drop_index(op.f("ix_planned_action_recommendation_id"), table_name="planned_action")
    op.drop_table("planned_action")
