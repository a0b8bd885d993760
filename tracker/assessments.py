"""The write side for assessments: append, retract, and keep each recommendation's current
status.

A recommendation's *current status* is its latest assessment by assessment date, then entry
time, then id; a retracted assessment (and the retraction itself) never counts.
``Recommendation.current_assessment_id`` caches it so that pages and statistics on the whole
corpus need no window function; :func:`refresh_current_status` is the one place that sets it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    Update,
    and_,
    case,
    distinct,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased

from tracker import audit, auth, db
from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.models import HISTORY_ORDER, Assessment, Meta, Recommendation, valid_id
from tracker.safe_output import UrlError, check_url, entry_text
from tracker.status_days import hidden_ids as hidden_ids  # (moved there; still found here)
from tracker.status_days import keep_status_days
from tracker.vocab import (
    STATUS_RANK,
    Confidence,
    Role,
    SourceType,
    Status,
    parse_confidence,
    parse_source_type,
    parse_status,
    source_type_label,
    status_label,
)

MAX_SOURCE_LENGTH = 300
REVIEW_META_KEY = "review_before_publish"  # Meta row: "on" = review before publishing


def parse_date(value: str | dt.date, field: str = "date", label: str | None = None) -> dt.date:
    """A date from ``YYYY-MM-DD`` (or a date), with a clear error otherwise; the message
    names the field by ``label`` (as a form labels it) when given, else by ``field``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(
            field,
            _("{field}: {value!r} is not a date in the form YYYY-MM-DD").format(
                field=label or field, value=value
            ),
        ) from None


def validate_status(value: str) -> Status:
    """The :class:`Status` named by ``value`` (a key or a label), or a
    :class:`ValidationError` that names the field as the forms label it."""
    status = parse_status(value) if value else None
    if not value:
        raise ValidationError("status", _("Status: choose a status"))
    if status is None:
        allowed = ", ".join(s.value for s in Status)
        raise ValidationError(
            "status",
            _("Status: {value!r} is not one of {allowed}").format(value=value, allowed=allowed),
        )
    return status


def validate_url(value: str | None) -> str | None:
    """An evidence URL checked by the one rule (tracker.safe_output.check_url); None when
    blank; :class:`ValidationError` on the ``url`` field otherwise."""
    try:
        return check_url(value)
    except UrlError as exc:
        raise ValidationError(
            "url", _("Link to the evidence: {reason}").format(reason=exc)
        ) from None


def validate_source(value: str | None) -> str:
    """The source organisation, spaces normalised and control characters dropped (the entry
    rule of tracker.safe_output); required, at most MAX_SOURCE_LENGTH."""
    source = " ".join(entry_text(value).split())
    if not source:
        raise ValidationError(
            "source", _("Source organisation: say which organisation made the assessment")
        )
    if len(source) > MAX_SOURCE_LENGTH:
        raise ValidationError(
            "source", _("Source organisation: at most {n} characters").format(n=MAX_SOURCE_LENGTH)
        )
    return source


def validate_evidence(value: str | None) -> str | None:
    """The evidence note stripped, without control characters (the entry rule of
    tracker.safe_output: a note pasted from a PDF or a terminal stays printable in every
    output); None when empty."""
    return entry_text(value).strip() or None


def validate_day(value: str | dt.date) -> dt.date:
    """The date of an assessment: a valid date, not in the future."""
    day = parse_date(value)
    if day > dt.date.today():
        raise ValidationError(
            "date",
            _("Date of the assessment: {value} is in the future").format(value=day.isoformat()),
        )
    return day


