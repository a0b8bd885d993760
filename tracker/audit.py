"""Audit events and the data version.

Every write records an :class:`~tracker.models.AuditEvent` and bumps ``data_version`` in the
``meta`` table, in the same transaction as the write. The pages key their caches on the data
version, so a write by anyone (another browser, the CLI) is seen on the next rerun.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, String, cast, func, select, update
from sqlalchemy.orm import Session

from tracker.actor import current_actor
from tracker.audit_text import AssessmentFacts, Known, event_summary, record_label
from tracker.i18n import N_, _
from tracker.models import Assessment, AuditEvent, Meta, User

if TYPE_CHECKING:
    import pandas as pd  # imported by the functions that use it: 0.5 s that `stats` saves

DATA_VERSION_KEY = "data_version"


def default_actor() -> str:
    """Who is writing when no actor is named: the current actor of tracker.auth (the user
    logged in to the app; on the command line the operating-system user)."""
    return current_actor().username


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    summary: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event and bump the data version (the caller commits)."""
    event = AuditEvent(
        actor=actor or default_actor(),
        action=action,
        entity=entity,
        entity_id=entity_id,
        summary=summary,
        before=before,
        after=after,
    )
    session.add(event)
    bump_data_version(session)
    return event


def record_many(session: Session, events: list[dict[str, Any]], *, actor: str | None) -> int:
    """Add one audit event per item of ``events`` (each: the keyword arguments of
    :func:`record` but ``actor``) and bump the data version once: a bulk write of 500
    recommendations is one change for the caches, and 500 events for the audit trail.
    Returns how many were added (the caller commits)."""
    who = actor or default_actor()
    session.add_all(AuditEvent(actor=who, **e) for e in events)
    if events:
        bump_data_version(session)
    return len(events)


def bump_data_version(session: Session) -> None:
    updated = session.execute(
        update(Meta)
        .where(Meta.key == DATA_VERSION_KEY)
        .values(value=cast(cast(Meta.value, Integer) + 1, String))
    ).rowcount  # type: ignore[attr-defined]
    if not updated:
        session.add(Meta(key=DATA_VERSION_KEY, value="1"))
        session.flush()


def data_version(session: Session) -> int:
    value = session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY))
    return int(value) if value else 0


# --- the Activity page (read side) ---------------------------------------------------------
ACTIVITY_COLUMNS = [
    "id",
    "at",
    "actor",
    "action",
    "what",  # the action's translated name
    "entity",
    "entity_id",
    "record",  # "Recommendation 12", "Account 3", "Database": translated
    "summary",  # in the interface language (tracker.audit_text), else as stored
    "changes",
]
ACTIVITY_LIMIT = 1000  # rows shown at once; the filters narrow further
_CHANGE_VALUE_CHARS = 200  # a long text (a recommendation) is cut in the changes column


# Names of the actions people see on the Activity page (others are shown as stored).
ACTION_LABELS: dict[str, str] = {
    "assessment.add": N_("Assessment added"),
    "assessment.retract": N_("Assessment retracted"),
    "assessment.draft": N_("Draft assessment saved"),
    "assessment.publish": N_("Draft assessment published"),
    "settings.review": N_("Review before publishing set"),
    "plan.add": N_("Planned action added"),
    "plan.edit": N_("Planned action changed"),
    "plan.remove": N_("Planned action removed"),
    "recommendation.edit": N_("Recommendation edited"),
    "import": N_("File imported"),
    "link.suggest": N_("Repeats suggested"),
    "link.confirm": N_("Repeat confirmed"),
    "link.reject": N_("Repeat rejected"),
    "own_link.suggest": N_("Take-ups suggested"),
    "own_link.confirm": N_("Take-up confirmed"),
    "own_link.reject": N_("Take-up rejected"),
    "outline.save": N_("Report outline saved"),
    "outline.delete": N_("Report outline deleted"),
    "report.save": N_("Report saved"),
    "report.delete": N_("Report deleted"),
    "settings.organisation": N_("Organisation name set"),
    "sample.load": N_("Sample loaded"),
    "sample.remove": N_("Sample removed"),
    "database.restore": N_("Backup restored"),
    "user.add": N_("Account added"),
    "user.remove": N_("Account removed"),
    "user.set_role": N_("Role changed"),
    "user.set_password": N_("Password changed"),
    "user.unlock": N_("Account unlocked"),
    "user.lockout": N_("Account locked after failed logins"),
    "user.set_language": N_("Language changed"),
}


