"""``python -m tracker calendar [--state NAME]... [--json] [--ics FILE.ics]``: the review
calendar (tracker.review_calendar) as a table, as JSON or as an iCalendar file."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from tracker import db, review_calendar
from tracker.cli import CliError, out, ready_engine
from tracker.i18n import _
from tracker.states import shown_name


def _today(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a date (YYYY-MM-DD)").format(value=value)
        ) from None


def cmd_calendar(args: argparse.Namespace) -> int:
    with db.session_scope(ready_engine()) as s:
        try:
            items = review_calendar.reviews(s, args.state, args.today)
        except review_calendar.CalendarDataError as exc:
            raise CliError(str(exc)) from exc
    if args.ics:
        n = review_calendar.write_ics(args.ics, items)
        out(_("Wrote {n} events to {file}.").format(n=n, file=args.ics))
        return 0
    if args.json:
        out(json.dumps([r.as_json() for r in items], indent=2, ensure_ascii=False))
        return 0
    labels = {"past": _("past"), "next": _("next"), "planned": _("planned")}
    for r in items:
        due = review_calendar.month_year(r.submission_deadline)
        if r.submission_deadline_estimate:
            due = _("about {month}").format(month=due)
        out(
            _(
                "{state}: cycle {cycle}, session {session}, {month} ({status}); "
                "submissions due {due}; mid-term report about {midterm}"
            ).format(
                state=shown_name(r.state),
                cycle=r.cycle,
                session=r.session,
                month=review_calendar.month_year(r.month),
                status=labels[r.status],
                due=due,
                midterm=review_calendar.month_year(r.midterm_report),
            )
            + (f" · {r.symbol}" if r.symbol else "")
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``calendar``."""
    p = subparsers.add_parser(
        "calendar", help=_("UPR reviews, stakeholder deadlines and mid-term points by state")
    )
    p.add_argument(
        "--state",
        action="append",
        default=[],
        help=_("state under review (name or ISO code; may repeat); all states if omitted"),
    )
    p.add_argument("--json", action="store_true", help=_("print JSON (a stable contract)"))
    p.add_argument("--ics", metavar="FILE.ics", help=_("write an iCalendar file with reminders"))
    p.add_argument(
        "--today",
        type=_today,
        default=None,
        help=_("the date that decides past, next and planned (default: today)"),
    )
    p.set_defaults(handler=cmd_calendar)
