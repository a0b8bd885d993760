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

**Where things live.** This module holds the passwords (hashing, the login check) and the
account changes an admin makes. Beneath it, each re-exported here so that callers keep writing
``auth.require``: :mod:`tracker.auth_roles` (roles, :func:`require`, finding an account),
:mod:`tracker.auth_lockout` (counting failed logins) and :mod:`tracker.auth_tokens`
(remembered logins).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from tracker import audit, db
from tracker.actor import (  # the current actor lives below audit; re-exported for callers
    Actor,
    acting_as,
    anonymous,
    current_actor,
    local_actor,
    os_user,
    public_viewer,
    reset_actor,
    set_actor,
    set_actor_provider,
)

# Roles, lockout and remembered logins live in modules of their own, re-exported here: callers
# keep writing auth.require, auth.MAX_FAILED_LOGINS, auth.issue_token.
from tracker.auth_lockout import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    MAX_FAILED_LOGINS_PER_ADDRESS,
    address_counter_key,
    address_locked_message,
    clear_name_counters,
    from_ms,
    iso_time,
    locked_message,
    ms,
    name_counter_key,
    read_counters,
    record_failure,
)
from tracker.auth_roles import (
    ROLE_DESCRIPTIONS,
    ROLE_LABELS,
    AccountError,
    PermissionDenied,
    actor_for,
    find_user,
    normalise_username,
    public_readonly,
    require,
    role_label,
    session_hours,
)
from tracker.auth_tokens import (
    LOGIN_EPOCH_KEY,
    SECRET_ENV,
    end_remembered_logins,
    forget_secrets,
    issue_token,
    login_epoch,
    read_or_create_key_file,
    token_issued_at,
    verify_token,
)
from tracker.i18n import _
from tracker.languages import offered_languages
from tracker.models import Meta, User, utcnow
from tracker.vocab import Role

if TYPE_CHECKING:
    import pandas as pd  # imported by users_frame: every command imports this module

# --- settings --------------------------------------------------------------------------------
FAILED_LOGIN_DELAY_S = 0.5  # every failed attempt waits this long: slows guessing
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # bounds the hashing work one request can ask for
USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,100}$")

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
_dummy_hash: str | None = None
# Password checks running at once in this process (see _verify).
HASHING_SLOTS = max(1, (os.cpu_count() or 2) - 1)
_hashing_slots = threading.BoundedSemaphore(HASHING_SLOTS)


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


def validate_username(username: str) -> str:
    """The username normalised; AccountError unless it is 1 to 100 allowed characters."""
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
    """The password; AccountError when it is too short or too long."""
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
    """The role named (any case); AccountError for a role that does not exist."""
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


def _get(session: Session, username: str) -> User:
    user = find_user(session, username, for_update=True)
    if user is None:
        raise AccountError(
            "username", _("username: there is no account {value!r}").format(value=username)
        )
    return user


def _admin_change(session: Session, username: str, doing: str) -> User:
    """The account an admin is about to change, locked for the write (admin only)."""
    require(Role.ADMIN, doing)
    db.begin_write(session)
    return _get(session, username)


