"""recommendations counted per review, response and status, kept by triggers (issue #19)

The Overview, the Progress page and ``stats`` counted, on every cold view, every
recommendation by review, response and current status: a pass over the covering index of the
whole table (0.3 s of 1.2 s for the Overview at a million recommendations on PostgreSQL)
for a few thousand totals. ``review_count`` keeps those totals: one row per (review,
response, status) with its count ``n``; a recommendation without a response is counted under
response "" and one never assessed under status "" (primary keys hold no NULL).

Kept exact by database triggers on ``recommendation``, whoever writes (the importers, edits,
``refresh_current_status``, the ORM, cascades, a restore, psql):

* SQLite: row triggers; an insert adds one to its row (UPSERT), a delete takes one away, an
  update of ``review_id``, ``response`` or ``current_status`` does both.
* PostgreSQL: statement triggers with transition tables (REFERENCING NEW/OLD TABLE), one per
  event (PostgreSQL refuses transition tables on an UPDATE OF column list): a statement
  touching a million rows pays one grouped pass over them, not a million row updates.
  An update adds the new rows' groups and takes the old rows' groups away, only the groups
  whose total moved being written.

Rows that reach 0 are kept (readers skip them): a decrement never has to delete, and the
few thousand possible rows stay few.

The bulk paths suspend the triggers and count once (tracker.kept_reviews). The upgrade
counts the existing rows with SQL written here (frozen: no tracker imports).

Also ``ix_recommendation_status_review (current_status, review_id, id)``: the Flagged page's
partially implemented recommendations by theme and cycle read a tenth of the table through
it instead of the whole table with its texts (PostgreSQL, a million recommendations: a
sequential scan of 1.3 GB, 0.84 s -> 0.59 s).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "review_count"
INDEX = "ix_recommendation_status_review"
KEYS = "review_id, response, status"
# A row's key in review_count, from a recommendation row (NEW/OLD or a transition table).
ROW_KEY = "{r}.review_id, coalesce({r}.response, ''), coalesce({r}.current_status, '')"
# The review_count row of the recommendation row OLD (SQLite's triggers).
OLD_ROW = (
    "review_id = OLD.review_id AND response = coalesce(OLD.response, '') "
    "AND status = coalesce(OLD.current_status, '')"
)

SQLITE_TRIGGERS = {
    "review_count_insert": f"""
CREATE TRIGGER review_count_insert AFTER INSERT ON recommendation
BEGIN
    INSERT INTO {TABLE} ({KEYS}, n) VALUES ({ROW_KEY.format(r="NEW")}, 1)
    ON CONFLICT ({KEYS}) DO UPDATE SET n = n + 1;
END""",
    "review_count_delete": f"""
CREATE TRIGGER review_count_delete AFTER DELETE ON recommendation
BEGIN
    UPDATE {TABLE} SET n = n - 1
    WHERE {OLD_ROW};
END""",
    "review_count_update": f"""
CREATE TRIGGER review_count_update
AFTER UPDATE OF review_id, response, current_status ON recommendation
WHEN OLD.review_id IS NOT NEW.review_id OR OLD.response IS NOT NEW.response
    OR OLD.current_status IS NOT NEW.current_status
BEGIN
    UPDATE {TABLE} SET n = n - 1
    WHERE {OLD_ROW};
    INSERT INTO {TABLE} ({KEYS}, n) VALUES ({ROW_KEY.format(r="NEW")}, 1)
    ON CONFLICT ({KEYS}) DO UPDATE SET n = n + 1;
END""",
}

PG_FUNCTION = "review_count_keep"
# The groups of the rows a statement inserted (+) and removed (-), netted; only the groups
# whose total moved are written, in key order (two writers lock rows in the same order).
PG_FUNCTION_SQL = f"""
CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {TABLE};
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO {TABLE} AS k ({KEYS}, n)
        SELECT {ROW_KEY.format(r="a")}, count(*) FROM added a GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT ({KEYS}) DO UPDATE SET n = k.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE {TABLE} AS k SET n = k.n - g.n
        FROM (SELECT {ROW_KEY.format(r="r")}, count(*) FROM removed r GROUP BY 1, 2, 3)
            AS g (review_id, response, status, n)
        WHERE k.review_id = g.review_id AND k.response = g.response AND k.status = g.status;
    ELSE
        INSERT INTO {TABLE} AS k ({KEYS}, n)
        SELECT g.review_id, g.response, g.status, sum(g.n) FROM (
            SELECT {ROW_KEY.format(r="a")}, 1 FROM added a
            UNION ALL
            SELECT {ROW_KEY.format(r="r")}, -1 FROM removed r
        ) AS g (review_id, response, status, n)
        GROUP BY 1, 2, 3 HAVING sum(g.n) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT ({KEYS}) DO UPDATE SET n = k.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$"""
PG_TRIGGERS = {
    "review_count_insert": "AFTER INSERT ON recommendation REFERENCING NEW TABLE AS added",
    "review_count_delete": "AFTER DELETE ON recommendation REFERENCING OLD TABLE AS removed",
    "review_count_update": (
        "AFTER UPDATE ON recommendation REFERENCING OLD TABLE AS removed NEW TABLE AS added"
    ),
    "review_count_truncate": "AFTER TRUNCATE ON recommendation",
}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("response", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("review_id", "response", "status", name=op.f("pk_review_count")),
    )
    op.execute(
        f"INSERT INTO {TABLE} ({KEYS}, n) "
        f"SELECT {ROW_KEY.format(r='r')}, count(*) FROM recommendation r GROUP BY 1, 2, 3"
    )
    create_triggers(op.get_bind())
    op.create_index(INDEX, "recommendation", ["current_status", "review_id", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="recommendation")
    conn = op.get_bind()
    for name in PG_TRIGGERS:
        if conn.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON recommendation")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if conn.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    op.drop_table(TABLE)


def create_triggers(conn: sa.Connection) -> None:
    """The triggers keeping review_count, in this dialect."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(PG_FUNCTION_SQL)
        for name, when in PG_TRIGGERS.items():
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
            )
    else:
        for sql in SQLITE_TRIGGERS.values():
            conn.exec_driver_sql(sql)
