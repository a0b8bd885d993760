"""the whole corpus' counts over the state and theme links kept by triggers (issue #19)

The Recommending states and Progress pages counted, on every cold view of the whole corpus,
every recommendation–state and recommendation–theme link with its recommendation's status:
3.7 s at a million recommendations on PostgreSQL for a few hundred totals. Three tables keep
those totals exactly, by database triggers (whatever writes: an import, an edit, a cascade,
someone's psql):

* ``kept_state_status (state_id, status, count)``: links of each recommending state per
  current status;
* ``kept_theme_status (theme_id, status, count)``: links of each theme per status, and under
  ``theme_id`` 0 the recommendations without any theme;
* ``kept_group_status (regional_group, status, count)``: recommendations made by at least
  one state of each regional group ("" = a state without one), per status.

``status`` is the recommendation's ``current_status``, "" when it has none. A row whose
count fell to 0 may stay (readers skip it).

How they are kept:

* SQLite: row triggers, one UPSERT per kept row touched;
* PostgreSQL: statement triggers with transition tables (REFERENCING OLD/NEW TABLE; PG 15
  allows no column list on those, so the recommendation's trigger runs on every UPDATE and
  counts only the rows whose status changed): a bulk statement pays one grouped update;
* on both, a recommendation's deletion subtracts its links in a BEFORE DELETE row trigger:
  the cascaded deletions of its links come after the row is gone, and the link triggers
  count only links of recommendations that exist;
* a state's new regional group moves its recommendations between groups.

Bulk writes (the first import into an empty database, a restore) suspend the triggers and
count again once (tracker.kept_links). This file's SQL is frozen: no tracker imports.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("kept_state_status", "kept_theme_status", "kept_group_status")

# --- the counts from scratch (the upgrade's fill; tracker.kept_links.recount says the same) --
RECOUNT = (
    "INSERT INTO kept_state_status (state_id, status, count) "
    "SELECT l.state_id, coalesce(r.current_status, ''), count(*) "
    "FROM recommendation_state l JOIN recommendation r ON r.id = l.recommendation_id "
    "GROUP BY l.state_id, coalesce(r.current_status, '')",
    "INSERT INTO kept_theme_status (theme_id, status, count) "
    "SELECT coalesce(l.theme_id, 0), coalesce(r.current_status, ''), count(*) "
    "FROM recommendation r LEFT JOIN recommendation_theme l ON l.recommendation_id = r.id "
    "GROUP BY coalesce(l.theme_id, 0), coalesce(r.current_status, '')",
    "INSERT INTO kept_group_status (regional_group, status, count) "
    "SELECT m.g, coalesce(r.current_status, ''), count(*) FROM "
    "(SELECT DISTINCT l.recommendation_id, coalesce(s.regional_group, '') AS g "
    "FROM recommendation_state l JOIN state s ON s.id = l.state_id) m "
    "JOIN recommendation r ON r.id = m.recommendation_id "
    "GROUP BY m.g, coalesce(r.current_status, '')",
)

# --- SQLite: row triggers -----------------------------------------------------------------
# {sign}: +1 / -1; {rec}, {state}, {theme}: NEW.x / OLD.x; {status}: the status counted.
_UPSERT = " ON CONFLICT ({key}) DO UPDATE SET count = count + excluded.count;"
_ST = "coalesce(r.current_status, '')"


def _sqlite_state_link(sign: str, row: str, *, others: str, had: str = "0") -> str:
    """A link ``row`` (NEW/OLD) counted with ``sign``: its state's count, and its group's
    when no link in ``others`` (a condition on l: the recommendation's other links) has the
    same group and ``had`` (a condition on s, the link's state: the group was there before
    through the edited link) is false."""
    return (
        "INSERT INTO kept_state_status (state_id, status, count) "
        f"SELECT {row}.state_id, {_ST}, {sign} FROM recommendation r "
        f"WHERE r.id = {row}.recommendation_id" + _UPSERT.format(key="state_id, status") + " "
        "INSERT INTO kept_group_status (regional_group, status, count) "
        f"SELECT coalesce(s.regional_group, ''), {_ST}, {sign} "
        f"FROM recommendation r JOIN state s ON s.id = {row}.state_id "
        f"WHERE r.id = {row}.recommendation_id AND NOT ({had}) AND NOT EXISTS (SELECT 1 "
        "FROM recommendation_state l JOIN state o ON o.id = l.state_id "
        f"WHERE l.recommendation_id = {row}.recommendation_id AND {others} "
        "AND coalesce(o.regional_group, '') = coalesce(s.regional_group, ''))"
        + _UPSERT.format(key="regional_group, status")
    )


def _sqlite_theme_link(sign: str, row: str, *, others: str, had: str = "0") -> str:
    """A theme link ``row`` counted with ``sign``: its theme's count, and "no theme" (0)
    the other way when the recommendation has no link in ``others`` (a condition on l) and
    ``had`` (it had a theme before through the edited link) is false."""
    return (
        "INSERT INTO kept_theme_status (theme_id, status, count) "
        f"SELECT {row}.theme_id, {_ST}, {sign} FROM recommendation r "
        f"WHERE r.id = {row}.recommendation_id" + _UPSERT.format(key="theme_id, status") + " "
        "INSERT INTO kept_theme_status (theme_id, status, count) "
        f"SELECT 0, {_ST}, -({sign}) FROM recommendation r "
        f"WHERE r.id = {row}.recommendation_id AND NOT ({had}) AND NOT EXISTS (SELECT 1 "
        f"FROM recommendation_theme l WHERE l.recommendation_id = {row}.recommendation_id "
        f"AND {others})" + _UPSERT.format(key="theme_id, status")
    )


def _sqlite_recommendation(sign: str, status: str) -> str:
    """Every count of the recommendation OLD (its id) under ``status``, with ``sign``: its
    links, its groups once each, its themes or "no theme"."""
    return (
        "INSERT INTO kept_state_status (state_id, status, count) "
        f"SELECT l.state_id, {status}, {sign} FROM recommendation_state l "
        "WHERE l.recommendation_id = OLD.id" + _UPSERT.format(key="state_id, status") + " "
        "INSERT INTO kept_group_status (regional_group, status, count) "
        f"SELECT DISTINCT coalesce(s.regional_group, ''), {status}, {sign} "
        "FROM recommendation_state l JOIN state s ON s.id = l.state_id "
        "WHERE l.recommendation_id = OLD.id" + _UPSERT.format(key="regional_group, status") + " "
        "INSERT INTO kept_theme_status (theme_id, status, count) "
        f"SELECT l.theme_id, {status}, {sign} FROM recommendation_theme l "
        "WHERE l.recommendation_id = OLD.id" + _UPSERT.format(key="theme_id, status") + " "
        "INSERT INTO kept_theme_status (theme_id, status, count) "
        f"SELECT 0, {status}, {sign} WHERE NOT EXISTS (SELECT 1 FROM recommendation_theme l "
        "WHERE l.recommendation_id = OLD.id)" + _UPSERT.format(key="theme_id, status")
    )


def _sqlite_group_move(sign: str, group: str) -> str:
    """The state NEW's recommendations counted with ``sign`` under ``group`` (its old or
    new regional group), each unless another of its states has that group."""
    return (
        "INSERT INTO kept_group_status (regional_group, status, count) "
        f"SELECT {group}, {_ST}, {sign} FROM recommendation_state k "
        "JOIN recommendation r ON r.id = k.recommendation_id WHERE k.state_id = NEW.id "
        "AND NOT EXISTS (SELECT 1 FROM recommendation_state l JOIN state o ON o.id = l.state_id "
        "WHERE l.recommendation_id = k.recommendation_id AND l.state_id <> NEW.id "
        f"AND coalesce(o.regional_group, '') = {group})"
        + _UPSERT.format(key="regional_group, status")
    )


_OLD_STATUS = "coalesce(OLD.current_status, '')"
_NEW_STATUS = "coalesce(NEW.current_status, '')"


def _sqlite_link_triggers(
    kind: str, table: str, column: str, count: Callable[..., str], had: str
) -> dict[str, str]:
    """The insert, delete and update triggers of a link table, ``count`` being
    :func:`_sqlite_state_link` or :func:`_sqlite_theme_link`. An edited link: the old one
    gone (the new one counts among the others), the new one added (``had``: the old one
    made it count there before, when it had the same recommendation)."""
    return {
        f"kept_links_{kind}_insert": f"AFTER INSERT ON {table} BEGIN "
        + count("1", "NEW", others=f"l.{column} <> NEW.{column}")
        + " END",
        f"kept_links_{kind}_delete": f"AFTER DELETE ON {table} BEGIN "
        + count("-1", "OLD", others="1 = 1")
        + " END",
        f"kept_links_{kind}_update": f"AFTER UPDATE ON {table} "
        f"WHEN OLD.recommendation_id IS NOT NEW.recommendation_id "
        f"OR OLD.{column} IS NOT NEW.{column} BEGIN "
        + count("-1", "OLD", others="1 = 1")
        + " "
        + count("1", "NEW", others=f"l.{column} <> NEW.{column}", had=had)
        + " END",
    }


SQLITE_TRIGGERS = {
    **_sqlite_link_triggers(
        "state",
        "recommendation_state",
        "state_id",
        _sqlite_state_link,
        had="OLD.recommendation_id = NEW.recommendation_id AND coalesce((SELECT p.regional_group "
        "FROM state p WHERE p.id = OLD.state_id), '') = coalesce(s.regional_group, '')",
    ),
    **_sqlite_link_triggers(
        "theme",
        "recommendation_theme",
        "theme_id",
        _sqlite_theme_link,
        had="OLD.recommendation_id = NEW.recommendation_id",
    ),
    # A new recommendation has no links yet: it counts under "no theme".
    "kept_links_rec_insert": "AFTER INSERT ON recommendation BEGIN "
    "INSERT INTO kept_theme_status (theme_id, status, count) "
    f"SELECT 0, {_NEW_STATUS}, 1 WHERE 1 = 1" + _UPSERT.format(key="theme_id, status") + " END",
    # Before the row goes: its links' cascaded deletions come after it, and count nothing.
    "kept_links_rec_delete": "BEFORE DELETE ON recommendation BEGIN "
    + _sqlite_recommendation("-1", _OLD_STATUS)
    + " END",
    "kept_links_rec_status": "AFTER UPDATE OF current_status ON recommendation "
    f"WHEN {_OLD_STATUS} <> {_NEW_STATUS} BEGIN "
    + _sqlite_recommendation("-1", _OLD_STATUS)
    + " "
    + _sqlite_recommendation("1", _NEW_STATUS)
    + " END",
    "kept_links_state_group": "AFTER UPDATE OF regional_group ON state "
    "WHEN coalesce(OLD.regional_group, '') <> coalesce(NEW.regional_group, '') BEGIN "
    + _sqlite_group_move("-1", "coalesce(OLD.regional_group, '')")
    + " "
    + _sqlite_group_move("1", "coalesce(NEW.regional_group, '')")
    + " END",
}

# --- PostgreSQL: statement triggers with transition tables ----------------------------------
# Writers of links and statuses take turns (READ COMMITTED): a transaction counting a link
# under its recommendation's status while another changes that status, or two adding links of
# one recommendation to the same group, would each miss the other's uncommitted rows. The
# lock is held to the commit; every statement after it sees what the other committed. The
# key is tracker.status_days' ("UPRD"): refresh_current_status takes it anyway, and one lock
# cannot be taken in two orders.
_LOCK = "PERFORM pg_advisory_xact_lock(1431327300);"
# No links (the side an INSERT or DELETE trigger has not).
_NONE_LINKS = (
    "(SELECT NULL::integer AS recommendation_id, NULL::integer AS {c} WHERE false) AS no_links"
)


def _pg_upsert(key: str) -> str:
    """ON CONFLICT clause adding to the kept row (the table aliased k)."""
    return f" ON CONFLICT ({key}) DO UPDATE SET count = k.count + excluded.count"


def _pg_link_counts(table: str, column: str, old: str, new: str) -> str:
    """The statement adding the ``new`` links and taking off the ``old`` ones (relations with
    recommendation_id and ``column``) to ``table``'s count per ``column`` and status."""
    return f"""
    INSERT INTO {table} AS k ({column}, status, count)
    SELECT d.{column}, coalesce(r.current_status, ''), sum(d.change)
    FROM (SELECT recommendation_id, {column}, 1 AS change FROM {new}
          UNION ALL SELECT recommendation_id, {column}, -1 FROM {old}) d
    JOIN recommendation r ON r.id = d.recommendation_id
    GROUP BY 1, 2 HAVING sum(d.change) <> 0
    {_pg_upsert(f"{column}, status")};"""