def add_assessment(
    session: Session,
    recommendation_id: int,
    *,
    status: str,
    assessed_on: str | dt.date,
    source_org: str,
    evidence: str | None = None,
    evidence_url: str | None = None,
    actor: str | None = None,
    is_sample: bool = False,
    source_type: str | None = None,
    confidence: str | None = None,
    private: bool = False,
) -> Assessment:
    """Append an assessment to a recommendation and update its current status.

    ``source_type`` is one of vocab.SourceType (default ``other``), ``confidence`` one of
    vocab.Confidence or empty; a ``private`` assessment is shown to editors only and does
    not count in the public current status. When the database asks for review before
    publishing (tracker.evidence), the assessment is saved as a draft that changes nothing
    until a second account publishes it.

    Raises :class:`ValidationError` for an unknown recommendation, status, source type or
    confidence, a malformed or future date, or an empty source, and
    :class:`tracker.auth.PermissionDenied` unless the current actor is an editor. The caller
    commits.
    """
    auth.require(Role.EDITOR, _("adding an assessment"))
    db.begin_write(session)
    # The row lock (PostgreSQL) serialises two assessments of one recommendation, so that
    # each computes the current status with the other's row in view.
    rec = (
        session.get(Recommendation, recommendation_id, with_for_update=True, populate_existing=True)
        if valid_id(recommendation_id)
        else None  # no row has it; the database would raise instead of finding none
    )
    if rec is None:
        raise ValidationError(
            "id", _("id: there is no recommendation with id {id}").format(id=recommendation_id)
        )
    st = validate_status(status)
    day = validate_day(assessed_on)
    source = validate_source(source_org)
    kind = validate_source_type(source_type)
    sure = validate_confidence(confidence)
    draft = review_required(session)
    previous = rec.current_assessment.status if rec.current_assessment else None
    a = Assessment(
        recommendation_id=rec.id,
        status=st.value,
        assessed_on=day,
        source_org=source,
        evidence=validate_evidence(evidence),
        evidence_url=validate_url(evidence_url),
        author=actor or audit.default_actor(),
        is_sample=is_sample,
        source_type=kind.value,
        confidence=sure.value if sure else None,
        is_private=private,
        is_draft=draft,
    )
    session.add(a)
    session.flush()
    if not draft:
        refresh_current_status(session, [rec.id])
    # Stored text stays English (the audit log is read in any language).
    marks = (", private" if private else "") + (", draft" if draft else "")
    audit.record(
        session,
        actor=actor,
        action="assessment.draft" if draft else "assessment.add",
        entity="recommendation",
        entity_id=rec.id,
        summary=f"{st.value} ({day.isoformat()}, {source}, {kind.value}{marks})",
        before={"current_status": previous},
        after={
            "assessment_id": a.id,
            "status": st.value,
            "assessed_on": day.isoformat(),
            "source_org": source,
            "source_type": kind.value,
            "confidence": a.confidence,
            "private": private,
            "draft": draft,
            "evidence": a.evidence,
            "evidence_url": a.evidence_url,
        },
    )
    return a


def review_required(session: Session) -> bool:
    """True when new assessments are drafts until a second account publishes them (review
    before publishing: tracker.evidence switches it)."""
    return session.scalar(select(Meta.value).where(Meta.key == REVIEW_META_KEY)) == "on"


def validate_source_type(value: str | None) -> SourceType:
    """The source type of ``value`` (``other`` when empty), else a ValidationError."""
    if not (value or "").strip():
        return SourceType.OTHER
    kind = parse_source_type(value)
    if kind is None:
        allowed = ", ".join(t.value for t in SourceType)
        raise ValidationError(
            "source_type",
            _("Source type: {value!r} is not one of {allowed}").format(
                value=value, allowed=allowed
            ),
        )
    return kind


def validate_confidence(value: str | None) -> Confidence | None:
    """The confidence of ``value`` (None when empty), else a ValidationError."""
    if not (value or "").strip():
        return None
    sure = parse_confidence(value)
    if sure is None:
        allowed = ", ".join(c.value for c in Confidence)
        raise ValidationError(
            "confidence",
            _("Confidence: {value!r} is not one of {allowed}").format(value=value, allowed=allowed),
        )
    return sure


class SameDay(NamedTuple):
    """An assessment already made by a source on a day (see :func:`same_day_assessment`)."""

    id: int
    status: str
    source_org: str


