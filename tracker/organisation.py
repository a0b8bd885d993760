"""The organisation using this tracker: its name on report title blocks and image captions,
saved in the app (``meta`` table; admins change it, audited), else ``UPR_TRACKER_ORG``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, auth, db, settings
from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.models import Meta
from tracker.safe_output import entry_text
from tracker.vocab import Role

MAX_ORGANISATION_LENGTH = 200  # Meta.value holds 200 characters
ORGANISATION_META_KEY = "organisation"


# --- the organisation's name (report title block, image captions) -------------------------
def organisation_name(session: Session) -> str | None:
    """The organisation using this tracker: the name saved in the app (``meta`` table), else
    the ``UPR_TRACKER_ORG`` environment variable, else None."""
    saved = session.scalar(select(Meta.value).where(Meta.key == ORGANISATION_META_KEY))
    if saved and saved.strip():
        return saved.strip()
    return settings.value(settings.ORGANISATION)


def set_organisation_name(session: Session, name: str | None, actor: str | None = None) -> None:
    """Save (or, with an empty name, clear) the organisation's name (admins only; audited);
    the caller commits."""
    auth.require(Role.ADMIN, _("changing the organisation's name"))
    db.begin_write(session)
    value = " ".join(entry_text(name).split())  # no control characters (safe_output)
    if len(value) > MAX_ORGANISATION_LENGTH:
        raise ValidationError(
            "organisation",
            _("organisation: at most {n} characters, got {length}").format(
                n=MAX_ORGANISATION_LENGTH, length=len(value)
            ),
        )
    row = session.get(Meta, ORGANISATION_META_KEY)
    before = row.value if row else None
    if (before or "") == value:
        return
    if value:
        if row is None:
            session.add(Meta(key=ORGANISATION_META_KEY, value=value))
        else:
            row.value = value
    elif row is not None:
        session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="settings.organisation",
        entity="meta",
        summary=value or "(cleared)",
        before={"organisation": before},
        after={"organisation": value or None},
    )
