"""text search index on recommendation texts

SQLite: an FTS5 external-content table ``recommendation_fts`` over ``recommendation.text``
(rowid = recommendation.id), kept in sync by three triggers, filled from the existing rows.
PostgreSQL: a GIN index on ``to_tsvector('simple', text)``. See tracker/search.py.

Note for later migrations: a ``batch_alter_table("recommendation")`` on SQLite rebuilds the
table and drops its triggers; such a migration must re-create the three triggers below and
run ``INSERT INTO recommendation_fts(recommendation_fts) VALUES('rebuild')``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# unicode61 folds case in every script; remove_diacritics 2 lets "Cote" find "Côte".
SQLITE_UPGRADE = [
    """
    CREATE VIRTUAL TABLE recommendation_fts USING fts5(
        text, content='recommendation', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER recommendation_fts_insert AFTER INSERT ON recommendation BEGIN
        INSERT INTO recommendation_fts(rowid, text) VALUES (new.id, new.text);
    END
    """,
    """
    CREATE TRIGGER recommendation_fts_delete AFTER DELETE ON recommendation BEGIN
        INSERT INTO recommendation_fts(recommendation_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END
    """,
    """
    CREATE TRIGGER recommendation_fts_update AFTER UPDATE OF text ON recommendation BEGIN
        INSERT INTO recommendation_fts(recommendation_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO recommendation_fts(rowid, text) VALUES (new.id, new.text);
    END
    """,
    "INSERT INTO recommendation_fts(recommendation_fts) VALUES ('rebuild')",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS recommendation_fts_update",
    "DROP TRIGGER IF EXISTS recommendation_fts_delete",
    "DROP TRIGGER IF EXISTS recommendation_fts_insert",
    "DROP TABLE IF EXISTS recommendation_fts",
]
# 'simple': no stemming and no stop words (every word of a UN text can be searched).
POSTGRESQL_UPGRADE = [
    "CREATE INDEX ix_recommendation_text_fts ON recommendation "
    "USING gin (to_tsvector('simple', text))",
]
POSTGRESQL_DOWNGRADE = ["DROP INDEX IF EXISTS ix_recommendation_text_fts"]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for sql in SQLITE_UPGRADE:
            op.execute(sql)
    elif dialect == "postgresql":
        for sql in POSTGRESQL_UPGRADE:
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for sql in SQLITE_DOWNGRADE:
            op.execute(sql)
    elif dialect == "postgresql":
        for sql in POSTGRESQL_DOWNGRADE:
            op.execute(sql)
