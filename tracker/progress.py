"""Read side of the Progress and Recommending-states pages: current status broken down by
cycle, theme, recommending state and regional group, and status over time from the
assessment history.

Every function takes a Session and a :class:`~tracker.filters.Filters` and returns a
DataFrame in long form (one row per category and status, zeros left out, categories in a
fixed order) that the chart builders in :mod:`tracker.charts` draw. Counting rules:

* by cycle / response: each recommendation once;
* by theme: each recommendation once under each of its themes (so the bars add up to more
  than the number of recommendations), ``""`` for recommendations without a theme;
* by recommending state: each recommendation once under each state that made it;
* by regional group: each recommendation once per group (two WEOG states making the same
  recommendation count once for WEOG);
* a recommending-state or regional-group filter picks the states counted (the bars show the
  states asked for, not every co-author of their recommendations), a theme filter the
  themes.

Speed (issue #7, 156,000 recommendations, 520,000 assessments): after a write every chart
of a page is counted again, so each breakdown is one grouped pass over the recommendations
in their own order, and a page takes its breakdowns from one call
(:func:`current_breakdowns`, :func:`state_breakdowns`); none joins the current assessment
(``base_select(current=False)``: the status is kept on the recommendation):

* cycle and response come from one pass grouped by (cycle, response, status);
* themes and recommending states are grouped by their ids, the few names read apart; the
  link tables are outer-joined, which keeps SQLite reading the recommendations in order (with
  an inner join it walked the state link index and read them at random: 0.5 s more);
* the regional groups are summed from the recommending states' counts: only the
  recommendations made by several states are read again, to take off their double counts
  (instead of a COUNT(DISTINCT) over every link);
* status over time is the history's status changes per day (LAG over each
  recommendation's counting assessments), summed per day in the database, cumulated in
  Python.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from tracker import db, kept_links, kept_reviews
from tracker.filters import Filters
from tracker.i18n import _
from tracker.models import (
    Assessment,
    Recommendation,
    Review,
    State,
    Theme,
    recommendation_states,
    recommendation_themes,
)
from tracker.queries import (
    apply_filters,
    base_select,
    counting_select,
    join_as_of,
    matches,
    status_expr,
)
from tracker.states import shown_name
from tracker.status_days import ASSESSED_STATUSES, DayChanges, counted_changes, kept_changes
from tracker.vocab import NOT_ASSESSED, REGIONAL_GROUPS, STATUS_ORDER, Status

OTHER = "__other__"  # the key of the "other" bucket made by top_categories
MAX_TIME_POINTS = 48  # more dates than this are summarised by month, quarter or year
# The link tables under their own names, so that apply_filters' EXISTS subqueries on
# recommendation_theme / recommendation_state stay apart from the rows counted here (with the
# same table, SQLAlchemy correlated them: a theme filter failed to compile). Which links
# count under a theme or recommending-state filter is said by _theme_link / _state_link.
THEME_LINK = recommendation_themes.alias("theme_link")
STATE_LINK = recommendation_states.alias("state_link")
LINKED_STATE = aliased(State, name="linked_state")  # a state that made the recommendation
STATE_COLUMNS = ["iso3", "name", "regional_group"]


@dataclass(frozen=True)
class Breakdowns:
    """Every current-status breakdown of the Progress page for one filter, counted in four
    grouped passes (see the module docstring); each frame is what the function of the same
    name returns."""

    by_cycle: pd.DataFrame  # status_by_cycle
    by_response: pd.DataFrame  # implementation_by_response
    by_theme: pd.DataFrame  # status_by_theme
    by_state: pd.DataFrame  # status_by_recommending_state
    by_group: pd.DataFrame  # status_by_regional_group

    @property
    def recommendations(self) -> int:
        """How many recommendations match the filter."""
        return int(self.by_cycle["count"].sum())


@dataclass(frozen=True)
class StateBreakdowns:
    """The recommending-state counts of the Recommending states page for one filter, from
    two grouped passes instead of one per chart."""

    by_state: pd.DataFrame  # status_by_recommending_state
    by_group: pd.DataFrame  # status_by_regional_group
    totals: pd.DataFrame  # recommending_state_totals


def state_breakdowns(session: Session, f: Filters | None = None) -> StateBreakdowns:
    """Status by recommending state and regional group, and the states' totals, at once:
    two grouped passes, run at the same time (tracker.db.concurrently)."""
    by_state, duplicates = db.concurrently(
        session, [lambda s: _by_state(s, f), lambda s: _duplicates(s, f)]
    )
    return StateBreakdowns(
        by_state=by_state,
        by_group=_groups(by_state, duplicates),
        totals=state_totals(by_state),
    )


def current_breakdowns(session: Session, f: Filters | None = None) -> Breakdowns:
    """Status by cycle, response, theme, recommending state and regional group at once."""
    return progress_data(session, f, history=False).breakdowns


@dataclass(frozen=True)
class ProgressData:
    """Everything the Progress page counts for one filter."""

    breakdowns: Breakdowns
    history: pd.DataFrame  # status_over_time (empty when not asked for)


def progress_data(
    session: Session,
    f: Filters | None = None,
    *,
    history: bool = True,
    max_points: int = MAX_TIME_POINTS,
) -> ProgressData:
    """The breakdowns and (with ``history``) the status over time of ``f``: five grouped
    passes, run at the same time (tracker.db.concurrently: 1.0 s one after another on the
    benchmark corpus, the slowest alone about half of it on two cores)."""
    calls: list[Callable[[Session], pd.DataFrame]] = [
        lambda s: _by_cycle_and_response(s, f),
        lambda s: _by_state(s, f),
        lambda s: status_by_theme(s, f),
        lambda s: _duplicates(s, f),
    ]
    if history:
        calls.append(lambda s: status_over_time(s, f, max_points))
    cycle_response, by_state, by_theme, duplicates, *over_time = db.concurrently(session, calls)
    breakdowns = Breakdowns(
        by_cycle=_cycles(cycle_response),
        by_response=_responses(cycle_response),
        by_theme=by_theme,
        by_state=by_state,
        by_group=_groups(by_state, duplicates),
    )
    return ProgressData(breakdowns, over_time[0] if over_time else pd.DataFrame())


def _sum_by(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``count`` summed by ``keys`` (None is a key like any other), sorted by the keys."""
    out = df.groupby(keys, as_index=False, dropna=False, sort=False)["count"].sum()
    out["count"] = out["count"].astype(int)
    return out.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)


