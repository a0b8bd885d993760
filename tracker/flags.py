"""Flags: the recommendations that need an advocate's attention.

* **partially implemented** — the current status is partially implemented (the first ask of
  the NGO that started this project: what is half done, and what is the evidence?);
* **stale** — supported, not fully implemented, and the latest assessment is older than
  ``stale_months`` (12 by default); with ``include_unassessed`` also the supported ones never
  assessed (off by default: on a whole corpus that is almost everything);
* **regressed** — the latest status is worse than the latest one dated before it
  (fully > partially > not implemented; "no information" is no judgement and is skipped);
* **contested** — sources disagree: the latest assessments of two sources, both made
  within ``stale_months`` of the most recent one, give different statuses ("no
  information" again skipped).

Retracted assessments and retractions never count (as for the current status).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from operator import itemgetter

import pandas as pd
from sqlalchemy import ColumnElement, Select, case, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from tracker.filters import Filters
from tracker.i18n import N_, _
from tracker.models import Assessment, Recommendation
from tracker.queries import CURRENT, apply_filters, base_select, recommendations_frame, status_expr
from tracker.vocab import STATUS_RANK, Response, Status, status_label

DEFAULT_STALE_MONTHS = 12  # UPR Info's mid-term cycle: a year without news is worth a look
DAYS_PER_MONTH = 30.4375
ID_CHUNK = 5000  # ids per query when fetching the flagged rows


class Flag(StrEnum):
    PARTIAL = "partial"
    STALE = "stale"
    REGRESSED = "regressed"
    CONTESTED = "contested"


FLAG_LABELS: dict[Flag, str] = {
    Flag.PARTIAL: N_("Partially implemented"),
    Flag.STALE: N_("Stale"),
    Flag.REGRESSED: N_("Regressed"),
    Flag.CONTESTED: N_("Contested"),
}

FLAG_HELP: dict[Flag, str] = {
    Flag.PARTIAL: N_("The latest assessment says partially implemented."),
    Flag.STALE: N_(
        "Supported, not fully implemented, and not assessed in the last {months} months."
    ),
    Flag.REGRESSED: N_("The latest status is worse than the one assessed before it."),
    Flag.CONTESTED: N_(
        "Sources disagree: their latest assessments (within {months} months of each other) "
        "give different statuses."
    ),
}


def flag_label(flag: str) -> str:
    """Readable, translated name of a flag."""
    return _(FLAG_LABELS[Flag(flag)])


def flag_help(flag: str, months: int = DEFAULT_STALE_MONTHS) -> str:
    """One-sentence, translated definition of a flag."""
    return _(FLAG_HELP[Flag(flag)]).format(months=months)


@dataclass(frozen=True)
class FlagOptions:
    """The settings of the flags (hashable: part of the cache key)."""

    stale_months: int = DEFAULT_STALE_MONTHS
    include_unassessed: bool = False
    today: dt.date | None = None  # None: today

    def day(self) -> dt.date:
        return self.today or dt.date.today()

    def cutoff(self) -> dt.date:
        """Assessments before this date are stale."""
        return (pd.Timestamp(self.day()) - pd.DateOffset(months=self.stale_months)).date()


def _partial(f: Filters | None) -> Select:
    return apply_filters(base_select(Recommendation.id), f).where(
        CURRENT.status == Status.PARTIALLY_IMPLEMENTED.value
    )


def _partial_ids(session: Session, f: Filters | None) -> list[int]:
    return list(session.scalars(_partial(f)))


def _stale(f: Filters | None, opts: FlagOptions) -> Select:
    old = CURRENT.assessed_on < opts.cutoff()
    return (
        apply_filters(base_select(Recommendation.id), f)
        .where(Recommendation.response == Response.SUPPORTED.value)
        .where(status_expr() != Status.FULLY_IMPLEMENTED.value)
        .where(or_(old, CURRENT.id.is_(None)) if opts.include_unassessed else old)
    )


def _stale_ids(session: Session, f: Filters | None, opts: FlagOptions) -> list[int]:
    return list(session.scalars(_stale(f, opts)))


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


# The statuses that have a progress rank ("no information" is no judgement).
RANKED: tuple[str, ...] = tuple(str(s.value) for s in STATUS_RANK)


def _rank(status: ColumnElement[str]) -> ColumnElement[int]:
    return case({str(s.value): r for s, r in STATUS_RANK.items()}, value=status)


def _effective(a: type[Assessment]) -> tuple[ColumnElement[bool], ...]:
    """Conditions: the assessment ``a`` counts (no retraction, and not retracted)."""
    retracted = select(Assessment.retracts_id).where(Assessment.retracts_id.is_not(None))
    return (a.retracts_id.is_(None), a.id.not_in(retracted))


def _days_before(session: Session, day: ColumnElement[dt.date], days: int) -> ColumnElement:
    """SQL: the date ``days`` days before ``day``."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day, f"-{days} days")  # dates are stored as YYYY-MM-DD text
    return day - days  # PostgreSQL: date - integer is a date