def action_label(action: str) -> str:
    """The translated name of an audit action ("Assessment added"), else the action itself."""
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def activity_options(session: Session) -> dict[str, list[str]]:
    """The actors and actions that occur in the audit trail, for the filters."""
    return {
        "actors": list(
            session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor))
        ),
        "actions": list(
            session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
        ),
    }


def _activity_where(
    stmt,
    actors: tuple[str, ...],
    actions: tuple[str, ...],
    start: dt.date | None,
    end: dt.date | None,
):
    if actors:
        stmt = stmt.where(AuditEvent.actor.in_(actors))
    if actions:
        stmt = stmt.where(AuditEvent.action.in_(actions))
    if start:
        stmt = stmt.where(AuditEvent.at >= dt.datetime.combine(start, dt.time()))
    if end:
        stmt = stmt.where(
            AuditEvent.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        )
    return stmt


def activity_count(
    session: Session,
    actors: tuple[str, ...] = (),
    actions: tuple[str, ...] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> int:
    """How many audit events match the filters."""
    stmt = _activity_where(
        select(func.count()).select_from(AuditEvent), actors, actions, start, end
    )
    return session.scalar(stmt) or 0


def activity_frame(
    session: Session,
    actors: tuple[str, ...] = (),
    actions: tuple[str, ...] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int = ACTIVITY_LIMIT,
) -> pd.DataFrame:
    """The audit trail, newest first: ``ACTIVITY_COLUMNS``; ``changes`` reads
    "field: before → after" per changed field. Dates are UTC days, both ends included."""
    import pandas as pd

    stmt = _activity_where(select(AuditEvent), actors, actions, start, end)
    events = list(
        session.scalars(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    )
    facts = _assessment_facts(session, events)
    names = _usernames(session, events)
    rows = [
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "what": action_label(e.action),
            "entity": e.entity,
            "entity_id": e.entity_id,
            "record": record_label(e.entity, e.entity_id),
            "summary": event_summary(
                e.action,
                e.before,
                e.after,
                e.summary,
                Known(
                    facts.get(_assessment_id(e)),
                    names.get(e.entity_id) if e.entity == "user" else None,
                ),
            ),
            "changes": describe_changes(e.before, e.after),
        }
        for e in events
    ]
    return pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)


def _assessment_id(event: AuditEvent) -> int | None:
    """The assessment a publish or retract event is about (its fields name only the id)."""
    if event.action not in ("assessment.publish", "assessment.retract"):
        return None
    value = (event.before or {}).get("assessment_id")
    return value if isinstance(value, int) else None


def _assessment_facts(
    session: Session, events: list[AuditEvent]
) -> dict[int | None, AssessmentFacts]:
    """Status, date and source of the assessments the events publish or retract, read in
    one query (a retracted or published assessment is kept, so it is still there)."""
    ids = {i for i in map(_assessment_id, events) if i is not None}
    if not ids:
        return {}
    found = session.execute(
        select(
            Assessment.id, Assessment.status, Assessment.assessed_on, Assessment.source_org
        ).where(Assessment.id.in_(ids))
    )
    return {i: AssessmentFacts(status, day.isoformat(), source) for i, status, day, source in found}


def _usernames(session: Session, events: list[AuditEvent]) -> dict[int | None, str]:
    """The names of the accounts the events changed (account events store only the id);
    a removed account is missing."""
    ids = {e.entity_id for e in events if e.entity == "user" and e.entity_id is not None}
    if not ids:
        return {}
    found = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    names: dict[int | None, str] = {row.id: row.username for row in found}
    return names


def event_detail(session: Session, event_id: int) -> dict[str, Any] | None:
    """One event's before and after values in full, or None."""
    e = session.get(AuditEvent, event_id)
    if e is None:
        return None
    return {"before": e.before, "after": e.after}


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """One line per field: ``field: old → new`` (only ``field: new`` when nothing was before)."""
    before = before or {}
    after = after or {}
    lines = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            if old == new:
                continue
            lines.append(f"{key}: {_short(old)} → {_short(new)}")
        elif key in after:
            lines.append(f"{key}: {_short(new)}")
        else:
            lines.append(f"{key}: {_short(old)} → ∅")
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = "∅" if value is None else str(value)
    text = " ".join(text.split())
    if len(text) > _CHANGE_VALUE_CHARS:
        text = text[: _CHANGE_VALUE_CHARS - 1] + "…"
    return text