def _pg_state_links(old: str, new: str) -> str:
    """The body of a state-link trigger: ``old`` links gone, ``new`` links added (relations
    with recommendation_id, state_id). Links of recommendations that no longer exist count
    nothing (their recommendation's deletion took them off)."""
    return f"""
    {_LOCK}
    {_pg_link_counts("kept_state_status", "state_id", old, new)}
    WITH o AS (SELECT recommendation_id, state_id FROM {old}),
    n AS (SELECT recommendation_id, state_id FROM {new}),
    now_links AS (SELECT l.recommendation_id, l.state_id FROM recommendation_state l
        WHERE l.recommendation_id IN (SELECT recommendation_id FROM o
                                      UNION SELECT recommendation_id FROM n)),
    before_links AS ((SELECT * FROM now_links EXCEPT SELECT * FROM n) UNION SELECT * FROM o),
    m AS (SELECT DISTINCT x.recommendation_id, coalesce(s.regional_group, '') AS g, x.change
        FROM (SELECT *, 1 AS change FROM now_links
              UNION ALL SELECT *, -1 FROM before_links) x
        JOIN state s ON s.id = x.state_id)
    INSERT INTO kept_group_status AS k (regional_group, status, count)
    SELECT m.g, coalesce(r.current_status, ''), sum(m.change)
    FROM m JOIN recommendation r ON r.id = m.recommendation_id
    GROUP BY 1, 2 HAVING sum(m.change) <> 0
    {_pg_upsert("regional_group, status")};
    """