def _regressed(f: Filters | None) -> Select:
    """Recommendations whose current status ranks below the latest ranked status assessed
    on an earlier day: (id, status, and the earlier status, date and source), by id.

    Set-based: the current assessment is kept on the recommendation, and the earlier one is
    one index look-up per recommendation (ix_assessment_rec_date), so nothing but the
    regressed rows leaves the database."""
    earlier = aliased(Assessment, name="earlier")
    previous_id = (
        select(earlier.id)
        .where(
            earlier.recommendation_id == Recommendation.id,
            earlier.assessed_on < CURRENT.assessed_on,
            earlier.status.in_(RANKED),
            *_effective(earlier),
        )
        .order_by(earlier.assessed_on.desc(), earlier.created_at.desc(), earlier.id.desc())
        .limit(1)
        .correlate(Recommendation, CURRENT)
        .scalar_subquery()
    )
    latest = (
        apply_filters(
            base_select(
                Recommendation.id.label("id"),
                CURRENT.status.label("status"),
                previous_id.label("previous_id"),
            ),
            f,
        )
        .where(CURRENT.status.in_(RANKED))
        .subquery()
    )
    previous = aliased(Assessment, name="previous")
    return (
        select(
            latest.c.id, latest.c.status, previous.status, previous.assessed_on, previous.source_org
        )
        .join(previous, previous.id == latest.c.previous_id)
        .where(_rank(latest.c.status) < _rank(previous.status))
        .order_by(latest.c.id)
    )


def _regressed_ids(session: Session, f: Filters | None) -> dict[int, str]:
    """The regressed recommendations, each with "before (date, source) → after"."""
    return {
        int(rec_id): _("{before} ({date}, {source}) → {after}").format(
            before=status_label(before),
            date=day.isoformat(),
            source=source,
            after=status_label(status),
        )
        for rec_id, status, before, day, source in session.execute(_regressed(f))
    }


def _contested(
    session: Session, f: Filters | None, opts: FlagOptions, *, explain: bool = True
) -> dict[int, str]:
    """Recommendations whose sources disagree: the latest assessment of each source (names
    compared without case and extra spaces), among those made within ``stale_months`` of
    the recommendation's latest one, give different ranked statuses; each with the views.

    The database first narrows to the recommendations with two source names and two ranked
    statuses in that window (a necessary condition); only their histories are read. Without
    ``explain`` the views are not written out (each is "")."""
    window = round(opts.stale_months * DAYS_PER_MONTH)
    recent = aliased(Assessment, name="recent")
    candidates = (
        apply_filters(base_select(Recommendation.id), f)
        .join(recent, recent.recommendation_id == Recommendation.id)
        .where(recent.assessed_on >= _days_before(session, CURRENT.assessed_on, window))
        .where(*_effective(recent))
        .group_by(Recommendation.id)
        .having(func.count(distinct(recent.source_org)) > 1)
        .having(func.count(distinct(case((recent.status.in_(RANKED), recent.status)))) > 1)
    )
    rows = session.execute(
        select(
            Assessment.recommendation_id,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.source_org,
        )
        .where(*_effective(Assessment))
        .where(Assessment.recommendation_id.in_(candidates.subquery().select()))
        .order_by(
            Assessment.recommendation_id,
            Assessment.assessed_on,
            Assessment.created_at,
            Assessment.id,
        )
    ).all()
    limit = dt.timedelta(days=window)
    keys: dict[str, str] = {}  # source name -> its key (names repeat)
    view = _("{source}: {status} ({date})")
    labels = {s: status_label(s) for s in STATUS_RANK}
    contested: dict[int, str] = {}
    for rec_id, group in groupby(rows, key=itemgetter(0)):
        history = list(group)
        latest_on = history[-1][2]
        by_source = {}  # the last one per source wins
        for r in history:
            key = keys.get(r[3])
            if key is None:
                key = keys[r[3]] = _source_key(r[3])
            by_source[key] = r
        views = [r for r in by_source.values() if r[1] in STATUS_RANK and latest_on - r[2] <= limit]
        if len({r[1] for r in views}) > 1:
            contested[int(rec_id)] = (
                "; ".join(
                    view.format(source=r[3], status=labels[r[1]], date=r[2].isoformat())
                    for r in sorted(views, key=itemgetter(2))
                )
                if explain
                else ""
            )
    return contested


def _source_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _flag_ids(session: Session, f: Filters | None, flag: Flag, opts: FlagOptions) -> dict[int, str]:
    if flag is Flag.PARTIAL:
        return dict.fromkeys(_partial_ids(session, f), "")
    if flag is Flag.STALE:
        return dict.fromkeys(_stale_ids(session, f, opts), "")
    if flag is Flag.REGRESSED:
        return _regressed_ids(session, f)
    return _contested(session, f, opts)


