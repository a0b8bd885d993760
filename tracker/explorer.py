"""Read side of the Explorer: one sorted page of the recommendations matching a filter.

Sorting and paging happen in the database, so that a page costs the same on 30 rows and on
the whole corpus, and every matching recommendation can be reached (no cap on results).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import case
from sqlalchemy.orm import Session

from tracker.filters import Filters
from tracker.i18n import N_, _
from tracker.models import Recommendation, Review
from tracker.queries import CURRENT, SUR, recommendations_frame, status_expr
from tracker.vocab import STATUS_ORDER, Response

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


def explorer_page(
    session: Session,
    f: Filters | None,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> pd.DataFrame:
    """Page ``page`` (from 1) of the recommendations matching ``f``, sorted by ``sort`` (a key
    of SORT_LABELS), ``page_size`` rows; columns as queries.recommendations_frame. Under
    ``f.as_of`` the status and the date sorted by are those of that day, as shown."""
    page = max(1, page)
    return recommendations_frame(
        session,
        f,
        limit=page_size,
        offset=(page - 1) * page_size,
        order_by=_order(sort, descending, f),
    )


def page_count(total: int, page_size: int) -> int:
    """Number of pages for ``total`` rows (at least 1)."""
    return max(1, -(-total // page_size))


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SORT",
    "PAGE_SIZES",
    "SORT_LABELS",
    "explorer_page",
    "page_count",
    "sort_label",
]
