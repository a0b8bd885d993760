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
