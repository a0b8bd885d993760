"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "affected_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affected_group")),
        sa.UniqueConstraint("name", name=op.f("uq_affected_group_name")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)

    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "saved_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("own_recommendations", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_report")),
        sa.UniqueConstraint("name", name=op.f("uq_saved_report_name")),
    )
    op.create_table(
        "sdg",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=400), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sdg")),
        sa.UniqueConstraint("code", name=op.f("uq_sdg_code")),
    )
    op.create_table(
        "state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iso3", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("un_name", sa.String(length=200), nullable=False),
        sa.Column("regional_group", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state")),
        sa.UniqueConstraint("iso3", name=op.f("uq_state_iso3")),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("name", name=op.f("uq_theme_name")),
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("report_symbol", sa.String(length=40), nullable=True),
        sa.Column("is_sample", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["state_id"], ["state.id"], name=op.f("fk_review_state_id_state"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("state_id", "cycle", name="uq_review_state_cycle"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_cycle"), ["cycle"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_session"), ["session"], unique=False)

    op.create_table(
        "recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("paragraph", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("response", sa.String(length=20), nullable=True),
        sa.Column("action_category", sa.Integer(), nullable=True),
        sa.Column("current_assessment_id", sa.Integer(), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("is_sample", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "action_category IS NULL OR action_category BETWEEN 1 AND 5",
            name=op.f("ck_recommendation_action_category_range"),
        ),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_recommendation_import_run_id_import_run"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_recommendation_review_id_review"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
        sa.UniqueConstraint("identity", name=op.f("uq_recommendation_identity")),
    )
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_current_assessment_id"),
            ["current_assessment_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_recommendation_response"), ["response"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_recommendation_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("source_org", sa.String(length=300), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.String(length=1000), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("retracts_id", sa.Integer(), nullable=True),
        sa.Column("is_sample", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_assessment_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["retracts_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_retracts_id_assessment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_assessed_on"), ["assessed_on"], unique=False
        )
        batch_op.create_index(
            "ix_assessment_rec_date",
            ["recommendation_id", "assessed_on", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_assessment_status"), ["status"], unique=False)

    # The recommendation -> current assessment key is circular: add it once both tables exist.
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_recommendation_current_assessment_id_assessment"),
            "assessment",
            ["current_assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "recommendation_group",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["affected_group.id"],
            name=op.f("fk_recommendation_group_group_id_affected_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_group_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "group_id", name=op.f("pk_recommendation_group")
        ),
    )
    with op.batch_alter_table("recommendation_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_group_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "recommendation_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("earlier_id", sa.Integer(), nullable=False),
        sa.Column("later_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("earlier_id <> later_id", name=op.f("ck_recommendation_link_not_self")),
        sa.ForeignKeyConstraint(
            ["earlier_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_link_earlier_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["later_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_link_later_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_link")),
        sa.UniqueConstraint("earlier_id", "later_id", name="uq_link_pair"),
    )
    with op.batch_alter_table("recommendation_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_link_earlier_id"), ["earlier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recommendation_link_later_id"), ["later_id"], unique=False
        )

    op.create_table(
        "recommendation_sdg",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("sdg_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_sdg_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sdg_id"],
            ["sdg.id"],
            name=op.f("fk_recommendation_sdg_sdg_id_sdg"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recommendation_id", "sdg_id", name=op.f("pk_recommendation_sdg")),
    )
    with op.batch_alter_table("recommendation_sdg", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendation_sdg_sdg_id"), ["sdg_id"], unique=False)

    op.create_table(
        "recommendation_state",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_state_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["state_id"],
            ["state.id"],
            name=op.f("fk_recommendation_state_state_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "state_id", name=op.f("pk_recommendation_state")
        ),
    )
    with op.batch_alter_table("recommendation_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_state_state_id"), ["state_id"], unique=False
        )

    op.create_table(
        "recommendation_theme",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_theme_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["theme.id"],
            name=op.f("fk_recommendation_theme_theme_id_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "theme_id", name=op.f("pk_recommendation_theme")
        ),
    )
    with op.batch_alter_table("recommendation_theme", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_theme_theme_id"), ["theme_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_recommendation_current_assessment_id_assessment"), type_="foreignkey"
        )
    with op.batch_alter_table("recommendation_theme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_theme_theme_id"))

    op.drop_table("recommendation_theme")
    with op.batch_alter_table("recommendation_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_state_state_id"))

    op.drop_table("recommendation_state")
    with op.batch_alter_table("recommendation_sdg", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_sdg_sdg_id"))

    op.drop_table("recommendation_sdg")
    with op.batch_alter_table("recommendation_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_link_later_id"))
        batch_op.drop_index(batch_op.f("ix_recommendation_link_earlier_id"))

    op.drop_table("recommendation_link")
    with op.batch_alter_table("recommendation_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_group_group_id"))

    op.drop_table("recommendation_group")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_status"))
        batch_op.drop_index("ix_assessment_rec_date")
        batch_op.drop_index(batch_op.f("ix_assessment_assessed_on"))

    op.drop_table("assessment")
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_review_id"))
        batch_op.drop_index(batch_op.f("ix_recommendation_response"))
        batch_op.drop_index(batch_op.f("ix_recommendation_current_assessment_id"))

    op.drop_table("recommendation")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_session"))
        batch_op.drop_index(batch_op.f("ix_review_cycle"))

    op.drop_table("review")
    op.drop_table("theme")
    op.drop_table("state")
    op.drop_table("sdg")
    op.drop_table("saved_report")
    op.drop_table("meta")
    op.drop_table("import_run")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    op.drop_table("app_user")
    op.drop_table("affected_group")
