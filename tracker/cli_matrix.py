"""``python -m tracker matrix fill MATRIX.docx --out FILLED.docx [--as-of YYYY-MM-DD]
[--lang ru] [--state NAME] [--session N]``: thin over :func:`tracker.matrix_fill.fill_matrix`.

The rows that match no stored recommendation are listed on standard error (never guessed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker import db, private_files
from tracker.assessments import ValidationError, parse_date
from tracker.i18n import _, ngettext
from tracker.languages import offered_languages

LISTED = 30  # unmatched rows named one by one


def cmd_fill(args: argparse.Namespace) -> int:
    """Fill the matrix; return the exit status."""
    from tracker.cli import CliError, err, out, ready_engine
    from tracker.matrix_fill import MatrixError, fill_matrix

    try:
        as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    except ValidationError as exc:
        raise CliError(str(exc)) from exc
    try:
        data = Path(args.matrix).read_bytes()
    except OSError as exc:
        raise CliError(
            _("cannot read {path}: {reason}").format(path=args.matrix, reason=exc.strerror or exc)
        ) from exc
    with db.session_scope(ready_engine()) as session:
        try:
            result = fill_matrix(
                session,
                data,
                args.matrix,
                as_of=as_of,
                lang=args.lang,
                state=args.state,
                session_no=args.session,
                include_private=args.include_private,
            )
        except MatrixError as exc:
            raise CliError(f"{args.matrix}: {exc}") from exc
    try:
        private_files.write_private(args.out, result.data)
    except OSError as exc:
        raise CliError(
            _("cannot write {path}: {reason}").format(path=args.out, reason=exc.strerror or exc)
        ) from exc
    for label in result.unmatched[:LISTED]:
        err(
            _("{file}:{row}: matches no stored recommendation; left as it was").format(
                file=args.matrix, row=label
            )
        )
    if len(result.unmatched) > LISTED:
        err(_("… and {n} more").format(n=len(result.unmatched) - LISTED))
    out(
        ngettext(
            "Filled {n} row of {rows} in {path}",
            "Filled {n} rows of {rows} in {path}",
            len(result.filled),
        ).format(n=len(result.filled), rows=result.rows, path=args.out)
        + "; "
        + _("{na} without an assessment, {un} matching no stored recommendation.").format(
            na=len(result.not_assessed), un=len(result.unmatched)
        )
    )
    if result.column_added:
        out(_("The matrix had no assessment column: it was added as the last column."))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``matrix`` command group (``matrix fill``) to the CLI."""
    from tracker.cli import add_include_private  # here, as cmd_fill imports tracker.cli

    p = subparsers.add_parser(
        "matrix", help=_("fill the OHCHR matrix's assessment column from the tracker")
    )
    sub = p.add_subparsers(dest="matrix_command", required=True)
    f = sub.add_parser(
        "fill",
        help=_("write a copy of the matrix with the current assessments filled in"),
        description=_(
            "Write a copy of an OHCHR thematic list of recommendations (.docx) in which the "
            "column “Assessment/comments on level of implementation” holds each matched "
            "recommendation's current assessment. Everything else is left as it was."
        ),
    )
    f.add_argument("matrix", metavar="MATRIX.docx", help=_("the OHCHR matrix"))
    f.add_argument("--out", required=True, metavar="FILLED.docx", help=_("where to write"))
    f.add_argument("--as-of", metavar="YYYY-MM-DD", help=_("assessments up to this date"))
    f.add_argument(
        "--lang",
        choices=offered_languages(),
        help=_("language of the status labels and dates (default: the interface's)"),
    )
    f.add_argument(
        "--state", metavar="NAME", help=_("state under review, if the file does not say")
    )
    f.add_argument(
        "--session", type=int, metavar="N", help=_("UPR session, if the file does not say")
    )
    add_include_private(f)
    f.set_defaults(handler=cmd_fill)