def _pg_theme_links(old: str, new: str) -> str:
    """The body of a theme-link trigger (as :func:`_pg_state_links`), with "no theme" (0)
    for recommendations that had or have no theme link."""
    return f"""
    {_LOCK}
    {_pg_link_counts("kept_theme_status", "theme_id", old, new)}
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
    INSERT INTO kept_theme_status AS k (theme_id, status, count)
    SELECT 0, coalesce(r.current_status, ''), sum(d.change)
    FROM d JOIN recommendation r ON r.id = d.recommendation_id
    WHERE d.change <> 0 GROUP BY 1, 2
    {_pg_upsert("theme_id, status")};
    """


# Every count of the recommendations in "shift" (id, old status, new status; a NULL status
# counts nothing) moved from the old status to the new one: the status trigger and the
# deletion's row trigger call it.
PG_SHIFT = """
CREATE FUNCTION kept_links_shift(ids integer[], olds text[], news text[]) RETURNS void
LANGUAGE sql AS $$
    WITH c AS (SELECT * FROM unnest(ids, olds, news) AS c(id, old_s, new_s)),
    x AS (SELECT c.id, v.status, v.change FROM c
        CROSS JOIN LATERAL (VALUES (c.old_s, -1), (c.new_s, 1)) AS v(status, change)
        WHERE v.status IS NOT NULL),
    states AS (
        INSERT INTO kept_state_status AS k (state_id, status, count)
        SELECT l.state_id, x.status, sum(x.change)
        FROM x JOIN recommendation_state l ON l.recommendation_id = x.id
        GROUP BY 1, 2
        ON CONFLICT (state_id, status) DO UPDATE SET count = k.count + excluded.count),
    groups AS (
        INSERT INTO kept_group_status AS k (regional_group, status, count)
        SELECT m.g, x.status, sum(x.change)
        FROM (SELECT DISTINCT l.recommendation_id, coalesce(s.regional_group, '') AS g
              FROM recommendation_state l JOIN state s ON s.id = l.state_id
              WHERE l.recommendation_id IN (SELECT id FROM c)) m
        JOIN x ON x.id = m.recommendation_id
        GROUP BY 1, 2
        ON CONFLICT (regional_group, status) DO UPDATE SET count = k.count + excluded.count)
    INSERT INTO kept_theme_status AS k (theme_id, status, count)
    SELECT coalesce(l.theme_id, 0), x.status, sum(x.change)
    FROM x LEFT JOIN recommendation_theme l ON l.recommendation_id = x.id
    GROUP BY 1, 2
    ON CONFLICT (theme_id, status) DO UPDATE SET count = k.count + excluded.count;
$$
"""

