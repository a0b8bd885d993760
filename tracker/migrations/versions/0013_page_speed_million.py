"""the assessments counted by triggers; the review in the index by id (issue #19)

Pages at a million recommendations (3.3 million assessments) on PostgreSQL:

* ``assessment_count (id, n)``: how many assessments the database holds, in one row (id 1),
  kept on PostgreSQL by a statement trigger counting its transition table, after the
  advisory lock that writers of statuses take anyway (tracker.status_days' "UPRD", so that
  the row is always locked after it). The whole corpus' headline figure (``stats``, the
  Overview) counted the 3.3 million on every cold view: 0.29-0.52 s. SQLite keeps no count
  (the table stays empty there): its count is quick (520,000 in 12 ms) and a row trigger
  cost 18 us per assessment written (2.9 s of CPU more, +9 %, importing the 156,000 of a
  second round into a database holding the first). The upgrade counts with SQL written
  here (frozen: no tracker imports).
* ``kept_partial_theme (theme_id, review_id, n)``: the partially implemented
  recommendations' theme links per theme and review, theme 0 counting those without a
  theme: the Flagged page's first table, the whole corpus by theme and cycle, joined and
  grouped 650,000 (recommendation, theme) rows of 1.5 million links on every cold view
  (0.5-0.6 s). Kept as migration 0011 keeps its tables: SQLite row triggers, PostgreSQL
  statement triggers with transition tables after the same advisory lock, and a row
  trigger before a recommendation's deletion (its links' cascaded deletions come after the
  row is gone and count nothing). Only the partially implemented are counted: the first
  import of a file without assessments has none to count.
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


# --- kept_partial_theme -----------------------------------------------------------------
PARTIAL_TABLE = "kept_partial_theme"
PARTIAL = "'partially_implemented'"
RECOUNT_PARTIAL = (
    f"INSERT INTO {PARTIAL_TABLE} (theme_id, review_id, n) "
    "SELECT coalesce(l.theme_id, 0), r.review_id, count(*) FROM recommendation r "
    "LEFT JOIN recommendation_theme l ON l.recommendation_id = r.id "
    f"WHERE r.current_status = {PARTIAL} GROUP BY coalesce(l.theme_id, 0), r.review_id"
)
_UPSERT = " ON CONFLICT (theme_id, review_id) DO UPDATE SET n = n + excluded.n;"


def _sqlite_link(sign: str, row: str, *, others: str, had: str = "0") -> str:
    """A theme link ``row`` (NEW/OLD) counted with ``sign`` when its recommendation is
    partially implemented: under its theme, and under "no theme" (0) the other way when the
    recommendation has no link in ``others`` (a condition on l) and ``had`` is false."""
    return (
        f"INSERT INTO {PARTIAL_TABLE} (theme_id, review_id, n) "
        f"SELECT {row}.theme_id, r.review_id, {sign} FROM recommendation r "
        f"WHERE r.id = {row}.recommendation_id AND r.current_status = {PARTIAL}" + _UPSERT + " "
        f"INSERT INTO {PARTIAL_TABLE} (theme_id, review_id, n) "
        f"SELECT 0, r.review_id, -({sign}) FROM recommendation r "
        f"WHERE r.id = {row}.recommendation_id AND r.current_status = {PARTIAL} "
        f"AND NOT ({had}) AND NOT EXISTS (SELECT 1 FROM recommendation_theme l "
        f"WHERE l.recommendation_id = {row}.recommendation_id AND {others})" + _UPSERT
    )


def _sqlite_recommendation(sign: str, row: str) -> str:
    """The recommendation ``row`` (OLD/NEW: its id and review) counted with ``sign`` (the
    trigger's WHEN says it is partially implemented): its themes, or "no theme"."""
    return (
        f"INSERT INTO {PARTIAL_TABLE} (theme_id, review_id, n) "
        f"SELECT l.theme_id, {row}.review_id, {sign} FROM recommendation_theme l "
        f"WHERE l.recommendation_id = {row}.id" + _UPSERT + " "
        f"INSERT INTO {PARTIAL_TABLE} (theme_id, review_id, n) "
        f"SELECT 0, {row}.review_id, {sign} WHERE NOT EXISTS (SELECT 1 "
        f"FROM recommendation_theme l WHERE l.recommendation_id = {row}.id)" + _UPSERT
    )


_OLD_PARTIAL = f"(OLD.current_status IS {PARTIAL})"
_NEW_PARTIAL = f"(NEW.current_status IS {PARTIAL})"
SQLITE_PARTIAL_TRIGGERS = {
    "partial_theme_link_insert": "AFTER INSERT ON recommendation_theme BEGIN "
    + _sqlite_link("1", "NEW", others="l.theme_id <> NEW.theme_id")
    + " END",
    "partial_theme_link_delete": "AFTER DELETE ON recommendation_theme BEGIN "
    + _sqlite_link("-1", "OLD", others="1 = 1")
    + " END",
    "partial_theme_link_update": "AFTER UPDATE ON recommendation_theme "
    "WHEN OLD.recommendation_id IS NOT NEW.recommendation_id "
    "OR OLD.theme_id IS NOT NEW.theme_id BEGIN "
    + _sqlite_link("-1", "OLD", others="1 = 1")
    + " "
    + _sqlite_link(
        "1",
        "NEW",
        others="l.theme_id <> NEW.theme_id",
        had="OLD.recommendation_id = NEW.recommendation_id",
    )
    + " END",
    # A new recommendation has no links yet: "no theme".
    "partial_theme_rec_insert": f"AFTER INSERT ON recommendation WHEN {_NEW_PARTIAL} BEGIN "
    f"INSERT INTO {PARTIAL_TABLE} (theme_id, review_id, n) VALUES (0, NEW.review_id, 1)"
    + _UPSERT
    + " END",
    # Before the row goes: its links' cascaded deletions come after it, and count nothing.
    "partial_theme_rec_delete": f"BEFORE DELETE ON recommendation WHEN {_OLD_PARTIAL} BEGIN "
    + _sqlite_recommendation("-1", "OLD")
    + " END",
    "partial_theme_rec_old": "AFTER UPDATE OF current_status, review_id ON recommendation "
    f"WHEN {_OLD_PARTIAL} AND (NOT {_NEW_PARTIAL} OR OLD.review_id <> NEW.review_id) BEGIN "
    + _sqlite_recommendation("-1", "OLD")
    + " END",
    "partial_theme_rec_new": "AFTER UPDATE OF current_status, review_id ON recommendation "
    f"WHEN {_NEW_PARTIAL} AND (NOT {_OLD_PARTIAL} OR OLD.review_id <> NEW.review_id) BEGIN "
    + _sqlite_recommendation("1", "NEW")
    + " END",
}

# PostgreSQL: links of partially implemented recommendations added (new) and gone (old).
_PG_NO_LINKS = (
    "(SELECT NULL::integer AS recommendation_id, NULL::integer AS theme_id WHERE false) AS none"
)


def _pg_links(old: str, new: str) -> str:
    """A theme-link trigger's body (as migration 0011's): the links' changes under their
    themes, and "no theme" for the recommendations that had or have no link."""
    return f"""
    {LOCK}
    INSERT INTO {PARTIAL_TABLE} AS k (theme_id, review_id, n)
    SELECT d.theme_id, r.review_id, sum(d.change)
    FROM (SELECT recommendation_id, theme_id, 1 AS change FROM {new}
          UNION ALL SELECT recommendation_id, theme_id, -1 FROM {old}) d
    JOIN recommendation r ON r.id = d.recommendation_id AND r.current_status = {PARTIAL}
    GROUP BY 1, 2 HAVING sum(d.change) <> 0 ORDER BY 1, 2
    ON CONFLICT (theme_id, review_id) DO UPDATE SET n = k.n + excluded.n;
    WITH o AS (SELECT recommendation_id, theme_id FROM {old}),
    n AS (SELECT recommendation_id, theme_id FROM {new}),
    recs AS (SELECT recommendation_id FROM o UNION SELECT recommendation_id FROM n),
    now_links AS (SELECT l.recommendation_id, l.theme_id FROM recommendation_theme l
        WHERE l.recommendation_id IN (SELECT recommendation_id FROM recs)),
    before_links AS ((SELECT * FROM now_links EXCEPT SELECT * FROM n) UNION SELECT * FROM o),
    d AS (SELECT c.recommendation_id,
        (CASE WHEN c.recommendation_id IN (SELECT recommendation_id FROM before_links)
              THEN 0 ELSE -1 END)
        + (CASE WHEN c.recommendation_id IN (SELECT recommendation_id FROM now_links)
                THEN 0 ELSE 1 END) AS change
        FROM recs c)
    INSERT INTO {PARTIAL_TABLE} AS k (theme_id, review_id, n)
    SELECT 0, r.review_id, sum(d.change)
    FROM d JOIN recommendation r ON r.id = d.recommendation_id AND r.current_status = {PARTIAL}
    WHERE d.change <> 0 GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (theme_id, review_id) DO UPDATE SET n = k.n + excluded.n;
    """


# Every recommendation whose partial state or review changed: its old counts off (when it
# was partially implemented), its new ones on (when it is).
_PG_RECS = f"""
    IF EXISTS (SELECT 1 FROM new_recs n JOIN old_recs o ON o.id = n.id
               WHERE (o.current_status = {PARTIAL} OR n.current_status = {PARTIAL})
               AND (o.current_status IS DISTINCT FROM n.current_status
                    OR o.review_id <> n.review_id)) THEN
        {LOCK}
        WITH c AS (SELECT o.id, o.review_id AS old_review, n.review_id AS new_review,
                          o.current_status = {PARTIAL} AS was,
                          n.current_status = {PARTIAL} AS is_now
                   FROM new_recs n JOIN old_recs o ON o.id = n.id
                   WHERE (o.current_status = {PARTIAL} OR n.current_status = {PARTIAL})
                   AND (o.current_status IS DISTINCT FROM n.current_status
                        OR o.review_id <> n.review_id)),
        x AS (SELECT c.id, c.old_review AS review_id, -1 AS change FROM c WHERE c.was
              UNION ALL SELECT c.id, c.new_review, 1 FROM c WHERE c.is_now)
        INSERT INTO {PARTIAL_TABLE} AS k (theme_id, review_id, n)
        SELECT coalesce(l.theme_id, 0), x.review_id, sum(x.change)
        FROM x LEFT JOIN recommendation_theme l ON l.recommendation_id = x.id
        GROUP BY 1, 2 HAVING sum(x.change) <> 0 ORDER BY 1, 2
        ON CONFLICT (theme_id, review_id) DO UPDATE SET n = k.n + excluded.n;
    END IF;
"""

_PG_PARTIAL_FUNCTIONS = {
    "partial_theme_link_insert": _pg_links(_PG_NO_LINKS, "new_links"),
    "partial_theme_link_delete": _pg_links("old_links", _PG_NO_LINKS),
    "partial_theme_link_update": _pg_links("old_links", "new_links"),
    # A new recommendation has no links yet: "no theme".
    "partial_theme_rec_insert": f"""
    IF EXISTS (SELECT 1 FROM new_recs WHERE current_status = {PARTIAL}) THEN
        {LOCK}
        INSERT INTO {PARTIAL_TABLE} AS k (theme_id, review_id, n)
        SELECT 0, review_id, count(*) FROM new_recs WHERE current_status = {PARTIAL}
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (theme_id, review_id) DO UPDATE SET n = k.n + excluded.n;
    END IF;
    """,
    "partial_theme_rec_update": _PG_RECS,
}
# trigger -> (table, timing and event, transition tables)
_PG_PARTIAL_TRIGGERS = {
    "partial_theme_link_insert": ("recommendation_theme", "AFTER INSERT", "NEW TABLE AS new_links"),
    "partial_theme_link_delete": ("recommendation_theme", "AFTER DELETE", "OLD TABLE AS old_links"),
    "partial_theme_link_update": (
        "recommendation_theme",
        "AFTER UPDATE",
        "OLD TABLE AS old_links NEW TABLE AS new_links",
    ),
    "partial_theme_rec_insert": ("recommendation", "AFTER INSERT", "NEW TABLE AS new_recs"),
    "partial_theme_rec_update": (
        "recommendation",
        "AFTER UPDATE",
        "OLD TABLE AS old_recs NEW TABLE AS new_recs",
    ),
}
# The deletion of a recommendation: a row trigger, before the row goes (while its links are
# there; their cascaded deletions come after it and find no recommendation).
PG_PARTIAL_DELETE = f"""
CREATE FUNCTION partial_theme_rec_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.current_status = {PARTIAL} THEN
        {LOCK}
        INSERT INTO {PARTIAL_TABLE} AS k (theme_id, review_id, n)
        SELECT coalesce(l.theme_id, 0), OLD.review_id, -1
        FROM (SELECT OLD.id AS id) x
        LEFT JOIN recommendation_theme l ON l.recommendation_id = x.id
        ORDER BY 1
        ON CONFLICT (theme_id, review_id) DO UPDATE SET n = k.n + excluded.n;
    END IF;
    RETURN OLD;
END $$
"""


def create_partial_triggers(conn: sa.Connection) -> None:
    """The triggers keeping kept_partial_theme, in this dialect."""
    if conn.dialect.name == "postgresql":
        for name, body in _PG_PARTIAL_FUNCTIONS.items():
            conn.exec_driver_sql(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body} RETURN NULL; END $$"
            )
        for name, (table, event, referencing) in _PG_PARTIAL_TRIGGERS.items():
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        conn.exec_driver_sql(PG_PARTIAL_DELETE)
        conn.exec_driver_sql(
            "CREATE TRIGGER partial_theme_rec_delete BEFORE DELETE ON recommendation "
            "FOR EACH ROW EXECUTE FUNCTION partial_theme_rec_delete()"
        )
    else:
        for name, sql in SQLITE_PARTIAL_TRIGGERS.items():
            conn.exec_driver_sql(f"CREATE TRIGGER {name} {sql}")


