"""Read side of the Progress and Recommending-states pages: current status broken down by
cycle, theme, recommending state and regional group, and status over time from the
assessment history.

Every function takes a Session and a :class:`~tracker.filters.Filters` and returns a
DataFrame in long form (one row per category and status, zeros left out) that the chart
builders in :mod:`tracker.charts` draw. Counting rules:

* by cycle / response: each recommendation once;
* by theme: each recommendation once under each of its themes (so the bars add up to more
  than the number of recommendations), ``""`` for recommendations without a theme;
* by recommending state: each recommendation once under each state that made it;
* by regional group: each recommendation once per group (two WEOG states making the same
  recommendation count once for WEOG).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd
from sqlalchemy import distinct, func, select
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
from tracker.queries import apply_filters, base_select, matches, status_expr
from tracker.states import shown_name
from tracker.vocab import REGIONAL_GROUPS, STATUS_ORDER, Status

RS = aliased(State, name="recommending")
OTHER = "__other__"  # the key of the "other" bucket made by top_categories
MAX_TIME_POINTS = 48  # more dates than this are summarised by month, quarter or year
ASSESSED_STATUSES: tuple[str, ...] = tuple(s.value for s in Status)


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    if "count" in df:
        df["count"] = df["count"].astype(int)
    return df


def status_by_cycle(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: cycle, status, count; cycles in order."""
    stmt = (
        apply_filters(base_select(Review.cycle, status_expr(), func.count()), f)
        .group_by(Review.cycle, status_expr())
        .order_by(Review.cycle)
    )
    return _frame(session.execute(stmt).all(), ["cycle", "status", "count"])


