"""Settings read from the environment: every ``UPR_TRACKER_*`` variable, in one table.

:data:`SETTINGS` names each variable with its default and meaning (the README's configuration
table is :func:`markdown_table`, checked by a test) and the parser that turns the raw value
into what the code uses. Modules ask :func:`value` (or the typed helpers below) instead of
reading ``os.environ`` themselves, so that a name, a default or a parsing rule is spelled once.
The names and defaults are a contract with the people who deploy the tracker: keep them.

``UPR_TRACKER_DATABASE_URL`` is any SQLAlchemy URL. The default is a SQLite file,
``data/tracker.db`` under the project root, so that ``make run`` works with no set-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.i18n import _

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "tracker.db"
DEFAULT_BACKUP_DIR = PROJECT_ROOT / "backups"
DEFAULT_SESSION_HOURS = 8.0  # a working day without activity, then log in again
DEFAULT_BACKUP_KEEP = 10


class SettingError(ValueError):
    """A variable whose value cannot be used; the message names it and quotes the value."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, the default and meaning shown in the README, and
    the parser from the raw value (``None`` when unset) to the value the code uses."""

    name: str
    meaning: str
    default: str
    parse: Callable[[str | None], Any]

    def __str__(self) -> str:
        return self.name


def _text(raw: str | None) -> str | None:
    """The value as given, None when unset or empty."""
    return raw or None


def _stripped(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def _one_line(raw: str | None) -> str | None:
    """Runs of white space (new lines too) made one space: a name printed in a title."""
    return " ".join((raw or "").split()) or None


def _database_url(raw: str | None) -> str:
    return (raw or "").strip() or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def _session_hours(raw: str | None) -> float:
    """Positive hours; anything else (empty, not a number, <= 0) is the default: a typo must
    not lock everyone out or keep logins forever."""
    text = (raw or "").strip()
    try:
        hours = float(text) if text else DEFAULT_SESSION_HOURS
    except ValueError:
        return DEFAULT_SESSION_HOURS
    return hours if hours > 0 else DEFAULT_SESSION_HOURS


def _backup_dir(raw: str | None) -> Path:
    text = (raw or "").strip()
    return Path(text).expanduser() if text else DEFAULT_BACKUP_DIR


def _backup_keep(raw: str | None) -> int:
    """A whole number of at least 1; anything else is an error (rather than deleting every
    automatic backup, or none, by mistake)."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_BACKUP_KEEP
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise SettingError(
            _("{name}: {value!r} is not a positive whole number").format(
                name=BACKUP_KEEP.name, value=text
            )
        )
    return n


DATABASE_URL = Setting(
    "UPR_TRACKER_DATABASE_URL",
    "any SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/upr`",
    "`sqlite:///data/tracker.db` under the project folder",
    _database_url,
)
LANG = Setting(
    "UPR_TRACKER_LANG",
    "language of CLI messages and documents (`en`, `ru`, `fr` partial)",
    "`en`",
    _text,
)
ACTOR = Setting(
    "UPR_TRACKER_ACTOR",
    "name recorded in the audit trail for CLI writes",
    "the OS user",
    _text,
)
ORGANISATION = Setting(
    "UPR_TRACKER_ORG",
    "organisation named on exported images and reports (also settable on the Report page)",
    "—",
    _one_line,
)
PASSWORD = Setting(
    "UPR_TRACKER_PASSWORD",
    "password for `users add` / `users set-password` in scripts (otherwise asked without echo)",
    "—",
    _text,
)
SESSION_HOURS = Setting(
    "UPR_TRACKER_SESSION_HOURS",
    "idle hours before the app asks to log in again",
    "`8`",
    _session_hours,
)
PUBLIC_READONLY = Setting(
    "UPR_TRACKER_PUBLIC_READONLY",
    "`1`: anyone may read without logging in (as a viewer), e.g. for donors",
    "off",
    _flag,
)
SECRET_KEY = Setting(
    "UPR_TRACKER_SECRET_KEY",
    "signs the login cookie",
    "generated once, kept in the database",
    _stripped,
)
BACKUP_DIR = Setting(
    "UPR_TRACKER_BACKUP_DIR",
    "where the automatic backups before imports go",
    "`backups/` under the project folder",
    _backup_dir,
)
BACKUP_KEEP = Setting(
    "UPR_TRACKER_BACKUP_KEEP",
    "how many automatic backups to keep",
    "`10`",
    _backup_keep,
)
CHROMIUM = Setting(
    "UPR_TRACKER_CHROMIUM",
    "Chromium that draws exported images (`BROWSER_PATH` wins when set)",
    "the one kaleido finds, e.g. `/usr/bin/chromium`",
    _text,
)
FOOTNOTES_COUNTED = Setting(
    "UPR_TRACKER_FOOTNOTES_COUNTED",
    "`1`: a report's footnotes count toward its word limit (say so beside the count)",
    "off (footnotes are not counted)",
    _flag,
)

# The table of the README, in its order.
SETTINGS: tuple[Setting, ...] = (
    DATABASE_URL,
    LANG,
    ACTOR,
    ORGANISATION,
    PASSWORD,
    SESSION_HOURS,
    PUBLIC_READONLY,
    SECRET_KEY,
    BACKUP_DIR,
    BACKUP_KEEP,
    CHROMIUM,
    FOOTNOTES_COUNTED,
)
DATABASE_URL_ENV = DATABASE_URL.name  # the name tests and benchmarks set


def value(setting: Setting) -> Any:
    """The setting's value now (read on every call: tests and servers change the
    environment after import). Raises :class:`SettingError` for an unusable value."""
    return setting.parse(os.environ.get(setting.name))


def database_url() -> str:
    """The database URL in force: the environment variable, else the default SQLite file."""
    return str(value(DATABASE_URL))


def markdown_table() -> str:
    """The README's configuration table (variable, meaning, default), one row per setting."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    lines += [f"| `{s.name}` | {s.meaning} | {s.default} |" for s in SETTINGS]
    return "\n".join(lines)
