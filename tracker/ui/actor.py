"""Who acts in this browser session: the actor kept in the Streamlit session (tracker.auth
asks for it through the provider registered here) and the role checks pages use."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import tracker.auth as auth
from tracker.i18n import _
from tracker.ui.markup import md_escape

ACTOR_KEY = "_auth_actor"  # the auth.Actor this browser session acts as


def session_actor() -> auth.Actor | None:
    """auth's actor provider: the actor of the Streamlit session running this code (also in
    widget callbacks, which run before the page script); None outside a script run."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, auth.Actor) else None


auth.set_actor_provider(session_actor)


def current_actor() -> auth.Actor:
    """Who acts in this browser session (set by :func:`require_login`)."""
    return auth.current_actor()


def can_write() -> bool:
    """True when the current user may change data (editor or admin): pages show write
    actions only then. The real check is in tracker's write functions."""
    return auth.current_actor().can(auth.Role.EDITOR)


def is_admin() -> bool:
    """True when the current user manages accounts (admin, or local single-user mode)."""
    return auth.current_actor().can(auth.Role.ADMIN)


def require_role(role: str, what: str) -> auth.Actor:
    """Stop the page with a short explanation unless the current user has ``role``."""
    actor = auth.current_actor()
    if not actor.can(role):
        st.info(
            _("{what} needs the {role} role; you are logged in as {user} ({have}).").format(
                what=what,
                role=auth.role_label(role),
                user=md_escape(actor.username),
                have=auth.role_label(actor.role),
            ),
            icon=":material/lock:",
        )
        st.stop()
    return actor
