"""The status history as changes per day: counted from the assessments, and kept for the
whole corpus in the ``status_day`` table (migration 0010).

Each assessment that counts (not a retraction, not retracted, not private, not a draft)
adds one to its status on its day and takes one from its ``previous_status`` (the status of
its recommendation's counting assessment before it, kept by
``tracker.assessments.refresh_current_status``); a first assessment (no previous status)
adds one to the recommendations assessed. Summing the changes up to a day gives each
recommendation's latest status by then. The Progress page's "status over time" sums them
(tracker.progress.status_over_time).

Why kept: counting them reads every assessment (0.33 s of CPU on the 520,000 of the
benchmark corpus, 0.8 s on a million), on every first view after any write, for a few
thousand days' totals. Kept exactly: every write of assessments ends in
``refresh_current_status``, which calls :func:`keep_status_days` with the recommendations it
refreshed; the days of their assessments are counted again from the assessments (a day's
totals depend on that day's assessments alone), every day on a full refresh (an import of a
corpus, a restore, the sample).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    case,
    delete,
    func,
    insert,
    select,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from tracker.models import Assessment, StatusDay
from tracker.vocab import Status

ASSESSED_STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
FIRST = ""  # status_day.status of the row counting the recommendations first assessed
CHUNK = 500  # values per IN list: under SQLite's bound-parameter limit
# PostgreSQL: writers keeping the same days take turns (see keep_status_days).
STATUS_DAY_LOCK_KEY = 0x55505244  # "UPRD"

T = TypeVar("T")
DayChanges = tuple[dt.date, dict[str, int], int]  # (day, {status: change}, first assessed)


def hidden_ids() -> CompoundSelect:
    """SELECT of the ids of the private assessments and drafts (the public figures leave
    them out): two look-ups of the partial indexes of migration 0007, no table scan."""
    return union_all(
        select(Assessment.id).where(Assessment.is_private.is_(True)),
        select(Assessment.id).where(Assessment.is_draft.is_(True)),
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: how many rows of the group meet ``condition`` (SQLite and PostgreSQL alike)."""
    return func.sum(case((condition, 1), else_=0))


def day_changes(*where: ColumnElement[bool]) -> Select:
    """SELECT day, first assessed, one change per status of :data:`ASSESSED_STATUSES`, of
    the counting assessments meeting ``where``, grouped by day in date order.

    Read from the covering index ix_assessment_history in date order: no window function,
    no sort, no table access."""
    retracted = select(Assessment.retracts_id).where(Assessment.retracts_id.is_not(None))
    retractions = select(Assessment.id).where(Assessment.retracts_id.is_not(None))
    changes = [
        _count_if(Assessment.status == s) - _count_if(Assessment.previous_status == s)
        for s in ASSESSED_STATUSES
    ]
    return (
        select(Assessment.assessed_on, _count_if(Assessment.previous_status.is_(None)), *changes)
        # Two index-only tests (the partial retraction index), not "retracts_id IS NULL",
        # which would read the table; private ones and drafts: the partial indexes of 0007.
        .where(Assessment.id.not_in(retracted), Assessment.id.not_in(retractions))
        .where(Assessment.id.not_in(hidden_ids()))
        .where(*where)
        .group_by(Assessment.assessed_on)
        .order_by(Assessment.assessed_on)
    )


def counted_changes(session: Session, *where: ColumnElement[bool]) -> list[DayChanges]:
    """The changes per day of the counting assessments meeting ``where``, counted from the
    assessments: [(day, {status: change}, recommendations first assessed that day)]."""
    return _as_changes(session.execute(day_changes(*where)))


def kept_changes(session: Session) -> list[DayChanges]:
    """The changes per day of the whole corpus, read from ``status_day``: what
    ``counted_changes(session)`` counts, by day. Summed into one row per day in the
    database, in the primary key's order (a quarter of the rows to read)."""

    def change_of(status: str) -> ColumnElement[int]:
        return func.sum(case((StatusDay.status == status, StatusDay.change), else_=0))

    rows = session.execute(
        select(StatusDay.day, change_of(FIRST), *map(change_of, ASSESSED_STATUSES))
        .group_by(StatusDay.day)
        .order_by(StatusDay.day)
    )
    return _as_changes(rows)


def _as_changes(rows: Iterable[Sequence[Any]]) -> list[DayChanges]:
    """Rows (day, first assessed, one change per status of ASSESSED_STATUSES) as
    DayChanges."""
    return [
        (day, dict(zip(ASSESSED_STATUSES, map(int, deltas), strict=True)), int(first))
        for day, first, *deltas in rows
    ]


def keep_status_days(session: Session, recommendation_ids: Sequence[int] | None) -> None:
    """Count again, into ``status_day``, the days of the assessments of
    ``recommendation_ids`` (every day when None), in the caller's transaction. Called by
    ``refresh_current_status`` after it has kept ``previous_status``."""
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions counting the same day at once would each miss the other's new
        # assessments (and insert the same keys): they take turns, the later one counting
        # after the earlier one committed. (SQLite: one writer at a time anyway.)
        session.execute(
            sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": STATUS_DAY_LOCK_KEY}
        )
    if recommendation_ids is None:
        session.execute(delete(StatusDay))
        _insert(session, counted_changes(session))
        return
    days: set[dt.date] = set()
    for ids in _chunks(recommendation_ids):
        days.update(
            session.scalars(
                select(Assessment.assessed_on)
                .where(Assessment.recommendation_id.in_(ids))
                .distinct()
            )
        )
    for chunk in _chunks(sorted(days)):
        session.execute(delete(StatusDay).where(StatusDay.day.in_(chunk)))
        _insert(session, counted_changes(session, Assessment.assessed_on.in_(chunk)))


def _insert(session: Session, changes: list[DayChanges]) -> None:
    """Rows of ``status_day`` for ``changes``: each day's first-assessed row (even when 0:
    the day is a point of the history) and its statuses that changed."""
    rows = [
        {"day": day, "status": status, "change": change}
        for day, deltas, first in changes
        for status, change in [(FIRST, first), *((s, n) for s, n in deltas.items() if n)]
    ]
    if rows:
        session.execute(insert(StatusDay), rows)


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


__all__ = [
    "ASSESSED_STATUSES",
    "FIRST",
    "DayChanges",
    "counted_changes",
    "day_changes",
    "hidden_ids",
    "keep_status_days",
    "kept_changes",
]
