"""Flags: the recommendations that need an advocate's attention.

* **partially implemented** — the current status is partially implemented (the first ask of
  the NGO that started this project: what is half done, and what is the evidence?);
* **stale** — supported, not fully implemented, and the latest assessment is older than
  ``stale_months`` (12 by default); with ``include_unassessed`` also the supported ones never
  assessed (off by default: on a whole corpus that is almost everything);
* **never assessed** — supported and never assessed since the review that made it (the
  government accepted it, and nobody has said what became of it); listed with the review's
  age;
* **regressed** — the latest status is worse than the latest one dated before it
  (fully > partially > not implemented; "no information" is no judgement and is skipped);
* **contested** — sources disagree: the latest assessments of two sources, both made
  within ``stale_months`` of the most recent one, give different statuses ("no
  information" again skipped);
* **overdue** — an action of its plan (tracker.plans) is past its due date and not completed.

Retracted assessments and retractions never count (as for the current status).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from tracker import kept_partial, kept_reviews
from tracker.assessments import CONTESTED_MONTHS, DAYS_PER_MONTH, disagreements, window_days
from tracker.filters import Filters
from tracker.i18n import N_, _, long_date, ngettext
from tracker.models import Assessment, Recommendation, Review, Theme, recommendation_themes
from tracker.plans import overdue_condition, overdue_views
from tracker.queries import (
    SUR,
    apply_filters,
    assessed_on_expr,
    base_select,
    counting_select,
    read_frame,
    recommendations_frame,
    status_expr,
)
from tracker.vocab import Response, Status, status_label

# UPR Info's mid-term cycle: a year without news is worth a look (and the window in which
# sources are compared, for which the "contested" column is kept).
DEFAULT_STALE_MONTHS = CONTESTED_MONTHS
ID_CHUNK = 5000  # ids per query when fetching the flagged rows


class Flag(StrEnum):
    PARTIAL = "partial"
    STALE = "stale"
    NEVER_ASSESSED = "never_assessed"
    REGRESSED = "regressed"
    CONTESTED = "contested"
    OVERDUE = "overdue"


FLAG_LABELS: dict[Flag, str] = {
    Flag.PARTIAL: N_("Partially implemented"),
    Flag.STALE: N_("Stale"),
    Flag.NEVER_ASSESSED: N_("Never assessed"),
    Flag.REGRESSED: N_("Regressed"),
    Flag.CONTESTED: N_("Contested"),
    Flag.OVERDUE: N_("Overdue actions"),
}

FLAG_HELP: dict[Flag, str] = {
    Flag.PARTIAL: N_("The latest assessment says partially implemented."),
    Flag.STALE: N_(
        "Supported, not fully implemented, and not assessed in the last {months} months."
    ),
    Flag.NEVER_ASSESSED: N_(
        "Supported, and never assessed since the review: the age is the review's, in months."
    ),
    Flag.REGRESSED: N_("The latest status is worse than the one assessed before it."),
    Flag.CONTESTED: N_(
        "Sources disagree: their latest assessments (within {months} months of each other) "
        "give different statuses."
    ),
    Flag.OVERDUE: N_("An action of its plan is past its due date and not completed."),
}
GOVERNMENT_VS_OTHERS_HELP = N_(
    "The government disagrees with other types of source: the latest assessment of each type "
    "(within {months} months of each other) gives a status other than the government's."
)


def flag_label(flag: str) -> str:
    """Readable, translated name of a flag."""
    return _(FLAG_LABELS[Flag(flag)])


def flag_help(
    flag: str, months: int = DEFAULT_STALE_MONTHS, government_vs_others: bool = False
) -> str:
    """One-sentence, translated definition of a flag."""
    if government_vs_others and Flag(flag) is Flag.CONTESTED:
        return _(GOVERNMENT_VS_OTHERS_HELP).format(months=months)
    return _(FLAG_HELP[Flag(flag)]).format(months=months)


@dataclass(frozen=True)
class FlagOptions:
    """The settings of the flags (hashable: part of the cache key)."""

    stale_months: int = DEFAULT_STALE_MONTHS
    include_unassessed: bool = False
    today: dt.date | None = None  # None: today
    # Contested: only a government view against another type of source's (tracker.evidence).
    government_vs_others: bool = False

    def day(self) -> dt.date:
        return self.today or dt.date.today()

    def cutoff(self) -> dt.date:
        """Assessments before this date are stale."""
        return (pd.Timestamp(self.day()) - pd.DateOffset(months=self.stale_months)).date()


# The flags that can be computed for a past day (``?as_of=``): from the assessments on record
# then. Regressed and contested are kept on each recommendation for today only, and a planned
# action's history is not kept: those three are today's and are not shown for a past day.
PAST_FLAGS = (Flag.PARTIAL, Flag.STALE, Flag.NEVER_ASSESSED)
PAST_FLAGS_NOTE = N_(
    "Status as of {date}: “Partially implemented”, “Stale” and “Never assessed” are counted "
    "as they were on that day. “Regressed”, “Contested” and “Overdue” cannot be worked out "
    "for a past date (the tracker keeps them for today only), so they are not shown; clear "
    "“Status as of” to see them."
)


def flags_for(f: Filters | None) -> list[Flag]:
    """The flags that can be shown for ``f``: all of them, or PAST_FLAGS under ``f.as_of``."""
    return list(PAST_FLAGS) if f is not None and f.as_of is not None else list(Flag)


def past_flags_note(f: Filters | None) -> str | None:
    """The plain-words note of a Flagged list under ``f.as_of`` (None without it)."""
    if f is None or f.as_of is None:
        return None
    return _(PAST_FLAGS_NOTE).format(date=long_date(f.as_of))  # as the page's caption


class PastFlagError(ValueError):
    """A flag asked for a past day that is kept for today only (PAST_FLAGS_NOTE)."""


def _check_day(f: Filters | None, flag: Flag) -> None:
    if flag not in flags_for(f):
        raise PastFlagError(past_flags_note(f))


def _as_of(f: Filters | None) -> bool:
    return f is not None and f.as_of is not None


def _is_partial(f: Filters | None = None) -> ColumnElement[bool]:
    if _as_of(f):  # the status as of that day (the statement joins it: apply_filters)
        return status_expr(f) == Status.PARTIALLY_IMPLEMENTED.value
    return Recommendation.current_status == Status.PARTIALLY_IMPLEMENTED.value


def _is_stale(opts: FlagOptions, f: Filters | None = None) -> ColumnElement[bool]:
    """Under ``f.as_of``, with the assessments on record then (``opts.today``: that day)."""
    assessed_on = assessed_on_expr(f)
    old = assessed_on < opts.cutoff()
    return and_(
        Recommendation.response == Response.SUPPORTED.value,
        status_expr(f) != Status.FULLY_IMPLEMENTED.value,
        or_(old, assessed_on.is_(None)) if opts.include_unassessed else old,
    )


def _is_never_assessed(f: Filters | None = None) -> ColumnElement[bool]:
    """Supported, and no assessment counts (none, or all retracted; under ``f.as_of``, none
    on record then)."""
    return and_(
        Recommendation.response == Response.SUPPORTED.value,
        assessed_on_expr(f).is_(None),
    )


def _is_regressed() -> ColumnElement[bool]:
    return Recommendation.regressed_from_id.is_not(None)


def _is_contested() -> ColumnElement[bool]:
    """Contested in the window the column is kept for (assessments.CONTESTED_MONTHS)."""
    return Recommendation.contested.is_(True)


def _is_overdue(opts: FlagOptions) -> ColumnElement[bool]:
    return overdue_condition(opts.day())


def _kept(opts: FlagOptions) -> bool:
    """True when the ``contested`` column answers for ``opts`` (its window is the default,
    sources compared by name); else the histories are compared."""
    return opts.stale_months == CONTESTED_MONTHS and not opts.government_vs_others


def _flagged(f: Filters | None, condition: ColumnElement[bool]) -> Select:
    """SELECT the ids of the recommendations matching ``f`` and ``condition`` (for the whole
    corpus without the review and state joins: 0.33 s of the contested count at a million
    recommendations with 3.3 million assessments)."""
    return apply_filters(counting_select(f, Recommendation.id), f).where(condition)


def _condition(
    flag: Flag, opts: FlagOptions, f: Filters | None = None
) -> ColumnElement[bool] | None:
    """The SQL condition of ``flag`` on a recommendation's kept fields (as of ``f.as_of``
    for PAST_FLAGS); None for the contested ones of another window than the kept one (their
    histories are compared)."""
    if flag is Flag.PARTIAL:
        return _is_partial(f)
    if flag is Flag.STALE:
        return _is_stale(opts, f)
    if flag is Flag.NEVER_ASSESSED:
        return _is_never_assessed(f)
    if flag is Flag.REGRESSED:
        return _is_regressed()
    if flag is Flag.OVERDUE:
        return _is_overdue(opts)
    return _is_contested() if _kept(opts) else None


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


def _listed(session: Session, f: Filters | None, flag: Flag, opts: FlagOptions) -> pd.DataFrame:
    """Columns id, cycle, state (the state under review's name): every recommendation under
    ``flag``, ordered as the Flagged tables are (cycle, state, id). Light: no texts."""
    _check_day(f, flag)
    stmt = apply_filters(base_select(Recommendation.id, Review.cycle, SUR.name, current=False), f)
    condition = _condition(flag, opts, f)
    columns = ["id", "cycle", "state"]
    if condition is not None:
        df = read_frame(session, stmt.where(condition), columns)
    else:
        ids = sorted(_contested(session, f, opts, explain=False))
        parts = [
            read_frame(session, stmt.where(Recommendation.id.in_(c)), columns) for c in _chunks(ids)
        ]
        df = (
            pd.concat(parts, ignore_index=True)
            if parts
            else read_frame(session, stmt.where(false()), columns)
        )
    return df.sort_values(["cycle", "state", "id"], kind="stable").reset_index(drop=True)


def _regressed_views(session: Session, ids: list[int]) -> dict[int, str]:
    """Regressed recommendations among ``ids``, each with "before (date, source) → after"."""
    previous = aliased(Assessment, name="previous")
    stmt = select(
        Recommendation.id,
        Recommendation.current_status,
        previous.status,
        previous.assessed_on,
        previous.source_org,
    ).join(previous, previous.id == Recommendation.regressed_from_id)
    return {
        int(rec_id): _("{before} ({date}, {source}) → {after}").format(
            before=status_label(before),
            date=long_date(day),
            source=source,
            after=status_label(status),
        )
        for chunk in _chunks(ids)
        for rec_id, status, before, day, source in session.execute(
            stmt.where(Recommendation.id.in_(chunk))
        )
    }


def _explain(session: Session, ids: list[int], flag: Flag, opts: FlagOptions) -> dict[int, str]:
    """The explanations of ``flag`` for ``ids`` (regressed: before → after; contested: each
    source's view); the other flags need none ({})."""
    if flag is Flag.REGRESSED:
        return _regressed_views(session, ids)
    if flag is Flag.CONTESTED:
        window = window_days(opts.stale_months)
        found: dict[int, str] = {}
        for chunk in _chunks(ids):
            scope = select(Recommendation.id).where(Recommendation.id.in_(chunk))
            found.update(
                disagreements(
                    session,
                    scope,
                    window,
                    explain=True,
                    government_vs_others=opts.government_vs_others,
                )
            )
        return found
    if flag is Flag.OVERDUE:
        found = {}
        for chunk in _chunks(ids):
            found.update(overdue_views(session, chunk, opts.day()))
        return found
    return {}


def _contested(
    session: Session, f: Filters | None, opts: FlagOptions, *, explain: bool = True
) -> dict[int, str]:
    """Recommendations whose sources disagree (tracker.assessments.disagreements), each with
    the views. In the default window the kept column narrows them first; in another window
    every history of the selection is compared."""
    scope = _flagged(f, true())
    if _kept(opts):
        if not explain:
            return dict.fromkeys(session.scalars(scope.where(_is_contested())), "")
        scope = scope.where(_is_contested())
    return disagreements(
        session,
        scope,
        window_days(opts.stale_months),
        explain=explain,
        government_vs_others=opts.government_vs_others,
    )


def _flag_ids(session: Session, f: Filters | None, flag: Flag, opts: FlagOptions) -> dict[int, str]:
    ids = sorted(int(i) for i in _listed(session, f, flag, opts)["id"])
    views = _explain(session, ids, flag, opts)
    return {i: views.get(i, "") for i in ids}


def flag_details(
    session: Session, f: Filters | None = None, opts: FlagOptions | None = None
) -> dict[str, dict[int, str]]:
    """For each flag (:func:`flags_for` ``f``), the flagged recommendation ids, each with an
    explanation ("" for the flags that need none)."""
    opts = opts or FlagOptions()
    return {flag.value: _flag_ids(session, f, flag, opts) for flag in flags_for(f)}


def _sum(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def flag_counts(
    session: Session, f: Filters | None = None, opts: FlagOptions | None = None
) -> dict[str, int]:
    """Number of recommendations under each flag, in the order of :class:`Flag`: one pass
    over the selection for the statuses and dates kept on each recommendation, a count each
    for the regressed, contested and overdue (the contested ones of another window than the
    default are found by comparing histories). Under ``f.as_of``, only PAST_FLAGS, counted
    as they were on that day (``opts.today``: it)."""
    opts = opts or FlagOptions()
    conditions = {fl: _condition(fl, opts, f) for fl in flags_for(f)}
    summed = {fl: c for fl, c in conditions.items() if c is not None and fl in PAST_FLAGS}
    if f is None or f.is_empty():
        counts = _whole_corpus_counts(session, opts)
    else:
        row = session.execute(
            apply_filters(counting_select(f, *map(_sum, summed.values())), f)
        ).one()
        counts = {fl.value: int(n) for fl, n in zip(summed, row, strict=True)}
    # Regressed, contested and overdue each counted on their own, from their partial index
    # (a few rows): in the one pass they made PostgreSQL read every row of the table instead
    # of the covering index of the other three (1.3 s for a million recommendations).
    for fl, condition in conditions.items():
        if condition is not None and fl not in summed:
            flagged = _flagged(f, condition).subquery()
            counts[fl.value] = int(session.scalar(select(func.count()).select_from(flagged)) or 0)
    # the contested ones of another window than the kept one: their histories are compared
    return {
        fl.value: counts[fl.value]
        if fl.value in counts
        else len(_contested(session, f, opts, explain=False))
        for fl in conditions
    }


def _whole_corpus_counts(session: Session, opts: FlagOptions) -> dict[str, int]:
    """The partially implemented, stale and never assessed of the whole corpus (what
    :func:`flag_counts`' one pass sums), from the kept counts per review, response and
    status (tracker.kept_reviews) and a few ranges of the covering index
    ix_recommendation_review_status read review by review: the supported recommendations
    not fully implemented, less those assessed since the cutoff and (unless they count)
    those never assessed. The one pass read the whole index (a million entries on
    PostgreSQL: 0.34 s); the ranges read the recent ones (172,000: 0.1 s)."""
    supported = Response.SUPPORTED.value
    fully, partial = Status.FULLY_IMPLEMENTED.value, Status.PARTIALLY_IMPLEMENTED.value
    kept = kept_reviews.kept(session)  # (review, response, status, n), "" for none
    not_fully = sum(n for _r, resp, st, n in kept if resp == supported and st != fully)
    # The statuses the supported recommendations have (kept keys): ranges of the index.
    statuses = sorted({st for _r, resp, st, _n in kept if resp == supported and st})
    others = [st for st in statuses if st != fully]

    def supported_count(*conditions: ColumnElement[bool]) -> int:
        """Supported recommendations under ``conditions``, review by review (an IN over
        the reviews: the index's first column), for the index's ranges."""
        return int(
            session.scalar(
                select(func.count())
                .select_from(Recommendation)
                .where(
                    Recommendation.review_id.in_(select(Review.id)),
                    Recommendation.response == supported,
                    *conditions,
                )
            )
            or 0
        )

    assessed_on = Recommendation.current_assessed_on
    status = Recommendation.current_status
    recent = supported_count(status.in_(others), assessed_on >= opts.cutoff())
    recent += supported_count(status.is_(None), assessed_on >= opts.cutoff())
    undated = supported_count(status.in_(others), assessed_on.is_(None))
    undated += supported_count(status.is_(None), assessed_on.is_(None))
    undated_fully = (
        supported_count(status == fully, assessed_on.is_(None)) if fully in statuses else 0
    )
    stale = not_fully - recent - (0 if opts.include_unassessed else undated)
    return {
        Flag.PARTIAL.value: sum(n for _r, _resp, st, n in kept if st == partial),
        Flag.STALE.value: stale,
        Flag.NEVER_ASSESSED.value: undated + undated_fully,
    }


# Columns of flagged_frame: the recommendation's, then the flag's.
FLAGGED_COLUMNS = [
    "id",
    "state",
    "cycle",
    "session",
    "paragraph",
    "text",
    "recommending_states",
    "response",
    "themes",
    "status",
    "assessed_on",
    "age_months",
    "source_org",
    "evidence",
    "evidence_url",
    "detail",
]


def _frame(
    session: Session, ids: list[int], flag: Flag, opts: FlagOptions, f: Filters | None = None
) -> pd.DataFrame:
    """FLAGGED_COLUMNS of the recommendations ``ids`` under ``flag``, ordered by cycle,
    state and id; the status and assessment as of ``f.as_of`` when set."""
    day = Filters(as_of=f.as_of) if f is not None and f.as_of is not None else None
    parts = [recommendations_frame(session, day, ids=c) for c in _chunks(ids)]
    df = pd.concat(parts, ignore_index=True) if parts else recommendations_frame(session, ids=[])
    views = _explain(session, ids, flag, opts)
    df["detail"] = [views.get(int(i), "") for i in df["id"]]
    today = pd.Timestamp(opts.day())
    # Never assessed: the age is the review's (how long the government has had to act).
    since = df["review_date"] if flag is Flag.NEVER_ASSESSED else df["assessed_on"]
    df["age_months"] = ((today - pd.to_datetime(since)).dt.days // DAYS_PER_MONTH).astype("Int64")
    if flag is Flag.NEVER_ASSESSED:
        df["detail"] = [
            ngettext(
                "Reviewed on {date}, {months} month ago; never assessed",
                "Reviewed on {date}, {months} months ago; never assessed",
                int(age),
            ).format(date=long_date(day), months=int(age))
            if pd.notna(day) and pd.notna(age)
            else ""
            for day, age in zip(df["review_date"], df["age_months"], strict=True)
        ]
    df = df.sort_values(["cycle", "state", "id"], kind="stable").reset_index(drop=True)
    return df[FLAGGED_COLUMNS]


def flagged_frame(
    session: Session,
    f: Filters | None = None,
    flag: str = Flag.PARTIAL.value,
    opts: FlagOptions | None = None,
) -> pd.DataFrame:
    """The recommendations under ``flag`` (columns: FLAGGED_COLUMNS), ordered by cycle,
    state and id; ``age_months`` is the age of the latest assessment (whole months, <NA>
    when never assessed; for the never-assessed flag the age of the review), ``detail`` the
    flag's explanation."""
    opts = opts or FlagOptions()
    flag_ = Flag(flag)
    ids = [int(i) for i in _listed(session, f, flag_, opts)["id"]]
    return _frame(session, ids, flag_, opts, f)


# Rows a Flagged table shows at most: serialising and sending 100,000 rows took 1.5 s and
# 300 MB of the server on every rerun (docs/performance.md); the downloads hold them all.
FLAGGED_SHOWN = 2_000
# Rows of the partially implemented table (recommendation x theme) from which its head is
# read theme by theme: below, one ordered statement is cheaper than a statement per theme
# (one country walked every theme: 80 statements).
PARTIAL_WALK_FROM = 20_000


@dataclass(frozen=True)
class FlaggedView:
    """What the Flagged page shows of one flag (one cached object per filter and flag)."""

    total: int  # recommendations under the flag
    rows: pd.DataFrame  # the table's first rows (partial: by_theme_and_cycle's)
    rows_total: int  # rows of the whole table (partial: one per recommendation and theme)
    theme_cycle: pd.DataFrame  # partial: theme_cycle_counts of the whole table; else empty


def flagged_view(
    session: Session,
    f: Filters | None = None,
    flag: str = Flag.PARTIAL.value,
    opts: FlagOptions | None = None,
    shown: int = FLAGGED_SHOWN,
    total: int | None = None,
) -> FlaggedView:
    """The Flagged page's table (at most ``shown`` rows) and counts for ``flag``: for
    partially implemented, grouped by theme and cycle (:func:`by_theme_and_cycle`) with the
    theme x cycle counts; for the other flags, :func:`flagged_frame`'s rows.

    The whole list is read light (ids, cycle, state, themes) to order and count it; only
    the rows shown are read in full (a whole-corpus list is tens of thousands of rows).
    ``total``, the flag's count when the caller has it (:func:`flag_counts`), saves
    counting the partially implemented again."""
    opts = opts or FlagOptions()
    flag_ = Flag(flag)
    if flag_ is not Flag.PARTIAL:
        listed = _listed(session, f, flag_, opts)
        head = [int(i) for i in listed["id"].head(shown)]
        return FlaggedView(
            len(listed), _frame(session, head, flag_, opts, f), len(listed), pd.DataFrame()
        )
    return _partial_view(session, f, opts, shown, total)


def _theme_head(
    session: Session, f: Filters | None, theme_ids: set[int | None], limit: int
) -> list[tuple[int | None, int]]:
    """(theme id, recommendation id) of the first ``limit`` partially implemented
    recommendations matching ``f`` under ``theme_ids`` (themes of one name without case;
    ``{None}``: those without a theme), in cycle and id order."""
    link = recommendation_themes
    stmt = apply_filters(base_select(Recommendation.id, current=False), f).where(_is_partial(f))
    if theme_ids == {NO_THEME_ID}:
        stmt = (
            stmt.add_columns(literal(None))
            .where(~exists().where(link.c.recommendation_id == Recommendation.id))
            .order_by(Review.cycle, Recommendation.id)
        )
    else:
        stmt = (
            stmt.add_columns(link.c.theme_id)
            .join(link, link.c.recommendation_id == Recommendation.id)
            .where(link.c.theme_id.in_(sorted(t for t in theme_ids if t is not None)))
            .order_by(Review.cycle, Recommendation.id, link.c.theme_id)
        )
    rows = session.execute(stmt.limit(limit))
    return [(theme_id, int(rec_id)) for rec_id, theme_id in rows]


def _partial_view(
    session: Session, f: Filters | None, opts: FlagOptions, shown: int, total: int | None
) -> FlaggedView:
    """flagged_view of the partially implemented: one row per recommendation and theme,
    counted and ordered in the database. The themes' order (their names without case, no
    theme last) becomes a rank per theme id, so that only the ``shown`` first rows leave the
    database; the totals and the theme x cycle counts come from one grouped pass. Reading
    every (id, cycle, theme name) row of the whole corpus (102,000) into pandas to sort and
    count them took 0.36-0.43 s of CPU on the benchmark corpus; the page's cold run, whole
    corpus, SQLite, went from 0.63 to 0.42 s of CPU (client and server, median of 3, old and
    new measured in the same minutes at load 17-20)."""
    link = recommendation_themes
    # The whole corpus joins the reviews (the cycles), not the states: one hash join of a
    # million rows less at a million recommendations.
    base = counting_select(f, Recommendation.id, Review.cycle, link.c.theme_id, reviews=True)
    listed = (
        apply_filters(base, f)
        .where(_is_partial(f))
        .outerjoin(link, link.c.recommendation_id == Recommendation.id)
        .subquery("listed")
    )
    if f is None or f.is_empty():
        # The whole corpus: the counts kept by the database (0.5-0.6 s of joining 650,000
        # theme links at a million recommendations on PostgreSQL).
        grouped = kept_partial.theme_cycle_counts(session)
    else:
        grouped = [
            tuple(row)
            for row in session.execute(
                select(listed.c.theme_id, listed.c.cycle, func.count()).group_by(
                    listed.c.theme_id, listed.c.cycle
                )
            )
        ]
    if not grouped:
        return FlaggedView(0, _frame(session, [], Flag.PARTIAL, opts, f), 0, pd.DataFrame())
    used = {t for t, _c, _n in grouped if t is not None}
    names: dict[int | None, str] = {NO_THEME_ID: NO_THEME}
    names.update(session.execute(select(Theme.id, Theme.name).where(Theme.id.in_(used))).all())
    # Rank of each theme id in _theme_order's order: the folded names, "no theme" last.
    keys = sorted({n.casefold() for n in names.values() if n != NO_THEME})
    rank = {k: i for i, k in enumerate(keys)}
    ranks = {t: rank[n.casefold()] for t, n in names.items() if n != NO_THEME}
    if sum(n for _t, _c, n in grouped) <= PARTIAL_WALK_FROM:
        # A few thousand rows: ordered and cut in one statement.
        order = case(ranks, value=listed.c.theme_id, else_=len(keys)) if ranks else literal(0)
        head_rows = [
            (theme_id, int(rec_id))
            for theme_id, rec_id in session.execute(
                select(listed.c.theme_id, listed.c.id)
                .order_by(order, listed.c.cycle, listed.c.id)
                .limit(shown)
            )
        ]
    else:
        # Many: the themes walked in the table's order, each theme the table reaches read in
        # (cycle, id) order on its own, instead of ordering every (recommendation, theme) row
        # (446,000 at a million recommendations: 2.7 s on PostgreSQL) to keep 2,000.
        runs: dict[int, set[int | None]] = defaultdict(set)
        for theme_id, _cycle, _n in grouped:
            runs[ranks.get(theme_id, len(keys))].add(theme_id)
        head_rows = []
        for rank_ in sorted(runs):
            if len(head_rows) >= shown:
                break
            head_rows += _theme_head(session, f, runs[rank_], shown - len(head_rows))
    if total is None:
        # The recommendations themselves: counted from the covering index, not theme rows.
        total = session.scalar(
            apply_filters(base_select(func.count(Recommendation.id), current=False), f).where(
                _is_partial(f)
            )
        )
    head = pd.DataFrame(
        {"theme": [names[t] for t, _i in head_rows], "id": [int(i) for _t, i in head_rows]}
    )
    full = _frame(session, sorted(set(head["id"])), Flag.PARTIAL, opts, f)
    shown_rows = head.merge(full, on="id", how="left", validate="many_to_one")
    shown_rows = shown_rows[["theme", *FLAGGED_COLUMNS]].reset_index(drop=True)
    counts = pd.DataFrame(
        [(names[t], c, int(n)) for t, c, n in grouped], columns=["theme", "cycle", "count"]
    )
    return FlaggedView(
        int(total), shown_rows, int(counts["count"].sum()), _theme_cycle_table(counts)
    )


NO_THEME = ""  # the theme key of recommendations without a theme
NO_THEME_ID = None  # ... and their theme id in a left join of the theme links


def by_theme_and_cycle(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a flagged_frame) with one row per recommendation and theme, column ``theme``
    first, sorted by theme (no theme last), cycle and id: the grouping of the Flagged page."""
    out = df.copy()
    out.insert(0, "theme", out["themes"].map(lambda t: t.split("; ") if t else [NO_THEME]))
    return _theme_order(out.explode("theme", ignore_index=True))


def _theme_order(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (columns theme, cycle, id, ...) sorted by theme (no theme last, without case),
    cycle and id."""
    # Each distinct theme folded once (a hundred names, repeated on 100,000 rows).
    folded = {t: t.casefold() for t in df["theme"].unique()}
    out = df.assign(_last=df["theme"] == NO_THEME, _key=df["theme"].map(folded))
    out = out.sort_values(["_last", "_key", "cycle", "id"], kind="stable")
    return out.drop(columns=["_last", "_key"]).reset_index(drop=True)


def theme_cycle_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of a by_theme_and_cycle frame: one row per theme, one column per cycle (named
    "Cycle 1", ...) and a total, themes with most recommendations first (no theme last)."""
    if df.empty:
        return pd.DataFrame(columns=["theme", "total"])
    return _theme_cycle_table(df.groupby(["theme", "cycle"], as_index=False).size())


def _theme_cycle_table(counts: pd.DataFrame) -> pd.DataFrame:
    """theme_cycle_counts from rows (theme, cycle, count) (a theme and cycle may repeat)."""
    table = counts.pivot_table(
        index="theme", columns="cycle", values=counts.columns[-1], aggfunc="sum"
    )
    table = table.fillna(0).astype(int)
    table.columns = [_("Cycle {n}").format(n=c) for c in table.columns]
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    table["_last"] = table["theme"] == NO_THEME
    table["_key"] = table["theme"].str.casefold()
    table = table.sort_values(["_last", "total", "_key"], ascending=[True, False, True])
    return table.drop(columns=["_last", "_key"]).reset_index(drop=True)


__all__ = [
    "DEFAULT_STALE_MONTHS",
    "FLAGGED_COLUMNS",
    "FLAGGED_SHOWN",
    "NO_THEME",
    "PAST_FLAGS",
    "PAST_FLAGS_NOTE",
    "Flag",
    "FlagOptions",
    "FlaggedView",
    "PastFlagError",
    "by_theme_and_cycle",
    "flag_counts",
    "flag_details",
    "flag_help",
    "flag_label",
    "flagged_frame",
    "flagged_view",
    "flags_for",
    "past_flags_note",
    "theme_cycle_counts",
]
