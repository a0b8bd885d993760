"""report outlines (named drafts per state) and the organisation's own recommendations,
followed into the UN recommendations that took them up

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_outline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("outline", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["state_id"],
            ["state.id"],
            name=op.f("fk_report_outline_state_id_state"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_outline")),
        sa.UniqueConstraint("state_id", "title", name="uq_outline_state_title"),
    )
    op.create_index(op.f("ix_report_outline_state_id"), "report_outline", ["state_id"])
    op.create_table(
        "own_recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outline_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("section", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outline_id"],
            ["report_outline.id"],
            name=op.f("fk_own_recommendation_outline_id_report_outline"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["state_id"],
            ["state.id"],
            name=op.f("fk_own_recommendation_state_id_state"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_own_recommendation")),
    )
    op.create_index(op.f("ix_own_recommendation_outline_id"), "own_recommendation", ["outline_id"])
    op.create_index(op.f("ix_own_recommendation_state_id"), "own_recommendation", ["state_id"])
    op.create_table(
        "own_recommendation_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("own_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["own_id"],
            ["own_recommendation.id"],
            name=op.f("fk_own_recommendation_link_own_id_own_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_own_recommendation_link_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_own_recommendation_link")),
        sa.UniqueConstraint("own_id", "recommendation_id", name="uq_own_link_pair"),
    )
    op.create_index(
        op.f("ix_own_recommendation_link_own_id"), "own_recommendation_link", ["own_id"]
    )
    op.create_index(
        op.f("ix_own_recommendation_link_recommendation_id"),
        "own_recommendation_link",
        ["recommendation_id"],
    )


def downgrade() -> None:
    op.drop_table("own_recommendation_link")
    op.drop_table("own_recommendation")
    op.drop_table("report_outline")
