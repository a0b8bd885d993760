"""``python -m tracker link``: suggest links from recommendations to their repeats in later
cycles (see tracker.linking).

``--json`` prints the suggested and confirmed links of the states (all when no ``--state``)
as a list of objects with exactly ``earlier_id``, ``later_id``, ``score``, ``confirmed``
(true once a person confirmed it), ``earlier_text`` and ``later_text``; the summary then goes
to standard error, so that standard output stays valid JSON.

``--own`` does the same for the organisation's own recommendations (saved with report
outlines): which recommendations of the review they were written for took them up
(:mod:`tracker.own_links`); ``--json`` then lists objects with exactly ``own_id``,
``own_text``, ``recommendation_id``, ``recommendation_text``, ``score`` and ``confirmed``.
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from tracker import db, linking, own_links
from tracker.cli import CliError, err, out, ready_engine
from tracker.i18n import _, ngettext
from tracker.models import State
from tracker.states import resolve_iso3


def _threshold(value: str) -> float:
    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a number").format(value=value)
        ) from None
    if not 0 <= t <= 100:
        raise argparse.ArgumentTypeError(
            _("{value!r} is not a score between 0 and 100").format(value=value)
        )
    return t


def _state_ids(session, names: list[str]) -> list[int] | None:
    if not names:
        return None
    codes = [resolve_iso3(n) for n in names]  # UnknownStateError quotes the name
    ids = dict(session.execute(select(State.iso3, State.id).where(State.iso3.in_(codes))).all())
    missing = [n for n, c in zip(names, codes, strict=True) if c not in ids]
    if missing:
        raise CliError(
            _("--state: {value!r} has no recommendations in this database").format(value=missing[0])
        )
    return [ids[c] for c in codes]


def _cmd_own(args: argparse.Namespace) -> int:
    say = err if args.json else out
    with db.session_scope(ready_engine()) as s:
        state_ids = _state_ids(s, args.state)
        added = own_links.suggest_own(s, state_ids, threshold=args.threshold)
        listed = own_links.own_links_list(s, state_ids)
    say(
        ngettext(
            "Suggested {n} new recommendation that took up one of your own.",
            "Suggested {n} new recommendations that took up your own.",
            added,
        ).format(n=added)
    )
    if added:
        say(_("Confirm or reject them on each recommendation's page."))
    if args.json:
        out(json.dumps(listed, indent=2, ensure_ascii=False))
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    if args.own:
        return _cmd_own(args)
    say = err if args.json else out
    with db.session_scope(ready_engine()) as s:
        state_ids = _state_ids(s, args.state)
        result = linking.suggest(s, state_ids, threshold=args.threshold)
        listed = linking.links_list(s, state_ids) if args.json else []
    if result.states == 0:
        say(_("Nothing to compare: no state under review has recommendations in two cycles."))
    else:
        if result.added:
            say(
                ngettext(
                    "Suggested {n} new link to a repeat in a later cycle.",
                    "Suggested {n} new links to repeats in later cycles.",
                    result.added,
                ).format(n=result.added)
            )
        else:
            say(
                _(
                    "No new suggestions: every likely repeat is already suggested, confirmed or "
                    "rejected."
                )
            )
        say(
            ngettext(
                "Compared {recs} recommendations of {n} state under review",
                "Compared {recs} recommendations of {n} states under review",
                result.states,
            ).format(recs=result.recommendations, n=result.states)
            + "; "
            + _("pairs already suggested, confirmed or rejected: {known}.").format(
                known=result.known
            )
        )
        if result.added:
            say(_("Confirm or reject them on each recommendation's page."))
    if args.json:
        out(json.dumps(listed, indent=2, ensure_ascii=False))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "link", help=_("suggest links from recommendations to their repeats in later cycles")
    )
    p.add_argument(
        "--state",
        action="append",
        default=[],
        help=_("state under review (name or ISO code; may repeat); default: all"),
    )
    p.add_argument(
        "--threshold",
        type=_threshold,
        default=linking.DEFAULT_THRESHOLD,
        help=_("lowest similarity score to suggest, 0-100 (default {t:g})").format(
            t=linking.DEFAULT_THRESHOLD
        ),
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=_("print the suggested and confirmed links as JSON"),
    )
    p.add_argument(
        "--own",
        action="store_true",
        help=_("which recommendations took up your own (saved with report outlines)"),
    )
    p.set_defaults(handler=cmd_link)
