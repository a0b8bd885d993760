"""The command line, ``.venv/bin/tracker COMMAND`` (``python -m tracker COMMAND`` inside the
virtualenv; tracker.hints): thin over the tracker modules.

Core commands live here; larger command groups register themselves from their own modules
(listed in ``COMMAND_MODULES``; each has ``register(subparsers)``), so that the parser is
built in one place. Exit status: 0 success, 1 invalid input or a failed check, 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tracker import db, private_files, queries, schema, settings
from tracker.assessments import add_assessment
from tracker.errors import ValidationError
from tracker.filters import MAX_CYCLE, Filters, from_query_params, valid_cycle
from tracker.hints import CLI_COMMAND
from tracker.i18n import _
from tracker.languages import use_language
from tracker.models import MAX_ID
from tracker.states import UnknownStateError
from tracker.vocab import (
    STATUS_ORDER,
    Confidence,
    Response,
    SourceType,
    parse_response,
    status_label,
)

# The commands defined here: for them the modules below are not imported (importers, reports,
# linking: 0.5 s of a `stats --json` run; docs/performance.md). Template export and the
# sample are imported by their commands too.
CORE_COMMANDS = frozenset({"init", "stats", "export", "assess", "sample", "serve"})
# Modules that add sub-commands (import, report, link, users, backup, ...).
COMMAND_MODULES: list[str] = [
    "tracker.cli_users",
    "tracker.cli_backup",
    "tracker.cli_import",
    "tracker.cli_report",
    "tracker.cli_link",
    "tracker.cli_calendar",
    "tracker.cli_matrix",
    "tracker.cli_evidence",
]

Handler = Callable[[argparse.Namespace], int]
DEFAULT_BULK_MAX = 500  # tracker.bulk.DEFAULT_MAX (not imported: `stats` need not load it)


class CliError(Exception):
    """A message for the user; exit status 1."""


def out(message: str = "") -> None:
    print(message)


def err(message: str) -> None:
    print(message, file=sys.stderr)


def add_selection_flags(g: argparse._ArgumentGroup, status_flag: str) -> None:
    """The flags that select recommendations (named like the URL query parameters); the
    current status is ``status_flag`` (``--status`` for stats/export, ``--status-now`` for
    ``assess``, where ``--status`` is the new status)."""
    g.add_argument(
        "--state", action="append", default=[], help=_("state under review (name or ISO code)")
    )
    g.add_argument("--cycle", action="append", default=[], help=_("UPR cycle number"))
    g.add_argument("--theme", action="append", default=[], help=_("theme / issue name"))
    g.add_argument(
        "--rs", action="append", default=[], help=_("recommending state or regional group")
    )
    g.add_argument("--response", action="append", default=[], help=_("supported, noted, ..."))
    g.add_argument(
        status_flag,
        action="append",
        default=[],
        help=_("current status, e.g. partially_implemented"),
    )
    g.add_argument("--q", default="", help=_("text search"))


def add_filter_arguments(p: argparse.ArgumentParser) -> None:
    """The shared filter flags (the same names as the URL query parameters)."""
    g = p.add_argument_group(_("filters (each may repeat)"))
    add_selection_flags(g, "--status")
    g.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help=_("as on that day: the latest assessment on or before it; later ones left out"),
    )


def add_include_private(p: argparse.ArgumentParser) -> None:
    """``--include-private``: an editor asks for private evidence in an output."""
    p.add_argument(
        "--include-private",
        action="store_true",
        help=_("include private evidence (editors; the output says so on its first page)"),
    )


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Filters from the flags; an unknown state name is an error, not an empty result."""
    for name in getattr(args, "state", []) + [
        r
        for r in getattr(args, "rs", [])
        if r.casefold()
        not in {"weog", "grulac", "eeg", "african", "africa", "asia-pacific", "asia"}
    ]:
        from tracker.states import resolve_iso3

        resolve_iso3(name)  # raises UnknownStateError quoting the name
    for raw in getattr(args, "cycle", []):
        if not all(valid_cycle(part.strip()) for part in str(raw).split(",") if part.strip()):
            raise CliError(
                _("--cycle: {value!r} is not a UPR cycle number (1 to {n})").format(
                    value=raw, n=MAX_CYCLE - 1
                )
            )
    for raw in getattr(args, "response", []):
        if not all(parse_response(part) for part in str(raw).split(",") if part.strip()):
            raise CliError(
                _("--response: {value!r} is not one of {allowed}").format(
                    value=raw, allowed=", ".join(r.value for r in Response)
                )
            )
    for s in getattr(args, "status", []):
        if s not in STATUS_ORDER:
            raise CliError(
                _("--status: {value!r} is not one of {allowed}").format(
                    value=s, allowed=", ".join(STATUS_ORDER)
                )
            )
    params = {
        k: getattr(args, k, []) for k in ("state", "cycle", "theme", "rs", "response", "status")
    }
    params["q"] = [args.q] if getattr(args, "q", "") else []
    return from_query_params(params).with_(as_of=getattr(args, "as_of", None))


