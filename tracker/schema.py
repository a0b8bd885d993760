"""Create and upgrade the schema with the alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database at ``engine`` to the newest schema (creating it when empty)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
