"""Remembered logins: a signed token in a browser cookie keeps a login across page reloads
and new tabs (see :mod:`tracker.auth`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tracker import audit, db, private_files, settings
from tracker.actor import Actor
from tracker.auth_roles import AccountError, actor_for, find_user, normalise_username, session_hours
from tracker.i18n import _
from tracker.models import Meta

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
    user = find_user(session, username)
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
    user = find_user(session, username)
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


__all__ = [
    "LOGIN_EPOCH_KEY",
    "SECRET_ENV",
    "end_remembered_logins",
    "forget_secrets",
    "issue_token",
    "login_epoch",
    "read_or_create_key_file",
    "token_issued_at",
    "verify_token",
]
