"""Reading a backup and checking it completely before anything is restored (see
:mod:`tracker.backup`): the zip's size, the manifest, every file's checksum and row count, and
the values an import or an edit would refuse."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from tracker import auth, schema, settings
from tracker.assessments import validate_url
from tracker.backup_format import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    USER_TABLE,
    BackupError,
    BackupInfo,
    tables,
)
from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.vocab import LinkStatus, Response, Role, Status

# What a backup may expand to (a zip of a few KB can claim gigabytes): the whole UN corpus
# with years of assessments is a few hundred MB of JSON lines.
MAX_MANIFEST_BYTES = 10 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024  # one row; the longest text of the corpus is ~20 KB
MAX_MEMBERS = 1000


def read_backup(path: str | Path) -> BackupInfo:
    """Check a backup file completely (manifest, checksums, row counts, tables, columns) and
    describe it; raises :class:`BackupError` naming the first problem."""
    source = Path(path)
    with open_backup(source) as zf:
        manifest = read_manifest(zf, source)
        check_files(zf, source, manifest)
    return _info(source, manifest)


def open_backup(path: Path) -> zipfile.ZipFile:
    """The backup as a zip file, refused when it is none or would expand too far."""
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


def read_manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    """The backup's manifest, checked: its format, version, schema revision and tables."""
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


def check_files(zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any]) -> None:
    """Every table file's line lengths, checksum and row count, as the manifest says."""
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


def backup_rows(zf: zipfile.ZipFile, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
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


# --- values a restore refuses ----------------------------------------------------------------
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
VALUE_CHECKS: dict[str, dict[str, Callable[[Any], None]]] = {
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


def _known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(schema._config())
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


__all__ = [
    "MAX_LINE_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_MEMBERS",
    "VALUE_CHECKS",
    "backup_rows",
    "check_files",
    "open_backup",
    "read_backup",
    "read_manifest",
]
