"""Logging in and out: the login form, the remembered login (a signed cookie), idle expiry,
local single-user mode and public read-only mode (the rules are in tracker.auth)."""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy.orm import Session

import tracker.auth as auth
from tracker.hints import cli_command
from tracker.i18n import _
from tracker.ui.actor import ACTOR_KEY
from tracker.ui.data import begin_run, query, session, write
from tracker.ui.language import apply_account_language
from tracker.ui.markup import md_escape

LOGIN_KEY = "_auth_login"  # {"token", "issued", "last_seen"} of this browser session's login
COOKIE = "upr_tracker_login"  # the remembered login (a signed token), so reloads stay logged in
TOKEN_REFRESH_S = 15 * 60  # renew the cookie this often while active (idle expiry's precision)
_CLEAR_COOKIE_KEY = "_auth_clear_cookie"
_LOGIN_ATTEMPT_KEY = "_auth_attempt"
_LOGIN_FAILURE_KEY = "_auth_failure"


def _establish(actor: auth.Actor) -> None:
    st.session_state[ACTOR_KEY] = actor
    auth.set_actor(actor)
    apply_account_language(actor)


def _accounts_exist(s: Session) -> bool:
    return auth.accounts_exist(s)


def _cookie_script(value: str, max_age: int) -> None:
    # The token is base64url text and a dot: nothing in it can end the string or the script.
    st.html(
        "<script>(function(){var s=location.protocol==='https:'?'; Secure':'';"
        f"document.cookie='{COOKIE}={value}; path=/; max-age={max_age}; SameSite=Strict'+s;"
        "})();</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def _remember(token: str) -> None:
    """Keep the login in this session and in the browser (cookie) for reloads and new tabs."""
    issued = auth.token_issued_at(token) or time.time()
    st.session_state[LOGIN_KEY] = {"token": token, "issued": issued, "last_seen": time.time()}
    with st.sidebar:
        _cookie_script(token, int(auth.session_hours() * 3600))


def require_login() -> auth.Actor:
    """Decide who acts in this browser session, at the top of every rerun (app.py).

    No account in the database: local single-user mode (everything allowed, a banner says
    so). Otherwise a logged-in session acts as its account with its role as stored now, until
    it has been idle for ``UPR_TRACKER_SESSION_HOURS`` (default 8), its password changes, or
    it logs out; the login survives reloads and new tabs (a signed cookie). With
    ``UPR_TRACKER_PUBLIC_READONLY=1`` anyone else views as a viewer; otherwise the login
    form is shown and the page stops.
    """
    begin_run()
    if not query(_accounts_exist):
        st.session_state.pop(LOGIN_KEY, None)
        actor = auth.local_actor()
        _establish(actor)
        st.sidebar.info(
            _(
                "**Local single-user mode**: no accounts are set up, so whoever opens this "
                "app can change the data. To share it, add an admin account: `{command}`."
            ).format(command=cli_command("users add NAME --role admin")),
            icon=":material/person:",
        )
        return actor
    notice = None
    login = st.session_state.get(LOGIN_KEY)
    if not isinstance(login, dict) and not st.session_state.get(_CLEAR_COOKIE_KEY):
        remembered = st.context.cookies.get(COOKIE)
        if remembered:
            with session() as s:
                if auth.verify_token(s, remembered) is not None:
                    login = {
                        "token": remembered,
                        "issued": auth.token_issued_at(remembered) or 0.0,
                        "last_seen": time.time(),
                    }
                    st.session_state[LOGIN_KEY] = login
    if isinstance(login, dict):
        now = time.time()
        found = query(auth.verify_token, str(login.get("token", "")))
        if (now - float(login.get("last_seen", 0))) / 3600 > auth.session_hours():
            notice = _(
                "Your session ended after {hours:g} hours without activity. Please log in again."
            ).format(hours=auth.session_hours())
        elif found is None:
            notice = _(
                "Your login has ended (logged out, new password, or the account was removed). "
                "Please log in again."
            )
        else:
            login["last_seen"] = now
            _establish(found)
            if now - float(login.get("issued", 0)) > TOKEN_REFRESH_S:
                _remember(write(auth.issue_token, found.username))
            _account_sidebar(found)
            return found
        st.session_state.pop(LOGIN_KEY, None)
    if st.session_state.pop(_CLEAR_COOKIE_KEY, False):
        with st.sidebar:
            _cookie_script("", 0)
    if auth.public_readonly():
        actor = auth.public_viewer()
        _establish(actor)
        with st.sidebar.expander(_("Log in to edit"), icon=":material/login:"):
            _login_form(notice)
        return actor
    _establish(auth.anonymous())
    st.title(_("Log in"))
    st.caption(_("This UPR Tracker is shared: log in with the account an administrator gave you."))
    _login_form(notice, width=460)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the script run


def _login_form(notice: str | None, width: int | str = "stretch") -> None:
    if notice:
        st.info(notice, icon=":material/schedule:", width=width)  # type: ignore[arg-type]
    # A new key after each failed attempt gives an empty password field.
    attempt = st.session_state.get(_LOGIN_ATTEMPT_KEY, 0)
    with st.form("login", border=True, width=width):  # type: ignore[arg-type]
        username = st.text_input(_("Username"), key="login_username", autocomplete="username")
        password = st.text_input(
            _("Password"),
            type="password",
            key=f"login_password_{attempt}",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(_("Log in"), type="primary", icon=":material/login:")
    failure = st.session_state.pop(_LOGIN_FAILURE_KEY, None)
    if failure and not submitted:
        st.error(failure, icon=":material/error:", width=width)  # type: ignore[arg-type]
    if not submitted:
        return
    with session() as s:
        result = auth.authenticate(s, username, password, client=st.context.ip_address)
        token = auth.issue_token(s, result.actor.username) if result.actor else None
    if result.actor is None or token is None:
        st.session_state[_LOGIN_FAILURE_KEY] = result.message
        st.session_state[_LOGIN_ATTEMPT_KEY] = attempt + 1
        st.rerun()
    st.session_state[LOGIN_KEY] = {"token": token, "issued": 0.0, "last_seen": time.time()}
    _establish(result.actor)
    st.rerun()  # the next run sets the cookie ("issued" 0 asks for a fresh token)


def _account_sidebar(actor: auth.Actor) -> None:
    with st.sidebar:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.caption(
            _("Logged in as **{user}** ({role})").format(
                user=md_escape(actor.username), role=auth.role_label(actor.role)
            )
        )
        if c2.button(_("Log out"), key="logout", icon=":material/logout:", type="tertiary"):
            logout()


def logout() -> None:
    """End this account's login (in every browser) and show the login form."""
    actor = auth.current_actor()
    if actor.role is not None and not actor.local:
        write(auth.end_remembered_logins, actor.username)
    st.session_state.pop(LOGIN_KEY, None)
    st.session_state[_CLEAR_COOKIE_KEY] = True
    _establish(auth.anonymous())
    st.rerun()