def same_day_assessment(
    session: Session, recommendation_id: int, assessed_on: str | dt.date, source_org: str
) -> SameDay | None:
    """The assessment of ``recommendation_id`` that ``source_org`` already made on
    ``assessed_on`` (names compared without case and extra spaces; retracted ones and
    retractions left out), or None. The forms ask before saving a second one: the same
    source on the same day is most often the same assessment entered twice."""
    day = parse_date(assessed_on)
    key = _source_key(source_org or "")
    rows = session.scalars(
        select(Assessment)
        .where(
            Assessment.recommendation_id == recommendation_id,
            Assessment.assessed_on == day,
            # The editor's own view: a private assessment or a draft entered twice is asked too.
            *effective(Assessment, include_private=True, include_drafts=True),
        )
        .order_by(Assessment.id)
    )
    found = next((a for a in rows if _source_key(a.source_org) == key), None)
    return SameDay(found.id, found.status, found.source_org) if found else None


def retract_assessment(
    session: Session, assessment_id: int, *, reason: str, actor: str | None = None
) -> Assessment:
    """Withdraw an assessment by appending a retraction (``retracts_id`` names it).

    Nothing is deleted or overwritten: the retracted assessment stays in the history, marked
    by the retraction, and no longer counts for the current status. ``reason`` is required.
    Raises :class:`ValidationError` for an unknown assessment, a retraction, an assessment
    already retracted or an empty reason; :class:`tracker.auth.PermissionDenied` unless the
    current actor is an editor. The caller commits.
    """
    auth.require(Role.EDITOR, _("retracting an assessment"))
    db.begin_write(session)
    target = session.get(Assessment, assessment_id)
    if target is None:
        raise ValidationError(
            "id", _("id: there is no assessment with id {id}").format(id=assessment_id)
        )
    if target.retracts_id is not None:
        raise ValidationError(
            "id",
            _(
                "id: assessment {id} is itself a retraction (of assessment {other}); "
                "add a new assessment instead"
            ).format(id=assessment_id, other=target.retracts_id),
        )
    earlier = session.scalar(
        select(Assessment.id).where(Assessment.retracts_id == assessment_id).limit(1)
    )
    if earlier is not None:
        raise ValidationError(
            "id",
            _("id: assessment {id} was already retracted (by assessment {other})").format(
                id=assessment_id, other=earlier
            ),
        )
    why = " ".join((reason or "").split())
    if not why:
        raise ValidationError(
            "reason", _("Why is it withdrawn? Say why the assessment is withdrawn")
        )
    rec = session.get(
        Recommendation, target.recommendation_id, with_for_update=True, populate_existing=True
    )
    assert rec is not None  # the foreign key guarantees it
    previous = rec.current_assessment.status if rec.current_assessment else None
    retraction = Assessment(
        recommendation_id=target.recommendation_id,
        status=target.status,
        assessed_on=dt.date.today(),
        source_org=target.source_org,
        evidence=why,
        author=actor or audit.default_actor(),
        retracts_id=target.id,
        is_sample=target.is_sample,
        source_type=target.source_type,
        is_private=target.is_private,
    )
    session.add(retraction)
    session.flush()
    refresh_current_status(session, [target.recommendation_id])
    rec = session.get(Recommendation, target.recommendation_id)
    now = rec.current_assessment.status if rec and rec.current_assessment else None
    audit.record(
        session,
        actor=actor,
        action="assessment.retract",
        entity="recommendation",
        entity_id=target.recommendation_id,
        summary=f"retracted assessment {target.id} ({target.status}, "
        f"{target.assessed_on.isoformat()}, {target.source_org}): {why}",
        before={"current_status": previous, "assessment_id": target.id},
        after={"current_status": now, "retraction_id": retraction.id, "reason": why},
    )
    return retraction


