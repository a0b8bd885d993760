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
DEFAULT_MIN_TRANSLATED = 95.0  # percent of the catalogue (tracker.languages)


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


def _min_translated(raw: str | None) -> float:
    """A percentage from 0 to 100; anything else is the default: a typo must neither hide
    every language nor offer a mostly English one."""
    try:
        percent = float((raw or "").strip() or DEFAULT_MIN_TRANSLATED)
    except ValueError:
        return DEFAULT_MIN_TRANSLATED
    return percent if 0 <= percent <= 100 else DEFAULT_MIN_TRANSLATED


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


def _path(raw: str | None) -> Path | None:
    text = (raw or "").strip()
    return Path(text).expanduser() if text else None


DEFAULT_RESTORE_MAX_BYTES = 4 * 1024**3  # the whole UN corpus with its history is ~0.5 GB


def _restore_max_bytes(raw: str | None) -> int:
    """A positive whole number of bytes; anything else is the default."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return DEFAULT_RESTORE_MAX_BYTES


DEFAULT_MAX_UPLOAD_MB = 50.0
DEFAULT_MAX_ROWS = 500_000
DEFAULT_MAX_CELL_CHARS = 20_000  # the longest real UPR recommendation has about 3,000


def _positive(kind: type[int] | type[float], default: float) -> Callable[[str | None], float]:
    """A parser of a positive number; empty is the default, anything else an error (a limit
    mistyped must not silently become none)."""

    def parse(raw: str | None) -> float:
        text = (raw or "").strip()
        if not text:
            return default
        try:
            n = kind(text)
        except ValueError:
            n = 0
        if n <= 0:
            raise SettingError(_("{value!r} is not a positive number").format(value=text))
        return n

    return parse


DATABASE_URL = Setting(
    "UPR_TRACKER_DATABASE_URL",
    "any SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/upr`",
    "`sqlite:///data/tracker.db` under the project folder",
    _database_url,
)
LANG = Setting(
    "UPR_TRACKER_LANG",
    "language of CLI messages and documents (`en`, `ru`: a language offered, see below)",
    "`en`",
    _text,
)
MIN_TRANSLATED = Setting(
    "UPR_TRACKER_MIN_TRANSLATED",
    "percent of the messages a language's catalogue must translate to be offered (the "
    "switch, `?lang=`, accounts, `--lang`); `0` offers every compiled catalogue",
    f"`{DEFAULT_MIN_TRANSLATED:g}`",
    _min_translated,
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
    "signs the login cookie; never kept in the database or a backup",
    "generated once into the key file (below)",
    _stripped,
)
SECRET_KEY_FILE = Setting(
    "UPR_TRACKER_SECRET_KEY_FILE",
    "where the generated signing key is kept (created once, mode 0600)",
    "beside a SQLite database (`tracker.db.key`); `data/secret.key` for PostgreSQL",
    _path,
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
RESTORE_MAX_BYTES = Setting(
    "UPR_TRACKER_RESTORE_MAX_BYTES",
    "at most how many bytes a backup may expand to when restored (a small zip can claim terabytes)",
    "`4294967296` (4 GiB)",
    _restore_max_bytes,
)
# Limits on what an import reads (a file is refused with a message beyond them): an upload
# is parsed in the server's memory, so these bound what one visitor can make it hold.
MAX_UPLOAD_MB = Setting(
    "UPR_TRACKER_MAX_UPLOAD_MB",
    "largest file an import reads (CLI and Import page), in MB",
    "`50`",
    _positive(float, DEFAULT_MAX_UPLOAD_MB),
)
MAX_ROWS = Setting(
    "UPR_TRACKER_MAX_ROWS",
    "most rows an imported file may hold",
    "`500000`",
    _positive(int, DEFAULT_MAX_ROWS),
)
MAX_CELL_CHARS = Setting(
    "UPR_TRACKER_MAX_CELL_CHARS",
    "most characters in one cell of an imported file",
    "`20000`",
    _positive(int, DEFAULT_MAX_CELL_CHARS),
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
    MIN_TRANSLATED,
    ACTOR,
    ORGANISATION,
    PASSWORD,
    SESSION_HOURS,
    PUBLIC_READONLY,
    SECRET_KEY,
    SECRET_KEY_FILE,
    BACKUP_DIR,
    BACKUP_KEEP,
    RESTORE_MAX_BYTES,
    MAX_UPLOAD_MB,
    MAX_ROWS,
    MAX_CELL_CHARS,
    CHROMIUM,
    FOOTNOTES_COUNTED,
)
DATABASE_URL_ENV = DATABASE_URL.name  # the name tests and benchmarks set


def value(setting: Setting) -> Any:
    """The setting's value now (read on every call: tests and servers change the
    environment after import). Raises :class:`SettingError` for an unusable value."""
    try:
        return setting.parse(os.environ.get(setting.name))
    except SettingError as exc:
        if str(exc).startswith(setting.name):
            raise
        raise SettingError(f"{setting.name}: {exc}") from None


def database_url() -> str:
    """The database URL in force: the environment variable, else the default SQLite file."""
    return str(value(DATABASE_URL))


def markdown_table() -> str:
    """The README's configuration table (variable, meaning, default), one row per setting."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    lines += [f"| `{s.name}` | {s.meaning} | {s.default} |" for s in SETTINGS]
    return "\n".join(lines)


# --- the login-cookie signing secret (kept out of the database and its backups) ---------------
DEFAULT_SECRET_KEY_FILE = DATA_DIR / "secret.key"
SECRET_KEY_SUFFIX = ".key"
SECRET_KEY_ENV = SECRET_KEY.name


def secret_key() -> str | None:
    """The signing secret set in the environment (UPR_TRACKER_SECRET_KEY), else None."""
    found: str | None = value(SECRET_KEY)
    return found


def secret_key_file(url: str | None = None) -> Path | None:
    """Where the generated signing secret is kept when UPR_TRACKER_SECRET_KEY is not set:
    UPR_TRACKER_SECRET_KEY_FILE, else beside a SQLite database file (``tracker.db.key``),
    else ``data/secret.key`` in the project (PostgreSQL). None for an in-memory SQLite
    database (its secret lives as long as the process)."""
    configured: Path | None = value(SECRET_KEY_FILE)
    if configured is not None:
        return configured
    from sqlalchemy.engine import make_url  # only when a key file is needed

    u = make_url(url or database_url())
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return None
        return Path(u.database + SECRET_KEY_SUFFIX)
    return DEFAULT_SECRET_KEY_FILE


def restore_max_bytes() -> int:
    """At most how many bytes a backup may expand to (UPR_TRACKER_RESTORE_MAX_BYTES)."""
    return int(value(RESTORE_MAX_BYTES))


def max_upload_bytes() -> int:
    """The largest file an import reads, in bytes (``UPR_TRACKER_MAX_UPLOAD_MB``, default 50)."""
    return int(float(value(MAX_UPLOAD_MB)) * 1024 * 1024)


def max_rows() -> int:
    """The most rows a file may hold (``UPR_TRACKER_MAX_ROWS``, default 500,000)."""
    return int(value(MAX_ROWS))


def max_cell_chars() -> int:
    """The most characters one cell may hold (``UPR_TRACKER_MAX_CELL_CHARS``, default 20,000)."""
    return int(value(MAX_CELL_CHARS))