def _record(
    session: Session,
    action: str,
    entity_id: int,
    summary: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write the account change and note it in the audit trail (as the current actor)."""
    session.flush()
    audit.record(
        session,
        actor=None,
        action=action,
        entity="user",
        entity_id=entity_id,
        summary=summary,
        before=before,
        after=after,
    )


def _clear_lockout(session: Session, user: User) -> None:
    """Forget the account's failed logins, at every address."""
    user.failed_logins = 0
    user.locked_until = None
    clear_name_counters(session, user.username)


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
    if find_user(session, name) is not None:
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
    session.flush()  # gives the account its id
    _record(
        session,
        "user.add",
        user.id,
        f"{name} ({chosen.value})",
        after={"username": name, "role": chosen.value},
    )
    return UserInfo(name, chosen.value, user.created_at, 0, None)


def remove_user(session: Session, username: str) -> None:
    """Delete an account (admin only). The last admin cannot be removed while other
    accounts remain; removing the very last account returns to local single-user mode."""
    user = _admin_change(session, username, _("removing an account"))
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
    _record(session, "user.remove", uid, user.username, before=before)


def set_role(session: Session, username: str, role: Role | str) -> UserInfo:
    """Change an account's role (admin only); the last admin keeps the admin role."""
    user = _admin_change(session, username, _("changing a role"))
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
    _record(
        session,
        "user.set_role",
        user.id,
        f"{user.username}: {before} → {chosen.value}",
        before={"role": before},
        after={"role": chosen.value},
    )
    return _info(user)


def set_password(session: Session, username: str, password: str) -> None:
    """Set a new password (admin only; also unlocks the account). The audit trail records
    that the password changed, never the password."""
    user = _admin_change(session, username, _("setting a password"))
    validate_password(password)
    user.password_hash = _hasher.hash(password)
    _clear_lockout(session, user)
    _record(session, "user.set_password", user.id, f"password changed for {user.username}")


def unlock(session: Session, username: str) -> None:
    """Lift a lockout after failed logins (admin only)."""
    user = _admin_change(session, username, _("unlocking an account"))
    before = {"failed_logins": user.failed_logins, "locked_until": iso_time(user.locked_until)}
    _clear_lockout(session, user)
    _record(
        session,
        "user.unlock",
        user.id,
        user.username,
        before=before,
        after={"failed_logins": 0, "locked_until": None},
    )


def user_language(session: Session, username: str) -> str | None:
    """The interface language an account chose (None: not chosen, or no such account)."""
    user = find_user(session, username)
    return user.language if user is not None else None


def set_user_language(session: Session, username: str, lang: str) -> None:
    """Remember the interface language an account chose (its own choice: any logged-in role).
    Unknown languages are refused; choosing the stored one writes nothing."""
    if lang not in offered_languages():
        raise AccountError(
            "language",
            _("language: {value!r} is not one of {allowed}").format(
                value=lang, allowed=", ".join(offered_languages())
            ),
        )
    db.begin_write(session)
    user = _get(session, username)
    if user.language == lang:
        return
    before = user.language
    user.language = lang
    _record(
        session,
        "user.set_language",
        user.id,
        f"{user.username}: {before or '-'} → {lang}",
        before={"language": before},
        after={"language": lang},
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a login from ``client`` (the browser's network address; None: this machine).

    After :data:`MAX_FAILED_LOGINS` failures in a row for one username from one address,
    that username is locked *for that address* for :data:`LOCKOUT`; after
    :data:`MAX_FAILED_LOGINS_PER_ADDRESS` failures from one address (any usernames), the
    address is. Unknown usernames are counted and answered exactly like accounts (the same
    messages, the same work and the same :data:`FAILED_LOGIN_DELAY_S`), so that neither
    "wrong" nor "locked" tells whether an account exists.

    Writers are never held up by a login: the password is checked and the failure delay
    slept outside any write transaction; a failure commits its counters in one brief write
    transaction of its own. On success the session is left in a write transaction that has
    reset the counters (the caller commits, e.g. after :func:`issue_token`). Never raises
    for a wrong login.
    """
    now = now or utcnow()
    now_ms = ms(now)
    name = normalise_username(username)
    # Anything but an address string (None on localhost; a test harness's stand-in) is local.
    address = client.strip() if isinstance(client, str) and client.strip() else "local"
    name_key, address_key = name_counter_key(name, address), address_counter_key(address)
    # Reading does not take SQLite's write lock (WAL readers never block writers).
    counters = read_counters(session, [name_key, address_key])
    user = find_user(session, name) if name else None
    password_hash = user.password_hash if user is not None else None
    if session.in_transaction():
        session.commit()  # ends the read (and keeps what the caller had flushed)
    wrong = _("Wrong username or password.")
    by_name, by_address = counters[name_key], counters[address_key]
    if by_address.locked(now_ms) or by_name.locked(now_ms):
        # No password check (it costs a core; a locked-out guesser gets no CPU): the same
        # answer and delay whether the username exists or not.
        _fail_delay()
        if by_address.locked(now_ms):
            return LoginResult(None, address_locked_message(from_ms(by_address.locked_until_ms)))
        return LoginResult(None, locked_message(from_ms(by_name.locked_until_ms)))
    if _verify(password_hash or _dummy(), password or "") and user is not None:
        db.begin_write(session)
        fresh = find_user(session, name, for_update=True)
        if fresh is None or fresh.password_hash != password_hash:
            _fail_delay()  # removed or given a new password while we checked
            return LoginResult(None, wrong)
        session.execute(delete(Meta).where(Meta.key == name_key))
        if fresh.failed_logins or fresh.locked_until:
            fresh.failed_logins = 0
            fresh.locked_until = None
        if _hasher.check_needs_rehash(fresh.password_hash):
            fresh.password_hash = _hasher.hash(password)
        session.flush()
        return LoginResult(actor_for(session, fresh.username))
    message = record_failure(session, name, name_key, address_key, now)
    _fail_delay()  # outside the transaction: slows guessing without holding anyone up
    return LoginResult(None, message or wrong)


# --- helpers ---------------------------------------------------------------------------------
def _info(user: User) -> UserInfo:
    return UserInfo(
        user.username, user.role, user.created_at, user.failed_logins, user.locked_until
    )


def _verify(password_hash: str, password: str) -> bool:
    # One argon2 check takes ~64 MB and a core for a fraction of a second. Anyone can ask for
    # one (the login form), so a storm of them would starve every other request of the
    # server; they take turns on all cores but one.
    with _hashing_slots:
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
    "LOCKOUT",
    "LOGIN_EPOCH_KEY",
    "MAX_FAILED_LOGINS",
    "MAX_FAILED_LOGINS_PER_ADDRESS",
    "ROLE_DESCRIPTIONS",
    "ROLE_LABELS",
    "SECRET_ENV",
    "AccountError",
    "Actor",
    "LoginResult",
    "PermissionDenied",
    "UserInfo",
    "accounts_exist",
    "acting_as",
    "actor_for",
    "anonymous",
    "authenticate",
    "create_user",
    "current_actor",
    "end_remembered_logins",
    "forget_secrets",
    "issue_token",
    "list_users",
    "local_actor",
    "login_epoch",
    "normalise_username",
    "os_user",
    "public_readonly",
    "public_viewer",
    "read_or_create_key_file",
    "remove_user",
    "require",
    "reset_actor",
    "role_label",
    "session_hours",
    "set_actor",
    "set_actor_provider",
    "set_password",
    "set_role",
    "set_user_language",
    "token_issued_at",
    "unlock",
    "user_language",
    "users_frame",
    "validate_password",
    "validate_role",
    "validate_username",
    "verify_token",
]
