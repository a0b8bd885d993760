"""``python -m tracker import FILE... [--format F] [--state NAME] [--session N]
[--encoding NAME] [--dry-run] [--skip-invalid] [--rejects PATH]``

Thin over :func:`tracker.importers.import_files`. Problems go to standard error, one per line,
as ``FILE:ROW: column: message``; the summary goes to standard output. Exit status 0 when the
import succeeded (or would, for a dry run), 1 when a file could not be read or a row is
invalid without ``--skip-invalid`` (then nothing is written).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from sqlalchemy.exc import OperationalError

from tracker import db
from tracker.hints import cli_command
from tracker.i18n import _, ngettext
from tracker.importers import FORMAT_CHOICES, ImportReport, import_files, suggest_repeats

BAR_WIDTH = 30
BAR_DELAY = 0.5  # seconds before the bar appears: small files finish without one


class TerminalProgress:
    """A one-line progress bar on a terminal (``[#####-----]  45% Checking rows``)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, fraction: float, message: str) -> None:
        if not self.drawn and time.monotonic() - self.started < BAR_DELAY and fraction < 1.0:
            return
        filled = round(BAR_WIDTH * fraction)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"\r[{bar}] {fraction:4.0%} {message}"[:120]
        self.stream.write(line.ljust(120))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Clear the bar's line."""
        if self.drawn:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()
            self.drawn = False


def cmd_import(args: argparse.Namespace) -> int:
    """Run the import command; return the exit status."""
    from tracker.cli import CliError, err, out, ready_engine

    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        with db.session_scope(ready_engine()) as session:
            report = import_files(
                session,
                args.files,
                args.format,
                dry_run=args.dry_run,
                skip_invalid=args.skip_invalid,
                progress=progress,
                state=args.state,
                session_no=args.session,
                encoding=args.encoding,
                # The suggestion of repeats is the second step, after the commit: the data
                # is saved (and usable) before it starts.
                defer_repeats=True,
            )
    except OperationalError as exc:
        raise CliError(
            _("the database cannot be written ({reason}); nothing was imported").format(
                reason=exc.orig
            )
        ) from exc
    finally:
        if progress is not None:
            progress.close()
    for problem in report.problems:
        err(str(problem))
    if args.rejects:
        try:
            n = report.write_rejects(args.rejects)
        except OSError as exc:
            raise CliError(
                _("cannot write the rejected rows to {path}: {reason}").format(
                    path=args.rejects, reason=exc.strerror or exc
                )
            ) from exc
        out(
            ngettext(
                "Wrote {n} rejected row to {path}.", "Wrote {n} rejected rows to {path}.", n
            ).format(n=f"{n:,}", path=args.rejects)
        )
    for line in report.summary_lines():
        out(line)
    _suggest_step(report)
    return 0 if report.ok else 1


def _suggest_step(report: ImportReport) -> None:
    """The import's second step, in a transaction of its own: suggest repeats across
    cycles for the states the import touched, with a progress bar of its own. A failure here
    leaves the import as it is, and says how to make the suggestions later."""
    from tracker.cli import err, out, ready_engine

    if not report.written or not report.repeat_state_ids:
        return
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        with db.session_scope(ready_engine()) as session:
            n = suggest_repeats(session, report, progress=progress)
    except OperationalError as exc:
        err(
            _(
                "The import is saved, but the repeats across cycles could not be suggested "
                "({reason}); run `{command}` to suggest them."
            ).format(reason=exc.orig, command=cli_command("link"))
        )
        return
    finally:
        if progress is not None:
            progress.close()
    if not n:  # as the summary did when the suggestions were part of it: nothing to say
        return
    out(
        ngettext(
            "{n} possible repeat across cycles suggested for review.",
            "{n} possible repeats across cycles suggested for review.",
            n,
        ).format(n=f"{n:,}")
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` command to the CLI."""
    p = subparsers.add_parser(
        "import",
        help=_(
            "import UPR Info exports, OHCHR UHRI exports, OHCHR matrices and Working Group "
            "reports (.docx) or the project template"
        ),
        description=_(
            "Import one or more files (CSV, Excel .xlsx, UHRI JSON, OHCHR Word documents: the "
            "matrix and the Working Group report). The format is detected from the header row "
            "or the document. Everything is imported in one transaction: by default any "
            "invalid row means nothing is written."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=_("files to import"))
    p.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default="auto",
        help=_("the files' format (default: detected from the header row)"),
    )
    p.add_argument(
        "--state",
        metavar="NAME",
        help=_("the state under review of a Word document that does not name it"),
    )
    p.add_argument(
        "--session",
        type=int,
        metavar="N",
        help=_("the UPR session of a Word document that does not name it"),
    )
    p.add_argument(
        "--encoding",
        metavar="NAME",
        help=_(
            "the text files' encoding, e.g. utf-8, cp1252, latin-1, shift_jis (default: "
            "UTF-8, or a reported guess between Windows-1252 and Mac Roman)"
        ),
    )
    p.add_argument(
        "--dry-run", action="store_true", help=_("report what would change; write nothing")
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help=_("import the valid rows and leave out the invalid ones"),
    )
    p.add_argument(
        "--rejects",
        metavar="PATH",
        help=_("write the rejected rows, with the reason, to this CSV file"),
    )
    p.set_defaults(handler=cmd_import)
