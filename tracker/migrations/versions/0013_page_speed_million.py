"""the assessments counted by triggers; the review in the index by id (issue #19)

Pages at a million recommendations (3.3 million assessments) on PostgreSQL:

* ``assessment_count (id, n)``: how many assessments the database holds, in one row (id 1),
  kept by triggers on ``assessment`` (SQLite: a row trigger; PostgreSQL: a statement
  trigger counting its transition table, after the advisory lock that writers of statuses
  take anyway: tracker.status_days' "UPRD", so that the row is always locked after it).
  The whole corpus' headline figure (``stats``, the Overview) counted the 3.3 million on
  every cold view: 0.29-0.52 s. The bulk paths suspend the triggers and count once
  (tracker.kept_assessments). The upgrade counts with SQL written here (frozen: no
  tracker imports).
* ``ix_recommendation_id_status (id, current_status)`` (migration 0010) becomes
  ``ix_recommendation_id_status_review (id, current_status, review_id)``: the
  recommendations of one recommending state counted by review (the Recommending states
  page's groups) look each id up in it without reading the table's row with its text.
  Mauritania's 110,000: 0.69 s of random heap reads -> 0.18 s (with the statement of
  tracker.queries.apply_filters that names the state's id). The index it replaces served
  the same look-ups by id (the whole corpus' counts by recommending state and theme): it
  serves them still, and the table keeps as many indexes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_INDEX = "ix_recommendation_id_status"
INDEX = "ix_recommendation_id_status_review"
TABLE = "assessment_count"
# The writers of statuses' advisory lock (tracker.status_days, migration 0011's _LOCK).
LOCK = "PERFORM pg_advisory_xact_lock(1431327300);"

SQLITE_TRIGGERS = {
    "assessment_count_insert": f"""
CREATE TRIGGER assessment_count_insert AFTER INSERT ON assessment
BEGIN
    UPDATE {TABLE} SET n = n + 1 WHERE id = 1;
END""",
    "assessment_count_delete": f"""
CREATE TRIGGER assessment_count_delete AFTER DELETE ON assessment
BEGIN
    UPDATE {TABLE} SET n = n - 1 WHERE id = 1;
END""",
}

PG_FUNCTION = "assessment_count_keep"
PG_FUNCTION_SQL = f"""
CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {LOCK}
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE {TABLE} SET n = 0 WHERE id = 1;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE {TABLE} SET n = n + (SELECT count(*) FROM added) WHERE id = 1;
    ELSE
        UPDATE {TABLE} SET n = n - (SELECT count(*) FROM removed) WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$"""
PG_TRIGGERS = {
    "assessment_count_insert": "AFTER INSERT ON assessment REFERENCING NEW TABLE AS added",
    "assessment_count_delete": "AFTER DELETE ON assessment REFERENCING OLD TABLE AS removed",
    "assessment_count_truncate": "AFTER TRUNCATE ON assessment",
}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_count")),
    )
    op.execute(f"INSERT INTO {TABLE} (id, n) SELECT 1, count(*) FROM assessment")
    create_triggers(op.get_bind())
    op.create_index(INDEX, "recommendation", ["id", "current_status", "review_id"])
    op.drop_index(OLD_INDEX, table_name="recommendation")


def downgrade() -> None:
    op.create_index(OLD_INDEX, "recommendation", ["id", "current_status"])
    op.drop_index(INDEX, table_name="recommendation")
    conn = op.get_bind()
    for name in PG_TRIGGERS:
        if conn.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON assessment")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if conn.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    op.drop_table(TABLE)


def create_triggers(conn: sa.Connection) -> None:
    """The triggers keeping assessment_count, in this dialect."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(PG_FUNCTION_SQL)
        for name, when in PG_TRIGGERS.items():
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
            )
    else:
        for sql in SQLITE_TRIGGERS.values():
            conn.exec_driver_sql(sql)
