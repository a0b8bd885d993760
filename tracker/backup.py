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
table (a recommendation's current assessment, a retraction's target) are filled in afterwards;
PostgreSQL's id sequences are moved past the restored ids. Finally the ``stats --json`` figures
are compared with the ones stored in the manifest, and any difference undoes the whole restore.
If the backup holds no accounts (a laptop's local single-user database) the accounts of the
target database are kept, so that restoring onto a shared server never opens it to everyone.

:func:`auto_backup` is what the importers call before every import: a backup into
``UPR_TRACKER_BACKUP_DIR`` (default ``backups/`` in the project folder), keeping the newest
``UPR_TRACKER_BACKUP_KEEP`` (default 10) automatic backups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
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

from tracker import audit, auth, db, private_files, queries, schema, settings
from tracker.assessments import refresh_current_status, validate_url
from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.models import Base, Meta
from tracker.vocab import LinkStatus, Response, Role, Status

FORMAT = "upr-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AUTO_PREFIX = "auto-"  # only these are pruned; backups people make by hand are never deleted
BATCH_ROWS = 1000  # rows per INSERT batch on restore
USER_TABLE = "app_user"
META_TABLE = "meta"
# Meta rows that belong to this installation, never to a backup: the signing secret that older
# versions kept there (a backup must not log anyone in) and the failed-login counters.
_LOCAL_META_KEY = "session_secret"
_LOCAL_META_PREFIX = "login:"
# What a backup may expand to (a zip of a few KB can claim gigabytes): the whole UN corpus
# with years of assessments is a few hundred MB of JSON lines.
MAX_MANIFEST_BYTES = 10 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024  # one row; the longest text of the corpus is ~20 KB
MAX_MEMBERS = 1000


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


def tables() -> list[Table]:
    """Every table of the data model, in foreign-key order (referenced tables first)."""
    return list(Base.metadata.sorted_tables)


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
                digest = hashlib.sha256()
                n = 0
                encoders = [(c.name, _encoder(c)) for c in table.columns]
                member = zipfile.ZipInfo(name, date_time=_zip_time(created))
                member.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(member, "w") as fh:
                    result = conn.execute(
                        select(table)
                        .order_by(*table.primary_key.columns)
                        .execution_options(yield_per=BATCH_ROWS)
                    )
                    for row in result.mappings():
                        if table.name == META_TABLE and _local_meta(row["key"]):
                            continue
                        line = (
                            json.dumps(
                                {col: enc(row[col]) for col, enc in encoders},
                                ensure_ascii=False,
                                separators=(",", ":"),
                            )
                            + "\n"
                        ).encode("utf-8")
                        digest.update(line)
                        fh.write(line)
                        n += 1
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


# --- reading and checking --------------------------------------------------------------------
def read_backup(path: str | Path) -> BackupInfo:
    """Check a backup file completely (manifest, checksums, row counts, tables, columns) and
    describe it; raises :class:`BackupError` naming the first problem."""
    source = Path(path)
    with _open(source) as zf:
        manifest = _manifest(zf, source)
        _check_files(zf, source, manifest)
    return _info(source, manifest)


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise BackupError(_("{path}: there is no such file").format(path=path))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BackupError(
            _("{path}: not a UPR Tracker backup (not a zip file)").format(path=path)
        ) from None
    # What it claims to expand to is what it can expand to: zipfile reads no member past
    # its declared size (a member that lies fails its CRC check, read as damaged).
    members = zf.infolist()
    expanded = sum(m.file_size for m in members)
    limit = settings.restore_max_bytes()
    if len(members) > MAX_MEMBERS or expanded > limit:
        zf.close()
        raise BackupError(
            _(
                "{path}: the backup would expand to {size:,} bytes in {n} files; at most "
                "{limit:,} bytes ({name}) and {max_files} files are restored"
            ).format(
                path=path,
                size=expanded,
                n=len(members),
                limit=limit,
                name=settings.RESTORE_MAX_BYTES.name,
                max_files=MAX_MEMBERS,
            )
        )
    return zf


def _manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        if zf.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
            raise BackupError(
                _("{path}: {file} is larger than {n:,} bytes").format(
                    path=path, file=MANIFEST, n=MAX_MANIFEST_BYTES
                )
            )
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BackupError(
            _("{path}: not a UPR Tracker backup ({file} is missing)").format(
                path=path, file=MANIFEST
            )
        ) from None
    except (ValueError, zipfile.BadZipFile, OSError, RecursionError) as exc:
        raise BackupError(
            _("{path}: {file} is not valid JSON ({error})").format(
                path=path, file=MANIFEST, error=exc
            )
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("{path}: not a UPR Tracker backup (format {value!r})").format(
                path=path, value=manifest.get("format") if isinstance(manifest, dict) else None
            )
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            _(
                "{path}: format_version {value!r} was written by a newer UPR Tracker; this one "
                "reads up to {n}"
            ).format(path=path, value=version, n=FORMAT_VERSION)
        )
    revision = manifest.get("schema_revision")
    if revision is not None and not _known_revision(revision):
        raise BackupError(
            _(
                "{path}: schema_revision {value!r} is unknown to this UPR Tracker (a newer "
                "version wrote it); upgrade UPR Tracker, then restore"
            ).format(path=path, value=revision)
        )
    known = {t.name: t for t in tables()}
    entries = manifest.get("tables")
    if not isinstance(entries, list) or not entries:
        raise BackupError(_("{path}: the manifest lists no tables").format(path=path))
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in known:
            raise BackupError(
                _("{path}: table {value!r} is unknown to this UPR Tracker").format(
                    path=path, value=name
                )
            )
        listed = entry.get("columns")
        if (
            entry.get("file") != f"tables/{name}.jsonl"
            or not isinstance(entry.get("rows"), int)
            or isinstance(entry.get("rows"), bool)
            or entry["rows"] < 0
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(listed, list)
            or not all(isinstance(c, str) for c in listed)
        ):
            raise BackupError(
                _(
                    "{path}: the manifest's entry for table {table} is malformed (file, rows, "
                    "sha256 and columns are needed)"
                ).format(path=path, table=name)
            )
        columns = {c.name for c in known[name].columns}
        extra = [c for c in listed if c not in columns]
        if extra:
            raise BackupError(
                _(
                    "{path}: column {value!r} of table {table} is unknown to this UPR Tracker"
                ).format(path=path, value=extra[0], table=name)
            )
    return manifest


def _check_files(zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any]) -> None:
    for entry in manifest["tables"]:
        digest = hashlib.sha256()
        n = 0
        try:
            with zf.open(entry["file"]) as fh:
                while line := fh.readline(MAX_LINE_BYTES + 1):
                    if len(line) > MAX_LINE_BYTES:
                        raise BackupError(
                            _("{path}: {file}, row {n}: longer than {limit:,} bytes").format(
                                path=path, file=entry["file"], n=n + 1, limit=MAX_LINE_BYTES
                            )
                        )
                    digest.update(line)
                    n += 1
        except KeyError:
            raise BackupError(
                _("{path}: {file} is missing").format(path=path, file=entry["file"])
            ) from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(
                _("{path}: {file} cannot be read ({error})").format(
                    path=path, file=entry["file"], error=exc
                )
            ) from None
        if digest.hexdigest() != entry.get("sha256"):
            raise BackupError(
                _("{path}: {file} is damaged (its sha256 does not match the manifest)").format(
                    path=path, file=entry["file"]
                )
            )
        if n != entry.get("rows"):
            raise BackupError(
                _("{path}: {file} has {n} rows, the manifest says {expected}").format(
                    path=path, file=entry["file"], n=n, expected=entry.get("rows")
                )
            )


