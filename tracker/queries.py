"""The read side: filters -> numbers and pandas DataFrames with stable column names.

Every function takes a Session (the caller owns its lifetime) and a :class:`Filters`.
A recommendation's current status is its ``current_assessment`` (see tracker.assessments);
"not_assessed" stands for none.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from tracker import kept_assessments, kept_links, kept_reviews
from tracker.assessments import effective, hidden_ids, history_order, shown_fields
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
IN_LIST_LIMIT = 5000  # ids per IN (...) list of recommendations_frame's related lists
RELATED_SCAN_FROM = 60_000  # ids from which one pass over a link table beats IN lists
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
# The columns of RECOMMENDATION_COLUMNS read from the link tables (queries._related), after
# the recommendation's own.
RELATED_COLUMNS = ("recommending_states", "recommending_iso3", "themes")


def _as_of_latest(column_name: str, as_of: dt.date) -> Any:
    """Correlated SQL: ``column_name`` of the recommendation's latest counting assessment
    dated on or before ``as_of`` (NULL when there is none)."""
    a = aliased(Assessment, name="as_of_assessment")
    # The date inline (literal_execute), as NOT_ASSESSED below: PostgreSQL groups by this
    # expression only when SELECT and GROUP BY spell it identically.
    day = literal(as_of, Date, literal_execute=True)
    return (
        select(getattr(a, column_name))
        .where(a.recommendation_id == Recommendation.id, a.assessed_on <= day, *effective(a))
        .order_by(*history_order(a, newest_first=True))
        .limit(1)
        .correlate(Recommendation)
        .scalar_subquery()
    )


def _on_record(f: Filters | None) -> ColumnElement[bool]:
    """Assessments on record on ``f.as_of`` (dated on or before it); all without it."""
    return true() if f is None or f.as_of is None else Assessment.assessed_on <= f.as_of


@functools.lru_cache(maxsize=16)
def _as_of_status(as_of: dt.date) -> Any:
    """A derived table (recommendation_id, status, assessed_on): each recommendation's
    latest counting assessment dated on or before ``as_of``. One object per day, so that the column
    :func:`status_expr` names and the join :func:`apply_filters` adds are the same table;
    a plain joined column, not a correlated subquery, because PostgreSQL refuses to GROUP
    BY a subquery that reads the outer row."""
    a = aliased(Assessment, name="as_of_assessment")
    day = literal(as_of, Date, literal_execute=True)
    ranked = (
        select(
            a.recommendation_id,
            a.status,
            a.assessed_on,
            func.row_number()
            .over(partition_by=a.recommendation_id, order_by=history_order(a, newest_first=True))
            .label("rank"),
        )
        .where(a.assessed_on <= day, *effective(a))
        .subquery("as_of_ranked")
    )
    return (
        select(ranked.c.recommendation_id, ranked.c.status, ranked.c.assessed_on)
        .where(ranked.c.rank == 1)
        .subquery("as_of_status")
    )


def join_as_of(stmt: Select, f: Filters | None) -> Select:
    """Join the as-of status table that :func:`status_expr` reads when ``f.as_of`` is set
    (:func:`apply_filters` does; a statement built otherwise calls this itself)."""
    if f is None or f.as_of is None:
        return stmt
    table = _as_of_status(f.as_of)
    return stmt.outerjoin(table, table.c.recommendation_id == Recommendation.id)


def status_expr(f: Filters | None = None):
    """SQL expression: the current status, or 'not_assessed'; with ``f.as_of``, the status
    as it was on that day (the latest counting assessment on or before it; the statement
    must go through :func:`apply_filters` or :func:`join_as_of`)."""
    if f is not None and f.as_of is not None:
        return func.coalesce(
            _as_of_status(f.as_of).c.status, literal(NOT_ASSESSED, literal_execute=True)
        )
    # Rendered inline, not as a bound parameter: PostgreSQL only accepts "GROUP BY" on this
    # expression when SELECT and GROUP BY spell it identically.
    # The status kept on the recommendation (migration 0004): counts by status read one
    # table; the current assessment is joined only by queries that show its other columns.
    return func.coalesce(Recommendation.current_status, literal(NOT_ASSESSED, literal_execute=True))


def assessed_on_expr(f: Filters | None = None) -> Any:
    """SQL expression: the date of the current assessment (NULL when none counts); with
    ``f.as_of``, of the one current on that day (as :func:`status_expr`, the statement must
    go through :func:`apply_filters` or :func:`join_as_of`)."""
    if f is not None and f.as_of is not None:
        return _as_of_status(f.as_of).c.assessed_on
    return Recommendation.current_assessed_on


def base_select(*columns: Any, current: bool = True, as_of: dt.date | None = None) -> Select:
    """SELECT columns FROM recommendation JOIN review JOIN state (sur) LEFT JOIN current.

    ``current=False`` leaves out the current assessment (CURRENT): for counts that need no
    column of it but its status (:func:`status_expr` reads the recommendation). Neither
    SQLite nor PostgreSQL drops the unused join by itself here, and it was a third of a
    whole-corpus count. With ``as_of``, CURRENT is the assessment current on that day."""
    stmt = (
        select(*columns)
        .select_from(Recommendation)
        .join(Review, Review.id == Recommendation.review_id)
        .join(SUR, SUR.id == Review.state_id)
    )
    if current and as_of is not None:
        stmt = stmt.outerjoin(CURRENT, CURRENT.id == _as_of_latest("id", as_of))
    elif current:
        stmt = stmt.outerjoin(CURRENT, CURRENT.id == Recommendation.current_assessment_id)
    return stmt


def counting_select(f: Filters | None, *columns: Any, reviews: bool = False) -> Select:
    """``base_select(*columns, current=False)``; for the whole corpus FROM recommendation
    alone (joined to its review when ``reviews``: for columns such as the cycle): each
    recommendation has one review and each review one state (non-null foreign keys), so the
    joins that filters need only cost two look-ups per row there (PostgreSQL, a million
    recommendations: two hash joins of a million rows, a third of a count)."""
    if f is None or f.is_empty():
        stmt = select(*columns).select_from(Recommendation)
        if reviews:
            stmt = stmt.join(Review, Review.id == Recommendation.review_id)
        return stmt
    return base_select(*columns, current=False)


def apply_filters(stmt: Select, f: Filters | None) -> Select:
    """Add the WHERE conditions of ``f`` to a statement built on :func:`base_select`."""
    if f is None:
        return stmt
    stmt = join_as_of(stmt, f)
    if f.states:
        stmt = stmt.where(SUR.iso3.in_(f.states))
    if f.cycles:
        stmt = stmt.where(Review.cycle.in_(f.cycles))
    if f.responses:
        stmt = stmt.where(Recommendation.response.in_(f.responses))
    if f.statuses:
        stmt = stmt.where(_status_in(f))
    # Themes and recommending states as "id IN (the link table's ids)", not a correlated
    # EXISTS: SQLite ran the EXISTS once per recommendation of the whole corpus (0.2 s), and
    # builds the IN list once from the link table's index (0.04 s).
    if f.themes:
        theme = aliased(Theme, name="filter_theme")
        stmt = stmt.where(
            Recommendation.id.in_(
                select(recommendation_themes.c.recommendation_id)
                .join(theme, theme.id == recommendation_themes.c.theme_id)
                .where(theme.name.in_(f.themes))
            )
        )
    if len(f.recommending) == 1 and not f.regional_groups:
        stmt = stmt.where(Recommendation.id.in_(_made_by(f.recommending[0])))
    elif f.recommending or f.regional_groups:
        rs = aliased(State, name="rs")
        conds = []
        if f.recommending:
            conds.append(rs.iso3.in_(f.recommending))
        if f.regional_groups:
            conds.append(rs.regional_group.in_(f.regional_groups))
        stmt = stmt.where(
            Recommendation.id.in_(
                select(recommendation_states.c.recommendation_id)
                .join(rs, rs.id == recommendation_states.c.state_id)
                .where(or_(*conds))
            )
        )
    if f.q:
        stmt = stmt.where(text_condition(f.q, lead=not f.states))
    return stmt


def _made_by(iso3: str) -> Select:
    """SELECT the ids of the recommendations made by the state ``iso3`` (one recommending
    state: the Recommending states page's choice). The state's id is a scalar subquery,
    not a join: PostgreSQL then knows that each link row of that one state is a distinct
    recommendation (the link's key is recommendation and state) and that the state's
    links are a tenth of the table (its statistics per state id), and joins them to the
    recommendations in parallel, without making them distinct first. Mauritania's 110,000
    at a million recommendations, counted by review: 0.69 s -> 0.40 s (0.18 s with the
    index of migration 0013)."""
    rs = aliased(State, name="rs")
    link = recommendation_states
    state_id = select(rs.id).where(rs.iso3 == iso3).scalar_subquery()
    return select(link.c.recommendation_id).where(link.c.state_id == state_id)


class _StatusIn(FunctionElement[bool]):
    """Two spellings of one condition on today's status: ``coalesce(current_status,
    'not_assessed') IN (...)`` and the same on the stored column itself (``current_status
    IN (...)``, ``OR current_status IS NULL`` for "not_assessed"). PostgreSQL gets the
    second, which an index on the column serves (the coalesce made it read the whole table
    with its texts: the Overview's list of the partially implemented, 1 s at a million
    recommendations); SQLite the first, on which its planner, without statistics, keeps
    to the covering index by review (on the column it took the index by status, slower for
    one country)."""

    name = "status_in"
    inherit_cache = True


def _spelling(element: _StatusIn, compiler: Any, which: int, **kw: Any) -> str:
    """The condition's spelling ``which`` (0: coalesced, 1: on the column), in brackets: it
    is an OR, ANDed with the filter's other conditions."""
    return "(" + str(compiler.process(list(element.clauses)[which], **kw)) + ")"


@compiles(_StatusIn)
def _status_in_default(element: _StatusIn, compiler: Any, **kw: Any) -> str:
    return _spelling(element, compiler, 0, **kw)


@compiles(_StatusIn, "postgresql")
def _status_in_postgresql(element: _StatusIn, compiler: Any, **kw: Any) -> str:
    return _spelling(element, compiler, 1, **kw)


def _status_in(f: Filters) -> ColumnElement[bool]:
    """``status_expr(f) IN f.statuses``, spelt for each database (:class:`_StatusIn`)."""
    coalesced = status_expr(f).in_(f.statuses)
    if f.as_of is not None:
        return coalesced
    named = [s for s in f.statuses if s != NOT_ASSESSED]
    conditions = [Recommendation.current_status.in_(named)] if named else []
    if NOT_ASSESSED in f.statuses:
        conditions.append(Recommendation.current_status.is_(None))
    return _StatusIn(coalesced, or_(*conditions))


def filtered_ids(f: Filters | None) -> Select:
    """A subquery-ready SELECT of the ids of the recommendations matching ``f``."""
    return apply_filters(base_select(Recommendation.id, current=False), f)


def matches(column: Any, f: Filters | None) -> ColumnElement[bool]:
    """``column IN (ids of the recommendations matching f)``, or simply true when ``f``
    restricts nothing: every recommendation matches then (each has a review and a state),
    and the IN list would read the whole recommendation table for nothing."""
    if f is None or f.is_empty():
        return true()
    ids = filtered_ids(f).subquery()  # a subquery: never correlated with the outer query
    return column.in_(select(ids.c.id))


def read_frame(session: Session, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of ``stmt`` as a DataFrame with ``columns``, read as a Core statement on the
    session's connection and handed to pandas column by column: the ORM's row handling and
    pandas' reading of Row objects one by one cost twice the query on tens of thousands of
    rows (0.3 s + 0.5 s for the 72,000 stale recommendations of the full corpus)."""
    import pandas as pd

    rows = session.connection().execute(stmt).all()
    if not rows:
        return pd.DataFrame({c: [] for c in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _grouped(session: Session, f: Filters | None) -> list[Any]:
    """The matching recommendations counted by review (with its state and cycle), response
    and status: the kept counts (tracker.kept_reviews) when ``f`` chooses reviews, responses
    or current statuses only; else one pass, over the covering index
    ix_recommendation_review_status when nothing is filtered on the text or a related
    table."""
    if kept_reviews.applies(f):
        return kept_reviews.grouped(session, f)
    return counted_grouped(session, f)


def counted_grouped(session: Session, f: Filters | None) -> list[Any]:
    """:func:`_grouped` counted from the recommendations (what the kept counts equal)."""
    return list(
        session.execute(
            apply_filters(
                base_select(
                    Review.id,
                    Review.state_id,
                    Review.cycle,
                    Recommendation.response,
                    status_expr(f),
                    func.count(),
                    current=False,
                ),
                f,
            ).group_by(
                Review.id, Review.state_id, Review.cycle, Recommendation.response, status_expr(f)
            )
        ).all()
    )


def has_sample(session: Session) -> bool:
    """True while the database holds any sample record (the pages show a banner, an import
    says so)."""
    return bool(
        session.scalar(select(exists().where(Recommendation.is_sample.is_(True))))
        or session.scalar(select(exists().where(Assessment.is_sample.is_(True))))
        or session.scalar(select(exists().where(Review.is_sample.is_(True))))
    )


def stats(session: Session, f: Filters | None = None) -> dict[str, Any]:
    """The figures of ``stats --json`` (exactly the contract's keys) for the filter.

    Three queries: one grouped pass over the matching recommendations (by review, response
    and status, from which the counts per cycle, response and status, the reviews and the
    states are summed), one over their recommending states, one counting assessments."""
    return _stats(session, f, _grouped(session, f))


def _stats(session: Session, f: Filters | None, grouped: list[Any]) -> dict[str, Any]:
    if f is None or f.is_empty():
        pairs, recommending, assessments = _whole_corpus_counts(session)
    else:
        pairs, recommending = session.execute(
            select(func.count(), func.count(distinct(recommendation_states.c.state_id))).where(
                matches(recommendation_states.c.recommendation_id, f)
            )
        ).one()
        assessments = (
            session.scalar(
                select(func.count())
                .select_from(Assessment)
                .where(matches(Assessment.recommendation_id, f), _on_record(f))
                .where(Assessment.id.not_in(hidden_ids()))  # public figures (tracker.evidence)
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


def _whole_corpus_counts(session: Session) -> tuple[int, int, int]:
    """(recommendation-state pairs, recommending states, public assessments) of the whole
    corpus, each from an index without a sort or an anti-join: the states with a link row
    (one look-up per state) instead of the distinct states of every link row, and every
    assessment less the private ones and drafts (their partial indexes, a union: one both
    private and a draft is taken away once) instead of testing each assessment against
    them. PostgreSQL, a million recommendations: 0.38 s -> 0.08 s and 0.22 s -> 0.10 s."""
    links = recommendation_states
    pairs = session.scalar(select(func.count()).select_from(links)) or 0
    recommending = (
        session.scalar(
            select(func.count())
            .select_from(State)
            .where(exists().where(links.c.state_id == State.id))
        )
        or 0
    )
    hidden = union(
        select(Assessment.id).where(Assessment.is_private.is_(True)),
        select(Assessment.id).where(Assessment.is_draft.is_(True)),
    ).subquery()
    # Every assessment as the triggers keep it (tracker.kept_assessments): counting 3.3
    # million took 0.29-0.52 s at a million recommendations.
    every = kept_assessments.total(session)
    assessments = every - (session.scalar(select(func.count()).select_from(hidden)) or 0)
    return pairs, recommending, assessments


def _status_frame(counts: dict[str, int]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {"status": list(STATUS_ORDER), "count": [int(counts.get(s, 0)) for s in STATUS_ORDER]}
    )


def status_counts(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: status, count — every status in display order, zeros included. The
    recommendations of one recommending state alone (the Recommending states page's chosen
    state) are counted from the kept link counts (tracker.kept_links: 110,000 of them at a
    million recommendations took seconds)."""
    if f is not None and len(f.recommending) == 1 and f.with_(recommending=()).is_empty():
        return _status_frame(kept_links.one_state_counts(session, f.recommending[0]))
    rows = dict(
        session.execute(
            apply_filters(base_select(status_expr(f), func.count(), current=False), f).group_by(
                status_expr(f)
            )
        ).all()
    )
    return _status_frame(rows)


def response_status_counts(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """Columns: response, status, count (only non-zero cells)."""
    import pandas as pd

    rows = session.execute(
        apply_filters(
            base_select(Recommendation.response, status_expr(f), func.count(), current=False), f
        ).group_by(Recommendation.response, status_expr(f))
    ).all()
    return pd.DataFrame(rows, columns=["response", "status", "count"])


@dataclass(frozen=True)
class Overview:
    """What the Overview page counts, from one grouped pass (see :func:`overview`)."""

    figures: dict[str, Any]  # stats()
    status_counts: pd.DataFrame  # status_counts()
    response_status: pd.DataFrame  # response_status_counts()


def _cell_order(item: tuple[tuple[str | None, str], int]) -> tuple[bool, str, str]:
    """GROUP BY's order of (response, status) cells: no response first."""
    (resp, st), _n = item
    return (resp is not None, resp or "", st)


def overview(session: Session, f: Filters | None = None) -> Overview:
    """:func:`stats`, :func:`status_counts` and :func:`response_status_counts` of ``f``,
    summed from one grouped pass over the recommendations instead of three."""
    import pandas as pd

    grouped = _grouped(session, f)
    cells: dict[tuple[str | None, str], int] = defaultdict(int)
    for _review, _state, _cycle, resp, st, n in grouped:
        cells[(resp, st)] += n
    response_status = pd.DataFrame(
        [(resp, st, n) for (resp, st), n in sorted(cells.items(), key=_cell_order)],
        columns=["response", "status", "count"],
    )
    figures = _stats(session, f, grouped)
    return Overview(figures, _status_frame(figures["by_status"]), response_status)


def states_under_review(session: Session) -> pd.DataFrame:
    """Columns: iso3, name — states with at least one recommendation, by name."""
    import pandas as pd

    # Asked per review ("has it a recommendation?": one probe of the review_id index each)
    # rather than counted: every page's sidebar reads this list, and counting a million
    # recommendations per review took 0.3-0.6 s on PostgreSQL.
    reviewed = (
        select(Review.id)
        .where(Review.state_id == State.id)
        .where(exists().where(Recommendation.review_id == Review.id))
    )
    rows = session.execute(
        select(State.iso3, State.name).where(exists(reviewed)).order_by(State.name)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["iso3", "name"])


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
    """The date of the latest published, non-private assessment of the selection (the
    "as of" of public outputs: a private assessment's date says something too)."""
    return session.scalar(
        select(func.max(Assessment.assessed_on))
        .where(matches(Assessment.recommendation_id, f), _on_record(f))
        .where(Assessment.id.not_in(hidden_ids()))
    )


def count(session: Session, f: Filters | None = None) -> int:
    """The number of recommendations matching ``f``."""
    return _count(session, filtered_ids(f))


def any_match(session: Session, f: Filters | None = None) -> bool:
    """True when some recommendation matches ``f``: the database stops at the first one,
    where :func:`count` reads every match (0.5 s at a million recommendations)."""
    return bool(session.scalar(select(exists(filtered_ids(f)))))


def recommendation_columns(f: Filters | None = None) -> Select:
    """SELECT of the recommendation's own columns of :func:`recommendations_frame` (those of
    RECOMMENDATION_COLUMNS before the related lists, in that order), the status and the
    current assessment as of ``f.as_of``; add the filter with :func:`apply_filters`."""
    return base_select(
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
        status_expr(f),
        CURRENT.assessed_on,
        CURRENT.source_org,
        CURRENT.evidence,
        CURRENT.evidence_url,
        Recommendation.is_sample,
        as_of=f.as_of if f is not None else None,
    )


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
    cycle, id; ``limit``/``offset`` page through the result (ties broken by id).

    The cost grows with the rows returned (about 0.15 s per 5,000 on the full corpus), so a
    page shows a page of them (``limit``) and builds the whole list only for a download."""
    import pandas as pd

    order = list(order_by or (SUR.name, Review.cycle, Recommendation.id))
    as_of = f.as_of if f is not None else None
    columns = recommendation_columns(f)
    if limit is None:
        stmt = apply_filters(columns, f).order_by(*order)
        if ids is not None:
            stmt = stmt.where(Recommendation.id.in_(ids))
    else:
        # A page: the ids of the page are chosen first, sorting only the ids and the sort
        # keys, and the columns read for those ids alone. Sorting whole rows (texts and
        # evidence) up to the page made a deep page of the whole corpus cost 1.3 s
        # (page 1,000 by date); now 0.3 s.
        order.append(Recommendation.id)  # a total order: pages neither overlap nor skip
        # The current assessment joined only for an order that may read it: in the default
        # order the join (one row at most: no row more or less) kept PostgreSQL off the
        # covering indexes, reading the whole table with its texts (the Overview's list of
        # the partially implemented at a million recommendations: 1.1 s -> 0.46 s).
        current = order_by is not None
        page = apply_filters(
            base_select(Recommendation.id, current=current, as_of=as_of), f
        ).order_by(*order)
        if ids is not None:
            page = page.where(Recommendation.id.in_(ids))
        page = page.limit(limit).offset(offset).correlate(None)
        stmt = join_as_of(columns, f).where(Recommendation.id.in_(page)).order_by(*order)
    rows = session.execute(stmt).all()
    # From plain tuples: the same frame (and dtypes) as from Row objects, built 2.5x faster.
    df = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[c for c in RECOMMENDATION_COLUMNS if c not in RELATED_COLUMNS],
    )
    rec_ids = df["id"].tolist()
    states, isos, themes = _related(session, rec_ids)
    df["recommending_states"] = [states.get(i, "") for i in rec_ids]
    df["recommending_iso3"] = [isos.get(i, "") for i in rec_ids]
    df["themes"] = [themes.get(i, "") for i in rec_ids]
    df["action_category"] = df["action_category"].astype("Int64")
    return df[RECOMMENDATION_COLUMNS]


def _related(
    session: Session, rec_ids: list[int]
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Per recommendation id of ``rec_ids``: its recommending states' names and their ISO
    codes (each joined by ", ", in the order of the names) and its theme names (joined by
    "; ", in name order); an id without any is left out of that dict.

    One set-based query per link table for the whole id set, ordered by recommendation and
    name, run as a Core statement on the session's connection (the frame's own query has
    flushed the session) and joined into strings as the rows stream in. The ids go in
    sorted IN lists of IN_LIST_LIMIT; from RELATED_SCAN_FROM ids on, one pass over each link
    table (in its primary key's order) is cheaper. Before, above 5,000 ids the whole link
    tables went through the ORM and every row into a list per recommendation: 0.7-1.3 s for
    one recommending state's 17,000 recommendations on the full corpus, now 0.15-0.2 s.
    The order within a list is the database's ORDER BY on the name (its collation), as the
    lists have always been sorted; the code breaks a tie of two names.
    """
    if not rec_ids:
        return {}, {}, {}
    state_queries, theme_queries = [_states_query()], [_themes_query()]
    ids = sorted(set(rec_ids))
    wanted: set[int] | None = None
    if len(ids) < RELATED_SCAN_FROM:
        chunks = [ids[i : i + IN_LIST_LIMIT] for i in range(0, len(ids), IN_LIST_LIMIT)]
        rs, rt = recommendation_states, recommendation_themes
        state_queries = [state_queries[0].where(rs.c.recommendation_id.in_(c)) for c in chunks]
        theme_queries = [theme_queries[0].where(rt.c.recommendation_id.in_(c)) for c in chunks]
    else:
        wanted = set(ids)
    conn = session.connection()
    names: dict[int, str] = {}
    codes: dict[int, str] = {}
    themes: dict[int, str] = {}
    for q in state_queries:
        for rid, rows in groupby(conn.execute(q), itemgetter(0)):
            if wanted is None or rid in wanted:
                group = list(rows)
                names[rid] = ", ".join([r[1] for r in group])
                codes[rid] = ", ".join([r[2] for r in group])
    for q in theme_queries:
        for rid, theme_rows in groupby(conn.execute(q), itemgetter(0)):
            if wanted is None or rid in wanted:
                themes[rid] = "; ".join([r[1] for r in theme_rows])
    return names, codes, themes


def _states_query() -> Select:
    """(recommendation id, recommending state's name, its ISO code), by recommendation and
    name: the order of the lists of recommendations_frame."""
    state, rs = State.__table__, recommendation_states
    return (
        select(rs.c.recommendation_id, state.c.name, state.c.iso3)
        .join(state, state.c.id == rs.c.state_id)
        .order_by(rs.c.recommendation_id, state.c.name, state.c.iso3)
    )


def _themes_query() -> Select:
    """(recommendation id, theme name), by recommendation and name."""
    theme, rt = Theme.__table__, recommendation_themes
    return (
        select(rt.c.recommendation_id, theme.c.name)
        .join(theme, theme.c.id == rt.c.theme_id)
        .order_by(rt.c.recommendation_id, theme.c.name)
    )


def related_of(session: Session, f: Filters) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Per recommendation matching ``f``: its recommending states' names joined by ", " (as
    the frame's ``recommending_states``) and its theme names in name order; an id without
    any is left out. The filter goes to the database as a subquery, where an IN list of a
    country's ids made a statement of thousands of parameters (the report at a million
    recommendations: SQLAlchemy spent 40 ms rendering them)."""
    conn = session.connection()
    names: dict[int, str] = {}
    for rid, rows in groupby(
        conn.execute(_states_query().where(matches(recommendation_states.c.recommendation_id, f))),
        itemgetter(0),
    ):
        names[rid] = ", ".join([r[1] for r in rows])
    themes: dict[int, list[str]] = {}
    for rid, rows in groupby(
        conn.execute(_themes_query().where(matches(recommendation_themes.c.recommendation_id, f))),
        itemgetter(0),
    ):
        themes[rid] = [r[1] for r in rows]
    return names, themes


def assessments_select(f: Filters | None = None, *, include_private: bool = False) -> Select:
    """The statement of :func:`assessments_frame` (its rows, for a reader that wants no
    DataFrame)."""
    return (
        select(Assessment.recommendation_id, *shown_fields())
        .where(matches(Assessment.recommendation_id, f))
        .where(Assessment.is_draft.is_(False))
        .where(true() if include_private else Assessment.is_private.is_(False))
        .where(_on_record(f))
        .order_by(Assessment.recommendation_id, *history_order(Assessment))
    )


def assessments_frame(
    session: Session, f: Filters | None = None, *, include_private: bool = False
) -> pd.DataFrame:
    """Every published assessment of the recommendations matching ``f``, oldest first;
    private ones only with ``include_private`` (tracker.evidence), drafts never.

    Columns: recommendation_id, assessment_id, status, assessed_on, source_org, evidence,
    evidence_url, author, created_at, retracts_id, is_sample, source_type, confidence,
    is_private.
    """
    import pandas as pd

    # The frame's columns are the statement's (labels spell each name once).
    result = session.execute(assessments_select(f, include_private=include_private))
    return pd.DataFrame(result.all(), columns=list(result.keys()))


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


def selection_has_sample(session: Session, f: Filters | None = None) -> bool:
    """True when a recommendation matching ``f``, or one of its assessments, is sample data
    (reports and images of such a selection are marked "sample data")."""
    # matches: no IN list at all without filters; the partial is_sample indexes
    # (migration 0003) make both tests one look-up when there is no sample.
    return bool(
        session.scalar(
            select(
                exists().where(matches(Recommendation.id, f), Recommendation.is_sample.is_(True))
            )
        )
        or session.scalar(
            select(
                exists().where(
                    matches(Assessment.recommendation_id, f),
                    Assessment.is_sample.is_(True),
                )
            )
        )
    )


__all__ = [
    "CURRENT",
    "RECOMMENDATION_COLUMNS",
    "SUR",
    "Overview",
    "apply_filters",
    "assessed_on_expr",
    "assessments_frame",
    "assessments_select",
    "base_select",
    "count",
    "cycle_options",
    "filtered_ids",
    "join_as_of",
    "latest_assessment_date",
    "matches",
    "overview",
    "read_frame",
    "recommendation_columns",
    "recommendations_frame",
    "recommending_state_options",
    "related_of",
    "response_status_counts",
    "selection_has_sample",
    "states_under_review",
    "stats",
    "status_counts",
    "supported_noted",
    "theme_options",
]
