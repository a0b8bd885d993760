"""Read side of the Explorer: one sorted page of the recommendations matching a filter.

Sorting and paging happen in the database, so that a page costs the same on 30 rows and on
the whole corpus, and every matching recommendation can be reached (no cap on results).

The sorts by state, cycle, status and response page through *groups*: every recommendation
of one review with one status and response has the same sort keys but its id, so the
matching recommendations counted per group (:func:`match_groups`, a few thousand rows read
from the covering index ``ix_recommendation_review_status``) say which groups a page falls
in, and the page's ids are read from those groups alone, in id order. Sorting every id of a
million recommendations to show 50 took 12.7 s on PostgreSQL (a sequential scan of the table
and a sort on disk: docs/performance.md).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import case, func, null, select
from sqlalchemy.orm import Session

from tracker.filters import Filters
from tracker.i18n import N_, _
from tracker.models import Recommendation, Review
from tracker.queries import (
    CURRENT,
    SUR,
    apply_filters,
    base_select,
    recommendations_frame,
    status_expr,
)
from tracker.vocab import NOT_ASSESSED, STATUS_ORDER, Response

PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PAGE_SIZE = 50

SORT_LABELS: dict[str, str] = {
    "state": N_("State, cycle"),
    "cycle": N_("Cycle, state"),
    "status": N_("Current status"),
    "assessed_on": N_("Date of the latest assessment"),
    "response": N_("Response"),
    "id": N_("Id (order of entry)"),
}
DEFAULT_SORT = "state"


def sort_label(key: str) -> str:
    """Translated label of a sort key."""
    return _(SORT_LABELS[key])


def _order(sort: str, descending: bool, f: Filters | None = None) -> list[Any]:
    # The status the rows show: as of ``f.as_of`` when set (recommendations_frame joins it).
    status_rank = case({s: i for i, s in enumerate(STATUS_ORDER)}, value=status_expr(f), else_=99)
    response_rank = case(
        {r.value: i for i, r in enumerate(Response)}, value=Recommendation.response, else_=99
    )
    keys: dict[str, list[Any]] = {
        "state": [SUR.name, Review.cycle],
        "cycle": [Review.cycle, SUR.name],
        "status": [status_rank, SUR.name, Review.cycle],
        "assessed_on": [CURRENT.assessed_on, SUR.name, Review.cycle],
        "response": [response_rank, SUR.name, Review.cycle],
        "id": [],
    }
    first = keys.get(sort, keys[DEFAULT_SORT])
    if descending and first:
        # Only the main key is reversed; never-assessed rows stay last either way.
        first = [first[0].desc().nulls_last(), *first[1:]]
    elif sort == "assessed_on":
        first = [CURRENT.assessed_on.asc().nulls_last(), *first[1:]]
    tie = Recommendation.id.desc() if descending and sort == "id" else Recommendation.id
    return [*first, tie]


class MatchGroup(NamedTuple):
    """The recommendations matching a filter that share a review (and, for the sorts by
    status and by response, a status or a response)."""

    review_id: int
    state_rank: int  # the rank of the state's name in the database's own order (collation)
    cycle: int
    status: str | None  # for the sort by status, else None
    response: str | None  # for the sort by response, else None
    n: int


def match_groups(
    session: Session, f: Filters | None, sort: str = DEFAULT_SORT
) -> tuple[MatchGroup, ...]:
    """The recommendations matching ``f`` counted per review, and per status or response
    when ``sort`` is by that (one grouped pass over the covering index): the Explorer's
    total and its pages' groups.

    The states' names are ranked by the database (``dense_rank``), so that the groups sort
    as ``ORDER BY name`` does under the database's collation. Only what ``sort`` needs is
    grouped: the page hands the groups back to :func:`explorer_page`, and Streamlit hashes
    them on every rerun (8,000 groups: 0.1 s). The status is the kept column, grouped as
    stored (SQLite then reads the index in its order, without sorting), "not assessed" for
    none; under ``f.as_of`` the sort by status does not use the groups."""
    by_status = sort == "status" and (f is None or f.as_of is None)
    keys: list[Any] = [Recommendation.review_id]
    if by_status:
        keys.append(Recommendation.current_status)
    if sort == "response":
        keys.append(Recommendation.response)
    counted = select(*keys, func.count().label("n")).select_from(Recommendation)
    if f is not None and (f.states or f.cycles):  # filters on the review and its state
        counted = counted.join(Review, Review.id == Recommendation.review_id).join(
            SUR, SUR.id == Review.state_id
        )
    # Counted on the recommendations alone, joined to the 800 reviews after: PostgreSQL
    # counts a million from the covering index with parallel workers (0.38 s) instead of
    # joining every row first (0.61 s).
    grouped = apply_filters(counted, f).group_by(*keys).subquery("grouped")
    rows = session.execute(
        select(
            grouped.c.review_id,
            func.dense_rank().over(order_by=SUR.name),
            Review.cycle,
            grouped.c.current_status if by_status else null(),
            grouped.c.response if sort == "response" else null(),
            grouped.c.n,
        )
        .join(Review, Review.id == grouped.c.review_id)
        .join(SUR, SUR.id == Review.state_id)
    ).all()
    return tuple(
        MatchGroup(rid, rank, cycle, (status or NOT_ASSESSED) if by_status else None, resp, n)
        for rid, rank, cycle, status, resp, n in rows
    )


def total(groups: tuple[MatchGroup, ...]) -> int:
    """The number of matching recommendations of :func:`match_groups`' ``groups``."""
    return sum(g.n for g in groups)


