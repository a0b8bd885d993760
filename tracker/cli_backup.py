"""``python -m tracker backup PATH`` and ``python -m tracker restore PATH [--yes]``.

The backup format (a zip of JSON Lines files and a manifest, see tracker.backup) is the same
for SQLite and PostgreSQL, so a backup also moves data between them. ``restore`` replaces the
current data; at a terminal it asks first (``--yes`` skips the question), in scripts it does
not ask.
"""

from __future__ import annotations

import argparse
import sys

from tracker import auth, backup, db, queries
from tracker.cli import CliError, err, out, ready_engine
from tracker.i18n import _


def cmd_backup(args: argparse.Namespace) -> int:
    engine = ready_engine()
    try:
        info = backup.write_backup(engine, args.path)
    except (backup.BackupError, auth.PermissionDenied) as exc:
        raise CliError(str(exc)) from exc
    out(
        _("Wrote {path}: {n} recommendations, {a} assessments, {t} tables.").format(
            path=info.path, n=info.recommendations, a=info.assessments, t=len(info.rows)
        )
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    engine = ready_engine()
    try:
        info = backup.read_backup(args.path)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from exc
    if not args.yes and sys.stdin.isatty():
        with db.session_scope(engine) as s:
            now = queries.stats(s)
        err(
            _(
                "This replaces ALL data in {url} ({n} recommendations, {a} assessments) with "
                "the backup made {when} ({bn} recommendations, {ba} assessments)."
            ).format(
                url=engine.url.render_as_string(hide_password=True),
                n=now["recommendations"],
                a=now["assessments"],
                when=info.created_at,
                bn=info.recommendations,
                ba=info.assessments,
            )
        )
        answer = input(_("Type yes to restore: ")).strip().lower()
        if answer not in ("yes", _("yes")):
            out(_("Nothing was changed."))
            return 1
    try:
        backup.restore(engine, args.path)
    except (backup.BackupError, auth.PermissionDenied) as exc:
        raise CliError(str(exc)) from exc
    out(
        _("Restored {path}: {n} recommendations, {a} assessments.").format(
            path=args.path, n=info.recommendations, a=info.assessments
        )
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``backup PATH`` and ``restore PATH [--yes]``."""
    p = subparsers.add_parser(
        "backup", help=_("write a portable backup (zip) of the whole database")
    )
    p.add_argument(
        "path",
        metavar="PATH",
        help=_("the .zip file to write, or a folder (the file is then named after the time)"),
    )
    p.set_defaults(handler=cmd_backup)

    p = subparsers.add_parser(
        "restore", help=_("replace all data with a backup (SQLite or PostgreSQL)")
    )
    p.add_argument("path", metavar="PATH", help=_("a backup written by `backup`"))
    p.add_argument(
        "--yes", action="store_true", help=_("do not ask for confirmation at a terminal")
    )
    p.set_defaults(handler=cmd_restore)
