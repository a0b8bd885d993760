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