def status_by_theme(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: theme ("" = no theme), status, count."""
    stmt = (
        base_select(Theme.name, status_expr(), func.count())
        .outerjoin(
            recommendation_themes, recommendation_themes.c.recommendation_id == Recommendation.id
        )
        .outerjoin(Theme, Theme.id == recommendation_themes.c.theme_id)
    )
    stmt = apply_filters(stmt, f).group_by(Theme.name, status_expr())
    df = _frame(session.execute(stmt).all(), ["theme", "status", "count"])
    df["theme"] = df["theme"].fillna("")
    return df


def status_by_recommending_state(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: iso3, name, regional_group, status, count."""
    stmt = (
        base_select(RS.iso3, RS.name, RS.regional_group, status_expr(), func.count())
        .join(recommendation_states, recommendation_states.c.recommendation_id == Recommendation.id)
        .join(RS, RS.id == recommendation_states.c.state_id)
    )
    stmt = apply_filters(stmt, f).group_by(RS.iso3, RS.name, RS.regional_group, status_expr())
    return _frame(
        session.execute(stmt).all(), ["iso3", "name", "regional_group", "status", "count"]
    )


def status_by_regional_group(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: regional_group ("" = none, e.g. observer states), status, count; groups in
    the order of vocab.REGIONAL_GROUPS, "" last."""
    stmt = (
        base_select(RS.regional_group, status_expr(), func.count(distinct(Recommendation.id)))
        .join(recommendation_states, recommendation_states.c.recommendation_id == Recommendation.id)
        .join(RS, RS.id == recommendation_states.c.state_id)
    )
    stmt = apply_filters(stmt, f).group_by(RS.regional_group, status_expr())
    df = _frame(session.execute(stmt).all(), ["regional_group", "status", "count"])
    df["regional_group"] = df["regional_group"].fillna("")
    order = {g: i for i, g in enumerate(REGIONAL_GROUPS)}
    df["_order"] = df["regional_group"].map(lambda g: order.get(g, len(order)))
    df = df.sort_values(["_order", "regional_group"], kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)


def recommending_state_totals(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: iso3, name, regional_group, recommendations, partially_implemented — one row
    per recommending state, most recommendations first (for the map and the state list)."""
    df = status_by_recommending_state(session, f)
    if df.empty:
        return pd.DataFrame(
            columns=["iso3", "name", "regional_group", "recommendations", "partially_implemented"]
        )
    keys = ["iso3", "name", "regional_group"]
    df["regional_group"] = df["regional_group"].fillna("")
    totals = df.groupby(keys, as_index=False)["count"].sum()
    partial = (
        df[df["status"] == Status.PARTIALLY_IMPLEMENTED.value]
        .groupby(keys, as_index=False)["count"]
        .sum()
        .rename(columns={"count": "partially_implemented"})
    )
    out = totals.rename(columns={"count": "recommendations"}).merge(partial, on=keys, how="left")
    out["partially_implemented"] = out["partially_implemented"].fillna(0).astype(int)
    return out.sort_values(["recommendations", "name"], ascending=[False, True]).reset_index(
        drop=True
    )


def state_choices(totals: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """ISO code -> (name, "Name (count)") for a recommending_state_totals frame, in its
    order (most recommendations first)."""
    return {
        iso: (shown_name(name), f"{shown_name(name)} ({n:,})")
        for iso, name, n in zip(
            totals["iso3"], totals["name"], totals["recommendations"], strict=True
        )
    }


def top_categories(df: pd.DataFrame, key: str, n: int) -> pd.DataFrame:
    """Keep the ``n`` categories of ``df[key]`` with the most recommendations (ties by name);
    sum the rest into one category :data:`OTHER`. Columns kept: key, status, count; rows in
    the order of the categories (largest first, OTHER last)."""
    if df.empty:
        return df[[key, "status", "count"]].copy()
    totals = df.groupby(key)["count"].sum().reset_index()
    totals = totals.sort_values(["count", key], ascending=[False, True], key=_sort_key)
    top = list(totals[key].head(n))
    kept = df[df[key].isin(top)][[key, "status", "count"]]
    rest = df[~df[key].isin(top)]
    parts = [kept]
    if not rest.empty:
        other = rest.groupby("status", as_index=False)["count"].sum()
        other.insert(0, key, OTHER)
        parts.append(other)
    out = pd.concat(parts, ignore_index=True)
    order = {k: i for i, k in enumerate([*top, OTHER])}
    out["_order"] = out[key].map(order)
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def _sort_key(col: pd.Series) -> pd.Series:
    return col.map(lambda v: v.casefold() if isinstance(v, str) else v)


def _status_changes(
    session: Session, f: Filters | None
) -> tuple[dict[dt.date, dict[str, int]], dict[dt.date, int]]:
    """The assessment history as changes per day, counted in the database.

    Each assessment that counts (not retracted, not a retraction) of a filtered
    recommendation adds one to its status on its day and takes one from the status of the
    recommendation's previous assessment (window function LAG, in the order of the current
    status: date, entry time, id); a first assessment adds one to "assessed". Summing the
    changes up to a day gives each recommendation's latest status by then. Returns
    ({day: {status: change}}, {day: recommendations first assessed that day})."""
    retracted = select(Assessment.retracts_id).where(Assessment.retracts_id.is_not(None))
    history = (
        select(
            Assessment.assessed_on.label("day"),
            Assessment.status.label("status"),
            func.lag(Assessment.status)
            .over(
                partition_by=Assessment.recommendation_id,
                order_by=(Assessment.assessed_on, Assessment.created_at, Assessment.id),
            )
            .label("before"),
        )
        .where(Assessment.retracts_id.is_(None))
        .where(Assessment.id.not_in(retracted))
        .where(matches(Assessment.recommendation_id, f))
        .subquery()
    )
    rows = session.execute(
        select(history.c.day, history.c.status, history.c.before, func.count()).group_by(
            history.c.day, history.c.status, history.c.before
        )
    ).all()
    changes: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first: dict[dt.date, int] = defaultdict(int)
    for day, status, before, n in rows:
        changes[day][status] += n
        if before is None:
            first[day] += n
        else:
            changes[day][before] -= n
    return changes, first


def _time_grid(dates: list[dt.date], max_points: int) -> list[dt.date]:
    """The dates at which to take the status: every assessment date, or, when there are too
    many, the last day of each month / quarter / year in which one falls."""
    unique = sorted(set(dates))
    if len(unique) <= max_points:
        return unique
    for freq in ("M", "Q", "Y"):
        periods = sorted({pd.Period(d, freq=freq) for d in unique})
        if len(periods) <= max_points:
            break
    ends = [p.end_time.date() for p in periods]
    ends[-1] = min(ends[-1], unique[-1])  # never a date after the last assessment
    return ends


def status_over_time(
    session: Session, f: Filters | None = None, max_points: int = MAX_TIME_POINTS
) -> pd.DataFrame:
    """The current status as it stood at each date of the assessment history.

    At each date, every filtered recommendation assessed by then counts with its latest
    assessment up to that date. Columns: date, status (the four assessed statuses, in
    display order), count, assessed (recommendations assessed by that date), share
    (count / assessed).
    """
    changes, first = _status_changes(session, f)
    columns = ["date", "status", "count", "assessed", "share"]
    if not changes:
        return pd.DataFrame(columns=columns)
    days = sorted(changes)
    grid = _time_grid(days, max_points)
    counts = dict.fromkeys(ASSESSED_STATUSES, 0)
    rows: list[tuple] = []
    assessed = 0
    i = 0
    for day in grid:
        while i < len(days) and days[i] <= day:
            for status, n in changes[days[i]].items():
                counts[status] = counts.get(status, 0) + n
            assessed += first.get(days[i], 0)
            i += 1
        for s in STATUS_ORDER:
            if s in counts:
                n = counts[s]
                rows.append((day, s, n, assessed, n / assessed if assessed else 0.0))
    return pd.DataFrame(rows, columns=columns)


def implementation_by_response(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: response, status, count, share (of the response's recommendations)."""
    stmt = apply_filters(
        base_select(Recommendation.response, status_expr(), func.count()), f
    ).group_by(Recommendation.response, status_expr())
    df = _frame(session.execute(stmt).all(), ["response", "status", "count"])
    df["response"] = df["response"].fillna("")
    totals = df.groupby("response")["count"].transform("sum")
    df["share"] = (df["count"] / totals).fillna(0.0) if len(df) else []
    return df


__all__ = [
    "OTHER",
    "implementation_by_response",
    "recommending_state_totals",
    "state_choices",
    "status_by_cycle",
    "status_by_recommending_state",
    "status_by_regional_group",
    "status_by_theme",
    "status_over_time",
    "top_categories",
]
