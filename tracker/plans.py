"""Action plans: the planned actions of each recommendation, as in national implementation
plans (issue #16, point 6).

A planned action says what is to be done, by which body, by when, how progress is measured
(the indicator), where it stands (a progress note) and when it was completed. An open action
(not completed) whose due date has passed is **overdue**: its recommendation carries the
"overdue" flag (tracker.flags), and the Flagged page lists the open actions due in the next
:data:`DUE_SOON_DAYS` days.

Writes are for editors (checked here, whatever the page shows), each in the caller's
transaction with one audit event holding the before and after values: the audit trail is the
plan's history. An edit carries the version the editor started from (optimistic locking, as
tracker.editing): a change by someone else in between is refused, never overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db
from tracker.assessments import ValidationError, parse_date
from tracker.errors import check_fields
from tracker.filters import Filters
from tracker.i18n import _, pgettext
from tracker.models import PlannedAction, Recommendation, Review
from tracker.queries import SUR, apply_filters, base_select, read_frame
from tracker.safe_output import entry_text
from tracker.vocab import Role

DUE_SOON_DAYS = 30
MAX_ACTION_LENGTH = 2000
MAX_RESPONSIBLE_LENGTH = 300  # the column's width
MAX_NOTE_LENGTH = 5000  # indicator, progress note
PLAN_FIELDS = ("action", "responsible", "due_on", "indicator", "progress", "completed_on")

# Columns of actions_frame / plan_frame (recommendation first, then the action).
PLAN_COLUMNS = [
    "id",  # the recommendation's id (tracker.display_frames.labelled links it)
    "state",
    "cycle",
    "text",
    "action_id",
    "action",
    "responsible",
    "due_on",
    "indicator",
    "progress",
    "completed_on",
    "overdue",
    "days_left",
    "version",
]


class PlanConflictError(Exception):
    """Someone else changed or removed the action since the editor loaded it."""


# --- validation ------------------------------------------------------------------------------
def _clean(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    text = entry_text(str(value or "")).strip()  # no control characters (safe_output)
    if required and not text:
        raise ValidationError(field, _("{field}: say what is to be done").format(field=field))
    if len(text) > limit:
        raise ValidationError(
            field, _("{field}: at most {n} characters").format(field=field, n=limit)
        )
    return text or None


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_date(value, field)


def _validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    check_fields(
        changes, PLAN_FIELDS, _("{field}: not a field of a planned action (fields: {allowed})")
    )
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "action":
            out[name] = _clean(value, name, MAX_ACTION_LENGTH, required=True)
        elif name == "responsible":
            # One line: a body's name, spaces normalised as for an assessment's source.
            out[name] = _clean(" ".join(str(value or "").split()), name, MAX_RESPONSIBLE_LENGTH)
        elif name in ("indicator", "progress"):
            out[name] = _clean(value, name, MAX_NOTE_LENGTH)
        else:
            day = _date(value, name)
            if name == "completed_on" and day is not None and day > dt.date.today():
                raise ValidationError(
                    name,
                    _("{field}: {value} is in the future").format(
                        field=name, value=day.isoformat()
                    ),
                )
            out[name] = day
    return out


def _values(a: PlannedAction) -> dict[str, Any]:
    """The action's fields as JSON-ready values (for the audit trail)."""
    return {
        "action": a.action,
        "responsible": a.responsible,
        "due_on": a.due_on.isoformat() if a.due_on else None,
        "indicator": a.indicator,
        "progress": a.progress,
        "completed_on": a.completed_on.isoformat() if a.completed_on else None,
    }


