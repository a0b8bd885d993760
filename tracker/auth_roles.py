"""Who may do what: the roles, the permission check every write makes, and who an account
is (its actor). The ground the other auth modules stand on (see :mod:`tracker.auth`)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import settings
from tracker.actor import Actor, current_actor
from tracker.i18n import N_, _
from tracker.models import User
from tracker.vocab import Role

ROLE_LABELS: dict[Role, str] = {
    Role.VIEWER: N_("viewer"),
    Role.EDITOR: N_("editor"),
    Role.ADMIN: N_("admin"),
}
ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.VIEWER: N_("reads everything, changes nothing"),
    Role.EDITOR: N_("also imports, assesses, edits and decides links"),
    Role.ADMIN: N_("also manages accounts and restores backups"),
}


def role_label(role: str | None) -> str:
    """The translated name of a role ("editor")."""
    if role is None:
        return _("not logged in")
    try:
        return _(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def session_hours() -> float:
    """Idle hours after which a browser session must log in again (UPR_TRACKER_SESSION_HOURS)."""
    return float(settings.value(settings.SESSION_HOURS))


def public_readonly() -> bool:
    """True when anyone may view without logging in (UPR_TRACKER_PUBLIC_READONLY=1)."""
    return bool(settings.value(settings.PUBLIC_READONLY))


# --- errors ----------------------------------------------------------------------------------
class PermissionDenied(Exception):
    """The current actor's role does not allow this action (the message says why)."""


class AccountError(ValueError):
    """An account change a person can correct; the message names the field and the value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def require(role: Role | str, action: str | None = None) -> Actor:
    """Return the current actor if their role is at least ``role``; else raise
    :class:`PermissionDenied` with a message that says what was refused and why::

        with acting_as("donor", "viewer"):
            require("editor", "adding an assessment")
        # PermissionDenied: Not allowed: adding an assessment needs the editor role;
        # donor is a viewer.
    """
    actor = current_actor()
    if actor.can(role):
        return actor
    what = action or _("this change")
    if actor.role is None:
        raise PermissionDenied(
            _("Not allowed: log in to {action} (it needs the {needed} role).").format(
                action=what, needed=role_label(role)
            )
        )
    raise PermissionDenied(
        _("Not allowed: {action} needs the {needed} role; {user} is a {role}.").format(
            action=what, needed=role_label(role), user=actor.username, role=role_label(actor.role)
        )
    )


# --- accounts ---------------------------------------------------------------------------------
def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively: stored stripped, NFC, lower-case."""
    return unicodedata.normalize("NFC", (username or "").strip()).lower()


def find_user(session: Session, username: str, *, for_update: bool = False) -> User | None:
    """The account ``username`` (compared normalised), or None; ``for_update`` locks its row."""
    stmt = select(User).where(User.username == normalise_username(username))
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def actor_for(session: Session, username: str) -> Actor | None:
    """The actor for an existing account (its role as stored now), else None."""
    user = find_user(session, username)
    if user is None:
        return None
    try:
        return Actor(user.username, Role(user.role))
    except ValueError:  # a role this version does not know: treat as the least
        return Actor(user.username, Role.VIEWER)


__all__ = [
    "ROLE_DESCRIPTIONS",
    "ROLE_LABELS",
    "AccountError",
    "PermissionDenied",
    "actor_for",
    "find_user",
    "normalise_username",
    "public_readonly",
    "require",
    "role_label",
    "session_hours",
]
