"""Accounts, roles and the acting user.

**Modes.** With no account in the database the tracker runs in *local single-user mode*:
everything is allowed and the actor recorded in the audit trail is the operating-system user
(or ``UPR_TRACKER_ACTOR``). Once an account exists, the app asks for a login on every page and
each write checks the logged-in user's role. ``UPR_TRACKER_PUBLIC_READONLY=1`` lets anyone
view without logging in (as a viewer), for sharing with donors.

**Roles.** ``viewer`` reads; ``editor`` also imports, assesses, edits and decides links;
``admin`` also manages accounts and restores backups.

**The current actor** is held in a context variable: the app sets it at the top of every
rerun for the logged-in user (:func:`set_actor`), tests and scripts use :func:`acting_as`.
The app also registers a *provider* (:func:`set_actor_provider`) that answers from the
Streamlit session, so that code running before the page (widget callbacks) sees the same
user. When nothing is set — the command line, scripts — the actor is the local
operating-system user with the admin role: whoever can run Python against the database file
or URL owns the data anyway.

Every write function in ``tracker`` calls :func:`require` first, so a viewer is refused by
the library itself, not only by hidden buttons.

**Passwords** are hashed with argon2id (argon2-cffi). A failed login costs
:data:`FAILED_LOGIN_DELAY_S`; after :data:`MAX_FAILED_LOGINS` failures in a row the account is
locked for :data:`LOCKOUT`. Passwords and hashes never appear in messages or the audit trail.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from tracker import audit, db
from tracker.i18n import N_, _, available_languages
from tracker.models import Meta, User, utcnow
from tracker.vocab import Role

if TYPE_CHECKING:
    import pandas as pd  # imported by users_frame: every command imports this module

# --- settings --------------------------------------------------------------------------------
PASSWORD_ENV = "UPR_TRACKER_PASSWORD"
PUBLIC_READONLY_ENV = "UPR_TRACKER_PUBLIC_READONLY"
SESSION_HOURS_ENV = "UPR_TRACKER_SESSION_HOURS"
ACTOR_ENV = "UPR_TRACKER_ACTOR"
DEFAULT_SESSION_HOURS = 8.0  # a working day without activity, then log in again
MAX_FAILED_LOGINS = 5  # failures in a row before the account is locked
LOCKOUT = dt.timedelta(minutes=15)
FAILED_LOGIN_DELAY_S = 0.5  # every failed attempt waits this long: slows guessing
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # bounds the hashing work one request can ask for
USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,100}$")

ROLE_RANK: dict[Role, int] = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
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

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
_dummy_hash: str | None = None


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
    raw = os.environ.get(SESSION_HOURS_ENV, "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_SESSION_HOURS
    except ValueError:
        return DEFAULT_SESSION_HOURS
    return hours if hours > 0 else DEFAULT_SESSION_HOURS


def public_readonly() -> bool:
    """True when anyone may view without logging in (UPR_TRACKER_PUBLIC_READONLY=1)."""
    return os.environ.get(PUBLIC_READONLY_ENV, "").strip().lower() in ("1", "true", "yes", "on")


# --- errors ----------------------------------------------------------------------------------
class PermissionDenied(Exception):
    """The current actor's role does not allow this action (the message says why)."""


class AccountError(ValueError):
    """An account change a person can correct; the message names the field and the value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


# --- the current actor -----------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """Who is acting: a username and a role (``None``: nobody is logged in)."""

    username: str
    role: Role | None
    local: bool = False  # local single-user mode or the command line (no login)
    # Nobody logged in (anonymous() or public_viewer()): the username names no account, even
    # when an account happens to be called "anonymous" or "public".
    visitor: bool = False

    def can(self, role: Role | str) -> bool:
        """True when this actor's role is at least ``role``."""
        if self.role is None:
            return False
        return ROLE_RANK[self.role] >= ROLE_RANK[Role(role)]


_current: ContextVar[Actor | None] = ContextVar("upr_tracker_actor", default=None)
_provider: Callable[[], Actor | None] | None = None


def os_user() -> str:
    """The local user's name: UPR_TRACKER_ACTOR, else the operating-system login."""
    try:
        return os.environ.get(ACTOR_ENV) or getpass.getuser() or "local"
    except Exception:  # getpass fails without a login name (e.g. in some containers)
        return "local"


def local_actor() -> Actor:
    """The operating-system user, with every right (command line, local single-user mode)."""
    return Actor(os_user(), Role.ADMIN, local=True)


def anonymous() -> Actor:
    """Nobody logged in: may not write anything."""
    return Actor("anonymous", None, visitor=True)


def public_viewer() -> Actor:
    """A visitor of a public read-only instance."""
    return Actor("public", Role.VIEWER, visitor=True)


