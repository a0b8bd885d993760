"""``python -m tracker review on|off|status``, ``drafts [--json]``, ``publish --id N``: review
before publishing (tracker.evidence)."""

from __future__ import annotations

import argparse
import json

from tracker import db, evidence, settings
from tracker.auth import PermissionDenied
from tracker.cli import CliError, out, positive_int, ready_engine
from tracker.i18n import _
from tracker.vocab import source_type_label, status_label


def cmd_review(args: argparse.Namespace) -> int:
    with db.session_scope(ready_engine()) as s:
        if args.action != "status":
            try:
                evidence.set_review_required(
                    s, args.action == "on", actor=settings.value(settings.ACTOR)
                )
            except PermissionDenied as exc:
                raise CliError(str(exc)) from exc
        on = evidence.review_required(s)
    out(
        _(
            "Review before publishing is on: new assessments are drafts until a second account "
            "publishes them."
        )
        if on
        else _("Review before publishing is off: new assessments count at once.")
    )
    return 0


def cmd_drafts(args: argparse.Namespace) -> int:
    with db.session_scope(ready_engine()) as s:
        try:
            df = evidence.drafts_frame(s)
        except PermissionDenied as exc:
            raise CliError(str(exc)) from exc
    if args.json:
        rows = [
            {
                "assessment_id": int(r.assessment_id),
                "recommendation_id": int(r.recommendation_id),
                "state": r.state,
                "cycle": int(r.cycle),
                "status": r.status,
                "assessed_on": r.assessed_on.isoformat(),
                "source_org": r.source_org,
                "source_type": r.source_type,
                "private": bool(r.is_private),
                "author": r.author,
            }
            for r in df.itertuples(index=False)
        ]
        out(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if df.empty:
        out(_("No drafts await review."))
        return 0
    for r in df.itertuples(index=False):
        out(
            _(
                "draft {n}: recommendation {id} ({state}) {status} as of {date} — {source} "
                "({kind}), by {author}"
            ).format(
                n=r.assessment_id,
                id=r.recommendation_id,
                state=r.state,
                status=status_label(r.status),
                date=r.assessed_on.isoformat(),
                source=r.source_org,
                kind=source_type_label(r.source_type),
                author=r.author,
            )
            + (" · " + _("private") if r.is_private else "")
        )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    with db.session_scope(ready_engine()) as s:
        try:
            a = evidence.publish(s, args.id, actor=settings.value(settings.ACTOR))
        except PermissionDenied as exc:
            raise CliError(str(exc)) from exc
        out(
            _("Published assessment {n} of recommendation {id} ({status}).").format(
                n=a.id, id=a.recommendation_id, status=status_label(a.status)
            )
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``review``, ``drafts`` and ``publish``."""
    p = subparsers.add_parser(
        "review", help=_("review before publishing: new assessments are drafts (admins)")
    )
    p.add_argument("action", choices=["on", "off", "status"])
    p.set_defaults(handler=cmd_review)

    p = subparsers.add_parser("drafts", help=_("the draft assessments awaiting review"))
    p.add_argument("--json", action="store_true", help=_("print JSON (a stable contract)"))
    p.set_defaults(handler=cmd_drafts)

    p = subparsers.add_parser(
        "publish", help=_("publish a draft assessment (another account than its author)")
    )
    p.add_argument("--id", type=positive_int, required=True, help=_("assessment id of the draft"))
    p.set_defaults(handler=cmd_publish)
