"""the recommendation's review in the index by id (page speed at a million, issue #19)

``ix_recommendation_id_status (id, current_status)`` (migration 0010) becomes
``ix_recommendation_id_status_review (id, current_status, review_id)``: the recommendations
of one recommending state counted by review (the Recommending states page's groups) look
each id up in it without reading the table's row with its text. PostgreSQL, a million
recommendations, Mauritania's 110,000: 0.69 s of random heap reads -> 0.18 s (with the
statement of tracker.queries.apply_filters that names the state's id). The index it replaces
served the same look-ups by id (the whole corpus' counts by recommending state and theme):
it serves them still, and the table keeps as many indexes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_INDEX = "ix_recommendation_id_status"
INDEX = "ix_recommendation_id_status_review"


def upgrade() -> None:
    op.create_index(INDEX, "recommendation", ["id", "current_status", "review_id"])
    op.drop_index(OLD_INDEX, table_name="recommendation")


def downgrade() -> None:
    op.create_index(OLD_INDEX, "recommendation", ["id", "current_status"])
    op.drop_index(INDEX, table_name="recommendation")
