"""``python -m tracker report`` (the stakeholder submission) and ``snapshot`` (the donor
image): thin over :mod:`tracker.submission` and :mod:`tracker.snapshot`.

Examples::

    python -m tracker report --state Kazakhstan --org "Legal centre" --theme Trafficking \\
        --own my-recommendations.txt --save "KAZ 2026" --out kazakhstan.docx
    python -m tracker report --saved "KAZ 2026" --out kazakhstan.md
    python -m tracker report --state Kazakhstan --outline kazakhstan.toml --out kaz.docx
    python -m tracker report --state Kazakhstan --save-outline kazakhstan.toml
    python -m tracker report --state Kazakhstan --as-of 2019-03-31 --out kaz-2019.md
    python -m tracker snapshot --state Kazakhstan --out kazakhstan.png
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from tracker import db, private_files, submission
from tracker import settings as config
from tracker.cli import (
    CliError,
    add_include_private,
    err,
    iso_date,
    out,
    positive_int,
    ready_engine,
)
from tracker.i18n import _
from tracker.organisation import organisation_name
from tracker.submission import drafts
from tracker.submission import outline as outlines

REPORT_FORMATS = {".docx": "docx", ".md": "md", ".csv": "csv"}
SNAPSHOT_FORMATS = {".png": "png", ".pdf": "pdf"}


def _read_text(flag: str, path: str) -> str:
    """The UTF-8 text file a flag names (``--own``, ``--outline``); CliError naming the flag."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CliError(
            _("{flag}: cannot read {path!r}: {error}").format(
                flag=flag, path=path, error=exc.strerror
            )
        ) from exc
    except UnicodeDecodeError as exc:
        raise CliError(
            _("{flag}: {path!r} is not UTF-8 text").format(flag=flag, path=path)
        ) from exc


def _read_own(path: str) -> list[str]:
    """The organisation's recommendations from a text file: one per line."""
    return [line for line in _read_text("--own", path).splitlines() if line.strip()]


def _settings_from_args(
    args: argparse.Namespace, base: submission.ReportSettings | None
) -> submission.ReportSettings:
    """The saved settings (if any) with every flag given on the command line replacing them."""
    if base is None and not args.state:
        raise CliError(_("--state is required (or --saved NAME)"))
    settings = base or submission.ReportSettings(state=args.state)
    changes: dict[str, object] = {}
    if args.state:
        changes["state"] = args.state
    for flag, attr in (
        ("theme", "themes"),
        ("status", "statuses"),
        ("org", "organisations"),
        ("keyword", "keywords"),
    ):
        if getattr(args, flag):
            changes[attr] = tuple(getattr(args, flag))
    if args.cycle:
        changes["cycles"] = tuple(args.cycle)
    if args.session:
        changes["session"] = args.session
    if args.word_limit:
        changes["word_limit"] = args.word_limit
    if args.evidence:
        changes["evidence"] = args.evidence
    if args.evidence_table:
        changes["evidence_format"] = "table"
    if args.as_of:
        changes["as_of"] = args.as_of
    if args.introduction:
        try:
            changes["introduction"] = Path(args.introduction).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(
                _("--introduction: cannot read {path!r}").format(path=args.introduction)
            ) from exc
    return replace(settings, **changes)  # type: ignore[arg-type]


def _read_outline(path: str) -> outlines.Outline:
    text = _read_text("--outline", path)
    return outlines.read_toml(text, Path(path).name)  # ValidationError names FILE and key