def set_actor_provider(provider: Callable[[], Actor | None] | None) -> None:
    """Register a function that names the actor from the surrounding framework (the app's
    Streamlit session); it returns None outside that framework."""
    global _provider
    _provider = provider


def set_actor(actor: Actor | None) -> Token[Actor | None]:
    """Make ``actor`` the current actor in this context; returns a token for reset."""
    return _current.set(actor)


def reset_actor(token: Token[Actor | None]) -> None:
    _current.reset(token)


@contextmanager
def acting_as(actor: Actor | str, role: Role | str | None = None) -> Iterator[Actor]:
    """Run a block as ``actor`` (an Actor, or a username with ``role``)."""
    if isinstance(actor, str):
        actor = Actor(actor, Role(role) if role else None)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    """Who is acting now: the app's session user, else the context's actor, else local."""
    if _provider is not None:
        found = _provider()
        if found is not None:
            return found
    return _current.get() or local_actor()


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


# --- accounts --------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserInfo:
    """An account as shown to people (never the password hash)."""

    username: str
    role: str
    created_at: dt.datetime
    failed_logins: int
    locked_until: dt.datetime | None

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`authenticate`: the actor on success, else a message to show."""

    actor: Actor | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.actor is not None


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively: stored stripped, NFC, lower-case."""
    return unicodedata.normalize("NFC", (username or "").strip()).lower()


def validate_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            "username",
            _(
                "username: {value!r} is not allowed; use 1 to 100 letters, digits and . _ @ + -"
            ).format(value=username),
        )
    return name


def validate_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password",
            _("password: at least {n} characters are needed").format(n=MIN_PASSWORD_LENGTH),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            "password", _("password: at most {n} characters").format(n=MAX_PASSWORD_LENGTH)
        )
    return password


def validate_role(role: str) -> Role:
    try:
        return Role((role or "").strip().lower())
    except ValueError:
        raise AccountError(
            "role",
            _("role: {value!r} is not one of {allowed}").format(
                value=role, allowed=", ".join(r.value for r in Role)
            ),
        ) from None


def accounts_exist(session: Session) -> bool:
    """True once any account exists (the app then requires a login)."""
    return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def _find(session: Session, username: str, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.username == normalise_username(username))
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def _get(session: Session, username: str) -> User:
    user = _find(session, username, for_update=True)
    if user is None:
        raise AccountError(
            "username", _("username: there is no account {value!r}").format(value=username)
        )
    return user


def _admins(session: Session) -> int:
    return session.scalar(select(func.count()).where(User.role == Role.ADMIN.value)) or 0


def list_users(session: Session) -> list[UserInfo]:
    """Every account, by username."""
    return [
        UserInfo(u.username, u.role, u.created_at, u.failed_logins, u.locked_until)
        for u in session.scalars(select(User).order_by(User.username))
    ]


def users_frame(session: Session) -> pd.DataFrame:
    """Columns: username, role, role_name (translated), created_at, locked_until (None
    unless locked now)."""
    import pandas as pd

    now = utcnow()
    rows = [
        {
            "username": u.username,
            "role": u.role,
            "role_name": role_label(u.role),
            "created_at": u.created_at,
            "locked_until": u.locked_until if u.is_locked(now) else None,
        }
        for u in list_users(session)
    ]
    return pd.DataFrame(
        rows, columns=["username", "role", "role_name", "created_at", "locked_until"]
    )


def create_user(
    session: Session, username: str, password: str, role: Role | str, *, language: str | None = None
) -> UserInfo:
    """Add an account (admin only; the caller commits).

    The first account must be an admin, so that someone can manage accounts in the app.
    """
    require(Role.ADMIN, _("adding an account"))
    db.begin_write(session)
    name = validate_username(username)
    chosen = validate_role(str(role))
    validate_password(password)
    if _find(session, name) is not None:
        raise AccountError(
            "username", _("username: an account {value!r} already exists").format(value=name)
        )
    if chosen != Role.ADMIN and not accounts_exist(session):
        raise AccountError(
            "role",
            _(
                "role: the first account must be an admin (it manages the others); got {value!r}"
            ).format(value=chosen.value),
        )
    user = User(
        username=name, password_hash=_hasher.hash(password), role=chosen.value, language=language
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.add",
        entity="user",
        entity_id=user.id,
        summary=f"{name} ({chosen.value})",
        after={"username": name, "role": chosen.value},
    )
    return UserInfo(name, chosen.value, user.created_at, 0, None)


