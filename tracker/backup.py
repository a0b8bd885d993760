"""Backups and restores in a portable format (SQLite <-> PostgreSQL).

A backup is a zip file::

    manifest.json          format, format_version, created_at, schema_revision, source
                           dialect, the database's ``stats --json`` figures, and per table:
                           file, rows, sha256, columns
    tables/<table>.jsonl   one JSON object per row, columns by name; dates and times as ISO
                           8601 text (times in UTC), booleans as true/false

It holds every table of the data model, including accounts (password *hashes*) and the audit
trail, so a backup file is as confidential as the database: it is written readable by its
owner only.

:func:`restore` first checks the whole file (manifest, checksums, row counts, known tables and
columns), then replaces the data in ONE transaction: every row is deleted and the backup's rows
are inserted in foreign-key order, keeping their ids; columns that point forward or to their own
table (a retraction's target) are filled in afterwards (a recommendation's current assessment
is recomputed with the other derived columns); on PostgreSQL the rows go in with COPY;
PostgreSQL's id sequences are moved past the restored ids. Finally the ``stats --json`` figures
are compared with the ones stored in the manifest, and any difference undoes the whole restore.
If the backup holds no accounts (a laptop's local single-user database) the accounts of the
target database are kept, so that restoring onto a shared server never opens it to everyone.

:func:`auto_backup` is what the importers call before every import: a backup into
``UPR_TRACKER_BACKUP_DIR`` (default ``backups/`` in the project folder), keeping the newest
``UPR_TRACKER_BACKUP_KEEP`` (default 10) automatic backups.

This module writes and restores; :mod:`tracker.backup_format` holds the format (names, limits,
how a value is written and read back) and :mod:`tracker.backup_read` reads a backup and checks
it completely (both re-exported here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracker import (
    audit,
    auth,
    db,
    kept_counts,
    private_files,
    queries,
    schema,
    settings,
)
from tracker.assessments import refresh_current_status

# The format and the reading live in modules of their own, re-exported here: callers keep
# writing backup.BackupError, backup.read_backup.
from tracker.backup_format import (
    AUTO_PREFIX,
    BATCH_ROWS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    META_TABLE,
    USER_TABLE,
    BackupError,
    BackupInfo,
    decoder,
    encoder,
    is_local_meta,
    tables,
)
from tracker.backup_read import VALUE_CHECKS, backup_rows, open_backup, read_backup, read_manifest
from tracker.i18n import _
from tracker.models import Base, Meta
from tracker.vocab import Role


# --- settings --------------------------------------------------------------------------------
def backup_dir() -> Path:
    """Where automatic backups go: UPR_TRACKER_BACKUP_DIR, else backups/ in the project."""
    return Path(settings.value(settings.BACKUP_DIR))


def backup_keep() -> int:
    """How many automatic backups to keep: UPR_TRACKER_BACKUP_KEEP (at least 1), default 10."""
    try:
        return int(settings.value(settings.BACKUP_KEEP))
    except settings.SettingError as exc:
        raise BackupError(str(exc)) from None


# --- writing ---------------------------------------------------------------------------------
def write_backup(engine: Engine, path: str | Path) -> BackupInfo:
    """Write a backup of the whole database to ``path`` (admins: it holds the accounts).

    ``path`` may be a directory: the file is then named after the time. An existing file is
    never overwritten.
    """
    auth.require(Role.ADMIN, _("making a backup"))
    target = Path(path)
    if target.is_dir():
        target = target / f"upr-tracker-{_stamp()}.zip"
    if target.exists():
        raise BackupError(
            _("{path}: the file already exists; choose another name").format(path=target)
        )
    return _write(engine, target)


def auto_backup(
    engine: Engine, directory: str | Path | None = None, keep: int | None = None
) -> Path | None:
    """Back up before a bulk change (every import), keeping the newest ``keep`` automatic
    backups in ``directory`` (defaults: see :func:`backup_dir`, :func:`backup_keep`).

    Returns the file written, or None when the database holds nothing yet.
    """
    auth.require(Role.EDITOR, _("importing"))
    keep = keep if keep is not None else backup_keep()
    folder = Path(directory) if directory is not None else backup_dir()
    if not schema.is_up_to_date(engine):
        schema.upgrade(engine)
    with db.session_scope(engine) as s:
        # The data version alone (meta) is nothing worth keeping.
        empty = not any(
            s.scalar(select(func.count()).select_from(t))
            for t in tables()
            if t.name != Meta.__tablename__
        )
    if empty:
        return None
    path = folder / f"{AUTO_PREFIX}{_stamp()}.zip"
    _write(engine, path)
    autos = sorted(folder.glob(f"{AUTO_PREFIX}*.zip"))
    for old in autos[: max(0, len(autos) - keep)]:
        old.unlink(missing_ok=True)
    return path


def _write(engine: Engine, path: Path) -> BackupInfo:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a leftover of an interrupted backup
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    entries: list[dict[str, Any]] = []
    rows: dict[str, int] = {}
    conn_opts: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        conn_opts["isolation_level"] = "REPEATABLE READ"  # one snapshot across all tables
    try:
        with (
            engine.connect().execution_options(**conn_opts) as conn,
            conn.begin(),
            # Private from its first byte: it holds the password hashes.
            os.fdopen(private_files.create_private(tmp), "wb") as raw,
            zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        ):
            # SQLite: the first read of this transaction fixes the snapshot for all tables.
            revision = _revision(conn)
            for table in tables():
                name = f"tables/{table.name}.jsonl"
                member = zipfile.ZipInfo(name, date_time=_zip_time(created))
                member.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(member, "w") as fh:
                    n, digest = _write_table(conn, table, fh)
                rows[table.name] = n
                entries.append(
                    {
                        "name": table.name,
                        "file": name,
                        "rows": n,
                        "sha256": digest.hexdigest(),
                        "columns": [c.name for c in table.columns],
                    }
                )
            with Session(bind=conn) as s:
                figures = queries.stats(s)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": created,
                "schema_revision": revision,
                "source_dialect": engine.dialect.name,
                "stats": figures,
                "tables": entries,
            }
            member = zipfile.ZipInfo(MANIFEST, date_time=_zip_time(created))
            member.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(member, json.dumps(manifest, indent=2, ensure_ascii=False))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupInfo(path, created, revision, engine.dialect.name, rows, figures)


def _write_table(conn: Connection, table: Table, fh: IO[bytes]) -> tuple[int, Any]:
    """Write ``table``'s rows as JSON lines into ``fh``; return their number and sha256.

    A million rows per table at full scale: rows are read in batches from a server-side
    cursor, only the dates and booleans go through an encoder, and the lines of a batch are
    written (and hashed) as one block; row by row, the zip and hash calls and the
    per-row JSON encoder cost as much as the encoding itself."""
    digest = hashlib.sha256()
    n = 0
    names = [c.name for c in table.columns]
    encoders = [(i, enc) for i, c in enumerate(table.columns) if (enc := encoder(c)) is not None]
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    local_meta = names.index("key") if table.name == META_TABLE else None
    result = conn.execute(
        select(table)
        .order_by(*table.primary_key.columns)
        .execution_options(yield_per=BATCH_ROWS)  # a server-side cursor on PostgreSQL
    )
    for batch in result.partitions():
        lines = []
        for row in batch:
            if local_meta is not None and is_local_meta(row[local_meta]):
                continue
            values = list(row)
            for i, enc in encoders:
                values[i] = enc(values[i])
            lines.append(dumps(dict(zip(names, values, strict=True))))
        if lines:
            block = ("\n".join(lines) + "\n").encode("utf-8")
            digest.update(block)
            fh.write(block)
            n += len(lines)
    return n, digest


# --- restoring -------------------------------------------------------------------------------
def restore(engine: Engine, path: str | Path) -> BackupInfo:
    """Replace every row of the database with the backup's, in one transaction (admins).

    The backup is checked completely first; on any problem nothing changes. The data it
    replaces is first saved as an automatic backup (see :func:`auto_backup`). Afterwards the
    ``stats --json`` figures equal the ones recorded in the backup (checked), the data version
    moves on (so every open page reloads) and the audit trail records the restore.
    """
    auth.require(Role.ADMIN, _("restoring a backup"))
    source = Path(path)
    info = read_backup(source)
    if not schema.is_up_to_date(engine):
        schema.upgrade(engine)
    # What is replaced is kept too (with its audit trail), so a restore can be undone.
    safety = auto_backup(engine)
    with open_backup(source) as zf, db.session_scope(engine) as s:
        db.begin_write(s, exclusive=True)
        # The counts kept by triggers (tracker.kept_counts): off while every row is replaced,
        # counted once from what was restored at the end (a million row triggers for the
        # deletions otherwise; derived, never in a backup: DERIVED_TABLES).
        resume_kept_counts = kept_counts.suspend_all(s)
        manifest = read_manifest(zf, source)
        entries = {e["name"]: e for e in manifest["tables"]}
        conn = s.connection()
        old_version = audit.data_version(s)
        old_epoch = auth.login_epoch(s)
        restored_epoch: list[Any] = []
        keep_users = not entries.get(USER_TABLE, {}).get("rows") and bool(
            conn.scalar(select(func.count()).select_from(Base.metadata.tables[USER_TABLE]))
        )
        order = [t for t in tables() if not (keep_users and t.name == USER_TABLE)]
        deferred = _deferred_columns(order)
        # Empty the tables: first the columns that point forward, then children before parents.
        for table in order:
            cols = deferred.get(table.name)
            if cols:
                conn.execute(table.update().values(dict.fromkeys(cols)))
        for table in reversed(order):
            conn.execute(table.delete())
        later: list[tuple[Table, list[dict[str, Any]]]] = []
        for table in order:
            entry = entries.get(table.name)
            if entry is None:
                continue
            cols = deferred.get(table.name, [])
            fixups = _insert_rows(conn, zf, table, entry, cols, restored_epoch)
            if fixups:
                later.append((table, fixups))
        for table, fixups in later:
            pk = next(iter(table.primary_key.columns))
            for col in deferred[table.name]:
                values = [
                    {"_pk": f["_pk"], "_value": f[col]} for f in fixups if f.get(col) is not None
                ]
                if values:
                    stmt = (
                        table.update()
                        .where(pk == bindparam("_pk"))
                        .values({col: bindparam("_value")})
                    )
                    conn.execute(stmt, values)
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn, order)
        # What is derived from the assessments is recomputed (a backup made before migration
        # 0004 has none of it; one made after holds the same values).
        refresh_current_status(s)
        resume_kept_counts()
        restored_version = audit.data_version(s)
        s.execute(
            update(Meta)
            .where(Meta.key == audit.DATA_VERSION_KEY)
            .values(value=str(max(old_version, restored_version)))
        )
        # Every login issued before the restore ends, and none the backup knew comes back
        # (tokens carry the epoch; the signing secret is never in a backup).
        epochs = [old_epoch] + [int(v) for v in restored_epoch if str(v).isdigit()]
        s.merge(Meta(key=auth.LOGIN_EPOCH_KEY, value=str(max(epochs) + 1)))
        s.flush()
        expected = manifest.get("stats")
        if expected is not None:
            got = queries.stats(s)
            if got != expected:
                raise BackupError(
                    _(
                        "{path}: after restoring, the figures differ from the backup's "
                        "(expected {expected}, got {got}); nothing was changed"
                    ).format(path=source, expected=expected, got=got)
                )
        audit.record(
            s,
            actor=None,
            action="database.restore",
            entity="database",
            summary=f"restored {source.name} (made {info.created_at} on "
            f"{info.source_dialect}): {info.recommendations} recommendations, "
            f"{info.assessments} assessments"
            + ("; accounts kept" if keep_users else "")
            + (f"; the data replaced is in {safety.name}" if safety else ""),
            after={
                "file": source.name,
                "replaced_data_backup": str(safety) if safety else None,
                "created_at": info.created_at,
                "schema_revision": info.schema_revision,
                "rows": info.rows,
                "accounts_kept": keep_users,
            },
        )
    return info


# Deferred columns that refresh_current_status sets from the restored assessments anyway:
# inserted empty and left to it (a million single-row UPDATEs at full scale before).
RECOMPUTED: dict[str, tuple[str, ...]] = {"recommendation": ("current_assessment_id",)}


def _deferred_columns(order: list[Table]) -> dict[str, list[str]]:
    """Per table, the foreign-key columns pointing to its own table or to a later one: they
    are inserted empty and filled in once every row exists."""
    position = {t.name: i for i, t in enumerate(order)}
    out: dict[str, list[str]] = {}
    for i, table in enumerate(order):
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target in position and position[target] >= i:
                out.setdefault(table.name, []).append(fk.parent.name)
    return out


def _insert_rows(
    conn: Connection,
    zf: zipfile.ZipFile,
    table: Table,
    entry: dict[str, Any],
    deferred: list[str],
    restored_epoch: list[Any],
) -> list[dict[str, Any]]:
    """Insert the rows of one table, checked as an import checks them; returns the values of
    the ``deferred`` columns to fill in afterwards, per row that has any (not the
    :data:`RECOMPUTED` ones). The backup's login epoch, if it
    has one, is appended to ``restored_epoch``."""
    columns = [table.c[name] for name in entry["columns"]]
    decoders = [(c.name, decoder(c)) for c in columns]
    limits = {
        c.name: c.type.length for c in columns if isinstance(c.type, String) and c.type.length
    }
    pk = next(iter(table.primary_key.columns)) if deferred else None
    fixups: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    checks = VALUE_CHECKS.get(table.name, {})
    for number, raw in backup_rows(zf, entry["file"]):
        if table.name == META_TABLE and is_local_meta(raw.get("key")):
            if raw.get("key") == auth.LOGIN_EPOCH_KEY:
                restored_epoch.append(raw.get("value"))
            continue  # this installation's, never the backup's
        values: dict[str, Any] = {}
        for name, dec in decoders:
            try:
                values[name] = dec(raw.get(name))
                check = checks.get(name)
                if check is not None and values[name] is not None:
                    check(values[name])
            except (TypeError, ValueError, OverflowError) as exc:
                raise BackupError(
                    _("{file}, row {n}: {column}: {error}").format(
                        file=entry["file"], n=number, column=name, error=exc
                    )
                ) from None
        for name, limit in limits.items():
            value = values.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise BackupError(
                    _(
                        "{file}, row {n}: {column} has {length} characters; at most {limit} fit "
                        "(value {value!r})"
                    ).format(
                        file=entry["file"],
                        n=number,
                        column=name,
                        length=len(value),
                        limit=limit,
                        value=value[:60],
                    )
                )
        if deferred:
            assert pk is not None
            fix = {}
            for col in deferred:
                if col not in RECOMPUTED.get(table.name, ()) and values.get(col) is not None:
                    fix[col] = values[col]
                values[col] = None
            if fix:  # a million recommendations' current assessments need no second write
                fixups.append({"_pk": values[pk.name], **fix})
        batch.append(values)
        if len(batch) >= BATCH_ROWS:
            _insert(conn, table, batch, entry["file"])
            batch = []
    if batch:
        _insert(conn, table, batch, entry["file"])
    return fixups


def _insert(conn: Connection, table: Table, batch: list[dict[str, Any]], file: str) -> None:
    try:
        if not _copy(conn, table, batch):
            conn.execute(table.insert(), batch)
    except (DBAPIError, conn.dialect.loaded_dbapi.Error) as exc:  # the driver's own: COPY
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
        raise BackupError(
            _("{file}: the database refused the rows ({error})").format(
                file=file, error=str(reason).strip().splitlines()[0]
            )
        ) from None


def _copy(conn: Connection, table: Table, batch: list[dict[str, Any]]) -> bool:
    """PostgreSQL through psycopg 3: ``batch`` sent with ``COPY ... FROM STDIN`` on the
    transaction's connection, one stream instead of rounds of INSERTs (a restore of a million
    recommendations writes several million rows). False, for the caller to INSERT, on other
    drivers and for tables with JSON columns (COPY would need the driver's JSON wrapper)."""
    raw = conn.connection.driver_connection
    if (
        conn.dialect.driver != "psycopg"
        or raw is None
        or not batch
        or any(isinstance(c.type, JSON) for c in table.columns)
    ):
        return False
    names = list(batch[0])
    quote = conn.dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {quote.format_table(table)} ({columns}) FROM STDIN") as out,
    ):
        for values in batch:
            out.write_row([values[name] for name in names])
    return True


def _reset_sequences(conn: Connection, order: list[Table]) -> None:
    """Move each id sequence past the restored ids (PostgreSQL keeps them apart from rows)."""
    for table in order:
        pks = list(table.primary_key.columns)
        if len(pks) != 1 or not isinstance(pks[0].type, Integer):
            continue
        col = pks[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :col), "
                f'COALESCE((SELECT MAX("{col}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": f'"{table.name}"', "col": col},
        )


# --- helpers ---------------------------------------------------------------------------------
def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    t = dt.datetime.fromisoformat(iso)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


__all__ = [
    "MANIFEST",
    "BackupError",
    "BackupInfo",
    "auto_backup",
    "backup_dir",
    "backup_keep",
    "read_backup",
    "restore",
    "tables",
    "write_backup",
]
