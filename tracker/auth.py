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
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, exists, func, select, text
from sqlalchemy.orm import Session

from tracker import audit, db, private_files, settings
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
from tracker.i18n import N_, _, available_languages
from tracker.models import Meta, User, utcnow
from tracker.vocab import Role

if TYPE_CHECKING:
    import pandas as pd  # imported by users_frame: every command imports this module

# --- settings --------------------------------------------------------------------------------
MAX_FAILED_LOGINS = 5  # failures in a row before the account is locked
LOCKOUT = dt.timedelta(minutes=15)
FAILED_LOGIN_DELAY_S = 0.5  # every failed attempt waits this long: slows guessing
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # bounds the hashing work one request can ask for
USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,100}$")

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
# Password checks running at once in this process (see _verify).
HASHING_SLOTS = max(1, (os.cpu_count() or 2) - 1)
_hashing_slots = threading.BoundedSemaphore(HASHING_SLOTS)


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
    _clear_name_counters(session, user.username)
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
    _clear_name_counters(session, user.username)
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


# --- throttling failed logins ----------------------------------------------------------------
# Failed logins are counted per client address and per (username, client address), in rows of
# the meta table (key ``login:…``, value "<expiry ms> <failures> <locked until ms>"; the
# fixed-width expiry first lets one DELETE drop the stale rows). Unknown usernames are counted
# exactly like accounts, so that "locked" says nothing about whether an account exists, and a
# lock only holds for the address that failed: an anonymous visitor elsewhere cannot keep an
# admin out. The client address is Streamlit's (None on localhost: one "local" bucket).
MAX_FAILED_LOGINS_PER_ADDRESS = 20  # failures from one address, any usernames, in LOCKOUT
_THROTTLE_PREFIX = "login:"
_NAME_KIND, _ADDRESS_KIND = "u", "a"
# PostgreSQL advisory-lock key serialising the brief failure-count writes (SQLite's
# BEGIN IMMEDIATE does it there).
_THROTTLE_LOCK_KEY = 0x55504C47  # "UPLG"


def _digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def _name_key(name: str, address: str) -> str:
    # The username's digest first, so that unlocking one account clears it at every address.
    return f"{_THROTTLE_PREFIX}{_NAME_KIND}:{_digest(name, 20)}{_digest(address, 20)}"


def _name_prefix(name: str) -> str:
    return f"{_THROTTLE_PREFIX}{_NAME_KIND}:{_digest(name, 20)}"


def _address_key(address: str) -> str:
    return f"{_THROTTLE_PREFIX}{_ADDRESS_KIND}:{_digest(address, 40)}"


def _ms(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp() * 1000)


def _from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class _Counter:
    failures: int = 0
    last_ms: int = 0
    locked_until_ms: int = 0

    @classmethod
    def parse(cls, value: str | None) -> _Counter:
        try:
            _expiry, failures, locked, last = (value or "").split()
            return cls(int(failures), int(last), int(locked))
        except ValueError:
            return cls()

    def locked(self, now_ms: int) -> bool:
        return self.locked_until_ms > now_ms

    def fail(self, now_ms: int, limit: int) -> _Counter:
        """The counter after one more failure at ``now_ms`` (failures older than LOCKOUT
        are forgotten); at ``limit`` it locks for LOCKOUT and starts again from zero."""
        window = int(LOCKOUT.total_seconds() * 1000)
        failures = (self.failures if now_ms - self.last_ms <= window else 0) + 1
        if failures >= limit:
            return _Counter(0, now_ms, now_ms + window)
        return _Counter(failures, now_ms, self.locked_until_ms)

    def value(self) -> str:
        window = int(LOCKOUT.total_seconds() * 1000)
        expiry = max(self.last_ms + window, self.locked_until_ms)
        return f"{expiry:015d} {self.failures} {self.locked_until_ms} {self.last_ms}"


