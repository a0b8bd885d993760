"""Editing a recommendation's metadata, safely when several people edit at once.

Optimistic locking: a person's edit form carries the ``version`` the recommendation had when
the form was shown. :func:`update_recommendation` applies the change only if the version is
still the same, and bumps it; otherwise it raises :class:`ConflictError`, which says who
changed the recommendation and when (from the audit trail) and carries both the other
person's values and the refused ones, so that nothing is lost: the person compares and applies
their change again. PostgreSQL also locks the row for the length of the transaction, so that two
edits arriving at the same instant are decided one after the other.

Changing the text, response or action category changes the recommendation's identity (see
tracker.identity); an edit that would make it identical to another recommendation is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker import audit, auth, db
from tracker.errors import ValidationError, check_fields
from tracker.i18n import _
from tracker.identity import clean_text, distinct_paragraphs, identity_key, paragraph_key
from tracker.models import (
    AuditEvent,
    Recommendation,
    Review,
    State,
    Theme,
    recommendation_themes,
    utcnow,
)
from tracker.safe_output import entry_text
from tracker.vocab import Response, Role, parse_response

EDIT_ACTION = "recommendation.edit"
EDITABLE_FIELDS = ("paragraph", "text", "response", "action_category", "themes")
MAX_PARAGRAPH_LENGTH = 20  # the column's width
MAX_THEME_LENGTH = 200


class ConflictError(Exception):
    """Someone else changed the recommendation since the editor loaded it.

    ``theirs``: the values now stored; ``yours``: the changes that were not applied.
    """

    def __init__(
        self,
        recommendation_id: int,
        expected_version: int,
        current_version: int,
        changed_by: str | None,
        changed_at: dt.datetime | None,
        theirs: dict[str, Any],
        yours: dict[str, Any],
    ) -> None:
        self.recommendation_id = recommendation_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.theirs = theirs
        self.yours = yours
        if changed_by and changed_at:
            who = _("{user} at {time} UTC").format(
                user=changed_by, time=changed_at.strftime("%Y-%m-%d %H:%M:%S")
            )
        else:
            who = _("someone else (an import or another editor)")
        super().__init__(
            _(
                "Conflict: recommendation {id} was changed by {who} while you were editing it "
                "(you started from version {yours}, it is now at version {now}). Your changes "
                "were not saved and nothing was overwritten: look at the current values, then "
                "apply your changes again."
            ).format(id=recommendation_id, who=who, yours=expected_version, now=current_version)
        )


@dataclass
class Metadata:
    """The editable fields of a recommendation and the version they were read at."""

    id: int
    version: int
    paragraph: str | None
    text: str
    response: str | None
    action_category: int | None
    themes: list[str] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


def get_metadata(session: Session, recommendation_id: int) -> Metadata | None:
    """The editable fields of a recommendation, with its version (None if there is none)."""
    rec = session.get(Recommendation, recommendation_id, populate_existing=True)
    if rec is None:
        return None
    return _metadata(rec)


def _metadata(rec: Recommendation) -> Metadata:
    return Metadata(
        id=rec.id,
        version=rec.version,
        paragraph=rec.paragraph,
        text=rec.text,
        response=rec.response,
        action_category=rec.action_category,
        themes=sorted((t.name for t in rec.themes), key=str.casefold),
    )


def last_edit(session: Session, recommendation_id: int) -> tuple[str, dt.datetime] | None:
    """Who last edited the recommendation's metadata, and when (from the audit trail)."""
    row = session.execute(
        select(AuditEvent.actor, AuditEvent.at)
        .where(
            AuditEvent.entity == "recommendation",
            AuditEvent.entity_id == recommendation_id,
            AuditEvent.action == EDIT_ACTION,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def update_recommendation(
    session: Session,
    rec_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str | None = None,
) -> Metadata:
    """Change a recommendation's metadata if nobody changed it since ``expected_version``.

    ``changes`` maps any of ``EDITABLE_FIELDS`` to a new value (``themes``: a list of
    names). Fields whose value is unchanged are ignored; an edit that changes nothing writes
    nothing. Raises :class:`ConflictError` when the version moved on,
    :class:`~tracker.errors.ValidationError` for a bad value, and
    :class:`tracker.auth.PermissionDenied` unless the current actor is an editor. Records
    the before/after of the changed fields in the audit trail. The caller commits.
    """
    auth.require(Role.EDITOR, _("editing a recommendation"))
    db.begin_write(session)
    rec = db.row_at_version(
        session,
        Recommendation,
        rec_id,
        expected_version,
        missing=lambda: ValidationError(
            "id", _("id: there is no recommendation with id {id}").format(id=rec_id)
        ),
        # A bad value is said before a conflict: _validate raises first.
        moved=lambda r: _conflict(session, r, expected_version, _validate(changes)),
    )
    wanted = _validate(changes)
    current = _metadata(rec)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in wanted.items():
        old = getattr(current, name)
        same = (
            [t.casefold() for t in old] == [t.casefold() for t in value]
            if name == "themes"
            else old == value
        )
        if not same:
            before[name] = old
            after[name] = value
    if not after:
        return current
    with session.no_autoflush:  # one UPDATE of the row, so the version moves on by one
        rec.updated_at = utcnow()  # touches the row: theme edits move the version on too
        for name in ("paragraph", "text", "response", "action_category"):
            if name in after:
                setattr(rec, name, after[name])
        if {"text", "response", "action_category", "paragraph"} & after.keys():
            _reidentify(session, rec)
        if "themes" in after:
            _set_themes(session, rec, after["themes"])
    try:
        session.flush()
    except StaleDataError:  # changed between our read and our write
        session.rollback()
        fresh = session.get(Recommendation, rec_id, populate_existing=True)
        assert fresh is not None
        raise _conflict(session, fresh, expected_version, wanted) from None
    before["version"] = expected_version
    after["version"] = rec.version
    audit.record(
        session,
        actor=actor,
        action=EDIT_ACTION,
        entity="recommendation",
        entity_id=rec.id,
        summary=", ".join(k for k in after if k != "version"),
        before=before,
        after=after,
    )
    session.expire(rec, ["themes"])
    return _metadata(rec)


# --- helpers ---------------------------------------------------------------------------------
def _conflict(
    session: Session, rec: Recommendation, expected: int, wanted: dict[str, Any]
) -> ConflictError:
    last = last_edit(session, rec.id)
    return ConflictError(
        rec.id,
        expected,
        rec.version,
        last[0] if last else None,
        last[1] if last else None,
        _metadata(rec).values(),
        wanted,
    )


def _validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    check_fields(
        changes, EDITABLE_FIELDS, _("{field}: not an editable field (editable: {allowed})")
    )
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "paragraph":
            text = " ".join(str(value or "").split()) or None
            if text and len(text) > MAX_PARAGRAPH_LENGTH:
                raise ValidationError(
                    "paragraph",
                    _("paragraph: {value!r} is longer than {n} characters").format(
                        value=text, n=MAX_PARAGRAPH_LENGTH
                    ),
                )
            out[name] = text
        elif name == "text":
            text = clean_text(entry_text(str(value or "")))  # no control characters
            if not text:
                raise ValidationError("text", _("text: the recommendation text is required"))
            out[name] = text
        elif name == "response":
            if value in (None, ""):
                out[name] = None
            else:
                parsed = parse_response(str(value))
                if parsed is None:
                    raise ValidationError(
                        "response",
                        _("response: {value!r} is not one of {allowed}").format(
                            value=value, allowed=", ".join(r.value for r in Response)
                        ),
                    )
                out[name] = parsed.value
        elif name == "action_category":
            out[name] = _action_category(value)
        else:
            out[name] = _themes(value)
    return out


def _action_category(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        n = 0
    if not 1 <= n <= 5:
        raise ValidationError(
            "action_category",
            _("action_category: {value!r} is not a number from 1 to 5").format(value=value),
        )
    return n


def _themes(value: Any) -> list[str]:
    items = value.split(";") if isinstance(value, str) else list(value or [])
    seen: dict[str, str] = {}
    for item in items:
        name = " ".join(entry_text(str(item)).split())
        if not name:
            continue
        if len(name) > MAX_THEME_LENGTH:
            raise ValidationError(
                "themes",
                _("themes: {value!r} is longer than {n} characters").format(
                    value=name, n=MAX_THEME_LENGTH
                ),
            )
        seen.setdefault(name.casefold(), name)
    return sorted(seen.values(), key=str.casefold)


def _reidentify(session: Session, rec: Recommendation) -> None:
    iso3, session_no = session.execute(
        select(State.iso3, Review.session)
        .join(Review, Review.state_id == State.id)
        .where(Review.id == rec.review_id)
    ).one()
    key = identity_key(iso3, session_no, rec.text, rec.response, rec.action_category)
    other = session.execute(
        select(Recommendation.id, Recommendation.paragraph).where(
            Recommendation.identity == key, Recommendation.id != rec.id
        )
    ).first()
    if other is not None and distinct_paragraphs(other.paragraph, rec.paragraph):
        # the same text under another paragraph number is another recommendation
        assert rec.paragraph is not None
        key = paragraph_key(key, rec.paragraph)
        other = session.execute(
            select(Recommendation.id, Recommendation.paragraph).where(
                Recommendation.identity == key, Recommendation.id != rec.id
            )
        ).first()
    if other is not None:
        raise ValidationError(
            "text",
            _(
                "text: recommendation {other} already has this text, response and action "
                "category in the same review; edit or link that one instead"
            ).format(other=other.id),
        )
    rec.identity = key


def _set_themes(session: Session, rec: Recommendation, names: list[str]) -> None:
    known = {t.name.casefold(): t.id for t in session.scalars(select(Theme))}
    ids: set[int] = set()
    for name in names:
        tid = known.get(name.casefold())
        if tid is None:
            theme = Theme(name=name)
            session.add(theme)
            session.flush()
            tid = known[name.casefold()] = theme.id
        ids.add(tid)
    session.execute(
        delete(recommendation_themes).where(recommendation_themes.c.recommendation_id == rec.id)
    )
    if ids:
        session.execute(
            recommendation_themes.insert(),
            [{"recommendation_id": rec.id, "theme_id": tid} for tid in sorted(ids)],
        )
    # A theme no longer used by any recommendation stays: saved reports may name it.


__all__ = [
    "EDITABLE_FIELDS",
    "ConflictError",
    "Metadata",
    "get_metadata",
    "last_edit",
    "update_recommendation",
]
