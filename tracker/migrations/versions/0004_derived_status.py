"""the current status and the flags kept on each recommendation (docs/performance.md)

Measured on 156,000 recommendations with 520,000 assessments (bench/run_all.py): the
Overview, Progress and Flagged pages joined every recommendation to its current assessment
for each chart and walked every assessment history for the "regressed" and "contested"
flags: 3 to 7 s per page after every write. The recommendation now holds what the pages
read (``current_status``, ``current_assessed_on``, ``regressed_from_id``, ``contested``),
kept by ``tracker.assessments.refresh_current_status`` with ``current_assessment_id``, which
every write of assessments already calls.

The index on ``review_id`` becomes ``(review_id, response, current_status,
current_assessed_on)``: the counts by review, response and status (``stats``, every chart)
and the partially implemented and stale lists read the index, not the table with its texts
(0.35 s -> 0.13 s for the grouped count of the whole corpus).

Each counting assessment gets ``previous_status``, the status of the recommendation's
counting assessment before it, and the index ``(assessed_on, status, previous_status,
recommendation_id)`` replaces the one on ``assessed_on``: the status history by day is read
from that index in date order (0.26 s instead of 1.1 s for a window function over every
assessment of the corpus).

``regressed_from_id`` is no foreign key: it is derived data, recomputed with the rest (an
``ALTER TABLE ... ADD COLUMN`` with a constraint would make SQLite rebuild the table, and a
rebuild drops the full-text triggers of migration 0002).

The upgrade fills the columns with a copy of the refresh as it was when this migration was
written (one statement per column on the whole table; a few seconds on the whole corpus).
The copy is frozen on purpose: it reads the tables through ``sa.table`` definitions made
here, never ``tracker.models`` or ``tracker.assessments``, so that a later change of the
models or of the rule cannot break upgrading an old database through this step (a later
change of the rule gets its own migration). tests/test_migrations.py checks that the result
equals what today's ``refresh_current_status`` computes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column]:
    return [
        sa.Column("current_status", sa.String(30), nullable=True),
        sa.Column("current_assessed_on", sa.Date(), nullable=True),
        sa.Column("regressed_from_id", sa.Integer(), nullable=True),
        sa.Column("contested", sa.Boolean(), nullable=False, server_default="0"),
    ]


# (index, column, SQLite condition, PostgreSQL condition): only the few flagged rows.
PARTIAL_INDEXES = [
    (
        "ix_recommendation_regressed",
        "regressed_from_id",
        "regressed_from_id IS NOT NULL",
        "regressed_from_id IS NOT NULL",
    ),
    ("ix_recommendation_contested", "contested", "contested IS 1", "contested IS TRUE"),
]


# op.add_column / op.create_index, never batch_alter_table (see 0003: a batch on SQLite would
# rebuild the recommendation table and drop the full-text triggers).
def upgrade() -> None:
    for column in _columns():
        op.add_column("recommendation", column)
    op.add_column("assessment", sa.Column("previous_status", sa.String(30), nullable=True))
    # Filled before the indexes are built (one build instead of an update per row).
    _fill(op.get_bind())
    # Covering for the counts by review, response and status; replaces the review_id index
    # (its first column).
    op.create_index(
        "ix_recommendation_review_status",
        "recommendation",
        ["review_id", "response", "current_status", "current_assessed_on"],
    )
    op.drop_index("ix_recommendation_review_id", table_name="recommendation")
    op.create_index(
        "ix_assessment_history",
        "assessment",
        ["assessed_on", "status", "previous_status", "recommendation_id"],
    )
    op.drop_index("ix_assessment_assessed_on", table_name="assessment")
    for name, indexed, sqlite_where, postgresql_where in PARTIAL_INDEXES:
        op.create_index(
            name,
            "recommendation",
            [indexed],
            sqlite_where=sa.text(sqlite_where),
            postgresql_where=sa.text(postgresql_where),
        )


def downgrade() -> None:
    for name, _column, _sqlite, _postgresql in reversed(PARTIAL_INDEXES):
        op.drop_index(name, table_name="recommendation")
    op.create_index("ix_recommendation_review_id", "recommendation", ["review_id"])
    op.drop_index("ix_recommendation_review_status", table_name="recommendation")
    op.create_index("ix_assessment_assessed_on", "assessment", ["assessed_on"])
    op.drop_index("ix_assessment_history", table_name="assessment")
    op.drop_column("assessment", "previous_status")
    for column in reversed(_columns()):
        op.drop_column("recommendation", column.name)


# --- the refresh, frozen as of this revision ---------------------------------------------------
# The tables as this revision leaves them (only the columns the refresh reads or writes).
recommendation = sa.table(
    "recommendation",
    sa.column("id", sa.Integer()),
    sa.column("current_assessment_id", sa.Integer()),
    sa.column("current_status", sa.String()),
    sa.column("current_assessed_on", sa.Date()),
    sa.column("regressed_from_id", sa.Integer()),
    sa.column("contested", sa.Boolean()),
)
assessment = sa.table(
    "assessment",
    sa.column("id", sa.Integer()),
    sa.column("recommendation_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("assessed_on", sa.Date()),
    sa.column("source_org", sa.String()),
    sa.column("retracts_id", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
    sa.column("previous_status", sa.String()),
)
# The progress rank of the statuses that judge progress ("no_information" has none).
STATUS_RANK = {"fully_implemented": 2, "partially_implemented": 1, "not_implemented": 0}
RANKED = tuple(STATUS_RANK)
CONTESTED_DAYS = 365  # twelve months of 30.4375 days, rounded
CHUNK = 500  # ids per statement: under SQLite's bound-parameter limit


def _history_order(a: Any, *, newest_first: bool = False) -> tuple[Any, ...]:
    terms = (a.c.assessed_on, a.c.created_at, a.c.id)
    return tuple(t.desc() for t in terms) if newest_first else terms


def _effective(a: Any) -> tuple[Any, ...]:
    """Conditions: the assessment counts (no retraction, and not retracted)."""
    retracted = sa.select(assessment.c.retracts_id).where(assessment.c.retracts_id.is_not(None))
    return (a.c.retracts_id.is_(None), a.c.id.not_in(retracted))


def _rank(status: Any) -> Any:
    return sa.case(STATUS_RANK, value=status)


def _fill(conn: sa.Connection) -> None:
    """Set the derived columns of every recommendation and assessment."""
    rec = recommendation
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE recommendation, assessment"))
    a = assessment.alias("a")
    latest = (
        sa.select(a.c.id)
        .where(a.c.recommendation_id == rec.c.id, *_effective(a))
        .order_by(*_history_order(a, newest_first=True))
        .limit(1)
        .correlate(rec)
        .scalar_subquery()
    )
    conn.execute(sa.update(rec).values(current_assessment_id=latest))
    cur = assessment.alias("cur")

    def of_current(column: Any) -> Any:
        return (
            sa.select(column)
            .where(cur.c.id == rec.c.current_assessment_id)
            .correlate(rec)
            .scalar_subquery()
        )

    conn.execute(
        sa.update(rec).values(
            current_status=of_current(cur.c.status),
            current_assessed_on=of_current(cur.c.assessed_on),
        )
    )
    # Regressed: the latest ranked assessment of an earlier day, kept where the current
    # status ranks below it.
    earlier = assessment.alias("earlier")
    previous = (
        sa.select(earlier.c.id)
        .where(
            earlier.c.recommendation_id == rec.c.id,
            earlier.c.assessed_on < rec.c.current_assessed_on,
            earlier.c.status.in_(RANKED),
            *_effective(earlier),
        )
        .order_by(*_history_order(earlier, newest_first=True))
        .limit(1)
        .correlate(rec)
        .scalar_subquery()
    )
    conn.execute(
        sa.update(rec)
        .values(regressed_from_id=sa.case((rec.c.current_status.in_(RANKED), previous)))
        .where(rec.c.current_status.is_not(None))
    )
    before = assessment.alias("before")
    conn.execute(
        sa.update(rec)
        .values(regressed_from_id=None)
        .where(rec.c.regressed_from_id.is_not(None))
        .where(
            ~sa.exists()
            .where(before.c.id == rec.c.regressed_from_id)
            .where(_rank(rec.c.current_status) < _rank(before.c.status))
        )
    )
    # Each counting assessment's previous status (the ones that do not count keep NULL).
    counting = assessment.alias("counting")
    lagged = (
        sa.select(
            counting.c.id,
            sa.func.lag(counting.c.status)
            .over(partition_by=counting.c.recommendation_id, order_by=_history_order(counting))
            .label("before"),
        )
        .where(*_effective(counting))
        .subquery()
    )
    conn.execute(
        sa.update(assessment)
        .values(previous_status=lagged.c.before)
        .where(assessment.c.id == lagged.c.id)
        .where(lagged.c.before.is_not(None))
    )
    contested = _disagreements(conn)
    for start in range(0, len(contested), CHUNK):
        conn.execute(
            sa.update(rec)
            .values(contested=True)
            .where(rec.c.id.in_(contested[start : start + CHUNK]))
        )


def _disagreements(conn: sa.Connection) -> list[int]:
    """The recommendations whose sources disagree: the latest assessment of each source
    (names compared without case and extra spaces), among those made within
    CONTESTED_DAYS of the recommendation's latest one, give different ranked statuses."""
    rec = recommendation
    recent = assessment.alias("recent")
    since: Any
    if conn.dialect.name == "sqlite":  # dates are stored as YYYY-MM-DD text
        since = sa.func.date(rec.c.current_assessed_on, f"-{CONTESTED_DAYS} days")
    else:
        since = rec.c.current_assessed_on - CONTESTED_DAYS
    candidates = (
        sa.select(rec.c.id)
        .join(recent, recent.c.recommendation_id == rec.c.id)
        .where(recent.c.assessed_on >= since, *_effective(recent))
        .group_by(rec.c.id)
        .having(sa.func.count(sa.distinct(recent.c.source_org)) > 1)
        .having(
            sa.func.count(sa.distinct(sa.case((recent.c.status.in_(RANKED), recent.c.status)))) > 1
        )
    )
    a = assessment
    rows = conn.execute(
        sa.select(a.c.recommendation_id, a.c.status, a.c.assessed_on, a.c.source_org)
        .where(*_effective(a))
        .where(a.c.recommendation_id.in_(candidates.subquery().select()))
        .order_by(a.c.recommendation_id, *_history_order(a))
    ).all()
    limit = dt.timedelta(days=CONTESTED_DAYS)
    found: list[int] = []
    for rec_id, group in groupby(rows, key=itemgetter(0)):
        history = list(group)
        latest_on = history[-1][2]
        by_source = {" ".join(r[3].split()).casefold(): r for r in history}  # the last wins
        views = {
            r[1] for r in by_source.values() if r[1] in STATUS_RANK and latest_on - r[2] <= limit
        }
        if len(views) > 1:
            found.append(int(rec_id))
    return found