def _save_outline_file(args: argparse.Namespace) -> int:
    """``report --state NAME --save-outline FILE.toml``: the outline saved last for the
    state (or a starter outline from the flags) written as TOML, 0600."""
    with db.session_scope(ready_engine()) as s:
        saved = drafts.latest_outline(s, args.state)
        if saved is not None:
            current = saved[0]
        else:
            settings = submission.validate_settings(s, _settings_from_args(args, None))
            current = outlines.Outline(
                title=_("Stakeholder submission"),
                organisation="; ".join(settings.organisations),
                sections=tuple(
                    outlines.OutlineSection(heading=t, themes=(t,)) for t in settings.themes
                ),
            )
    path = Path(args.save_outline)
    try:
        # An unpublished draft: readable by its owner only.
        private_files.write_private(path, outlines.to_toml(current).encode("utf-8"))
    except OSError as exc:
        raise CliError(
            _("--save-outline: cannot write {path!r}: {error}").format(
                path=str(path), error=exc.strerror
            )
        ) from exc
    out(_("Wrote the outline {title!r} to {file}.").format(title=current.title, file=str(path)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.save_outline:
        if not args.state:
            raise CliError(_("--save-outline needs --state"))
        return _save_outline_file(args)
    if not args.out:
        raise CliError(_("--out is required"))
    fmt = REPORT_FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise CliError(
            _("--out: {path!r} must end in {allowed}").format(
                path=args.out, allowed=", ".join(REPORT_FORMATS)
            )
        )
    actor = config.value(config.ACTOR)
    with db.session_scope(ready_engine()) as s:
        base: submission.ReportSettings | None = None
        own: list[str] = []
        if args.saved:
            base, own = submission.load_saved_report(s, args.saved)
        settings = _settings_from_args(args, base)
        if not settings.organisations:
            name = organisation_name(s)
            if name:
                settings = replace(settings, organisations=(name,))
        if args.own:
            own = _read_own(args.own)
        outline = _read_outline(args.outline) if args.outline else None
        report = submission.build_report(
            s, settings, own, outline=outline, include_private=args.include_private
        )
    if outline is not None:
        # Saved under its title (replacing an earlier one), so that its own
        # recommendations are followed into the review the report is for.
        with db.session_scope(ready_engine()) as s:
            drafts.save_outline(s, outline, settings, actor=actor)
    if args.save:
        with db.session_scope(ready_engine()) as s:
            submission.save_report(s, args.save, settings, own, actor=actor)
    data: bytes
    if fmt == "docx":
        data = submission.to_docx(report)
    elif fmt == "md":
        data = submission.to_markdown(report).encode("utf-8")
    else:
        data = submission.to_csv(report)
    try:
        private_files.write_private(args.out, data)  # a draft, maybe with private entries
    except OSError as exc:
        raise CliError(
            _("--out: cannot write {path!r}: {error}").format(path=args.out, error=exc.strerror)
        ) from exc
    out(
        _(
            "Wrote {file}: {n} recommendations of {state} for session {session}, "
            "{own} own recommendations."
        ).format(
            file=args.out,
            n=report.recommendation_count,
            state=report.state_name,
            session=report.session,
            own=len(report.own_recommendations),
        )
    )
    if args.save:
        out(_("Saved the report settings as {name!r}.").format(name=" ".join(args.save.split())))
    if not report.organisations:
        # As the Report page warns: the title block names the submitting organisation(s).
        err(
            _(
                "warning: name the submitting organisation(s) with --org (or save one on the "
                "Report page): the title block needs them."
            )
        )
    if report.is_sample:
        err(_("warning: the selection contains sample data; the document is marked as such."))
    if report.over_limit:
        err(_("warning: {message}").format(message=report.word_count_message()))
    else:
        out(report.word_count_message())
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from tracker import images, snapshot  # plotly and kaleido: only for this command

    fmt = SNAPSHOT_FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise CliError(
            _("--out: {path!r} must end in {allowed}").format(
                path=args.out, allowed=", ".join(SNAPSHOT_FORMATS)
            )
        )
    with db.session_scope(ready_engine()) as s:
        data = snapshot.snapshot_data(s, args.state, organisation=args.org, as_of=args.as_of)
    try:
        image = snapshot.snapshot_image(snapshot.snapshot_figure(data), fmt)
    except images.ImageExportError as exc:
        raise CliError(str(exc)) from exc
    try:
        private_files.write_private(args.out, image)
    except OSError as exc:
        raise CliError(
            _("--out: cannot write {path!r}: {error}").format(path=args.out, error=exc.strerror)
        ) from exc
    out(_("Wrote the snapshot of {state} to {file}.").format(state=data.state_name, file=args.out))
    if data.is_sample:
        err(_("warning: the snapshot contains sample data and is watermarked as such."))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` and ``snapshot`` commands."""
    p = sub.add_parser(
        "report",
        help=_("write a stakeholder (shadow) report: .docx, .md or .csv"),
        description=_(
            "A UPR stakeholder submission on the earlier recommendations to one state: "
            "numbered paragraphs, a section per theme, each recommendation with its "
            "recommending states and current status, the evidence, and your own "
            "recommendations. Flags given here replace those of --saved."
        ),
    )
    p.add_argument("--state", help=_("state under review (name or ISO code)"))
    p.add_argument("--theme", action="append", default=[], help=_("theme (repeat; default: all)"))
    p.add_argument(
        "--cycle",
        action="append",
        default=[],
        type=positive_int,
        help=_("cycle (repeat; default: every cycle before the one the report is for)"),
    )
    p.add_argument(
        "--status",
        action="append",
        default=[],
        help=_("current status, e.g. partially_implemented (repeat; default: all)"),
    )
    p.add_argument(
        "--org",
        action="append",
        default=[],
        help=_("submitting organisation (repeat for a joint submission)"),
    )
    p.add_argument(
        "--session",
        type=positive_int,
        help=_("the UPR session the report is for (default: the state's next review)"),
    )
    p.add_argument(
        "--word-limit",
        type=positive_int,
        help=_("word limit (default: 2,815 individual, 5,630 joint)"),
    )
    p.add_argument("--keyword", action="append", default=[], help=_("key word (repeat)"))
    p.add_argument(
        "--evidence",
        choices=submission.EVIDENCE_CHOICES,
        help=_("assessments listed per recommendation (default: all)"),
    )
    p.add_argument("--introduction", metavar="FILE", help=_("text file with your introduction"))
    p.add_argument(
        "--own", metavar="FILE", help=_("text file with your own recommendations, one per line")
    )
    p.add_argument(
        "--evidence-table",
        action="store_true",
        help=_("evidence as a table under each recommendation (default: footnotes)"),
    )
    p.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help=_("status as of that day; later assessments and evidence left out"),
    )
    p.add_argument(
        "--outline",
        metavar="FILE.toml",
        help=_("the report's outline (sections, narrative, own recommendations); also saved"),
    )
    p.add_argument(
        "--save-outline",
        metavar="FILE.toml",
        help=_("write the state's current outline to this TOML file (with --state)"),
    )
    p.add_argument("--saved", metavar="NAME", help=_("start from this saved report"))
    p.add_argument("--save", metavar="NAME", help=_("save the settings under this name"))
    p.add_argument("--out", metavar="FILE", help=_("FILE.docx, FILE.md or FILE.csv"))
    add_include_private(p)
    _lang_option(p)
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "snapshot",
        help=_("write a one-page country snapshot for donors: .png (1920×1080) or .pdf"),
    )
    p.add_argument("--state", required=True, help=_("state under review (name or ISO code)"))
    p.add_argument("--org", help=_("organisation named on the image (default: the saved one)"))
    p.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help=_("status as of that day; later assessments left out"),
    )
    p.add_argument("--out", required=True, metavar="FILE", help=_("FILE.png or FILE.pdf"))
    _lang_option(p)
    p.set_defaults(handler=cmd_snapshot)


def _lang_option(p: argparse.ArgumentParser) -> None:
    # tracker.cli.main sets the language from --lang wherever it stands (before parsing, so
    # help texts are translated too); accepted here so that `report --lang ru` parses.
    p.add_argument(
        "--lang",
        default=argparse.SUPPRESS,
        help=_("language of the document (en, ru, ...; default: the messages' language)"),
    )