def _json(name: str, value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- writes ----------------------------------------------------------------------------------
def add_action(
    session: Session,
    recommendation_id: int,
    *,
    action: str,
    responsible: str | None = None,
    due_on: str | dt.date | None = None,
    indicator: str | None = None,
    progress: str | None = None,
    completed_on: str | dt.date | None = None,
    actor: str | None = None,
) -> PlannedAction:
    """Add a planned action to a recommendation's plan (audited: ``plan.add``).

    Raises :class:`ValidationError` for an unknown recommendation, an empty action, a text
    too long or a malformed date, and :class:`tracker.auth.PermissionDenied` unless the
    current actor is an editor. The caller commits."""
    auth.require(Role.EDITOR, _("changing an action plan"))
    db.begin_write(session)
    if session.get(Recommendation, recommendation_id) is None:
        raise ValidationError(
            "id", _("id: there is no recommendation with id {id}").format(id=recommendation_id)
        )
    values = _validate(
        {
            "action": action,
            "responsible": responsible,
            "due_on": due_on,
            "indicator": indicator,
            "progress": progress,
            "completed_on": completed_on,
        }
    )
    item = PlannedAction(
        recommendation_id=recommendation_id, author=actor or audit.default_actor(), **values
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="plan.add",
        entity="recommendation",
        entity_id=recommendation_id,
        summary=_summary(item),
        after={"action_id": item.id, **_values(item)},
    )
    return item


def update_action(
    session: Session,
    action_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str | None = None,
) -> PlannedAction:
    """Change fields of a planned action (``changes``: any of :data:`PLAN_FIELDS`) if
    nobody changed it since ``expected_version``; audited (``plan.edit``) with the before
    and after of the changed fields. An edit that changes nothing writes nothing.

    Raises :class:`PlanConflictError` when the version moved on or the action is gone,
    :class:`ValidationError` for a bad value, :class:`tracker.auth.PermissionDenied` unless
    the current actor is an editor. The caller commits."""
    auth.require(Role.EDITOR, _("changing an action plan"))
    db.begin_write(session)
    item = _locked(session, action_id, expected_version)
    wanted = _validate(changes)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in wanted.items():
        if getattr(item, name) != value:
            before[name] = _json(name, getattr(item, name))
            after[name] = _json(name, value)
            setattr(item, name, value)
    if not after:
        return item
    session.flush()  # the version moves on by one
    before["version"] = expected_version
    after["version"] = item.version
    audit.record(
        session,
        actor=actor,
        action="plan.edit",
        entity="recommendation",
        entity_id=item.recommendation_id,
        summary=f"{_summary(item)}: " + ", ".join(k for k in after if k != "version"),
        before={"action_id": item.id, **before},
        after={"action_id": item.id, **after},
    )
    return item


def remove_action(
    session: Session, action_id: int, expected_version: int, actor: str | None = None
) -> None:
    """Remove a planned action (audited: ``plan.remove``, with all its values, so that the
    audit trail keeps what was planned). Same errors as :func:`update_action`."""
    auth.require(Role.EDITOR, _("changing an action plan"))
    db.begin_write(session)
    item = _locked(session, action_id, expected_version)
    audit.record(
        session,
        actor=actor,
        action="plan.remove",
        entity="recommendation",
        entity_id=item.recommendation_id,
        summary=_summary(item),
        before={"action_id": item.id, **_values(item)},
    )
    session.delete(item)
    session.flush()


def _locked(session: Session, action_id: int, expected_version: int) -> PlannedAction:
    """The action, row-locked (PostgreSQL), at ``expected_version``; else PlanConflictError."""
    return db.row_at_version(
        session,
        PlannedAction,
        action_id,
        expected_version,
        missing=lambda: PlanConflictError(
            _("Planned action {id} no longer exists: someone else removed it.").format(id=action_id)
        ),
        moved=lambda item: PlanConflictError(
            _(
                "Conflict: planned action {id} was changed by someone else while you were "
                "editing it (you started from version {yours}, it is now at version {now}). "
                "Nothing was saved: look at the current values and apply your change again."
            ).format(id=action_id, yours=expected_version, now=item.version)
        ),
    )


def _summary(item: PlannedAction) -> str:
    due = item.due_on.isoformat() if item.due_on else "-"
    first_line = item.action.splitlines()[0] if item.action else ""
    return f"{first_line[:120]} ({item.responsible or '-'}, due {due})"


# --- reads -----------------------------------------------------------------------------------
def overdue_condition(today: dt.date) -> ColumnElement[bool]:
    """SQL, on a statement over recommendations: it has an open action due before ``today``
    (the "overdue" flag)."""
    # "id IN (the open overdue actions' recommendations)", not a correlated EXISTS: read once
    # from the partial index of open actions instead of once per recommendation of the corpus
    # (the same choice as the theme filter of tracker.queries.apply_filters).
    return Recommendation.id.in_(
        select(PlannedAction.recommendation_id).where(
            PlannedAction.completed_on.is_(None), PlannedAction.due_on < today
        )
    )


def _plan_select(f: Filters | None) -> Select:
    stmt = base_select(
        Recommendation.id,
        SUR.name,
        Review.cycle,
        Recommendation.text,
        PlannedAction.id,
        PlannedAction.action,
        PlannedAction.responsible,
        PlannedAction.due_on,
        PlannedAction.indicator,
        PlannedAction.progress,
        PlannedAction.completed_on,
        PlannedAction.version,
        current=False,
    ).join(PlannedAction, PlannedAction.recommendation_id == Recommendation.id)
    return apply_filters(stmt, f)


_READ_COLUMNS = [c for c in PLAN_COLUMNS if c not in ("overdue", "days_left", "version")] + [
    "version"
]


def _finish(df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Adds ``overdue`` and ``days_left`` (to the due date; <NA> without one) in order."""
    due = pd.to_datetime(df["due_on"])
    open_ = df["completed_on"].isna()
    df["overdue"] = (open_ & (due < pd.Timestamp(today))).astype(bool)
    df["days_left"] = (due - pd.Timestamp(today)).dt.days.astype("Int64")
    return df[PLAN_COLUMNS].reset_index(drop=True)


def _ordered(stmt: Select) -> Select:
    # Actions without a due date last; then by due date, recommendation, entry order.
    return stmt.order_by(
        PlannedAction.due_on.is_(None), PlannedAction.due_on, Recommendation.id, PlannedAction.id
    )


def actions_frame(
    session: Session, recommendation_id: int, today: dt.date | None = None
) -> pd.DataFrame:
    """The plan of one recommendation (columns :data:`PLAN_COLUMNS`), by due date."""
    stmt = _ordered(_plan_select(None).where(Recommendation.id == recommendation_id))
    return _finish(read_frame(session, stmt, _READ_COLUMNS), today or dt.date.today())


def plan_frame(
    session: Session, f: Filters | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Every planned action of the recommendations matching ``f`` (columns
    :data:`PLAN_COLUMNS`), by due date (none last), recommendation and entry order."""
    return _finish(
        read_frame(session, _ordered(_plan_select(f)), _READ_COLUMNS), today or dt.date.today()
    )


def plan_count(session: Session, f: Filters | None = None) -> int:
    """How many planned actions the recommendations matching ``f`` have."""
    stmt = apply_filters(
        base_select(func.count(PlannedAction.id), current=False).join(
            PlannedAction, PlannedAction.recommendation_id == Recommendation.id
        ),
        f,
    )
    return int(session.scalar(stmt) or 0)


def due_soon_frame(
    session: Session,
    f: Filters | None = None,
    today: dt.date | None = None,
    days: int = DUE_SOON_DAYS,
) -> pd.DataFrame:
    """The open actions of the recommendations matching ``f`` that fall due from ``today``
    to ``days`` days later (both included), soonest first; columns :data:`PLAN_COLUMNS`."""
    day = today or dt.date.today()
    stmt = _plan_select(f).where(
        PlannedAction.completed_on.is_(None),
        PlannedAction.due_on >= day,
        PlannedAction.due_on <= day + dt.timedelta(days=days),
    )
    return _finish(read_frame(session, _ordered(stmt), _READ_COLUMNS), day)


def overdue_views(session: Session, ids: list[int], today: dt.date) -> dict[int, str]:
    """For the recommendations ``ids``, their overdue actions as one line each
    ("what (responsible), due 2026-01-31; ..."): the Flagged page's explanation."""
    found: dict[int, list[str]] = {}
    rows = session.execute(
        select(
            PlannedAction.recommendation_id,
            PlannedAction.action,
            PlannedAction.responsible,
            PlannedAction.due_on,
        )
        .where(
            PlannedAction.recommendation_id.in_(ids),
            PlannedAction.completed_on.is_(None),
            PlannedAction.due_on < today,
        )
        .order_by(PlannedAction.recommendation_id, PlannedAction.due_on, PlannedAction.id)
    )
    line = _("{action} ({responsible}), due {date}")
    for rec_id, what, who, due in rows:
        found.setdefault(int(rec_id), []).append(
            line.format(
                action=" ".join(what.split())[:200],
                responsible=who or "-",
                date=due.isoformat() if due else "-",
            )
        )
    return {k: "; ".join(v) for k, v in found.items()}


def action_states(df: pd.DataFrame) -> list[str]:
    """Where each planned action of a plan frame stands, in words: "Completed" once it has a
    completion date (even if that came after the due date), else "Overdue" when its due date
    has passed, else "Open"."""
    return [
        _("Completed") if not pd.isna(done) else (_("Overdue") if overdue else _("Open"))
        for done, overdue in zip(df["completed_on"], df["overdue"], strict=True)
    ]


# --- downloads -------------------------------------------------------------------------------
def plan_table(df: pd.DataFrame) -> pd.DataFrame:
    """A plan frame with translated column names and readable values (for downloads)."""

    def day(value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.date) else ""

    return pd.DataFrame(
        {
            _("Id"): df["id"],
            _("State under review"): df["state"],
            _("Cycle"): df["cycle"],
            _("Recommendation"): df["text"],
            _("Planned action"): df["action"],
            _("Responsible body"): df["responsible"],
            _("Due date"): df["due_on"].map(day),
            _("Indicator"): df["indicator"],
            pgettext("action plan", "Progress"): df["progress"],
            _("Completed on"): df["completed_on"].map(day),
            _("Overdue"): df["overdue"].map(lambda v: _("yes") if v else ""),
        }
    )


def plan_file_bytes(df: pd.DataFrame, fmt: Literal["csv", "xlsx"]) -> bytes:
    """The ONE writer of action-plan files: every plan download goes through here, so that
    the spreadsheet-formula neutralising of tracker.exports applies to all of them."""
    from tracker.exports import frame_bytes

    return frame_bytes(df, fmt, sheet=_("Action plan"))


def plan_export(
    session: Session,
    f: Filters | None,
    fmt: Literal["csv", "xlsx"],
    recommendation_id: int | None = None,
    today: dt.date | None = None,
) -> bytes:
    """The action plan of the recommendations matching ``f`` (or of one recommendation) as
    a CSV or XLSX file with readable, translated columns."""
    df = (
        actions_frame(session, recommendation_id, today)
        if recommendation_id is not None
        else plan_frame(session, f, today)
    )
    return plan_file_bytes(plan_table(df), fmt)


__all__ = [
    "DUE_SOON_DAYS",
    "PLAN_COLUMNS",
    "PLAN_FIELDS",
    "PlanConflictError",
    "action_states",
    "actions_frame",
    "add_action",
    "due_soon_frame",
    "overdue_condition",
    "overdue_views",
    "plan_count",
    "plan_export",
    "plan_file_bytes",
    "plan_frame",
    "plan_table",
    "remove_action",
    "update_action",
]