# The sorts served by the groups: their keys before the id, as a function of a group.
_STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
_RESPONSE_RANK = {r.value: i for i, r in enumerate(Response)}
_GROUP_KEYS: dict[str, Any] = {
    "state": lambda g: (g.state_rank, g.cycle),
    "cycle": lambda g: (g.cycle, g.state_rank),
    "status": lambda g: (_STATUS_RANK.get(g.status, 99), g.state_rank, g.cycle),
    "response": lambda g: (_RESPONSE_RANK.get(g.response, 99), g.state_rank, g.cycle),
}


def _sorted_runs(
    groups: tuple[MatchGroup, ...], sort: str, descending: bool
) -> list[list[MatchGroup]]:
    """``groups`` in the order of ``sort`` (only the main key reversed when ``descending``,
    as :func:`_order`), those with equal sort keys together: within one run the
    recommendations are in id order, whichever review or status they belong to."""
    key = _GROUP_KEYS[sort]

    def ordered(g: MatchGroup) -> tuple[int, ...]:
        k = key(g)
        return (-k[0], *k[1:]) if descending else k

    return [list(run) for _k, run in groupby(sorted(groups, key=ordered), key=ordered)]


def _page_ids(
    session: Session,
    f: Filters | None,
    runs: list[list[MatchGroup]],
    sort: str,
    offset: int,
    limit: int,
) -> list[int]:
    """The ids of rows ``offset`` to ``offset + limit`` of the sorted ``runs``: each run the
    page reaches is read in id order from its reviews (and status or response) alone."""
    ids: list[int] = []
    start = 0
    for run in runs:
        size = sum(g.n for g in run)
        if start + size <= offset:
            start += size
            continue
        stmt = apply_filters(base_select(Recommendation.id, current=False), f).where(
            Recommendation.review_id.in_(sorted({g.review_id for g in run}))
        )
        if sort == "status":
            stmt = stmt.where(status_expr(f) == run[0].status)
        if sort == "response":
            response = run[0].response
            stmt = stmt.where(
                Recommendation.response.is_(None)
                if response is None
                else Recommendation.response == response
            )
        skip = max(0, offset - start)
        want = limit - len(ids)
        ids.extend(session.scalars(stmt.order_by(Recommendation.id).limit(want).offset(skip)).all())
        start += size
        if len(ids) >= limit:
            break
    return ids


def explorer_page(
    session: Session,
    f: Filters | None,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    groups: tuple[MatchGroup, ...] | None = None,
) -> pd.DataFrame:
    """Page ``page`` (from 1) of the recommendations matching ``f``, sorted by ``sort`` (a key
    of SORT_LABELS), ``page_size`` rows; columns as queries.recommendations_frame. Under
    ``f.as_of`` the status and the date sorted by are those of that day, as shown.

    ``groups`` (:func:`match_groups` of ``f`` and ``sort``, which the page has read for its
    total) is read here when not given."""
    page = max(1, page)
    offset = (page - 1) * page_size
    as_of = f is not None and f.as_of is not None
    if sort not in _GROUP_KEYS or (sort == "status" and as_of):
        # By date or id (or by the status of a past day): the database sorts the ids.
        return recommendations_frame(
            session,
            f,
            limit=page_size,
            offset=offset,
            order_by=_order(sort, descending, f),
        )
    if groups is None:
        groups = match_groups(session, f, sort)
    ids = _page_ids(session, f, _sorted_runs(groups, sort, descending), sort, offset, page_size)
    # The ids already match ``f``: the columns are read for them with the day shown only
    # (a search's full-text match again cost a third of a whole-corpus search's page).
    shown = None if f is None or f.as_of is None else Filters(as_of=f.as_of)
    df = recommendations_frame(session, shown, ids=ids)
    position = {rec_id: i for i, rec_id in enumerate(ids)}
    return df.sort_values("id", key=lambda col: col.map(position), kind="stable").reset_index(
        drop=True
    )


def page_count(total: int, page_size: int) -> int:
    """Number of pages for ``total`` rows (at least 1)."""
    return max(1, -(-total // page_size))


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SORT",
    "PAGE_SIZES",
    "SORT_LABELS",
    "MatchGroup",
    "explorer_page",
    "match_groups",
    "page_count",
    "sort_label",
    "total",
]
