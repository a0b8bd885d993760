"""The recommendations counted per review, response and current status, as kept in
``review_count`` by the database's own triggers (migration 0012).

Why kept: the Overview, the Progress page and ``stats`` counted every recommendation by
review, response and status on every cold view after any write: a pass over a million rows
of an index (0.3 s on PostgreSQL) for a few thousand totals. The triggers keep the totals
exact whoever writes (importers, edits, ``refresh_current_status``, cascades, a restore,
psql); a filter that restricts by review, response or status only (states under review,
cycles, responses, statuses) sums the kept rows of the reviews it chooses.

Not kept: the status on a past day (``as_of``: the assessments then decide, not
``current_status``), and filters on themes, recommending states or the text (they choose
recommendations, not reviews). Those count the recommendations (:func:`applies` says which).

The first bulk import into an empty table suspends the triggers and counts once at the end
(:func:`suspend`, through ``tracker.kept_counts``); a restore counts
again (:func:`recount`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from tracker import kept_triggers
from tracker.filters import Filters
from tracker.models import Recommendation, Review, ReviewCount, State
from tracker.vocab import NOT_ASSESSED

NONE = ""  # review_count's response of the recommendations without one, status of the unassessed
# The triggers of migration 0012 (tracker/migrations/versions/0012_review_counts.py).
TRIGGERS = ("review_count_insert", "review_count_delete", "review_count_update")
TRIGGER_PREFIX = "review_count_"  # every trigger of migration 0012 (and its truncate one)
PG_TRUNCATE_TRIGGER = "review_count_truncate"


def applies(f: Filters | None) -> bool:
    """True when the kept counts answer for ``f``: it chooses reviews (states under review,
    cycles) and kept keys (responses, statuses: the current ones) and nothing else.

    A response filter naming "" is left to the recommendations: "" stands for none in the
    kept rows, and ``response IN ('')`` does not match a missing response."""
    if f is None:
        return True
    return (
        f.as_of is None
        and not (f.themes or f.recommending or f.regional_groups or f.q)
        and NONE not in f.responses
    )


def grouped(session: Session, f: Filters | None) -> list[tuple[Any, ...]]:
    """Rows (review id, state id, cycle, response, status, count) of the recommendations
    matching ``f`` (:func:`applies` must hold), one per non-empty kept row: what
    ``tracker.queries._grouped`` counts from the recommendations, None for no response and
    ``not_assessed`` for no status as it gives them.

    Two reads of a few thousand rows, put together here: the kept rows, and the reviews'
    states and cycles (no look-up of a review per kept row)."""
    status = func.coalesce(
        func.nullif(ReviewCount.status, NONE), literal(NOT_ASSESSED, literal_execute=True)
    )
    chosen = select(Review.id, Review.state_id, Review.cycle)
    counts = (
        select(
            ReviewCount.review_id, func.nullif(ReviewCount.response, NONE), status, ReviewCount.n
        )
        .where(ReviewCount.n > 0)
        .order_by(ReviewCount.review_id, ReviewCount.response, ReviewCount.status)
    )
    if f is not None:
        if f.states:
            chosen = chosen.join(State, State.id == Review.state_id).where(State.iso3.in_(f.states))
        if f.cycles:
            chosen = chosen.where(Review.cycle.in_(f.cycles))
        if f.states or f.cycles:
            ids = chosen.subquery()
            counts = counts.where(ReviewCount.review_id.in_(select(ids.c.id)))
        if f.responses:
            counts = counts.where(ReviewCount.response.in_(f.responses))
        if f.statuses:
            counts = counts.where(status.in_(f.statuses))
    reviews = {r: (state_id, cycle) for r, state_id, cycle in session.execute(chosen)}
    return [
        (r, *reviews[r], response, st, n)
        for r, response, st, n in session.execute(counts)
        if r in reviews  # a review deleted: its rows are at 0 (and skipped) anyway
    ]


def _keys() -> tuple[Any, Any, Any]:
    """A recommendation's key in review_count: its review, response and status, "" for none."""
    return (
        Recommendation.review_id,
        func.coalesce(Recommendation.response, NONE),
        func.coalesce(Recommendation.current_status, NONE),
    )


def counted(session: Session) -> list[tuple[int, str, str, int]]:
    """(review id, response, status, count) counted from the recommendations, keyed as
    review_count keys them, in key order: what the kept rows with a count hold."""
    keys = _keys()
    rows = session.execute(select(*keys, func.count()).group_by(*keys).order_by(*keys))
    return [(int(r), str(resp), str(st), int(n)) for r, resp, st, n in rows]


def kept(session: Session) -> list[tuple[int, str, str, int]]:
    """The kept rows with a count, as :func:`counted` gives them (the two are equal)."""
    rows = session.execute(
        select(ReviewCount.review_id, ReviewCount.response, ReviewCount.status, ReviewCount.n)
        .where(ReviewCount.n != 0)
        .order_by(ReviewCount.review_id, ReviewCount.response, ReviewCount.status)
    )
    return [(int(r), str(resp), str(st), int(n)) for r, resp, st, n in rows]


def recount(session: Session) -> None:
    """Count every review's recommendations again into ``review_count``, in the caller's
    transaction (after the triggers were suspended, or on a restore)."""
    # Grouped by the bare columns first, in the order of the index (review_id, response,
    # current_status, ...), which SQLite then reads in order without sorting (21 -> 5 ms
    # at 61,000); the few groups that NULL and "" split are merged by the outer grouping.
    raw = (
        select(
            Recommendation.review_id,
            Recommendation.response,
            Recommendation.current_status,
            func.count().label("n"),
        )
        .group_by(Recommendation.review_id, Recommendation.response, Recommendation.current_status)
        .subquery()
    )
    keys = (
        raw.c.review_id,
        func.coalesce(raw.c.response, NONE),
        func.coalesce(raw.c.current_status, NONE),
    )
    session.execute(delete(ReviewCount))
    session.execute(
        insert(ReviewCount).from_select(
            ["review_id", "response", "status", "n"],
            select(*keys, func.sum(raw.c.n)).group_by(*keys),
        )
    )


def suspend(session: Session) -> Callable[[], None]:
    """Stop the triggers for a bulk write of ``recommendation`` in the caller's transaction;
    return what starts them again and counts once (:func:`recount`; call it after the
    write): :func:`tracker.kept_triggers.suspend`."""
    return kept_triggers.suspend(session, TRIGGER_PREFIX, recount)
