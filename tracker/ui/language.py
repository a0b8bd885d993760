"""The interface language of a browser session: chosen from the URL (``?lang=``), the
switch in the sidebar, or the logged-in account; right-to-left languages get RTL layout."""

from __future__ import annotations

import streamlit as st

import tracker.auth as auth
from tracker.i18n import _, get_language, is_rtl
from tracker.languages import offered_languages, use_language
from tracker.ui.actor import session_actor
from tracker.ui.data import session

LANG_PARAM = "lang"  # ?lang=ru in the URL
_LANG_KEY = "_lang"  # the language chosen in this browser session
_LANG_WIDGET = "lang_switch"
_LANG_ACCOUNT_CHECKED = "_lang_account"  # the account whose stored language was looked up
# Each language's name in that language (shown in the switch whatever the interface language).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
}
_RTL_CSS = (
    "<style>[data-testid='stMain'] .block-container,[data-testid='stSidebarUserContent']"
    "{direction:rtl;text-align:right}</style>"
)


def _logged_in_account() -> str | None:
    """The username of the account logged in in this browser session; None in local mode and
    for visitors who have not logged in (whatever name their actor carries)."""
    actor = session_actor()
    if actor is None or actor.local or actor.visitor or not actor.username:
        return None
    return actor.username


def _account_language() -> str | None:
    username = _logged_in_account()
    if username is None:
        return None
    with session() as s:
        return auth.user_language(s, username)


def init_language() -> str:
    """Set the interface language for this rerun, before anything is rendered (app.py calls
    it right after ``st.set_page_config``): ``?lang=`` in the URL, else the language chosen
    earlier in this browser session, else the logged-in account's language, else English.
    The choice is kept in the URL like the filters; right-to-left languages get RTL layout."""
    langs = offered_languages()
    url_lang = st.query_params.get(LANG_PARAM)
    if url_lang in langs:
        st.session_state[_LANG_KEY] = url_lang  # an explicit choice (a link, the switch)
    lang = st.session_state.get(_LANG_KEY)
    if lang not in langs:
        lang = _account_language()
    lang = use_language(lang)  # an account's language no longer offered: English
    if (lang != "en" or url_lang) and url_lang != lang:
        st.query_params[LANG_PARAM] = lang
    if is_rtl(lang):
        st.html(_RTL_CSS)
    return lang


def apply_account_language(actor: auth.Actor) -> None:
    """Once per browser session, right after login (or a remembered login) is known: switch
    to the account's language unless a language was chosen explicitly (URL or switch)."""
    if actor.local or actor.visitor or not actor.username or st.session_state.get(_LANG_KEY):
        return
    if st.session_state.get(_LANG_ACCOUNT_CHECKED) == actor.username:
        return
    st.session_state[_LANG_ACCOUNT_CHECKED] = actor.username
    lang = _account_language()
    if lang in offered_languages() and lang != get_language():
        st.session_state[_LANG_KEY] = lang
        st.rerun()  # the page list and the sidebar were already drawn in the other language


def _language_chosen() -> None:
    lang = st.session_state.get(_LANG_WIDGET)
    if not lang or lang not in offered_languages():
        return  # the switch was clicked off: keep the language in force
    st.session_state[_LANG_KEY] = lang
    st.query_params[LANG_PARAM] = lang
    # Only a logged-in account keeps the choice; a visitor's stays in this browser (the URL).
    username = _logged_in_account()
    if username is not None:
        with session() as s:
            auth.set_user_language(s, username, lang)


def language_switch() -> None:
    """The language switch in the sidebar (each language named in itself); hidden while only
    English is offered (tracker.languages). The choice goes into the URL and, when logged
    in, the account."""
    langs = offered_languages()
    if len(langs) < 2:
        return
    st.session_state[_LANG_WIDGET] = get_language()
    with st.sidebar:
        st.segmented_control(
            _("Language"),
            langs,
            key=_LANG_WIDGET,
            format_func=lambda c: LANGUAGE_NAMES.get(c, c),
            on_change=_language_chosen,
            label_visibility="collapsed",
        )
