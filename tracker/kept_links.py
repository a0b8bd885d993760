"""The whole corpus' counts over the recommendation–state and recommendation–theme links,
kept in the database (migration 0011), for the Progress and Recommending states pages.

Counting them walked every link with its recommendation's status on every cold view of the
whole corpus (3.7 s at a million recommendations on PostgreSQL, 0.5 s at 156,000 on SQLite)
for a few hundred totals. Three tables keep them, exact whatever writes (database triggers,
see the migration):

* ``kept_state_status``: links per recommending state and status;
* ``kept_theme_status``: links per theme and status, :data:`~tracker.models.NO_THEME` (0)
  counting the recommendations without a theme;
* ``kept_group_status``: recommendations with at least one state of each regional group.

The status kept is ``current_status``, "" when there is none (read here as
:data:`~tracker.vocab.NOT_ASSESSED`, as ``tracker.queries.status_expr`` says it).

This module reads them in the shapes tracker.progress counts for a filter, counts them from
the link tables (:func:`counted`, :func:`recount`), and suspends the triggers for a bulk
write (:func:`suspend`: the first import into an empty database, a restore), which then
counts once at the end instead of once per row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    distinct,
    func,
    insert,
    literal,
    outerjoin,
    select,
)
from sqlalchemy.orm import Session

from tracker import kept_triggers
from tracker.models import (
    NO_THEME,
    KeptGroupStatus,
    KeptStateStatus,
    KeptThemeStatus,
    Recommendation,
    State,
    recommendation_states,
    recommendation_themes,
)
from tracker.vocab import NOT_ASSESSED

# The triggers of migration 0011 (SQLite and PostgreSQL alike): what suspend() takes off.
TRIGGER_PREFIX = "kept_links_"

Counts = dict[str, dict[tuple[Any, str], int]]  # table -> {(key, status): count}, no zeros


def _status(value: str) -> str:
    """A kept status as the pages count it ("" = not assessed)."""
    return value or NOT_ASSESSED


def state_counts(session: Session) -> list[tuple[int, str, int]]:
    """(state id, status, links) of the whole corpus, from ``kept_state_status``: what
    grouping every link by state and ``status_expr()`` counts."""
    rows = session.execute(
        select(KeptStateStatus.state_id, KeptStateStatus.status, KeptStateStatus.count).where(
            KeptStateStatus.count != 0
        )
    )
    return [(i, _status(s), n) for i, s, n in rows]


def one_state_counts(session: Session, iso3: str) -> dict[str, int]:
    """status -> recommendations made by the recommending state ``iso3`` (each of its links
    is one recommendation), from ``kept_state_status``."""
    rows = session.execute(
        select(KeptStateStatus.status, KeptStateStatus.count)
        .join(State, State.id == KeptStateStatus.state_id)
        .where(State.iso3 == iso3, KeptStateStatus.count != 0)
    )
    return {_status(s): n for s, n in rows}


def theme_counts(session: Session) -> list[tuple[int | None, str, int]]:
    """(theme id, None for no theme; status; count) of the whole corpus, from
    ``kept_theme_status``: what outer-joining every recommendation to its themes counts."""
    rows = session.execute(
        select(KeptThemeStatus.theme_id, KeptThemeStatus.status, KeptThemeStatus.count).where(
            KeptThemeStatus.count != 0
        )
    )
    return [(None if t == NO_THEME else t, _status(s), n) for t, s, n in rows]


def group_duplicates(session: Session) -> list[tuple[str | None, str, int]]:
    """(regional group, None for none; status; links more than recommendations) of the whole
    corpus: the states' kept links summed per group, less the group's kept recommendations
    (what tracker.progress subtracts from the states' counts to count each recommendation
    once per group)."""
    group = func.coalesce(State.regional_group, "")
    rows = session.execute(
        select(group, KeptStateStatus.status, func.sum(KeptStateStatus.count))
        .join(State, State.id == KeptStateStatus.state_id)
        .group_by(group, KeptStateStatus.status)
    )
    links = {(g, s): int(n) for g, s, n in rows}
    out = []
    for g, s, n in session.execute(
        select(KeptGroupStatus.regional_group, KeptGroupStatus.status, KeptGroupStatus.count)
    ):
        extra = links.get((g, s), 0) - n
        if extra:
            out.append((g or None, _status(s), extra))
    return out


def counted(session: Session) -> Counts:
    """The three tables' rows counted from the link tables (no zeros): what the triggers
    keep, for :func:`recount` and the tests.

    The links of recommendations not assessed are counted from the link tables alone (each
    one's index on its key, read in order) as every link less the assessed ones; only the
    assessed recommendations are joined to their links. A first import without assessments
    (the 61,000-row UPR Info export) has none to join: 0.09 -> 0.02 s."""
    # Statuses are words of the vocabulary: > '' is "assessed" (neither NULL nor ""), and an
    # index on current_status answers it by a range.
    assessed = Recommendation.current_status > ""
    n_assessed = session.scalar(select(func.count()).where(assessed)) or 0
    themes = recommendation_themes
    by_state = _counted_links(session, recommendation_states, recommendation_states.c.state_id)
    by_theme = _counted_links(session, themes, themes.c.theme_id)
    # NO_THEME: the recommendations without a theme link; the assessed ones came out of the
    # outer join as a None key, the others are those not assessed less the themed ones.
    assessed_unthemed = by_theme.pop(None, {})
    themed = session.scalar(
        select(func.count()).select_from(
            select(themes.c.recommendation_id).group_by(themes.c.recommendation_id).subquery()
        )
    )
    all_recs = session.scalar(select(func.count()).select_from(Recommendation)) or 0
    themed_assessed = n_assessed - sum(assessed_unthemed.values())
    unthemed = dict(assessed_unthemed)
    unthemed[""] = (all_recs - n_assessed) - ((themed or 0) - themed_assessed)
    by_theme[NO_THEME] = unthemed
    by_state.pop(None, None)  # recommendations without a recommending state
    out: Counts = {
        KeptStateStatus.__tablename__: _flat(by_state),
        KeptThemeStatus.__tablename__: _flat(by_theme),
    }
    out[KeptGroupStatus.__tablename__] = _group_counts(session, out[KeptStateStatus.__tablename__])
    return out


def _counted_links(session: Session, link: Any, key: Any) -> dict[Any, dict[str, int]]:
    """key -> status ("" not assessed) -> links of ``link`` (a link table, ``key`` its
    column), and None -> status -> the assessed recommendations without a link."""
    out: dict[Any, dict[str, int]] = {}
    for k, n in session.execute(select(key, func.count()).group_by(key)):
        out[k] = {"": int(n)}
    status = Recommendation.current_status
    # From the assessed recommendations (their status index) to their links: an outer join
    # keeps that order on SQLite (which otherwise walks every link in key order).
    assessed = (
        select(key, status, func.count())
        .select_from(outerjoin(Recommendation, link, link.c.recommendation_id == Recommendation.id))
        .where(status > "")
        .group_by(key, status)
    )
    for k, st, n in session.execute(assessed):
        per = out.setdefault(k, {"": 0})
        per[st] = int(n)
        if k is not None:
            per[""] -= int(n)
    return out


def _flat(counts: dict[Any, dict[str, int]]) -> dict[tuple[Any, str], int]:
    """{(key, status): count} of ``counts``, zeros left out."""
    return {(k, s): n for k, per in counts.items() for s, n in per.items() if n}


def _group_counts(
    session: Session, by_state: dict[tuple[Any, str], int]
) -> dict[tuple[Any, str], int]:
    """Recommendations per regional group and status: the states' links summed per group,
    less the links more than one of a recommendation in the same group. Only
    recommendations made by several states have those: found in one pass over the link
    table's primary key (a DISTINCT over every link took twice the time of the rest)."""
    group_of: dict[int, str] = dict(
        session.execute(select(State.id, func.coalesce(State.regional_group, ""))).all()
    )
    counts: dict[tuple[Any, str], int] = {}
    for (state_id, status), n in by_state.items():
        key = (group_of[state_id], status)
        counts[key] = counts.get(key, 0) + n
    link = recommendation_states
    shared = (
        select(link.c.recommendation_id).group_by(link.c.recommendation_id).having(func.count() > 1)
    )
    group = func.coalesce(State.regional_group, literal(""))
    rec_status = func.coalesce(Recommendation.current_status, literal(""))
    extra = (
        select(group, rec_status, func.count() - func.count(distinct(Recommendation.id)))
        .select_from(Recommendation)
        .join(link, link.c.recommendation_id == Recommendation.id)
        .join(State, State.id == link.c.state_id)
        .where(Recommendation.id.in_(shared))
        .group_by(group, rec_status)
    )
    for g, st, n in session.execute(extra):
        counts[(g, st)] -= int(n)
    return {k: n for k, n in counts.items() if n}


def kept(session: Session) -> Counts:
    """The three tables' rows as kept (zeros left out), in :func:`counted`'s shape."""
    out: Counts = {}
    for model, key in (
        (KeptStateStatus, KeptStateStatus.state_id),
        (KeptThemeStatus, KeptThemeStatus.theme_id),
        (KeptGroupStatus, KeptGroupStatus.regional_group),
    ):
        rows = session.execute(select(key, model.status, model.count).where(model.count != 0))
        out[model.__tablename__] = {(k, s): int(n) for k, s, n in rows}
    return out


def recount(session: Session) -> None:
    """Count the three tables again from the link tables, in the caller's transaction (after
    a bulk write that ran with the triggers suspended, or to repair them)."""
    counts = counted(session)
    for model, key in (
        (KeptStateStatus, "state_id"),
        (KeptThemeStatus, "theme_id"),
        (KeptGroupStatus, "regional_group"),
    ):
        session.execute(delete(model))
        rows = [
            {key: k, "status": s, "count": n} for (k, s), n in counts[model.__tablename__].items()
        ]
        if rows:
            session.execute(insert(model), rows)


def _triggers(conn: Connection) -> list[tuple[str, str]]:
    """(name, table or SQLite's CREATE statement) of the triggers of migration 0011."""
    return kept_triggers.active(conn, TRIGGER_PREFIX)


def suspend(session: Session) -> Callable[[], None]:
    """Take the kept link counts' triggers off for a bulk write; returns the function that
    puts them back and counts once (:func:`recount`): :func:`tracker.kept_triggers.suspend`."""
    return kept_triggers.suspend(session, TRIGGER_PREFIX, recount)


__all__ = [
    "counted",
    "group_duplicates",
    "kept",
    "one_state_counts",
    "recount",
    "state_counts",
    "suspend",
    "theme_counts",
]