def retractable(session: Session, recommendation_id: int) -> list[tuple[int, str]]:
    """The assessments of a recommendation that can still be retracted, newest first, as
    (id, "2025-01-15 · Partially implemented · Source") pairs."""
    rows = session.execute(
        select(Assessment.id, Assessment.assessed_on, Assessment.status, Assessment.source_org)
        .where(
            Assessment.recommendation_id == recommendation_id,
            # An editor's list: private ones can be withdrawn; a draft is published first.
            *effective(Assessment, include_private=True),
        )
        .order_by(*history_order(Assessment, newest_first=True))
    ).all()
    return [(i, f"{day.isoformat()} · {status_label(st)} · {src}") for i, day, st, src in rows]


def history_order(a: type[Assessment], *, newest_first: bool = False) -> tuple[Any, ...]:
    """ORDER BY terms of a recommendation's history, the order that decides its current
    status: assessment date, then entry time, then id (``newest_first``: the reverse)."""
    terms = tuple(getattr(a, name) for name in HISTORY_ORDER)
    return tuple(t.desc() for t in terms) if newest_first else terms


def shown_fields() -> tuple[Any, ...]:
    """The columns of an assessment that its readers show, id labelled ``assessment_id``:
    the history on the recommendation page (tracker.detail) and the assessments download
    (tracker.queries.assessments_frame) read the same ones."""
    return (
        Assessment.id.label("assessment_id"),
        Assessment.status,
        Assessment.assessed_on,
        Assessment.source_org,
        Assessment.evidence,
        Assessment.evidence_url,
        Assessment.author,
        Assessment.created_at,
        Assessment.retracts_id,
        Assessment.is_sample,
        Assessment.source_type,
        Assessment.confidence,
        Assessment.is_private,
    )


def history_key(a: Assessment) -> tuple[Any, ...]:
    """The place of a loaded assessment in its recommendation's history (as
    :func:`history_order` sorts): for comparisons in Python."""
    return tuple(getattr(a, name) for name in HISTORY_ORDER)


# --- the current status and the fields derived from the history -------------------------------
# The statuses that have a progress rank ("no information" is no judgement).
RANKED: tuple[str, ...] = tuple(str(s) for s in STATUS_RANK)  # StrEnum: str() is the value
# Sources are compared within this many months of a recommendation's latest assessment; the
# ``contested`` column holds the answer for this window (tracker.flags computes others live).
CONTESTED_MONTHS = 12
DAYS_PER_MONTH = 30.4375
REFRESH_CHUNK = 500  # ids per statement: under SQLite's bound-parameter limit
REFRESH_ALL_FROM = 20_000  # from this many ids on, every recommendation is refreshed


def window_days(months: int) -> int:
    """The comparison window of the "contested" flag, in days."""
    return round(months * DAYS_PER_MONTH)


def rank(status: SQLColumnExpression[Any]) -> ColumnElement[int]:
    """SQL: the progress rank of a status (fully 2 > partially 1 > not 0; else NULL)."""
    return case({str(s): r for s, r in STATUS_RANK.items()}, value=status)


def effective(
    a: type[Assessment], *, include_private: bool = False, include_drafts: bool = False
) -> tuple[ColumnElement[bool], ...]:
    """Conditions: the assessment ``a`` counts (no retraction, not retracted, no draft unless
    ``include_drafts``, and not private unless ``include_private``: an editor's view,
    docs/evidence.md)."""
    retracted = select(Assessment.retracts_id).where(Assessment.retracts_id.is_not(None))
    conditions: tuple[ColumnElement[bool], ...] = (a.retracts_id.is_(None), a.id.not_in(retracted))
    if not include_drafts:
        conditions = (*conditions, a.is_draft.is_(False))
    if not include_private:
        conditions = (*conditions, a.is_private.is_(False))
    return conditions