def remove_user(session: Session, username: str) -> None:
    """Delete an account (admin only). The last admin cannot be removed while other
    accounts remain; removing the very last account returns to local single-user mode."""
    require(Role.ADMIN, _("removing an account"))
    db.begin_write(session)
    user = _get(session, username)
    others = session.scalar(select(func.count()).where(User.id != user.id)) or 0
    if user.role == Role.ADMIN and _admins(session) == 1 and others:
        raise AccountError(
            "username",
            _("username: {value!r} is the last admin; make another account admin first").format(
                value=user.username
            ),
        )
    before = {"username": user.username, "role": user.role}
    uid = user.id
    session.delete(user)
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.remove",
        entity="user",
        entity_id=uid,
        summary=user.username,
        before=before,
    )


def set_role(session: Session, username: str, role: Role | str) -> UserInfo:
    """Change an account's role (admin only); the last admin keeps the admin role."""
    require(Role.ADMIN, _("changing a role"))
    db.begin_write(session)
    user = _get(session, username)
    chosen = validate_role(str(role))
    if user.role == chosen.value:
        return _info(user)
    if user.role == Role.ADMIN and _admins(session) == 1:
        raise AccountError(
            "role",
            _("role: {value!r} is the last admin; make another account admin first").format(
                value=user.username
            ),
        )
    before = user.role
    user.role = chosen.value
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.set_role",
        entity="user",
        entity_id=user.id,
        summary=f"{user.username}: {before} → {chosen.value}",
        before={"role": before},
        after={"role": chosen.value},
    )
    return _info(user)


def set_password(session: Session, username: str, password: str) -> None:
    """Set a new password (admin only; also unlocks the account). The audit trail records
    that the password changed, never the password."""
    require(Role.ADMIN, _("setting a password"))
    db.begin_write(session)
    user = _get(session, username)
    validate_password(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.set_password",
        entity="user",
        entity_id=user.id,
        summary=f"password changed for {user.username}",
    )


def unlock(session: Session, username: str) -> None:
    """Lift a lockout after failed logins (admin only)."""
    require(Role.ADMIN, _("unlocking an account"))
    db.begin_write(session)
    user = _get(session, username)
    before = {"failed_logins": user.failed_logins, "locked_until": _iso(user.locked_until)}
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.unlock",
        entity="user",
        entity_id=user.id,
        summary=user.username,
        before=before,
        after={"failed_logins": 0, "locked_until": None},
    )


def user_language(session: Session, username: str) -> str | None:
    """The interface language an account chose (None: not chosen, or no such account)."""
    user = _find(session, username)
    return user.language if user is not None else None


def set_user_language(session: Session, username: str, lang: str) -> None:
    """Remember the interface language an account chose (its own choice: any logged-in role).
    Unknown languages are refused; choosing the stored one writes nothing."""
    if lang not in available_languages():
        raise AccountError(
            "language",
            _("language: {value!r} is not one of {allowed}").format(
                value=lang, allowed=", ".join(available_languages())
            ),
        )
    db.begin_write(session)
    user = _get(session, username)
    if user.language == lang:
        return
    before = user.language
    user.language = lang
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.set_language",
        entity="user",
        entity_id=user.id,
        summary=f"{user.username}: {before or '-'} → {lang}",
        before={"language": before},
        after={"language": lang},
    )


def actor_for(session: Session, username: str) -> Actor | None:
    """The actor for an existing account (its role as stored now), else None."""
    user = _find(session, username)
    if user is None:
        return None
    try:
        return Actor(user.username, Role(user.role))
    except ValueError:  # a role this version does not know: treat as the least
        return Actor(user.username, Role.VIEWER)


def authenticate(
    session: Session, username: str, password: str, *, now: dt.datetime | None = None
) -> LoginResult:
    """Check a login; count failures and lock the account after too many.

    Never raises for a wrong login: the caller commits the session so that the failure count
    is kept. Unknown usernames and wrong passwords get the same message and the same delay.
    """
    db.begin_write(session)
    now = now or utcnow()
    user = _find(session, username, for_update=True) if username else None
    wrong = _("Wrong username or password.")
    if user is None:
        _verify(_dummy(), password or "")  # the same work as for a real account
        _fail_delay()
        return LoginResult(None, wrong)
    if user.locked_until is not None and user.locked_until > now:
        _fail_delay()
        return LoginResult(None, _locked_message(user.locked_until))
    if not _verify(user.password_hash, password or ""):
        user.failed_logins = (user.failed_logins or 0) + 1
        message = wrong
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit.record(
                session,
                actor=user.username,
                action="user.lockout",
                entity="user",
                entity_id=user.id,
                summary=f"{MAX_FAILED_LOGINS} failed logins in a row; locked until "
                f"{user.locked_until:%Y-%m-%d %H:%M} UTC",
                after={"locked_until": _iso(user.locked_until)},
            )
            message = _locked_message(user.locked_until)
        session.flush()
        _fail_delay()
        return LoginResult(None, message)
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return LoginResult(actor_for(session, user.username))