_PG_FUNCTIONS = {
    "kept_links_state_insert": _pg_state_links(_NONE_LINKS.format(c="state_id"), "new_links"),
    "kept_links_state_delete": _pg_state_links("old_links", _NONE_LINKS.format(c="state_id")),
    "kept_links_state_update": _pg_state_links("old_links", "new_links"),
    "kept_links_theme_insert": _pg_theme_links(_NONE_LINKS.format(c="theme_id"), "new_links"),
    "kept_links_theme_delete": _pg_theme_links("old_links", _NONE_LINKS.format(c="theme_id")),
    "kept_links_theme_update": _pg_theme_links("old_links", "new_links"),
    # A new recommendation has no links yet: it counts under "no theme".
    "kept_links_rec_insert": """
    INSERT INTO kept_theme_status AS k (theme_id, status, count)
    SELECT 0, coalesce(current_status, ''), count(*) FROM new_recs GROUP BY 2
    ON CONFLICT (theme_id, status) DO UPDATE SET count = k.count + excluded.count;
    """,
    # (Only when a status changed: an edit of a recommendation's text takes no turn.)
    "kept_links_rec_status": f"""
    IF EXISTS (SELECT 1 FROM new_recs n JOIN old_recs o ON o.id = n.id
               WHERE coalesce(o.current_status, '') <> coalesce(n.current_status, '')) THEN
        {_LOCK}
        PERFORM kept_links_shift(array_agg(n.id), array_agg(coalesce(o.current_status, '')),
                                 array_agg(coalesce(n.current_status, '')))
        FROM new_recs n JOIN old_recs o ON o.id = n.id
        WHERE coalesce(o.current_status, '') <> coalesce(n.current_status, '');
    END IF;
    """,
    "kept_links_state_group": _LOCK
    + """
    WITH changed AS (SELECT n.id, coalesce(o.regional_group, '') AS old_g
        FROM new_states n JOIN old_states o ON o.id = n.id
        WHERE coalesce(o.regional_group, '') <> coalesce(n.regional_group, '')),
    links AS (SELECT l.recommendation_id, l.state_id FROM recommendation_state l
        WHERE l.recommendation_id IN (SELECT k.recommendation_id FROM recommendation_state k
                                      WHERE k.state_id IN (SELECT id FROM changed))),
    m AS (SELECT DISTINCT k.recommendation_id, coalesce(s.regional_group, '') AS g, 1 AS change
          FROM links k JOIN state s ON s.id = k.state_id
          UNION ALL
          SELECT DISTINCT k.recommendation_id,
                 coalesce(c.old_g, coalesce(s.regional_group, '')), -1
          FROM links k JOIN state s ON s.id = k.state_id LEFT JOIN changed c ON c.id = k.state_id)
    INSERT INTO kept_group_status AS k (regional_group, status, count)
    SELECT m.g, coalesce(r.current_status, ''), sum(m.change)
    FROM m JOIN recommendation r ON r.id = m.recommendation_id
    GROUP BY 1, 2 HAVING sum(m.change) <> 0
    ON CONFLICT (regional_group, status) DO UPDATE SET count = k.count + excluded.count;
    """,
}


