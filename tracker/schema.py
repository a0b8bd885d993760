"""Create and upgrade the schema with the alembic migrations."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

# alembic is imported by the functions that use it: every command checks the schema first
# (is_up_to_date), and importing alembic for that took 0.2 s of a `stats --json` run.

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Search index objects of migration 0002 that the models do not describe (the FTS5 table and
# its shadow tables on SQLite, the GIN expression index on PostgreSQL).
SEARCH_INDEX_PREFIXES = ("recommendation_fts", "ix_recommendation_text_fts")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: leave the search index out of model/schema comparisons
    (autogenerate would otherwise propose dropping it). Pass it as
    ``MigrationContext.configure(conn, opts={"include_name": include_name})``."""
    return not (type_ in ("table", "index") and (name or "").startswith(SEARCH_INDEX_PREFIXES))


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database at ``engine`` to the newest schema (creating it when empty)."""
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


_REVISION_RE = re.compile(r"^revision = \"([^\"]+)\"$", re.M)
_DOWN_REVISION_RE = re.compile(r"^down_revision = (?:\"([^\"]+)\"|None)$", re.M)


@cache
def _head_from_files() -> str | None:
    """The newest revision, read from the migration files: the one no other revises. None
    when the files do not say it plainly (then alembic reads them)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION_RE.search(source), _DOWN_REVISION_RE.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(1):
            revised.add(down.group(1))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def is_up_to_date(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    head = _head_from_files()
    if head is None:
        return current_revision(engine) == head_revision()
    with engine.connect() as conn:
        try:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no alembic_version table: a database never migrated
            return False
    return list(found) == [head]
