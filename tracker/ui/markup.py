"""Text from the database shown safely: inert Markdown, literal text, and the one-rerun
"flash" message of a page after a change."""

from __future__ import annotations

import re

import streamlit as st


def md_escape(text: str | None) -> str:
    """Text from the database made inert for st.markdown: shown literally, never as markup."""
    if not text:
        return ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~$])", r"\\\1", escaped).replace("\n", "  \n")


def text(value: str | None) -> None:
    """Text from the database, shown exactly as stored (no Markdown, no HTML)."""
    st.text(value or "", width="stretch")


FLASH_SHOWN_KEY = "_flash_shown"  # the message the latest run showed (see flash_shown)


def flash(message: str | None = None) -> None:
    """Keep ``message`` (plain text) to show after the next rerun; without a message, show
    and forget the one kept (a success box here and a toast)."""
    if message is not None:
        st.session_state["_flash"] = message
        return
    kept = st.session_state.pop("_flash", None)
    if kept:
        st.success(md_escape(kept), icon=":material/check_circle:")
        st.toast(md_escape(kept), icon=":material/check_circle:")
        st.session_state[FLASH_SHOWN_KEY] = kept
    else:
        st.session_state.pop(FLASH_SHOWN_KEY, None)


def flash_shown() -> str | None:
    """The message the page's latest full run showed with :func:`flash` (None if none), for
    code that reruns the page at once and would otherwise wipe it before anyone read it."""
    return st.session_state.pop(FLASH_SHOWN_KEY, None)
