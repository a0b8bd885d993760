"""The partially implemented recommendations' theme links per theme and review, kept in
``kept_partial_theme`` by the database's own triggers (migration 0013).

Why kept: the Flagged page's first table counts the whole corpus' partially implemented
recommendations by theme and cycle. That joined and grouped every (recommendation, theme)
row of them on each cold view after any write: 650,000 rows of 1.5 million links at a
million recommendations, 0.5-0.6 s on PostgreSQL, for a few hundred totals. The triggers
keep them exact whoever writes (importers, edits, ``refresh_current_status``, cascades, a
restore, psql); theme :data:`~tracker.models.NO_THEME` (0) counts the recommendations without
a theme. Filters count the recommendations (tracker.flags).

The first bulk import into an empty database and a restore suspend the triggers and count
once at the end (:func:`suspend`, through ``tracker.kept_counts``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from tracker import kept_triggers
from tracker.models import (
    NO_THEME,
    KeptPartialTheme,
    Recommendation,
    Review,
    recommendation_themes,
)
from tracker.vocab import Status

TRIGGER_PREFIX = "partial_theme_"  # every trigger (and PostgreSQL function) of this table
PARTIAL = Status.PARTIALLY_IMPLEMENTED.value


def theme_cycle_counts(session: Session) -> list[tuple[int | None, int, int]]:
    """(theme id, cycle, theme links) of the whole corpus' partially implemented
    recommendations, None for those without a theme, from the kept rows: what grouping
    their theme links by theme and cycle counts (in no particular order)."""
    theme = KeptPartialTheme.theme_id
    rows = session.execute(
        select(theme, Review.cycle, func.sum(KeptPartialTheme.n))
        .join(Review, Review.id == KeptPartialTheme.review_id)
        .where(KeptPartialTheme.n != 0)
        .group_by(theme, Review.cycle)
    )
    return [(None if t == NO_THEME else int(t), int(c), int(n)) for t, c, n in rows]


def _counting() -> Select:
    """(theme id or NO_THEME, review id, count) of the partially implemented
    recommendations' theme links, a recommendation without any counted under NO_THEME."""
    link = recommendation_themes
    theme = func.coalesce(link.c.theme_id, literal(NO_THEME))
    return (
        select(theme, Recommendation.review_id, func.count())
        .select_from(Recommendation)
        .outerjoin(link, link.c.recommendation_id == Recommendation.id)
        .where(Recommendation.current_status == PARTIAL)
        .group_by(theme, Recommendation.review_id)
    )


def counted(session: Session) -> list[tuple[int, int, int]]:
    """(theme id, review id, count) counted from the recommendations and their links, in
    key order: what the kept rows with a count hold."""
    stmt = _counting()
    rows = session.execute(stmt.order_by(*list(stmt.selected_columns)[:2]))
    return [(int(t), int(r), int(n)) for t, r, n in rows]


def kept(session: Session) -> list[tuple[int, int, int]]:
    """The kept rows with a count, as :func:`counted` gives them (the two are equal)."""
    rows = session.execute(
        select(KeptPartialTheme.theme_id, KeptPartialTheme.review_id, KeptPartialTheme.n)
        .where(KeptPartialTheme.n != 0)
        .order_by(KeptPartialTheme.theme_id, KeptPartialTheme.review_id)
    )
    return [(int(t), int(r), int(n)) for t, r, n in rows]


def recount(session: Session) -> None:
    """Count the partially implemented recommendations' links again into
    ``kept_partial_theme``, in the caller's transaction (after the triggers were suspended,
    or on a restore)."""
    session.execute(delete(KeptPartialTheme))
    session.execute(
        insert(KeptPartialTheme).from_select(["theme_id", "review_id", "n"], _counting())
    )


def suspend(session: Session) -> Callable[[], None]:
    """Stop the triggers for a bulk write in the caller's transaction; return what starts
    them again and counts once (:func:`recount`; call it after the write):
    :func:`tracker.kept_triggers.suspend`."""
    return kept_triggers.suspend(session, TRIGGER_PREFIX, recount)