def engine():
    return db.get_engine()


def ready_engine():
    """The engine, with the schema brought up to date (every command may be the first)."""
    e = engine()
    if not schema.is_up_to_date(e):
        schema.upgrade(e)
    return e


# --- commands ------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from tracker.sample import is_empty, load_sample

    e = engine()
    schema.upgrade(e)
    with db.session_scope(e) as s:
        if args.no_sample:
            out(_("Schema is up to date; no sample loaded."))
        elif is_empty(s):
            summary = load_sample(s)
            out(
                _("Loaded the sample: {n} recommendations, {a} assessments.").format(
                    n=summary.recommendations, a=summary.assessments
                )
            )
        else:
            out(_("Schema is up to date; the database already holds data."))
    out(_("Database: {url}").format(url=e.url.render_as_string(hide_password=True)))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    f = filters_from_args(args)
    with db.session_scope(ready_engine()) as s:
        figures = queries.stats(s, f)
    if args.json:
        out(json.dumps(figures, indent=2, ensure_ascii=False))
        return 0
    out(_("Recommendations: {n}").format(n=figures["recommendations"]))
    out(_("Recommendation-state pairs: {n}").format(n=figures["recommendation_state_pairs"]))
    out(_("Reviews: {n}").format(n=figures["reviews"]))
    out(_("States under review: {n}").format(n=figures["states_under_review"]))
    out(_("Recommending states: {n}").format(n=figures["recommending_states"]))
    out(_("Assessments: {n}").format(n=figures["assessments"]))
    out(_("By cycle:") + " " + ", ".join(f"{k}: {v}" for k, v in figures["by_cycle"].items()))
    out(_("By response:") + " " + ", ".join(f"{k}: {v}" for k, v in figures["by_response"].items()))
    out(_("By current status:"))
    for key, n in figures["by_status"].items():
        out(f"  {status_label(key)}: {n}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tracker import template_format

    f = filters_from_args(args)
    with db.session_scope(ready_engine()) as s:
        try:
            n = template_format.export(s, args.file, f, include_private=args.include_private)
        except template_format.ExportError as exc:
            raise CliError(str(exc)) from exc
    out(_("Wrote {n} recommendations to {file}.").format(n=n, file=args.file))
    return 0


SELECTION_FLAGS = ("state", "cycle", "theme", "rs", "response", "status_now", "q")


def _selection_filters(args: argparse.Namespace) -> Filters | None:
    """The filters of ``assess`` (the flags of ``stats``, ``--status-now`` for the current
    status), or None when no filter flag is given."""
    if not any(getattr(args, k) for k in SELECTION_FLAGS):
        return None
    ns = argparse.Namespace(**{k: getattr(args, k) for k in SELECTION_FLAGS})
    ns.status = args.status_now
    return filters_from_args(ns)


def _assessment_values(args: argparse.Namespace, actor: str | None) -> dict[str, Any]:
    """The assessment ``assess`` records, from its flags: one recommendation or a selection."""
    return {
        "status": args.status,
        "assessed_on": args.date,
        "source_org": args.source,
        "evidence": args.evidence,
        "evidence_url": args.url,
        "actor": actor,
        "source_type": args.source_type,
        "confidence": args.confidence,
        "private": args.private,
    }


def cmd_assess(args: argparse.Namespace) -> int:
    f = _selection_filters(args)
    if (args.id is None) == (f is None):
        raise CliError(
            _(
                "assess: give either --id ID (one recommendation) or filter flags (--state, "
                "--theme, --cycle, --rs, --response, --status-now, --q) for a selection"
            )
        )
    actor = settings.value(settings.ACTOR)
    if f is not None:
        return _assess_selection(args, f, actor)
    with db.session_scope(ready_engine()) as s:
        a = add_assessment(s, args.id, **_assessment_values(args, actor))
        out(
            _("Recorded: recommendation {id} is {status} as of {date} ({source}).").format(
                id=args.id,
                status=status_label(a.status),
                date=a.assessed_on.isoformat(),
                source=a.source_org,
            )
        )
        if a.is_private:
            out(_("It is private: shown to editors only, left out of public figures."))
        if a.is_draft:
            out(
                _(
                    "Saved as draft {n}: it counts once another editor or an admin publishes "
                    "it (publish --id {n})."
                ).format(n=a.id)
            )
    return 0


def _assess_selection(args: argparse.Namespace, f: Filters, actor: str | None) -> int:
    """``assess`` with filter flags: one assessment for each matching recommendation, in one
    transaction; more than ``--max`` only with ``--yes``."""
    from tracker import bulk

    with db.session_scope(ready_engine()) as s:
        try:
            result = bulk.assess_selection(
                s,
                f,
                limit=None if args.yes else args.max,
                **_assessment_values(args, actor),
            )
        except bulk.TooManyError as exc:
            raise CliError(
                _(
                    "{n} recommendations match these filters, more than --max {max}; nothing "
                    "was written. Narrow the filters, or add --yes to assess all {n}."
                ).format(n=exc.count, max=exc.limit)
            ) from None
    out(result.message())
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from tracker.queries import has_sample
    from tracker.sample import load_sample, remove_sample

    with db.session_scope(ready_engine()) as s:
        if args.action == "remove":
            if not has_sample(s):
                out(_("There is no sample data in this database."))
                return 0
            summary = remove_sample(s)
            out(
                _("Removed the sample: {n} recommendations, {a} assessments.").format(
                    n=summary.recommendations, a=summary.assessments
                )
            )
        else:
            if has_sample(s):
                out(_("The sample is already loaded."))
                return 0
            summary = load_sample(s)
            out(
                _("Loaded the sample: {n} recommendations, {a} assessments.").format(
                    n=summary.recommendations, a=summary.assessments
                )
            )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # Imported here: Streamlit (tracker.ui, the one package importing it) costs about a second
    # of start-up that no other command should pay.
    from tracker.ui.serve import serve

    return serve(args.streamlit_args)


def iso_date(value: str) -> dt.date:
    """argparse type: a YYYY-MM-DD date."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a date (YYYY-MM-DD)").format(value=value)
        ) from exc


def positive_int(value: str) -> int:
    """argparse type: a whole number from 1 to :data:`tracker.models.MAX_ID`, with a clear
    message otherwise."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a whole number").format(value=value)
        ) from None
    if n < 1:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a positive number").format(value=value)
        )
    if n > MAX_ID:  # ids, cycles, sessions and limits: none is this large
        raise argparse.ArgumentTypeError(
            _("{value!r} is too large (at most {n})").format(value=value, n=MAX_ID)
        )
    return n


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command (only of the core ones when ``command`` is one of them:
    the other command modules are not imported then)."""
    parser = argparse.ArgumentParser(
        prog=CLI_COMMAND,  # usage lines spell the command as the hints do
        description=_("UPR Tracker: follow what a state does with its UPR recommendations."),
    )
    parser.add_argument(
        "--lang",
        default=settings.value(settings.LANG),
        help=_("language of messages (en, ru, ...)"),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help=_("create or upgrade the database; load the sample if empty"))
    p.add_argument("--no-sample", action="store_true", help=_("do not load the sample data"))
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("stats", help=_("figures for the whole database or one state"))
    add_filter_arguments(p)
    p.add_argument("--json", action="store_true", help=_("print JSON (a stable contract)"))
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("export", help=_("write the project template (.csv or .xlsx)"))
    p.add_argument("file", metavar="FILE", help=_("output file, .csv or .xlsx"))
    add_filter_arguments(p)
    add_include_private(p)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "assess",
        help=_("add an implementation assessment to a recommendation, or to a selection"),
    )
    p.add_argument("--id", type=positive_int, help=_("recommendation id"))
    p.add_argument("--status", required=True, help=", ".join(STATUS_ORDER[:-1]))
    p.add_argument("--date", required=True, help=_("date of the assessment, YYYY-MM-DD"))
    p.add_argument("--source", required=True, help=_("organisation making the assessment"))
    p.add_argument("--evidence", help=_("evidence, in a few sentences"))
    p.add_argument("--url", help=_("link to the evidence"))
    p.add_argument(
        "--source-type",
        default="other",
        help=", ".join(t.value for t in SourceType) + _(" (default: other)"),
    )
    p.add_argument("--confidence", help=", ".join(c.value for c in Confidence))
    p.add_argument(
        "--private",
        action="store_true",
        help=_("private evidence: shown to editors only, never in public figures or outputs"),
    )
    g = p.add_argument_group(
        _("selection (instead of --id: every recommendation matching these filters)")
    )
    add_selection_flags(g, "--status-now")  # --status is the new status here
    g.add_argument(
        "--max",
        type=positive_int,
        default=DEFAULT_BULK_MAX,
        help=_("refuse a selection of more recommendations than this (default {n})").format(
            n=DEFAULT_BULK_MAX
        ),
    )
    g.add_argument("--yes", action="store_true", help=_("assess a selection larger than --max"))
    p.set_defaults(handler=cmd_assess)

    p = sub.add_parser("sample", help=_("load or remove the bundled sample data"))
    p.add_argument("action", choices=["load", "remove"])
    p.set_defaults(handler=cmd_sample)

    p = sub.add_parser(
        "serve",
        help=_("run the web app (arguments after it go to `streamlit run`)"),
    )
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_serve)

    if command not in CORE_COMMANDS:
        for module in COMMAND_MODULES:
            importlib.import_module(module).register(sub)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (its first word that is no option or option value)."""
    value_follows = False
    for a in argv:
        if value_follows:
            value_follows = False
        elif a == "--lang":
            value_follows = True
        elif not a.startswith("-"):
            return a
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (``python -m tracker ...``); returns the exit status."""
    # Every file this process creates (database, backups, rejects, exports, the key file)
    # holds data: readable by its owner only. `serve` passes it on to the app.
    private_files.private_umask()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Language first, so that help texts are translated too.
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            use_language(argv[i + 1])
        elif a.startswith("--lang="):
            use_language(a.split("=", 1)[1])
    if not any(a == "--lang" or a.startswith("--lang=") for a in argv):
        use_language(settings.value(settings.LANG))
    parser = build_parser(_command(argv))
    args, extra = parser.parse_known_args(argv)
    if args.command == "serve":
        args.streamlit_args = extra + list(args.streamlit_args)
    elif extra:
        parser.error(_("unrecognized arguments: {args}").format(args=" ".join(extra)))
    handler: Handler = args.handler
    try:
        return handler(args)
    except (CliError, ValidationError, UnknownStateError) as exc:
        err(_("error: {message}").format(message=exc))
        return 1
    except KeyboardInterrupt:
        err(_("Interrupted; nothing was written."))
        return 130


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """``python -m tracker``: :func:`main`, then exit with its status.

    Once the command has finished (an import's summary printed, its transaction committed),
    a Ctrl-C while Python tears down (freeing a large import's objects, closing the chart
    renderer) printed a traceback: from then on it ends the process quietly, with the
    command's status."""
    code = main(argv)

    def leave(_signum: int, _frame: object) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe: nothing more to say
                stream.flush()
        os._exit(code)

    signal.signal(signal.SIGINT, leave)
    sys.exit(code)