def _info(path: Path, manifest: dict[str, Any]) -> BackupInfo:
    return BackupInfo(
        path=path,
        created_at=str(manifest.get("created_at", "")),
        schema_revision=manifest.get("schema_revision"),
        source_dialect=str(manifest.get("source_dialect", "")),
        rows={e["name"]: int(e["rows"]) for e in manifest["tables"]},
        stats=manifest.get("stats"),
    )


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
    with _open(source) as zf, db.session_scope(engine) as s:
        db.begin_write(s, exclusive=True)
        manifest = _manifest(zf, source)
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
    the ``deferred`` columns per row (filled in afterwards). The backup's login epoch, if it
    has one, is appended to ``restored_epoch``."""
    columns = [table.c[name] for name in entry["columns"]]
    decoders = [(c.name, _decoder(c)) for c in columns]
    limits = {
        c.name: c.type.length for c in columns if isinstance(c.type, String) and c.type.length
    }
    pk = next(iter(table.primary_key.columns)) if deferred else None
    fixups: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    checks = _CHECKS.get(table.name, {})
    for number, raw in _lines(zf, entry["file"]):
        if table.name == META_TABLE and _local_meta(raw.get("key")):
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
            fix = {"_pk": values[pk.name]}
            for col in deferred:
                fix[col] = values.get(col)
                values[col] = None
            fixups.append(fix)
        batch.append(values)
        if len(batch) >= BATCH_ROWS:
            _insert(conn, table, batch, entry["file"])
            batch = []
    if batch:
        _insert(conn, table, batch, entry["file"])
    return fixups


def _insert(conn: Connection, table: Table, batch: list[dict[str, Any]], file: str) -> None:
    try:
        conn.execute(table.insert(), batch)
    except DBAPIError as exc:
        raise BackupError(
            _("{file}: the database refused the rows ({error})").format(
                file=file, error=str(exc.orig).strip().splitlines()[0] if exc.orig else exc
            )
        ) from None


def _lines(zf: zipfile.ZipFile, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of member ``name`` with their line numbers; a line that is no JSON object
    raises :class:`BackupError` naming it (lines were bounded by :func:`_check_files`)."""
    with zf.open(name) as fh:
        for number, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError) as exc:
                raise BackupError(
                    _("{file}, row {n}: not valid JSON ({error})").format(
                        file=name, n=number, error=exc
                    )
                ) from None
            if not isinstance(row, dict):
                raise BackupError(
                    _("{file}, row {n}: not a JSON object").format(file=name, n=number)
                )
            yield number, row


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
def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, Boolean):
        return lambda v: None if v is None else bool(v)
    return lambda v: v


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
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


