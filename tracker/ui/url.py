"""A page's own controls kept in the URL, so that a copied link reproduces them too.

The sidebar filters are synced by tracker.ui.sidebar.sync_query_params; a page's own controls
(the flag shown, the Explorer's sort and page, the chosen recommending state) call
:func:`url_value` before their widget and :func:`keep_in_url` after it. (Streamlit's
bind="query-params" loses them when the app rewrites the filter parameters on the same run.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st


def url_value(key: str, parse: Callable[[str], Any], default: Any) -> None:
    """Before the widget with ``key``: take its value from ``?key=`` when the URL holds a
    value the app did not write itself (a pasted link, a page link); else keep the widget's
    own value, or ``default``. ``parse`` returns the value for a URL string, None if invalid.
    """
    raw = st.query_params.get(key)
    written = st.session_state.get(f"_url_{key}") if key in st.session_state else None
    if raw is not None and raw != written:
        try:
            value = parse(raw)
        except (TypeError, ValueError):
            value = None
        if value is not None:
            st.session_state[key] = value
    if key not in st.session_state or not _still_valid(parse, st.session_state[key]):
        st.session_state[key] = default


def _still_valid(parse: Callable[[str], Any], value: Any) -> bool:
    """Whether a kept value is still allowed (the options change with the filters)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return parse(text) is not None
    except (TypeError, ValueError):
        return False


def keep_in_url(key: str, value: Any, default: Any) -> None:
    """After the widget: write its value to ``?key=`` (left out when it is the default)."""
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
        st.session_state[f"_url_{key}"] = None
        return
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if st.query_params.get(key) != text:
        st.query_params[key] = text
    st.session_state[f"_url_{key}"] = text


def parse_choice(options: Any) -> Callable[[str], Any]:
    """A ``parse`` for url_value: the option whose text is the URL value."""
    by_text = {str(o): o for o in options}
    return by_text.get


def parse_int(low: int, high: int) -> Callable[[str], int | None]:
    """A ``parse`` for url_value: a whole number from ``low`` to ``high``."""

    def parse(raw: str) -> int | None:
        n = int(raw)
        return n if low <= n <= high else None

    return parse


def parse_bool(raw: str) -> bool | None:
    """A ``parse`` for url_value: true/false, 1/0."""
    return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower())