def _whole(f: Filters | None) -> bool:
    """True when ``f`` restricts nothing: the whole corpus is counted."""
    return f is None or f.is_empty()


def _counting(f: Filters | None, *columns: Any) -> Select:
    """``base_select(*columns, current=False)``, FROM recommendation alone for the whole
    corpus (queries.counting_select)."""
    return counting_select(f, *columns)


CYCLE_RESPONSE_COLUMNS = ["cycle", "response", "status", "count"]


def _by_cycle_and_response(session: Session, f: Filters | None) -> pd.DataFrame:
    """Columns: cycle, response, status, count — one pass for two charts; summed from the
    kept counts per review (tracker.kept_reviews) when they answer for ``f``."""
    if not kept_reviews.applies(f):
        return counted_by_cycle_and_response(session, f)
    columns = CYCLE_RESPONSE_COLUMNS
    rows = kept_reviews.grouped(session, f)
    df = pd.DataFrame(
        [(cycle, response, s, n) for _r, _s, cycle, response, s, n in rows], columns=columns
    )
    return df.groupby(columns[:3], as_index=False, dropna=False, sort=False)["count"].sum()


def counted_by_cycle_and_response(session: Session, f: Filters | None) -> pd.DataFrame:
    """:func:`_by_cycle_and_response` counted from the recommendations (what the kept
    counts equal; the only way under ``as_of`` or a filter on themes, recommending states or
    the text)."""
    columns = CYCLE_RESPONSE_COLUMNS
    if _whole(f):
        # Grouped by review on the covering index ix_recommendation_review_status in its
        # order (no join, no sort; PostgreSQL reads the index, not the table with its
        # texts), the reviews' cycles put in from their few rows.
        keys = (Recommendation.review_id, Recommendation.response, Recommendation.current_status)
        rows = session.execute(select(*keys, func.count()).group_by(*keys)).all()
        cycles: dict[int, int] = dict(session.execute(select(Review.id, Review.cycle)).all())
        df = pd.DataFrame(
            [(cycles[r], response, s or NOT_ASSESSED, n) for r, response, s, n in rows],
            columns=columns,
        )
        return df.groupby(columns[:3], as_index=False, dropna=False, sort=False)["count"].sum()
    stmt = apply_filters(
        base_select(
            Review.cycle, Recommendation.response, status_expr(f), func.count(), current=False
        ),
        f,
    ).group_by(Review.cycle, Recommendation.response, status_expr(f))
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def _cycles(cycle_response: pd.DataFrame) -> pd.DataFrame:
    return _sum_by(cycle_response, ["cycle", "status"])