def _counters(session: Session, keys: list[str]) -> dict[str, _Counter]:
    rows = session.execute(select(Meta.key, Meta.value).where(Meta.key.in_(keys))).all()
    found = {k: _Counter.parse(v) for k, v in rows}
    return {k: found.get(k, _Counter()) for k in keys}


def _store(session: Session, key: str, counter: _Counter) -> None:
    row = session.get(Meta, key, with_for_update=True)
    if row is None:
        session.add(Meta(key=key, value=counter.value()))
    else:
        row.value = counter.value()


def _forget_stale_counters(session: Session, now_ms: int) -> None:
    session.execute(
        delete(Meta).where(Meta.key.like(_THROTTLE_PREFIX + "%"), Meta.value < f"{now_ms:015d}")
    )


def _clear_name_counters(session: Session, name: str) -> None:
    """Forget the failed logins of username ``name`` from every address (unlock)."""
    session.execute(delete(Meta).where(Meta.key.like(_name_prefix(name) + "%")))


def _address_locked_message(until: dt.datetime) -> str:
    return _(
        "Too many failed logins from your network address: try again after {time} UTC."
    ).format(time=until.strftime("%Y-%m-%d %H:%M"))


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
    now_ms = _ms(now)
    name = normalise_username(username)
    # Anything but an address string (None on localhost; a test harness's stand-in) is local.
    address = client.strip() if isinstance(client, str) and client.strip() else "local"
    name_key, address_key = _name_key(name, address), _address_key(address)
    # Reading does not take SQLite's write lock (WAL readers never block writers).
    counters = _counters(session, [name_key, address_key])
    user = _find(session, name) if name else None
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
            return LoginResult(None, _address_locked_message(_from_ms(by_address.locked_until_ms)))
        return LoginResult(None, _locked_message(_from_ms(by_name.locked_until_ms)))
    if _verify(password_hash or _dummy(), password or "") and user is not None:
        db.begin_write(session)
        fresh = _find(session, name, for_update=True)
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
    message = _record_failure(session, name, name_key, address_key, now)
    _fail_delay()  # outside the transaction: slows guessing without holding anyone up
    return LoginResult(None, message or wrong)


def _record_failure(
    session: Session, name: str, name_key: str, address_key: str, now: dt.datetime
) -> str | None:
    """Count one failed login in a brief write transaction of its own (committed); returns
    the lockout message when this failure locked the username or the address."""
    now_ms = _ms(now)
    try:
        db.begin_write(session)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _THROTTLE_LOCK_KEY})
        current = _counters(session, [name_key, address_key])
        by_name = current[name_key].fail(now_ms, MAX_FAILED_LOGINS)
        by_address = current[address_key].fail(now_ms, MAX_FAILED_LOGINS_PER_ADDRESS)
        _forget_stale_counters(session, now_ms)
        _store(session, name_key, by_name)
        _store(session, address_key, by_address)
        user = _find(session, name, for_update=True) if name else None
        if user is not None:
            # Shown on the Users page and by `users list`: when this account was last locked
            # out somewhere (the lock itself holds only for the address that failed).
            user.failed_logins = 0 if by_name.locked(now_ms) else by_name.failures
            if by_name.locked(now_ms):
                user.locked_until = _from_ms(by_name.locked_until_ms)
                audit.record(
                    session,
                    actor=user.username,
                    action="user.lockout",
                    entity="user",
                    entity_id=user.id,
                    summary=f"{MAX_FAILED_LOGINS} failed logins in a row from one address; "
                    f"locked there until {user.locked_until:%Y-%m-%d %H:%M} UTC",
                    after={"locked_until": _iso(user.locked_until)},
                )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if by_address.locked(now_ms):
        return _address_locked_message(_from_ms(by_address.locked_until_ms))
    if by_name.locked(now_ms):
        return _locked_message(_from_ms(by_name.locked_until_ms))
    return None


