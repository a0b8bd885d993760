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
from urllib.parse import urlparse

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, aliased

from tracker import audit, auth, db
from tracker.i18n import _
from tracker.models import Assessment, Recommendation
from tracker.vocab import Role, Status, parse_status, status_label

MAX_SOURCE_LENGTH = 300
MAX_URL_LENGTH = 1000


class ValidationError(ValueError):
    """Input a person can correct; the message says what and quotes the value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def parse_date(value: str | dt.date, field: str = "date") -> dt.date:
    """A date from ``YYYY-MM-DD`` (or a date), with a clear error otherwise."""
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
                field=field, value=value
            ),
        ) from None


def validate_status(value: str) -> Status:
    status = parse_status(value) if value else None
    if status is None:
        allowed = ", ".join(s.value for s in Status)
        raise ValidationError(
            "status",
            _("status: {value!r} is not one of {allowed}").format(value=value, allowed=allowed),
        )
    return status


def validate_url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > MAX_URL_LENGTH:
        raise ValidationError(
            "url",
            _("url: {value!r} is not a web address (http:// or https://)").format(value=value),
        )
    return value


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
) -> Assessment:
    """Append an assessment to a recommendation and update its current status.

    Raises :class:`ValidationError` for an unknown recommendation, status, a malformed or
    future date, or an empty source, and :class:`tracker.auth.PermissionDenied` unless the
    current actor is an editor. The caller commits.
    """
    auth.require(Role.EDITOR, _("adding an assessment"))
    db.begin_write(session)
    # The row lock (PostgreSQL) serialises two assessments of one recommendation, so that
    # each computes the current status with the other's row in view.
    rec = session.get(
        Recommendation, recommendation_id, with_for_update=True, populate_existing=True
    )
    if rec is None:
        raise ValidationError(
            "id", _("id: there is no recommendation with id {id}").format(id=recommendation_id)
        )
    st = validate_status(status)
    day = parse_date(assessed_on)
    if day > dt.date.today():
        raise ValidationError(
            "date", _("date: {value} is in the future").format(value=day.isoformat())
        )
    source = " ".join((source_org or "").split())
    if not source:
        raise ValidationError("source", _("source: the source organisation is required"))
    if len(source) > MAX_SOURCE_LENGTH:
        raise ValidationError(
            "source", _("source: at most {n} characters").format(n=MAX_SOURCE_LENGTH)
        )
    previous = rec.current_assessment.status if rec.current_assessment else None
    a = Assessment(
        recommendation_id=rec.id,
        status=st.value,
        assessed_on=day,
        source_org=source,
        evidence=(evidence or "").strip() or None,
        evidence_url=validate_url(evidence_url),
        author=actor or audit.default_actor(),
        is_sample=is_sample,
    )
    session.add(a)
    session.flush()
    refresh_current_status(session, [rec.id])
    audit.record(
        session,
        actor=actor,
        action="assessment.add",
        entity="recommendation",
        entity_id=rec.id,
        summary=f"{st.value} ({day.isoformat()}, {source})",
        before={"current_status": previous},
        after={
            "assessment_id": a.id,
            "status": st.value,
            "assessed_on": day.isoformat(),
            "source_org": source,
            "evidence": a.evidence,
            "evidence_url": a.evidence_url,
        },
    )
    return a


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
        raise ValidationError("reason", _("reason: say why the assessment is withdrawn"))
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
    retracted = select(Assessment.retracts_id).where(Assessment.retracts_id.is_not(None))
    rows = session.execute(
        select(Assessment.id, Assessment.assessed_on, Assessment.status, Assessment.source_org)
        .where(
            Assessment.recommendation_id == recommendation_id,
            Assessment.retracts_id.is_(None),
            Assessment.id.not_in(retracted),
        )
        .order_by(Assessment.assessed_on.desc(), Assessment.created_at.desc(), Assessment.id.desc())
    ).all()
    return [(i, f"{day.isoformat()} · {status_label(st)} · {src}") for i, day, st, src in rows]


def refresh_current_status(
    session: Session, recommendation_ids: Iterable[int] | None = None
) -> None:
    """Recompute ``current_assessment_id`` (all recommendations when ids is None), set-based."""
    a = aliased(Assessment)
    retracted = select(Assessment.retracts_id).where(Assessment.retracts_id.is_not(None))
    latest = (
        select(a.id)
        .where(
            and_(
                a.recommendation_id == Recommendation.id,
                a.retracts_id.is_(None),
                a.id.not_in(retracted),
            )
        )
        .order_by(a.assessed_on.desc(), a.created_at.desc(), a.id.desc())
        .limit(1)
        .correlate(Recommendation)
        .scalar_subquery()
    )
    stmt = update(Recommendation).values(current_assessment_id=latest)
    if recommendation_ids is not None:
        ids = list(recommendation_ids)
        if not ids:
            return
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            session.execute(
                stmt.where(Recommendation.id.in_(ids[start : start + 500])),
                execution_options={"synchronize_session": False},
            )
    else:
        session.execute(stmt, execution_options={"synchronize_session": False})
    session.expire_all()