def flag_details(
    session: Session, f: Filters | None = None, opts: FlagOptions | None = None
) -> dict[str, dict[int, str]]:
    """For each flag, the flagged recommendation ids, each with an explanation ("" for the
    flags that need none)."""
    opts = opts or FlagOptions()
    return {flag.value: _flag_ids(session, f, flag, opts) for flag in Flag}


def flag_counts(
    session: Session, f: Filters | None = None, opts: FlagOptions | None = None
) -> dict[str, int]:
    """Number of recommendations under each flag, in the order of :class:`Flag` (counted in
    the database where it can; the explanations of flag_details are not written)."""
    opts = opts or FlagOptions()
    return {
        Flag.PARTIAL.value: _count(session, _partial(f)),
        Flag.STALE.value: _count(session, _stale(f, opts)),
        Flag.REGRESSED.value: _count(session, _regressed(f)),
        Flag.CONTESTED.value: len(_contested(session, f, opts, explain=False)),
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


def _frame_for_ids(session: Session, ids: Iterable[int]) -> pd.DataFrame:
    ids = list(ids)
    parts = [
        recommendations_frame(session, None, ids=ids[i : i + ID_CHUNK])
        for i in range(0, len(ids), ID_CHUNK)
    ]
    return pd.concat(parts, ignore_index=True) if parts else recommendations_frame(session, ids=[])


def flagged_frame(
    session: Session,
    f: Filters | None = None,
    flag: str = Flag.PARTIAL.value,
    opts: FlagOptions | None = None,
) -> pd.DataFrame:
    """The recommendations under ``flag`` (columns: FLAGGED_COLUMNS), ordered by cycle,
    state and id; ``age_months`` is the age of the latest assessment (whole months, <NA>
    when never assessed), ``detail`` the flag's explanation."""
    opts = opts or FlagOptions()
    details = _flag_ids(session, f, Flag(flag), opts)
    df = _frame_for_ids(session, details)
    df["detail"] = [details.get(int(i), "") for i in df["id"]]
    today = pd.Timestamp(opts.day())
    assessed = pd.to_datetime(df["assessed_on"])
    df["age_months"] = ((today - assessed).dt.days // DAYS_PER_MONTH).astype("Int64")
    df = df.sort_values(["cycle", "state", "id"], kind="stable").reset_index(drop=True)
    return df[FLAGGED_COLUMNS]


# Rows a Flagged table shows at most: serialising and sending 100,000 rows took 1.5 s and
# 300 MB of the server on every rerun (docs/performance.md); the downloads hold them all.
FLAGGED_SHOWN = 2_000


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
) -> FlaggedView:
    """The Flagged page's table (at most ``shown`` rows) and counts for ``flag``: for
    partially implemented, grouped by theme and cycle (:func:`by_theme_and_cycle`) with the
    theme x cycle counts; for the other flags, :func:`flagged_frame`'s rows."""
    rows = flagged_frame(session, f, flag, opts)
    if flag == Flag.PARTIAL.value and not rows.empty:
        grouped = by_theme_and_cycle(rows)
        counts = theme_cycle_counts(grouped)
        return FlaggedView(len(rows), grouped.head(shown), len(grouped), counts)
    return FlaggedView(len(rows), rows.head(shown), len(rows), pd.DataFrame())


NO_THEME = ""  # the theme key of recommendations without a theme


def by_theme_and_cycle(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a flagged_frame) with one row per recommendation and theme, column ``theme``
    first, sorted by theme (no theme last), cycle and id: the grouping of the Flagged page."""
    out = df.copy()
    out.insert(0, "theme", out["themes"].map(lambda t: t.split("; ") if t else [NO_THEME]))
    out = out.explode("theme", ignore_index=True)
    out["_last"] = out["theme"] == NO_THEME
    out["_key"] = out["theme"].str.casefold()
    out = out.sort_values(["_last", "_key", "cycle", "id"], kind="stable")
    return out.drop(columns=["_last", "_key"]).reset_index(drop=True)


def theme_cycle_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of a by_theme_and_cycle frame: one row per theme, one column per cycle (named
    "Cycle 1", ...) and a total, themes with most recommendations first (no theme last)."""
    if df.empty:
        return pd.DataFrame(columns=["theme", "total"])
    table = df.pivot_table(index="theme", columns="cycle", values="id", aggfunc="count")
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
    "Flag",
    "FlagOptions",
    "FlaggedView",
    "by_theme_and_cycle",
    "flag_counts",
    "flag_details",
    "flag_help",
    "flag_label",
    "flagged_frame",
    "flagged_view",
    "theme_cycle_counts",
]
