"""evidence: source type, confidence, private assessments, drafts (issue #16, docs/evidence.md)

Every assessment gets the type of its source (``government``, ``nhri``, ``civil_society``,
``un``, ``media``, ``other``; the assessments made before are ``other``) and an optional
confidence (``low``, ``medium``, ``high``); ``is_private`` marks evidence shown only to
editors and admins; ``is_draft`` an assessment awaiting review by a second account, with
``published_by``/``published_at`` once published.

The current status kept on each recommendation (migration 0004) counts neither private
assessments nor drafts from now on. The upgrade only adds the columns and indexes: every
existing assessment becomes ``other``, not private and no draft, so the derived status
fields do not change and need no refresh (a migration never imports tracker code: the
migrations are frozen, tests/test_migrations.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("source_type", sa.String(20), nullable=False, server_default="other"),
        sa.Column("confidence", sa.String(10), nullable=True),
        sa.Column("is_private", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("is_draft", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("published_by", sa.String(100), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
    ]


# op.add_column / op.create_index, never batch_alter_table (see 0003: a batch on SQLite would
# rebuild a table and drop the full-text triggers). The server default fills existing rows.
def upgrade() -> None:
    for column in _columns():
        op.add_column("assessment", column)
    # Partial: the few private ones and drafts (the status history leaves them out reading
    # indexes only; the drafts awaiting review are listed).
    for flag in ("is_private", "is_draft"):
        op.create_index(
            f"ix_assessment_{flag}",
            "assessment",
            [flag],
            sqlite_where=sa.text(f"{flag} IS 1"),
            postgresql_where=sa.text(f"{flag} IS TRUE"),
        )


def downgrade() -> None:
    op.drop_index("ix_assessment_is_draft", table_name="assessment")
    op.drop_index("ix_assessment_is_private", table_name="assessment")
    for column in reversed(_columns()):
        op.drop_column("assessment", column.name)