# --- remembered logins (a signed token in a browser cookie) ----------------------------------
# A browser keeps a login across page reloads and new tabs with a token signed by a server
# secret: UPR_TRACKER_SECRET_KEY, else one generated once into a key file (mode 0600) beside
# a SQLite database or at UPR_TRACKER_SECRET_KEY_FILE (see settings.secret_key_file). The
# secret is never in the database, so a backup cannot be used to forge a login. The token
# names the account, the time it was issued, a fingerprint of the password hash and the
# database's login epoch, so that a new password, removing the account, logging out (which
# records the time in the meta table) or restoring a backup (which moves the epoch on) ends
# every remembered login of that account.
SECRET_ENV = settings.SECRET_KEY_ENV
LOGIN_EPOCH_KEY = "login_epoch"
_LOGOUT_PREFIX = "logout:"
_secrets: dict[str, bytes] = {}  # per key file (or in-memory database): read once
_secrets_lock = threading.Lock()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _secret(session: Session) -> bytes:
    """The signing secret: UPR_TRACKER_SECRET_KEY, else the key file's (created on first
    use), else (an in-memory database) one kept for the life of the process."""
    configured = settings.secret_key()
    if configured:
        return configured.encode("utf-8")
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    path = settings.secret_key_file(engine.url.render_as_string(hide_password=False))
    cache_key = str(path) if path is not None else "memory"
    with _secrets_lock:
        found = _secrets.get(cache_key)
        if found is None:
            found = (
                read_or_create_key_file(path)
                if path is not None
                else secrets.token_hex(32).encode("ascii")
            )
            _secrets[cache_key] = found
        return found


def read_or_create_key_file(path: Path) -> bytes:
    """The secret in the key file ``path``, created (mode 0600, 64 hex digits) if missing.
    Two processes creating it at once agree: the file appears whole (hard link) or not."""
    for _attempt in range(50):
        try:
            value = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            value = ""
        if value:
            return value.encode("ascii")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = private_files.create_private(tmp, exclusive=True)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            os.link(tmp, path)  # fails if another process made it first: read theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        time.sleep(0.01)
    raise RuntimeError(f"{path}: the signing key file is empty")


def forget_secrets() -> None:
    """Read the secret again on next use (tests switch key files)."""
    with _secrets_lock:
        _secrets.clear()


def login_epoch(session: Session) -> int:
    """The database's login epoch: a restore moves it on, ending every remembered login."""
    value = session.scalar(select(Meta.value).where(Meta.key == LOGIN_EPOCH_KEY))
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _logout_key(username: str) -> str:
    return _LOGOUT_PREFIX + hashlib.sha256(username.encode("utf-8")).hexdigest()[:40]


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue_token(session: Session, username: str, *, now: float | None = None) -> str:
    """A token that logs the browser holding it in as ``username`` for
    :func:`session_hours`."""
    user = _find(session, username)
    if user is None:
        raise AccountError(
            "username", _("username: there is no account {value!r}").format(value=username)
        )
    secret = _secret(session)
    issued = int((now if now is not None else time.time()) * 1000)
    payload = _b64(
        json.dumps(
            {
                "u": user.username,
                "i": issued,
                "f": _fingerprint(user.password_hash),
                "e": login_epoch(session),
            },
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
        epoch = int(data.get("e", 0))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not hmac.compare_digest(signature, _sign(_secret(session), payload)):
        return None
    if epoch != login_epoch(session):
        return None  # issued before the last restore
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
    # Said the same way for unknown usernames: it must not tell that an account exists.
    return _(
        "Too many failed logins with this username: it is locked until {time} UTC for your "
        "network address. An admin can unlock it earlier."
    ).format(time=until.strftime("%Y-%m-%d %H:%M"))


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
    "MAX_FAILED_LOGINS",
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
    "issue_token",
    "list_users",
    "local_actor",
    "os_user",
    "public_readonly",
    "public_viewer",
    "remove_user",
    "require",
    "reset_actor",
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
