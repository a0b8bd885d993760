"""Failed logins: counted per client address and per (username, address), locking one or
the other for a while (see :func:`tracker.auth.authenticate`, which checks the password)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tracker import audit, db
from tracker.auth_roles import find_user
from tracker.i18n import _
from tracker.models import Meta

MAX_FAILED_LOGINS = 5  # failures in a row before the account is locked
LOCKOUT = dt.timedelta(minutes=15)

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


def name_counter_key(name: str, address: str) -> str:
    # The username's digest first, so that unlocking one account clears it at every address.
    """The meta key counting failures of username ``name`` from ``address``."""
    return f"{_THROTTLE_PREFIX}{_NAME_KIND}:{_digest(name, 20)}{_digest(address, 20)}"


def _name_prefix(name: str) -> str:
    return f"{_THROTTLE_PREFIX}{_NAME_KIND}:{_digest(name, 20)}"


def address_counter_key(address: str) -> str:
    """The meta key counting failures from ``address``, whatever the usernames."""
    return f"{_THROTTLE_PREFIX}{_ADDRESS_KIND}:{_digest(address, 40)}"


def ms(moment: dt.datetime) -> int:
    """A naive UTC time as epoch milliseconds (how counters store times)."""
    return int(moment.replace(tzinfo=dt.UTC).timestamp() * 1000)


def from_ms(ms: int) -> dt.datetime:
    """Epoch milliseconds as a naive UTC time."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Counter:
    """Failed logins under one key: how many in a row, the last one, and any lock."""

    failures: int = 0
    last_ms: int = 0
    locked_until_ms: int = 0

    @classmethod
    def parse(cls, value: str | None) -> Counter:
        try:
            _expiry, failures, locked, last = (value or "").split()
            return cls(int(failures), int(last), int(locked))
        except ValueError:
            return cls()

    def locked(self, now_ms: int) -> bool:
        return self.locked_until_ms > now_ms

    def fail(self, now_ms: int, limit: int) -> Counter:
        """The counter after one more failure at ``now_ms`` (failures older than LOCKOUT
        are forgotten); at ``limit`` it locks for LOCKOUT and starts again from zero."""
        window = int(LOCKOUT.total_seconds() * 1000)
        failures = (self.failures if now_ms - self.last_ms <= window else 0) + 1
        if failures >= limit:
            return Counter(0, now_ms, now_ms + window)
        return Counter(failures, now_ms, self.locked_until_ms)

    def value(self) -> str:
        window = int(LOCKOUT.total_seconds() * 1000)
        expiry = max(self.last_ms + window, self.locked_until_ms)
        return f"{expiry:015d} {self.failures} {self.locked_until_ms} {self.last_ms}"


def read_counters(session: Session, keys: list[str]) -> dict[str, Counter]:
    """The counters under ``keys`` (a fresh one for a key never stored)."""
    rows = session.execute(select(Meta.key, Meta.value).where(Meta.key.in_(keys))).all()
    found = {k: Counter.parse(v) for k, v in rows}
    return {k: found.get(k, Counter()) for k in keys}


def _store(session: Session, key: str, counter: Counter) -> None:
    row = session.get(Meta, key, with_for_update=True)
    if row is None:
        session.add(Meta(key=key, value=counter.value()))
    else:
        row.value = counter.value()


def _forget_stale_counters(session: Session, now_ms: int) -> None:
    session.execute(
        delete(Meta).where(Meta.key.like(_THROTTLE_PREFIX + "%"), Meta.value < f"{now_ms:015d}")
    )


def clear_name_counters(session: Session, name: str) -> None:
    """Forget the failed logins of username ``name`` from every address (unlock)."""
    session.execute(delete(Meta).where(Meta.key.like(_name_prefix(name) + "%")))


def address_locked_message(until: dt.datetime) -> str:
    """What a person is told while their address is locked out."""
    return _(
        "Too many failed logins from your network address: try again after {time} UTC."
    ).format(time=until.strftime("%Y-%m-%d %H:%M"))


def record_failure(
    session: Session, name: str, name_key: str, address_key: str, now: dt.datetime
) -> str | None:
    """Count one failed login in a brief write transaction of its own (committed); returns
    the lockout message when this failure locked the username or the address."""
    now_ms = ms(now)
    try:
        db.begin_write(session)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _THROTTLE_LOCK_KEY})
        current = read_counters(session, [name_key, address_key])
        by_name = current[name_key].fail(now_ms, MAX_FAILED_LOGINS)
        by_address = current[address_key].fail(now_ms, MAX_FAILED_LOGINS_PER_ADDRESS)
        _forget_stale_counters(session, now_ms)
        _store(session, name_key, by_name)
        _store(session, address_key, by_address)
        user = find_user(session, name, for_update=True) if name else None
        if user is not None:
            # Shown on the Users page and by `users list`: when this account was last locked
            # out somewhere (the lock itself holds only for the address that failed).
            user.failed_logins = 0 if by_name.locked(now_ms) else by_name.failures
            if by_name.locked(now_ms):
                user.locked_until = from_ms(by_name.locked_until_ms)
                audit.record(
                    session,
                    actor=user.username,
                    action="user.lockout",
                    entity="user",
                    entity_id=user.id,
                    summary=f"{MAX_FAILED_LOGINS} failed logins in a row from one address; "
                    f"locked there until {user.locked_until:%Y-%m-%d %H:%M} UTC",
                    after={"locked_until": iso_time(user.locked_until)},
                )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if by_address.locked(now_ms):
        return address_locked_message(from_ms(by_address.locked_until_ms))
    if by_name.locked(now_ms):
        return locked_message(from_ms(by_name.locked_until_ms))
    return None


def iso_time(value: dt.datetime | None) -> str | None:
    """A time as ISO text to the second (for the audit trail), or None."""
    return value.isoformat(timespec="seconds") if value else None


def locked_message(until: dt.datetime) -> str:
    # Said the same way for unknown usernames: it must not tell that an account exists.
    """What a person is told while a username is locked out for their address."""
    return _(
        "Too many failed logins with this username: it is locked until {time} UTC for your "
        "network address. An admin can unlock it earlier."
    ).format(time=until.strftime("%Y-%m-%d %H:%M"))


__all__ = [
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "MAX_FAILED_LOGINS_PER_ADDRESS",
    "Counter",
    "address_counter_key",
    "address_locked_message",
    "clear_name_counters",
    "from_ms",
    "iso_time",
    "locked_message",
    "ms",
    "name_counter_key",
    "read_counters",
    "record_failure",
]