def _responses(cycle_response: pd.DataFrame) -> pd.DataFrame:
    df = cycle_response.assign(response=cycle_response["response"].fillna(""))
    df = _sum_by(df, ["response", "status"])
    totals = df.groupby("response")["count"].transform("sum")
    df["share"] = (df["count"] / totals).fillna(0.0) if len(df) else []
    return df


def status_by_cycle(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: cycle, status, count; cycles in order."""
    return _cycles(_by_cycle_and_response(session, f))


def implementation_by_response(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: response ("" = none), status, count, share (of the response's
    recommendations); responses in alphabetical order."""
    return _responses(_by_cycle_and_response(session, f))


def status_by_theme(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: theme ("" = no theme), status, count; themes in alphabetical order. The
    whole corpus' counts are kept (tracker.kept_links)."""
    rows: Sequence[Sequence[Any]]
    if _whole(f):
        rows = kept_links.theme_counts(session)
    else:
        stmt = _counting(f, THEME_LINK.c.theme_id, status_expr(f), func.count()).outerjoin(
            THEME_LINK, _theme_link(f)
        )
        stmt = apply_filters(stmt, f).group_by(THEME_LINK.c.theme_id, status_expr(f))
        rows = session.execute(stmt).all()
    names = _names(session, select(Theme.id, Theme.name), {r[0] for r in rows})
    df = pd.DataFrame(
        [(names[t][0] if t in names else "", s, n) for t, s, n in rows],
        columns=["theme", "status", "count"],
    )
    return _sum_by(df, ["theme", "status"])


def _theme_link(f: Filters | None) -> ColumnElement[bool]:
    """The join condition of a recommendation and the themes it counts under: all its
    themes, or under a theme filter only the themes filtered (as for recommending states)."""
    condition = THEME_LINK.c.recommendation_id == Recommendation.id
    if f is not None and f.themes:
        chosen = select(Theme.id).where(Theme.name.in_(f.themes))
        condition = and_(condition, THEME_LINK.c.theme_id.in_(chosen))
    return condition


def _state_link(f: Filters | None) -> ColumnElement[bool]:
    """The join condition of a recommendation and the states it counts under: all that made
    it, or under a recommending-state or regional-group filter only the states filtered
    (the bars and the map then show the states asked for, not every co-author)."""
    condition = STATE_LINK.c.recommendation_id == Recommendation.id
    if f is not None and (f.recommending or f.regional_groups):
        wanted = []
        if f.recommending:
            wanted.append(State.iso3.in_(f.recommending))
        if f.regional_groups:
            wanted.append(State.regional_group.in_(f.regional_groups))
        chosen = select(State.id).where(or_(*wanted))
        condition = and_(condition, STATE_LINK.c.state_id.in_(chosen))
    return condition


def _names(session: Session, stmt: Select, ids: Iterable[int | None]) -> dict[int, tuple]:
    """id -> the other columns of ``stmt`` (a SELECT of a small table's id and names), for
    the ids given (None, a missing link, is left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    id_column = stmt.selected_columns[0]
    return {row[0]: tuple(row[1:]) for row in session.execute(stmt.where(id_column.in_(wanted)))}


def _by_state(session: Session, f: Filters | None) -> pd.DataFrame:
    """status_by_recommending_state: grouped by state id, the names read apart; the whole
    corpus' counts are kept (tracker.kept_links)."""
    rows: Sequence[Sequence[Any]]
    if _whole(f):
        rows = kept_links.state_counts(session)
    else:
        status = status_expr(f)
        # An outer join, its empty rows (a recommendation made by no state) dropped below:
        # an inner join let SQLite walk the link table by state and read the recommendations
        # at random (0.5 s more on the full corpus); this way they are read in their order.
        stmt = apply_filters(
            _counting(f, STATE_LINK.c.state_id, status, func.count()).outerjoin(
                STATE_LINK, _state_link(f)
            ),
            f,
        )
        rows = session.execute(stmt.group_by(STATE_LINK.c.state_id, status)).all()
        rows = [r for r in rows if r[0] is not None]
    states = _names(
        session,
        select(State.id, State.iso3, State.name, State.regional_group),
        (r[0] for r in rows),
    )
    df = pd.DataFrame(
        [(*states[i], s, n) for i, s, n in rows], columns=[*STATE_COLUMNS, "status", "count"]
    )
    df["count"] = df["count"].astype(int)
    return df.sort_values(["iso3", "status"], kind="stable").reset_index(drop=True)


def _duplicates(session: Session, f: Filters | None) -> pd.DataFrame:
    """Columns: regional_group, status, count — for each group and status, how many links
    more than recommendations there are (a recommendation made by two WEOG states counts
    twice in the states' counts and once for WEOG: one duplicate). Only recommendations
    made by several states can have any: few, found in one pass over the link table's
    primary key (recommendation, state); the whole corpus' from the kept counts
    (tracker.kept_links)."""
    columns = ["regional_group", "status", "count"]
    if _whole(f):
        return pd.DataFrame(kept_links.group_duplicates(session), columns=columns)
    link = recommendation_states.alias("shared_link")
    shared = (
        select(link.c.recommendation_id)
        .where(matches(link.c.recommendation_id, f))
        .group_by(link.c.recommendation_id)
        .having(func.count() > 1)
    )
    status = status_expr(f)
    group = LINKED_STATE.regional_group
    stmt = (
        join_as_of(
            _counting(f, group, status, func.count() - func.count(distinct(Recommendation.id))),
            f,
        )
        .join(STATE_LINK, _state_link(f))
        .join(LINKED_STATE, LINKED_STATE.id == STATE_LINK.c.state_id)
        .where(Recommendation.id.in_(shared))
    )
    rows = session.execute(stmt.group_by(group, status)).all()
    return pd.DataFrame(rows, columns=columns)


def _groups(counts: pd.DataFrame, duplicates: pd.DataFrame | None = None) -> pd.DataFrame:
    """status_by_regional_group from counts with columns regional_group, status, count
    (the states' counts, or the groups' own), less the duplicates, in the groups' order."""
    keys = ["regional_group", "status"]
    parts = [counts[[*keys, "count"]]]
    if duplicates is not None:
        parts.append(duplicates.assign(count=-duplicates["count"]))
    parts = [p for p in parts if len(p)]  # (pandas warns about concatenating empty frames)
    df = pd.concat(parts, ignore_index=True) if parts else counts[[*keys, "count"]].copy()
    df["regional_group"] = df["regional_group"].fillna("")
    df = df.groupby(keys, as_index=False)["count"].sum()
    df = df[df["count"] > 0].copy()
    df["count"] = df["count"].astype(int)
    order = {g: i for i, g in enumerate(REGIONAL_GROUPS)}
    df["_order"] = df["regional_group"].map(lambda g: order.get(g, len(order)))
    df = df.sort_values(["_order", "regional_group", "status"], kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)


def status_by_recommending_state(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: iso3, name, regional_group (None = none), status, count; states by code."""
    return _by_state(session, f)


def status_by_regional_group(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: regional_group ("" = none, e.g. observer states), status, count; groups in
    the order of vocab.REGIONAL_GROUPS, "" last.

    On its own one pass with COUNT(DISTINCT): the states' counts and their duplicates
    (what the pages that show both use) cost more when only the groups are wanted."""
    status = status_expr(f)
    group = LINKED_STATE.regional_group
    stmt = apply_filters(
        base_select(group, status, func.count(distinct(Recommendation.id)), current=False)
        .join(STATE_LINK, _state_link(f))
        .join(LINKED_STATE, LINKED_STATE.id == STATE_LINK.c.state_id),
        f,
    )
    rows = session.execute(stmt.group_by(group, status)).all()
    return _groups(pd.DataFrame(rows, columns=["regional_group", "status", "count"]))


def recommending_state_totals(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: iso3, name, regional_group, recommendations, partially_implemented — one row
    per recommending state, most recommendations first (for the map and the state list)."""
    return state_totals(_by_state(session, f))


def state_totals(by_state: pd.DataFrame) -> pd.DataFrame:
    """recommending_state_totals from a status_by_recommending_state frame (so that a page
    showing both counts the states once)."""
    df = by_state.copy()
    if df.empty:
        return pd.DataFrame(
            columns=["iso3", "name", "regional_group", "recommendations", "partially_implemented"]
        )
    keys = STATE_COLUMNS
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


def state_name(code: str) -> str:
    """A recommending state's shown (translated) name, "Other states" for the :data:`OTHER`
    bucket of :func:`top_categories`."""
    return _("Other states") if code == OTHER else shown_name(code)


def top_categories(
    df: pd.DataFrame, key: str, n: int, label: Callable[[str], str] | None = None
) -> pd.DataFrame:
    """Keep the ``n`` categories of ``df[key]`` with the most recommendations (ties by the
    name shown, ``label(key)``, e.g. the translated theme or state name); sum the rest into
    one category :data:`OTHER`. Columns kept: key, status, count; rows in the order of the
    categories (largest first, OTHER last)."""
    if df.empty:
        return df[[key, "status", "count"]].copy()
    totals = df.groupby(key)["count"].sum().reset_index()
    totals["_shown"] = totals[key].map(label) if label is not None else totals[key]
    totals = totals.sort_values(
        ["count", "_shown", key], ascending=[False, True, True], key=_sort_key
    )
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


def _status_changes(session: Session, f: Filters | None) -> list[DayChanges]:
    """The assessment history of the recommendations of ``f`` as changes per day
    (tracker.status_days): for the whole corpus the kept totals (a few thousand rows
    instead of every assessment), else counted from the covering index
    ix_assessment_history in date order (0.26 s on the 520,000 assessments of the benchmark
    corpus; the window function it replaced took 1.1 s). Returns
    [(day, {status: change}, recommendations first assessed that day)], by day."""
    if f is None or f.is_empty():
        return kept_changes(session)
    return counted_changes(session, matches(Assessment.recommendation_id, f))


def _time_grid(dates: list[dt.date], max_points: int) -> list[dt.date]:
    """The dates at which to take the status: every assessment date, or, when there are too
    many, the last day of each month / quarter / year in which one falls (calendar
    arithmetic on the distinct (year, period) pairs: pandas periods of each of 6,700 dates
    took 0.17 s)."""
    unique = sorted(set(dates))
    if len(unique) <= max_points:
        return unique
    for months in (1, 3, 12):
        periods = sorted({(d.year, (d.month - 1) // months) for d in unique})
        if len(periods) <= max_points:
            break
    ends: list[dt.date] = []
    for year, period in periods:
        month = (period + 1) * months  # the period's last month
        ends.append(dt.date(year, month, calendar.monthrange(year, month)[1]))
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
    changes = _status_changes(session, f)
    columns = ["date", "status", "count", "assessed", "share"]
    if not changes:
        return pd.DataFrame(columns=columns)
    grid = _time_grid([day for day, _, _ in changes], max_points)
    counts = dict.fromkeys(ASSESSED_STATUSES, 0)
    shown = [s for s in STATUS_ORDER if s in counts]
    rows: list[tuple] = []
    assessed = 0
    i = 0
    for day in grid:
        while i < len(changes) and changes[i][0] <= day:
            for status, n in changes[i][1].items():
                counts[status] += n
            assessed += changes[i][2]
            i += 1
        for s in shown:
            n = counts[s]
            rows.append((day, s, n, assessed, n / assessed if assessed else 0.0))
    return pd.DataFrame(rows, columns=columns)


__all__ = [
    "OTHER",
    "Breakdowns",
    "StateBreakdowns",
    "current_breakdowns",
    "implementation_by_response",
    "recommending_state_totals",
    "state_breakdowns",
    "state_choices",
    "state_totals",
    "status_by_cycle",
    "status_by_recommending_state",
    "status_by_regional_group",
    "status_by_theme",
    "status_over_time",
    "top_categories",
]
