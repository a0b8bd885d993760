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


# Limits on what an import reads (a file is refused with a message beyond them): an upload
# is parsed in the server's memory, so these bound what one visitor can make it hold.
MAX_UPLOAD_MB_ENV = "UPR_TRACKER_MAX_UPLOAD_MB"
MAX_ROWS_ENV = "UPR_TRACKER_MAX_ROWS"
MAX_CELL_CHARS_ENV = "UPR_TRACKER_MAX_CELL_CHARS"
DEFAULT_MAX_UPLOAD_MB = 50.0
DEFAULT_MAX_ROWS = 500_000
DEFAULT_MAX_CELL_CHARS = 20_000


def _positive(name: str, default: float, kind: type[int] | type[float]) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name}={raw!r}: expected a positive number")
    return value


def max_upload_bytes() -> int:
    """The largest file an import reads, in bytes (``UPR_TRACKER_MAX_UPLOAD_MB``, default 50)."""
    return int(_positive(MAX_UPLOAD_MB_ENV, DEFAULT_MAX_UPLOAD_MB, float) * 1024 * 1024)


def max_rows() -> int:
    """The most rows a file may hold (``UPR_TRACKER_MAX_ROWS``, default 500,000)."""
    return int(_positive(MAX_ROWS_ENV, DEFAULT_MAX_ROWS, int))


def max_cell_chars() -> int:
    """The most characters one cell may hold (``UPR_TRACKER_MAX_CELL_CHARS``, default 20,000;
    the longest real UPR recommendation has about 3,000)."""
    return int(_positive(MAX_CELL_CHARS_ENV, DEFAULT_MAX_CELL_CHARS, int))
