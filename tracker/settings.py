"""Settings read from the environment.

``UPR_TRACKER_DATABASE_URL`` is any SQLAlchemy URL. The default is a SQLite file,
``data/tracker.db`` under the project root, so that ``make run`` works with no set-up.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DATABASE_URL_ENV = "UPR_TRACKER_DATABASE_URL"
DEFAULT_SQLITE_PATH = DATA_DIR / "tracker.db"


def database_url() -> str:
    """The database URL in force: the environment variable, else the default SQLite file."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


# --- the login-cookie signing secret (kept out of the database and its backups) ---------------
SECRET_KEY_ENV = "UPR_TRACKER_SECRET_KEY"
SECRET_KEY_FILE_ENV = "UPR_TRACKER_SECRET_KEY_FILE"
DEFAULT_SECRET_KEY_FILE = DATA_DIR / "secret.key"
SECRET_KEY_SUFFIX = ".key"


def secret_key() -> str | None:
    """The signing secret set in the environment (UPR_TRACKER_SECRET_KEY), else None."""
    return os.environ.get(SECRET_KEY_ENV, "").strip() or None


def secret_key_file(url: str | None = None) -> Path | None:
    """Where the generated signing secret is kept when UPR_TRACKER_SECRET_KEY is not set:
    UPR_TRACKER_SECRET_KEY_FILE, else beside a SQLite database file (``tracker.db.key``),
    else ``data/secret.key`` in the project (PostgreSQL). None for an in-memory SQLite
    database (its secret lives as long as the process)."""
    raw = os.environ.get(SECRET_KEY_FILE_ENV, "").strip()
    if raw:
        return Path(raw).expanduser()
    from sqlalchemy.engine import make_url  # only when a key file is needed

    u = make_url(url or database_url())
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return None
        return Path(u.database + SECRET_KEY_SUFFIX)
    return DEFAULT_SECRET_KEY_FILE


# --- restoring backups --------------------------------------------------------------------------
RESTORE_MAX_BYTES_ENV = "UPR_TRACKER_RESTORE_MAX_BYTES"
DEFAULT_RESTORE_MAX_BYTES = 4 * 1024**3  # the whole UN corpus with its history is ~0.5 GB


def restore_max_bytes() -> int:
    """At most how many bytes a backup may expand to (UPR_TRACKER_RESTORE_MAX_BYTES, a whole
    number of bytes; default 4 GiB): a small zip can claim to hold terabytes."""
    raw = os.environ.get(RESTORE_MAX_BYTES_ENV, "").strip()
    if raw.isascii() and raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_RESTORE_MAX_BYTES