def _one_of(allowed: type[StrEnum]) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value not in {m.value for m in allowed}:
            raise ValueError(
                _("{value!r} is not one of {allowed}").format(
                    value=str(value)[:60], allowed=", ".join(m.value for m in allowed)
                )
            )

    return check


def _url(value: Any) -> None:
    try:
        validate_url(value)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None


def _past(value: Any) -> None:
    if value > dt.date.today():
        raise ValueError(_("{value} is in the future").format(value=value.isoformat()))


def _username(value: Any) -> None:
    try:
        if auth.validate_username(value) != value:
            raise ValueError(_("{value!r} is not a normalised username").format(value=value))
    except auth.AccountError as exc:
        raise ValueError(str(exc)) from None


# The values an import or an edit would refuse, refused in a restore too (issue #13.11).
_CHECKS: dict[str, dict[str, Callable[[Any], None]]] = {
    "assessment": {
        "status": _one_of(Status),
        "previous_status": _one_of(Status),
        "evidence_url": _url,
        "assessed_on": _past,
    },
    "recommendation": {"response": _one_of(Response)},
    "recommendation_link": {"status": _one_of(LinkStatus)},
    USER_TABLE: {"role": _one_of(Role), "username": _username},
}


def _local_meta(key: Any) -> bool:
    """True for the meta rows that belong to the installation, not to its data."""
    return isinstance(key, str) and (
        key == _LOCAL_META_KEY or key.startswith(_LOCAL_META_PREFIX) or key == auth.LOGIN_EPOCH_KEY
    )


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(schema._config())
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    t = dt.datetime.fromisoformat(iso)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


__all__ = [
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
