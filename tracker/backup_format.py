"""The backup format (see :mod:`tracker.backup`): its name and limits, what a backup holds, and
how a column's value is written as JSON and read back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, String, Table

from tracker import auth
from tracker.i18n import _
from tracker.models import KEPT_LINK_TABLES, Base

FORMAT = "upr-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AUTO_PREFIX = "auto-"  # only these are pruned; backups people make by hand are never deleted
BATCH_ROWS = 10_000  # rows per batch read (backup) and written (restore)
USER_TABLE = "app_user"
META_TABLE = "meta"
# Meta rows that belong to this installation, never to a backup: the signing secret that older
# versions kept there (a backup must not log anyone in) and the failed-login counters.
_LOCAL_META_KEY = "session_secret"
_LOCAL_META_PREFIX = "login:"


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (from its manifest)."""

    path: Path
    created_at: str
    schema_revision: str | None
    source_dialect: str
    rows: dict[str, int]
    stats: dict[str, Any] | None

    @property
    def recommendations(self) -> int:
        return self.rows.get("recommendation", 0)

    @property
    def assessments(self) -> int:
        return self.rows.get("assessment", 0)


# Tables derived by the database itself and left out of backups: the counts kept by triggers
# (by recommending state, theme and group: tracker.kept_links, migration 0011; per review:
# tracker.kept_reviews, 0012; the assessments and the partially implemented by theme:
# tracker.kept_assessments and tracker.kept_partial, 0013). Restoring their rows would count
# every row twice: a restore counts them again instead.
DERIVED_TABLES = frozenset(
    {"review_count", "assessment_count", "kept_partial_theme", *KEPT_LINK_TABLES}
)


def tables() -> list[Table]:
    """Every table of the data model that a backup holds, in foreign-key order (referenced
    tables first): not the tables the database derives (:data:`DERIVED_TABLES`)."""
    return [t for t in Base.metadata.sorted_tables if t.name not in DERIVED_TABLES]


# --- values ----------------------------------------------------------------------------------
def encoder(column: Column[Any]) -> Callable[[Any], Any] | None:
    """How ``column``'s values are written as JSON (dates and times as ISO text); None when
    they are written as they are (a backup calls no function for most of its values)."""
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, Boolean):
        return lambda v: None if v is None else bool(v)
    return None


def decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """The value of ``column`` from its JSON form; TypeError or ValueError (with a message a
    person can act on) when it has the wrong type or form."""
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(_typed(v, str))
    if isinstance(column.type, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(_typed(v, str))
    if isinstance(column.type, Boolean):
        return lambda v: None if v is None else _typed(v, bool)
    if isinstance(column.type, Integer):
        return lambda v: None if v is None else _id_sized(_typed(v, int))
    if isinstance(column.type, Float):
        return lambda v: None if v is None else float(_typed(v, (int, float)))
    if isinstance(column.type, String):
        return lambda v: None if v is None else _typed(v, str)
    return lambda v: v  # JSON columns as they are


def _typed(value: Any, kind: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) and kind is not bool:
        raise TypeError(_("expected {kind}, got {value!r}").format(kind=_kind(kind), value=value))
    if not isinstance(value, kind):
        raise TypeError(
            _("expected {kind}, got {value!r}").format(kind=_kind(kind), value=str(value)[:60])
        )
    return value


def _kind(kind: type | tuple[type, ...]) -> str:
    first = kind[0] if isinstance(kind, tuple) else kind
    return {str: "text", int: "a whole number", bool: "true or false"}.get(first, "a number")


def _id_sized(value: int) -> int:
    # Integer columns are PostgreSQL's int4: a larger number would fail in the database.
    if not -(2**31) <= value < 2**31:
        raise ValueError(_("{value} is out of range").format(value=value))
    return value


def is_local_meta(key: Any) -> bool:
    """True for the meta rows that belong to the installation, not to its data."""
    return isinstance(key, str) and (
        key == _LOCAL_META_KEY or key.startswith(_LOCAL_META_PREFIX) or key == auth.LOGIN_EPOCH_KEY
    )


__all__ = [
    "AUTO_PREFIX",
    "BATCH_ROWS",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "META_TABLE",
    "USER_TABLE",
    "BackupError",
    "BackupInfo",
    "decoder",
    "encoder",
    "is_local_meta",
    "tables",
]