# --- remembered logins (a signed token in a browser cookie) ----------------------------------
# A browser keeps a login across page reloads and new tabs with a token signed by a server
# secret (UPR_TRACKER_SECRET_KEY, else one generated once and kept in the meta table). The
# token names the account, the time it was issued, and a fingerprint of the password hash, so
# that a new password, removing the account, or logging out (which records the time in the
# meta table) ends every remembered login of that account.
SECRET_ENV = "UPR_TRACKER_SECRET_KEY"
_SECRET_KEY = "session_secret"
_LOGOUT_PREFIX = "logout:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _secret(session: Session, *, create: bool) -> bytes | None:
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured.encode("utf-8")
    value = session.scalar(select(Meta.value).where(Meta.key == _SECRET_KEY))
    if value is None and create:
        value = secrets.token_hex(32)
        session.add(Meta(key=_SECRET_KEY, value=value))
        session.flush()
    return value.encode("ascii") if value else None


def _logout_key(username: str) -> str:
    return _LOGOUT_PREFIX + hashlib.sha256(username.encode("utf-8")).hexdigest()[:40]


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue_token(session: Session, username: str, *, now: float | None = None) -> str:
    """A token that logs the browser holding it in as ``username`` for
    :func:`session_hours` (the caller commits: the first token creates the secret)."""
    db.begin_write(session)
    user = _find(session, username)
    if user is None:
        raise AccountError(
            "username", _("username: there is no account {value!r}").format(value=username)
        )
    secret = _secret(session, create=True)
    assert secret is not None
    issued = int((now if now is not None else time.time()) * 1000)
    payload = _b64(
        json.dumps(
            {"u": user.username, "i": issued, "f": _fingerprint(user.password_hash)},
            separators=(",", ":"),
        ).encode("utf-8")
    )
    return f"{payload}.{_sign(secret, payload)}"


def token_issued_at(token: str) -> float | None:
    """When a token was issued (epoch seconds), without checking it; None if malformed."""
    try:
        return int(json.loads(_unb64(token.split(".", 1)[0]))["i"]) / 1000
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def verify_token(session: Session, token: str, *, now: float | None = None) -> Actor | None:
    """The actor a remembered-login token stands for, or None when it is forged, expired,
    for a removed account, older than the account's password or its last logout."""
    try:
        payload, signature = (token or "").split(".", 1)
        data = json.loads(_unb64(payload))
        username, issued, fingerprint = str(data["u"]), int(data["i"]), str(data["f"])
    except (ValueError, KeyError, TypeError):
        return None
    secret = _secret(session, create=False)
    if secret is None or not hmac.compare_digest(signature, _sign(secret, payload)):
        return None
    now_ms = (now if now is not None else time.time()) * 1000
    if issued > now_ms + 60_000 or now_ms - issued > session_hours() * 3_600_000:
        return None
    user = _find(session, username)
    if user is None or not hmac.compare_digest(fingerprint, _fingerprint(user.password_hash)):
        return None
    logout = session.scalar(select(Meta.value).where(Meta.key == _logout_key(user.username)))
    if logout is not None and issued <= int(logout):
        return None
    return actor_for(session, user.username)


def end_remembered_logins(session: Session, username: str, *, now: float | None = None) -> None:
    """Log ``username`` out everywhere: every token issued until now stops working (the
    caller commits). Used by "Log out"."""
    db.begin_write(session)
    key = _logout_key(normalise_username(username))
    stamp = str(int((now if now is not None else time.time()) * 1000))
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=stamp))
    else:
        row.value = stamp
    session.flush()
    audit.bump_data_version(session)  # open pages re-check their login at once


# --- helpers ---------------------------------------------------------------------------------
def _info(user: User) -> UserInfo:
    return UserInfo(
        user.username, user.role, user.created_at, user.failed_logins, user.locked_until
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _locked_message(until: dt.datetime) -> str:
    return _(
        "Too many failed logins: this account is locked until {time} UTC. "
        "An admin can unlock it earlier."
    ).format(time=until.strftime("%Y-%m-%d %H:%M"))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password: equalises login timing")
    return _dummy_hash


def _fail_delay() -> None:
    if FAILED_LOGIN_DELAY_S > 0:
        time.sleep(FAILED_LOGIN_DELAY_S)


__all__ = [
    "MAX_FAILED_LOGINS",
    "AccountError",
    "Actor",
    "LoginResult",
    "PermissionDenied",
    "UserInfo",
    "accounts_exist",
    "acting_as",
    "actor_for",
    "authenticate",
    "create_user",
    "current_actor",
    "end_remembered_logins",
    "issue_token",
    "list_users",
    "local_actor",
    "public_readonly",
    "remove_user",
    "require",
    "role_label",
    "session_hours",
    "set_actor",
    "set_actor_provider",
    "set_password",
    "set_role",
    "unlock",
    "users_frame",
    "verify_token",
]