def _pg_link_triggers(kind: str, table: str) -> dict[str, tuple[str, str, str]]:
    """A link table's three statement triggers (PG allows one event per trigger with
    transition tables)."""
    return {
        f"kept_links_{kind}_insert": (table, "AFTER INSERT", "NEW TABLE AS new_links"),
        f"kept_links_{kind}_delete": (table, "AFTER DELETE", "OLD TABLE AS old_links"),
        f"kept_links_{kind}_update": (
            table,
            "AFTER UPDATE",
            "OLD TABLE AS old_links NEW TABLE AS new_links",
        ),
    }


# trigger -> (table, timing and event, transition tables)
_PG_TRIGGERS = {
    **_pg_link_triggers("state", "recommendation_state"),
    **_pg_link_triggers("theme", "recommendation_theme"),
    "kept_links_rec_insert": ("recommendation", "AFTER INSERT", "NEW TABLE AS new_recs"),
    "kept_links_rec_status": (
        "recommendation",
        "AFTER UPDATE",
        "OLD TABLE AS old_recs NEW TABLE AS new_recs",
    ),
    "kept_links_state_group": (
        "state",
        "AFTER UPDATE",
        "OLD TABLE AS old_states NEW TABLE AS new_states",
    ),
}

# The deletion of a recommendation: a row trigger (before the row goes, while its links are
# there; the cascades that delete them come after it and find no recommendation).
PG_DELETE = f"""
CREATE FUNCTION kept_links_rec_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_LOCK}
    PERFORM kept_links_shift(ARRAY[OLD.id], ARRAY[coalesce(OLD.current_status, '')],
                             ARRAY[NULL::text]);
    RETURN OLD;
END $$
"""


