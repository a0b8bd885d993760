"""The read side: filters -> numbers and pandas DataFrames with stable column names.

Every function takes a Session (the caller owns its lifetime) and a :class:`Filters`.
A recommendation's current status is its ``current_assessment`` (see tracker.assessments);
"not_assessed" stands for none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, distinct, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from tracker.filters import Filters
from tracker.models import (
    Assessment,
    Recommendation,
    Review,
    State,
    Theme,
    recommendation_states,
    recommendation_themes,
)
from tracker.search import text_condition
from tracker.vocab import NOT_ASSESSED, STATUS_ORDER, Response

if TYPE_CHECKING:
    import pandas as pd  # imported by the functions that use it: 0.5 s that `stats` saves

CURRENT = aliased(Assessment, name="current_assessment")
IN_LIST_LIMIT = 5000  # ids per IN (...) list; above it, scan the link table once
SUR = aliased(State, name="sur")

# Columns of recommendations_frame, in order (a contract for the pages and the exports).
RECOMMENDATION_COLUMNS = [
    "id",
    "state",
    "state_iso3",
    "cycle",
    "session",
    "review_date",
    "report_symbol",
    "paragraph",
    "text",
    "response",
    "action_category",
    "recommending_states",
    "recommending_iso3",
    "themes",
    "status",
    "assessed_on",
    "source_org",
    "evidence",
    "evidence_url",
    "is_sample",
]


def status_expr():  # type: ignore[no-untyped-def]
    """SQL expression: the current status, or 'not_assessed'."""
    # Rendered inline, not as a bound parameter: PostgreSQL only accepts "GROUP BY" on this
    # expression when SELECT and GROUP BY spell it identically.
    return func.coalesce(CURRENT.status, literal(NOT_ASSESSED, literal_execute=True))


def base_select(*columns: Any) -> Select:
    """SELECT columns FROM recommendation JOIN review JOIN state (sur) LEFT JOIN current."""
    return (
        select(*columns)
        .select_from(Recommendation)
        .join(Review, Review.id == Recommendation.review_id)
        .join(SUR, SUR.id == Review.state_id)
        .outerjoin(CURRENT, CURRENT.id == Recommendation.current_assessment_id)
    )


def apply_filters(stmt: Select, f: Filters | None) -> Select:
    """Add the WHERE conditions of ``f`` to a statement built on :func:`base_select`."""
    if f is None:
        return stmt
    if f.states:
        stmt = stmt.where(SUR.iso3.in_(f.states))
    if f.cycles:
        stmt = stmt.where(Review.cycle.in_(f.cycles))
    if f.responses:
        stmt = stmt.where(Recommendation.response.in_(f.responses))
    if f.statuses:
        stmt = stmt.where(status_expr().in_(f.statuses))
    if f.themes:
        stmt = stmt.where(
            exists()
            .where(recommendation_themes.c.recommendation_id == Recommendation.id)
            .where(recommendation_themes.c.theme_id == Theme.id)
            .where(Theme.name.in_(f.themes))
        )
    if f.recommending or f.regional_groups:
        rs = aliased(State, name="rs")
        conds = []
        if f.recommending:
            conds.append(rs.iso3.in_(f.recommending))
        if f.regional_groups:
            conds.append(rs.regional_group.in_(f.regional_groups))
        stmt = stmt.where(
            exists()
            .where(recommendation_states.c.recommendation_id == Recommendation.id)
            .where(recommendation_states.c.state_id == rs.id)
            .where(or_(*conds))
        )
    if f.q:
        stmt = stmt.where(text_condition(f.q, lead=not f.states))
    return stmt


def filtered_ids(f: Filters | None) -> Select:
    """A subquery-ready SELECT of the ids of the recommendations matching ``f``."""
    return apply_filters(base_select(Recommendation.id), f)


def matches(column: Any, f: Filters | None) -> ColumnElement[bool]:
    """``column IN (ids of the recommendations matching f)``, or simply true when ``f``
    restricts nothing: every recommendation matches then (each has a review and a state),
    and the IN list would read the whole recommendation table for nothing."""
    if f is None or f.is_empty():
        return true()
    ids = filtered_ids(f).subquery()  # a subquery: never correlated with the outer query
    return column.in_(select(ids.c.id))


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def stats(session: Session, f: Filters | None = None) -> dict[str, Any]:
    """The figures of ``stats --json`` (exactly the contract's keys) for the filter.

    Three queries: one grouped pass over the matching recommendations (by review, response
    and status, from which the counts per cycle, response and status, the reviews and the
    states are summed), one over their recommending states, one counting assessments."""
    grouped = session.execute(
        apply_filters(
            base_select(
                Review.id,
                Review.state_id,
                Review.cycle,
                Recommendation.response,
                status_expr(),
                func.count(),
            ),
            f,
        ).group_by(Review.id, Review.state_id, Review.cycle, Recommendation.response, status_expr())
    ).all()
    pairs, recommending = session.execute(
        select(func.count(), func.count(distinct(recommendation_states.c.state_id))).where(
            matches(recommendation_states.c.recommendation_id, f)
        )
    ).one()
    assessments = (
        session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(matches(Assessment.recommendation_id, f))
        )
        or 0
    )
    by_cycle: dict[int, int] = defaultdict(int)
    by_response: dict[str, int] = {"supported": 0, "noted": 0}
    by_status = dict.fromkeys(STATUS_ORDER, 0)
    reviews: set[int] = set()
    states: set[int] = set()
    for review_id, state_id, cycle, resp, st, n in grouped:
        reviews.add(review_id)
        states.add(state_id)
        by_cycle[cycle] += n
        by_response[resp or "unknown"] = by_response.get(resp or "unknown", 0) + n
        by_status[st] = by_status.get(st, 0) + n
    return {
        "recommendations": sum(by_cycle.values()),
        "recommendation_state_pairs": pairs or 0,
        "reviews": len(reviews),
        "states_under_review": len(states),
        "recommending_states": recommending or 0,
        "assessments": assessments,
        "by_cycle": {str(c): n for c, n in sorted(by_cycle.items())},
        "by_response": by_response,
        "by_status": by_status,
    }


def status_counts(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: status, count — every status in display order, zeros included."""
    import pandas as pd

    rows = dict(
        session.execute(
            apply_filters(base_select(status_expr(), func.count()), f).group_by(status_expr())
        ).all()
    )
    return pd.DataFrame(
        {"status": list(STATUS_ORDER), "count": [int(rows.get(s, 0)) for s in STATUS_ORDER]}
    )


def response_status_counts(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: response, status, count (only non-zero cells)."""
    import pandas as pd

    rows = session.execute(
        apply_filters(
            base_select(Recommendation.response, status_expr(), func.count()), f
        ).group_by(Recommendation.response, status_expr())
    ).all()
    return pd.DataFrame(rows, columns=["response", "status", "count"])


def states_under_review(session: Session) -> pd.DataFrame:
    """Columns: iso3, name, recommendations — states with at least one recommendation."""
    import pandas as pd

    # Counted per review first: one pass over the review_id index, in its order (grouping
    # the joined rows by state instead sorted the whole corpus; 0.1 s at 150k).
    per_review = (
        select(Recommendation.review_id, func.count().label("n"))
        .group_by(Recommendation.review_id)
        .subquery()
    )
    rows = session.execute(
        select(State.iso3, State.name, func.sum(per_review.c.n))
        .join(Review, Review.state_id == State.id)
        .join(per_review, per_review.c.review_id == Review.id)
        .group_by(State.iso3, State.name)
        .order_by(State.name)
    ).all()
    return pd.DataFrame(
        [(iso3, name, int(n)) for iso3, name, n in rows],
        columns=["iso3", "name", "recommendations"],
    )


def recommending_state_options(session: Session) -> pd.DataFrame:
    """Columns: iso3, name, regional_group — states that made at least one recommendation."""
    import pandas as pd

    rows = session.execute(
        select(State.iso3, State.name, State.regional_group)
        .where(exists().where(recommendation_states.c.state_id == State.id))
        .order_by(State.name)
    ).all()
    return pd.DataFrame(rows, columns=["iso3", "name", "regional_group"])


def theme_options(session: Session) -> list[str]:
    return list(session.scalars(select(Theme.name).order_by(Theme.name)))


def cycle_options(session: Session) -> list[int]:
    return list(session.scalars(select(Review.cycle).distinct().order_by(Review.cycle)))


def latest_assessment_date(session: Session, f: Filters | None = None) -> dt.date | None:
    return session.scalar(
        select(func.max(Assessment.assessed_on)).where(matches(Assessment.recommendation_id, f))
    )


def count(session: Session, f: Filters | None = None) -> int:
    return _count(session, filtered_ids(f))


def recommendations_frame(
    session: Session,
    f: Filters | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    ids: list[int] | None = None,
    order_by: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """One row per recommendation matching ``f`` (columns: RECOMMENDATION_COLUMNS), ordered by
    ``order_by`` (SQL expressions on :func:`base_select`'s tables), by default by state,
    cycle, id; ``limit``/``offset`` page through the result."""
    import pandas as pd

    stmt = apply_filters(
        base_select(
            Recommendation.id,
            SUR.name,
            SUR.iso3,
            Review.cycle,
            Review.session,
            Review.review_date,
            Review.report_symbol,
            Recommendation.paragraph,
            Recommendation.text,
            Recommendation.response,
            Recommendation.action_category,
            status_expr(),
            CURRENT.assessed_on,
            CURRENT.source_org,
            CURRENT.evidence,
            CURRENT.evidence_url,
            Recommendation.is_sample,
        ),
        f,
    ).order_by(*(order_by or (SUR.name, Review.cycle, Recommendation.id)))
    if ids is not None:
        stmt = stmt.where(Recommendation.id.in_(ids))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    rows = session.execute(stmt).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "id",
            "state",
            "state_iso3",
            "cycle",
            "session",
            "review_date",
            "report_symbol",
            "paragraph",
            "text",
            "response",
            "action_category",
            "status",
            "assessed_on",
            "source_org",
            "evidence",
            "evidence_url",
            "is_sample",
        ],
    )
    rec_ids = df["id"].tolist()
    states, isos, themes = _related(session, rec_ids)
    df["recommending_states"] = [", ".join(states.get(i, [])) for i in rec_ids]
    df["recommending_iso3"] = [", ".join(isos.get(i, [])) for i in rec_ids]
    df["themes"] = ["; ".join(themes.get(i, [])) for i in rec_ids]
    df["action_category"] = df["action_category"].astype("Int64")
    return df[RECOMMENDATION_COLUMNS]


def _related(
    session: Session, rec_ids: list[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]], dict[int, list[str]]]:
    """Recommending state names/codes and theme names per recommendation id."""
    states: dict[int, list[str]] = defaultdict(list)
    isos: dict[int, list[str]] = defaultdict(list)
    themes: dict[int, list[str]] = defaultdict(list)
    if not rec_ids:
        return states, isos, themes
    q_states = (
        select(recommendation_states.c.recommendation_id, State.name, State.iso3)
        .join(State, State.id == recommendation_states.c.state_id)
        .order_by(State.name)
    )
    q_themes = (
        select(recommendation_themes.c.recommendation_id, Theme.name)
        .join(Theme, Theme.id == recommendation_themes.c.theme_id)
        .order_by(Theme.name)
    )
    if len(rec_ids) <= IN_LIST_LIMIT:
        q_states = q_states.where(recommendation_states.c.recommendation_id.in_(rec_ids))
        q_themes = q_themes.where(recommendation_themes.c.recommendation_id.in_(rec_ids))
    # Above the limit one pass over the link tables beats a huge IN list.
    wanted = set(rec_ids)
    for rid, name, iso in session.execute(q_states):
        if rid in wanted:
            states[rid].append(name)
            isos[rid].append(iso)
    for rid, name in session.execute(q_themes):
        if rid in wanted:
            themes[rid].append(name)
    return states, isos, themes


def assessments_frame(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Every assessment of the recommendations matching ``f``, oldest first.

    Columns: recommendation_id, assessment_id, status, assessed_on, source_org, evidence,
    evidence_url, author, created_at, retracts_id, is_sample.
    """
    import pandas as pd

    rows = session.execute(
        select(
            Assessment.recommendation_id,
            Assessment.id,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.source_org,
            Assessment.evidence,
            Assessment.evidence_url,
            Assessment.author,
            Assessment.created_at,
            Assessment.retracts_id,
            Assessment.is_sample,
        )
        .where(matches(Assessment.recommendation_id, f))
        .order_by(
            Assessment.recommendation_id,
            Assessment.assessed_on,
            Assessment.created_at,
            Assessment.id,
        )
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "recommendation_id",
            "assessment_id",
            "status",
            "assessed_on",
            "source_org",
            "evidence",
            "evidence_url",
            "author",
            "created_at",
            "retracts_id",
            "is_sample",
        ],
    )


def supported_noted(session: Session, f: Filters | None = None) -> dict[str, int]:
    """{"supported": n, "noted": n, "other": n} for the filter."""
    rows = dict(
        session.execute(
            apply_filters(base_select(Recommendation.response, func.count()), f).group_by(
                Recommendation.response
            )
        ).all()
    )
    supported = int(rows.pop(Response.SUPPORTED.value, 0))
    noted = int(rows.pop(Response.NOTED.value, 0))
    return {"supported": supported, "noted": noted, "other": int(sum(rows.values()))}


__all__ = [
    "CURRENT",
    "RECOMMENDATION_COLUMNS",
    "SUR",
    "apply_filters",
    "assessments_frame",
    "base_select",
    "count",
    "cycle_options",
    "filtered_ids",
    "latest_assessment_date",
    "matches",
    "recommendations_frame",
    "recommending_state_options",
    "response_status_counts",
    "states_under_review",
    "stats",
    "status_counts",
    "supported_noted",
    "theme_options",
]