def days_before(session: Session, day: SQLColumnExpression[Any], days: int) -> ColumnElement[Any]:
    """SQL: the date ``days`` days before ``day``."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day, f"-{days} days")  # dates are stored as YYYY-MM-DD text
    return day - days  # PostgreSQL: date - integer is a date


def refresh_current_status(
    session: Session, recommendation_ids: Iterable[int] | None = None
) -> None:
    """Recompute the current assessment of recommendations (all when ids is None) and what
    is derived from their histories, set-based, in the caller's transaction:

    * ``current_assessment_id``, ``current_status``, ``current_assessed_on``;
    * ``regressed_from_id``: the latest ranked assessment dated before the current one, when
      the current status ranks below it (the "regressed" flag);
    * ``contested``: the latest assessments of two sources, both made within
      :data:`CONTESTED_MONTHS` of the most recent one, give different ranked statuses;
    * each counting assessment's ``previous_status`` (the status history by day) and
      ``latest_of_type`` (its source type's latest public view: the Progress page's "by
      source type");
    * the whole corpus' status changes per day, in ``status_day`` (tracker.status_days).

    Every write that adds, retracts, removes or restores assessments calls this; nothing
    else writes these columns (pages and counts read them instead of the histories)."""
    ids = None if recommendation_ids is None else sorted(set(recommendation_ids))
    if ids is not None and len(ids) >= REFRESH_ALL_FROM:
        ids = None  # an import of a corpus: one pass over the tables beats 100s of chunks
    if ids is None and session.get_bind().dialect.name == "postgresql":
        # Statistics first: right after a bulk load (an import, a restore, in this same
        # transaction) PostgreSQL has none, and its plan for the "contested" candidates
        # then ran for minutes instead of seconds. (SQLite: not needed, see migration 0003.)
        session.execute(text("ANALYZE recommendation, assessment"))
    if ids is None:
        _refresh(session, None)
    else:
        for start in range(0, len(ids), REFRESH_CHUNK):
            _refresh(session, ids[start : start + REFRESH_CHUNK])
    keep_status_days(session, ids)  # the status history by day (after previous_status)
    session.expire_all()


def _refresh(session: Session, ids: list[int] | None) -> None:
    """refresh_current_status for ``ids`` (every recommendation when None)."""

    def run(stmt: Update) -> None:
        if ids is not None:
            stmt = stmt.where(Recommendation.id.in_(ids))
        session.execute(stmt, execution_options={"synchronize_session": False})

    _refresh_current(session, ids)
    # Each counting assessment's previous status (LAG over the recommendation's counting
    # assessments in the order of the current status) and whether it is the latest of its
    # source type (the first by that order reversed, per recommendation and type): one pass
    # over the histories for both, written only where either changes.
    counting = aliased(Assessment)
    history = select(
        counting.id,
        func.lag(counting.status)
        .over(
            partition_by=counting.recommendation_id,
            order_by=history_order(counting),
        )
        .label("before"),
        (
            func.row_number().over(
                partition_by=(counting.recommendation_id, counting.source_type),
                order_by=history_order(counting, newest_first=True),
            )
            == 1
        ).label("latest"),
    ).where(*effective(counting))
    if ids is not None:
        history = history.where(counting.recommendation_id.in_(ids))
    lagged = history.subquery()
    session.execute(
        update(Assessment)
        .values(previous_status=lagged.c.before, latest_of_type=lagged.c.latest)
        .where(Assessment.id == lagged.c.id)
        .where(
            or_(
                Assessment.previous_status.is_distinct_from(lagged.c.before),
                Assessment.latest_of_type.is_distinct_from(lagged.c.latest),
            )
        ),
        execution_options={"synchronize_session": False},
    )
    # ... and neither for the ones that do not count (a retraction, a retracted one, a
    # private one or a draft), so that the fields depend on the assessments alone (a restore
    # recomputes the same values).
    not_counting = (
        update(Assessment)
        .values(previous_status=None, latest_of_type=False)
        .where(
            or_(Assessment.previous_status.is_not(None), Assessment.latest_of_type.is_(True)),
            ~and_(*effective(Assessment)),
        )
    )
    if ids is not None:
        not_counting = not_counting.where(Assessment.recommendation_id.in_(ids))
    session.execute(not_counting, execution_options={"synchronize_session": False})
    # Contested: the candidates narrowed in SQL, decided over their histories in Python.
    scope = None if ids is None else select(Recommendation.id).where(Recommendation.id.in_(ids))
    contested = set(disagreements(session, scope, window_days(CONTESTED_MONTHS)))
    flagged = select(Recommendation.id).where(Recommendation.contested.is_(True))
    if ids is not None:
        flagged = flagged.where(Recommendation.id.in_(ids))
    were = set(session.scalars(flagged))
    # Only the flags that change are written, a chunk of ids at a time: a NOT IN of every
    # contested id (136,000 of a million recommendations) passed PostgreSQL's limit of 65,535
    # parameters per statement, and an import of a round of assessments failed on it.
    for value, changed in ((False, were - contested), (True, contested - were)):
        ordered = sorted(changed)
        for start in range(0, len(ordered), REFRESH_CHUNK):
            session.execute(
                update(Recommendation)
                .values(contested=value)
                .where(Recommendation.id.in_(ordered[start : start + REFRESH_CHUNK])),
                execution_options={"synchronize_session": False},
            )


def _refresh_current(session: Session, ids: list[int] | None) -> None:
    """The current assessment, status and date and ``regressed_from_id`` of ``ids`` (every
    recommendation when None) in one UPDATE ... FROM over one read of the histories.

    Two window passes over the counting assessments find each recommendation's latest one and
    the latest ranked one of an earlier day; a recommendation is rewritten only where a value
    changes (IS DISTINCT FROM), so that a refresh after an import that changed a few
    histories leaves the other rows (and, on PostgreSQL, their versions) alone. One
    statement instead of one correlated subquery per row and column: a million rows took
    three full-table rewrites and minutes before."""
    newest = history_order(Assessment, newest_first=True)
    counting = select(
        Assessment.id,
        Assessment.recommendation_id,
        Assessment.status,
        Assessment.assessed_on,
        func.row_number()
        .over(partition_by=Assessment.recommendation_id, order_by=newest)
        .label("place"),
        # The current one's day, on every row of the history (its first by ``newest``).
        func.first_value(Assessment.assessed_on)
        .over(partition_by=Assessment.recommendation_id, order_by=newest)
        .label("current_on"),
    ).where(*effective(Assessment))
    if ids is not None:
        counting = counting.where(Assessment.recommendation_id.in_(ids))
    history = counting.subquery("history")
    current = select(history).where(history.c.place == 1).subquery("current")
    # The latest ranked assessment of a day before the current one's: its place in the
    # history (rows of one day keep their order by entry time and id), then its row. A join
    # on (recommendation, place), not a second window: SQLite scanned that one per row.
    earlier = (
        select(history.c.recommendation_id, func.min(history.c.place).label("place"))
        .where(history.c.assessed_on < history.c.current_on, history.c.status.in_(RANKED))
        .group_by(history.c.recommendation_id)
        .subquery("earlier")
    )
    previous = counting.subquery("previous")
    rec = aliased(Recommendation, name="rec")
    computed = select(
        rec.id.label("rec_id"),
        current.c.id.label("current_id"),
        current.c.status.label("current_status"),
        current.c.assessed_on.label("current_on"),
        # Regressed: the current status ranks below that earlier one.
        case(
            (rank(current.c.status) < rank(previous.c.status), previous.c.id),
        ).label("regressed_id"),
    ).outerjoin_from(rec, current, current.c.recommendation_id == rec.id)
    computed = computed.outerjoin(earlier, earlier.c.recommendation_id == rec.id).outerjoin(
        previous,
        and_(
            previous.c.recommendation_id == earlier.c.recommendation_id,
            previous.c.place == earlier.c.place,
        ),
    )
    if ids is not None:
        computed = computed.where(rec.id.in_(ids))
    new = computed.subquery("new")
    session.execute(
        update(Recommendation)
        .values(
            current_assessment_id=new.c.current_id,
            current_status=new.c.current_status,
            current_assessed_on=new.c.current_on,
            regressed_from_id=new.c.regressed_id,
        )
        .where(Recommendation.id == new.c.rec_id)
        .where(
            or_(
                Recommendation.current_assessment_id.is_distinct_from(new.c.current_id),
                Recommendation.current_status.is_distinct_from(new.c.current_status),
                Recommendation.current_assessed_on.is_distinct_from(new.c.current_on),
                Recommendation.regressed_from_id.is_distinct_from(new.c.regressed_id),
            )
        ),
        execution_options={"synchronize_session": False},
    )


def _source_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def disagreements(
    session: Session,
    scope: Select | None,
    window: int,
    *,
    explain: bool = False,
    government_vs_others: bool = False,
) -> dict[int, str]:
    """The recommendations (among the ids ``scope`` selects; all when None) whose sources
    disagree: the latest assessment of each source (names compared without case and extra
    spaces), among those made within ``window`` days of the recommendation's latest one,
    give different ranked statuses. With ``explain``, each with the views ("Source: status
    (date); ..."), else "".

    The database first narrows to the recommendations with two source names and two ranked
    statuses in that window (a necessary condition); only their histories are read. Reads
    ``current_assessed_on``: call after the current assessment is up to date.

    With ``government_vs_others`` sources are compared by type (tracker.evidence): the
    latest assessment of each source type, and only a government view differing from
    another type's counts. Views name a source's type unless it is "other"."""
    recent = aliased(Assessment, name="recent")
    grouping = recent.source_type if government_vs_others else recent.source_org
    candidates = (
        select(Recommendation.id)
        .join(recent, recent.recommendation_id == Recommendation.id)
        .where(
            recent.assessed_on >= days_before(session, Recommendation.current_assessed_on, window)
        )
        .where(*effective(recent))
        .group_by(Recommendation.id)
        .having(func.count(distinct(grouping)) > 1)
        .having(func.count(distinct(case((recent.status.in_(RANKED), recent.status)))) > 1)
    )
    if scope is not None:
        candidates = candidates.where(Recommendation.id.in_(scope.scalar_subquery()))
    rows = session.execute(
        select(
            Assessment.recommendation_id,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.source_org,
            Assessment.source_type,
        )
        .where(*effective(Assessment))
        .where(Assessment.recommendation_id.in_(candidates.subquery().select()))
        .order_by(Assessment.recommendation_id, *history_order(Assessment))
    ).all()
    limit = dt.timedelta(days=window)
    keys: dict[str, str] = {}  # source name -> its key (names repeat)
    view = _("{source}: {status} ({date})")
    typed_view = _("{source} ({kind}): {status} ({date})")
    labels = {s: status_label(s) for s in STATUS_RANK}
    government = SourceType.GOVERNMENT.value

    def shown(r: Any) -> str:
        values = {"source": r[3], "status": labels[r[1]], "date": r[2].isoformat()}
        if r[4] == SourceType.OTHER.value:
            return view.format(**values)
        return typed_view.format(kind=source_type_label(r[4]), **values)

    found: dict[int, str] = {}
    for rec_id, group in groupby(rows, key=itemgetter(0)):
        history = list(group)
        latest_on = history[-1][2]
        by_source = {}  # the last one per source (or source type) wins
        for r in history:
            key: str | None
            if government_vs_others:
                key = r[4]
            else:
                key = keys.get(r[3])
                if key is None:
                    key = keys[r[3]] = _source_key(r[3])
            by_source[key] = r
        views = [r for r in by_source.values() if r[1] in STATUS_RANK and latest_on - r[2] <= limit]
        if government_vs_others:
            theirs = {r[1] for r in views if r[4] == government}
            differ = bool(theirs) and any(r[1] not in theirs for r in views if r[4] != government)
        else:
            differ = len({r[1] for r in views}) > 1
        if differ:
            found[int(rec_id)] = (
                "; ".join(shown(r) for r in sorted(views, key=itemgetter(2))) if explain else ""
            )
    return found