def upgrade() -> None:
    for name, key in (
        ("kept_state_status", sa.Column("state_id", sa.Integer(), nullable=False)),
        ("kept_theme_status", sa.Column("theme_id", sa.Integer(), nullable=False)),
        ("kept_group_status", sa.Column("regional_group", sa.String(length=20), nullable=False)),
    ):
        op.create_table(
            name,
            key,
            sa.Column("status", sa.String(length=30), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(key.name, "status", name=op.f(f"pk_{name}")),
        )
    for sql in RECOUNT:
        op.execute(sql)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_SHIFT)
        for name, body in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body} RETURN NULL; END $$"
            )
        for name, (table, event, referencing) in _PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        op.execute(PG_DELETE)
        op.execute(
            "CREATE TRIGGER kept_links_rec_delete BEFORE DELETE ON recommendation "
            "FOR EACH ROW EXECUTE FUNCTION kept_links_rec_delete()"
        )
    else:
        for name, sql in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {sql}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, _event, _referencing) in _PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP TRIGGER kept_links_rec_delete ON recommendation")
        op.execute("DROP FUNCTION kept_links_rec_delete()")
        op.execute("DROP FUNCTION kept_links_shift(integer[], text[], text[])")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    for name in reversed(TABLES):
        op.drop_table(name)
