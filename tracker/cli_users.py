"""``python -m tracker users ...``: accounts for a shared instance.

Whoever can run the command line owns the database (its file or URL), so these commands act
as the local administrator. Passwords are read without echo from the terminal, or from
``UPR_TRACKER_PASSWORD`` when it is set (scripts, containers), or from the first line of
standard input when it is not a terminal; they are never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from tracker import auth, db, settings
from tracker.cli import CliError, out, ready_engine
from tracker.i18n import _
from tracker.vocab import Role

ROLES = [r.value for r in Role]


def _password(confirm: bool = True) -> str:
    from_env = settings.value(settings.PASSWORD)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliError(
                _("password: none given (type it at a terminal, or set {env})").format(
                    env=settings.PASSWORD.name
                )
            )
        return line
    first = getpass.getpass(_("Password: "))
    if confirm:
        again = getpass.getpass(_("Password again: "))
        if first != again:
            raise CliError(_("password: the two entries differ; nothing was changed"))
    return first


def _run(fn, *args, **kwargs):
    """Call an account function in one transaction; account errors become CLI errors."""
    try:
        with db.session_scope(ready_engine()) as s:
            return fn(s, *args, **kwargs)
    except (auth.AccountError, auth.PermissionDenied) as exc:
        raise CliError(str(exc)) from exc


def cmd_add(args: argparse.Namespace) -> int:
    # Check name and role before asking for a password.
    auth.validate_username(args.name)
    auth.validate_role(args.role)
    password = _password()
    info = _run(auth.create_user, args.name, password, args.role)
    out(
        _("Added {user} ({role}). The app now asks everyone to log in.").format(
            user=info.username, role=auth.role_label(info.role)
        )
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    users = _run(auth.list_users)
    if not users:
        out(_("No accounts: the app runs in local single-user mode (no login)."))
        return 0
    width = max(len(u.username) for u in users)
    for u in users:
        flags = (
            "  " + _("locked until {time} UTC").format(time=f"{u.locked_until:%Y-%m-%d %H:%M}")
            if u.is_locked()
            else ""
        )
        out(f"{u.username:<{width}}  {u.role:<6}  {u.created_at:%Y-%m-%d}{flags}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    _run(auth.remove_user, args.name)
    out(_("Removed {user}.").format(user=auth.normalise_username(args.name)))
    with db.session_scope(ready_engine()) as s:
        if not auth.accounts_exist(s):
            out(_("No accounts are left: the app runs in local single-user mode (no login)."))
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    info = _run(auth.set_role, args.name, args.role)
    out(_("{user} is now {role}.").format(user=info.username, role=auth.role_label(info.role)))
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    with db.session_scope(ready_engine()) as s:  # say "no such account" before prompting
        if auth.actor_for(s, args.name) is None:
            raise CliError(_("username: there is no account {value!r}").format(value=args.name))
    password = _password()
    _run(auth.set_password, args.name, password)
    out(_("Password changed for {user}.").format(user=auth.normalise_username(args.name)))
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    _run(auth.unlock, args.name)
    out(_("Unlocked {user}.").format(user=auth.normalise_username(args.name)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``users add|list|remove|set-role|set-password|unlock``."""
    p = subparsers.add_parser(
        "users", help=_("accounts and roles (no account: local single-user mode)")
    )
    sub = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    a = sub.add_parser(
        "add",
        help=_("add an account; the password is asked for (or taken from {env})").format(
            env=settings.PASSWORD.name
        ),
    )
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", required=True, choices=ROLES, help=_("viewer, editor or admin"))
    a.set_defaults(handler=cmd_add)

    a = sub.add_parser("list", help=_("list the accounts"))
    a.set_defaults(handler=cmd_list)

    a = sub.add_parser("remove", help=_("remove an account"))
    a.add_argument("name", metavar="NAME")
    a.set_defaults(handler=cmd_remove)

    a = sub.add_parser("set-role", help=_("change an account's role"))
    a.add_argument("name", metavar="NAME")
    a.add_argument("role", metavar="ROLE", choices=ROLES, help=_("viewer, editor or admin"))
    a.set_defaults(handler=cmd_set_role)

    a = sub.add_parser("set-password", help=_("set a new password (also unlocks)"))
    a.add_argument("name", metavar="NAME")
    a.set_defaults(handler=cmd_set_password)

    a = sub.add_parser("unlock", help=_("lift a lockout after failed logins"))
    a.add_argument("name", metavar="NAME")
    a.set_defaults(handler=cmd_unlock)