def drop_partial_triggers(conn: sa.Connection) -> None:
    """Drop what :func:`create_partial_triggers` created."""
    if conn.dialect.name == "postgresql":
        for name, (table, _event, _referencing) in _PG_PARTIAL_TRIGGERS.items():
            conn.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")
            conn.exec_driver_sql(f"DROP FUNCTION {name}()")
        conn.exec_driver_sql("DROP TRIGGER partial_theme_rec_delete ON recommendation")
        conn.exec_driver_sql("DROP FUNCTION partial_theme_rec_delete()")
    else:
        for name in SQLITE_PARTIAL_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_count")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"INSERT INTO {TABLE} (id, n) SELECT 1, count(*) FROM assessment")
        create_triggers(op.get_bind())
    op.create_table(
        PARTIAL_TABLE,
        sa.Column("theme_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("review_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("theme_id", "review_id", name=op.f("pk_kept_partial_theme")),
    )
    op.execute(RECOUNT_PARTIAL)
    create_partial_triggers(op.get_bind())
    op.create_index(INDEX, "recommendation", ["id", "current_status", "review_id"])
    op.drop_index(OLD_INDEX, table_name="recommendation")


def downgrade() -> None:
    op.create_index(OLD_INDEX, "recommendation", ["id", "current_status"])
    op.drop_index(INDEX, table_name="recommendation")
    conn = op.get_bind()
    drop_partial_triggers(conn)
    op.drop_table(PARTIAL_TABLE)
    if conn.dialect.name == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON assessment")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    op.drop_table(TABLE)


def create_triggers(conn: sa.Connection) -> None:
    """The triggers keeping assessment_count (PostgreSQL only)."""
    conn.exec_driver_sql(PG_FUNCTION_SQL)
    for name, when in PG_TRIGGERS.items():
        conn.exec_driver_sql(
            f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
