"""Who is acting: the current actor of this context (the app's logged-in user, a block run
``acting_as`` someone, else the local operating-system user).

It sits below :mod:`tracker.audit` (which names the writer of every change) and
:mod:`tracker.auth` (accounts, logins, role checks), which both import it: the audit trail
needs to know who writes without importing the account machinery that writes audit events.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from tracker import settings
from tracker.vocab import Role

ROLE_RANK: dict[Role, int] = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a username and a role (``None``: nobody is logged in)."""

    username: str
    role: Role | None
    local: bool = False  # local single-user mode or the command line (no login)
    # Nobody logged in (anonymous() or public_viewer()): the username names no account, even
    # when an account happens to be called "anonymous" or "public".
    visitor: bool = False

    def can(self, role: Role | str) -> bool:
        """True when this actor's role is at least ``role``."""
        if self.role is None:
            return False
        return ROLE_RANK[self.role] >= ROLE_RANK[Role(role)]


_current: ContextVar[Actor | None] = ContextVar("upr_tracker_actor", default=None)
_provider: Callable[[], Actor | None] | None = None


def os_user() -> str:
    """The local user's name: UPR_TRACKER_ACTOR, else the operating-system login."""
    try:
        return settings.value(settings.ACTOR) or getpass.getuser() or "local"
    except Exception:  # getpass fails without a login name (e.g. in some containers)
        return "local"


def local_actor() -> Actor:
    """The operating-system user, with every right (command line, local single-user mode)."""
    return Actor(os_user(), Role.ADMIN, local=True)


def anonymous() -> Actor:
    """Nobody logged in: may not write anything."""
    return Actor("anonymous", None, visitor=True)


def public_viewer() -> Actor:
    """A visitor of a public read-only instance."""
    return Actor("public", Role.VIEWER, visitor=True)


def set_actor_provider(provider: Callable[[], Actor | None] | None) -> None:
    """Register a function that names the actor from the surrounding framework (the app's
    Streamlit session); it returns None outside that framework."""
    global _provider
    _provider = provider


def set_actor(actor: Actor | None) -> Token[Actor | None]:
    """Make ``actor`` the current actor in this context; returns a token for reset."""
    return _current.set(actor)


def reset_actor(token: Token[Actor | None]) -> None:
    _current.reset(token)


@contextmanager
def acting_as(actor: Actor | str, role: Role | str | None = None) -> Iterator[Actor]:
    """Run a block as ``actor`` (an Actor, or a username with ``role``)."""
    if isinstance(actor, str):
        actor = Actor(actor, Role(role) if role else None)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    """Who is acting now: the app's session user, else the context's actor, else local."""
    if _provider is not None:
        found = _provider()
        if found is not None:
            return found
    return _current.get() or local_actor()
