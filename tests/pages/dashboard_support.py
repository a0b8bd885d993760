"""Helpers for the dashboard pages' AppTests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, **params: str) -> AppTest:
    """Run the app with ``params`` in the URL, then switch to ``page`` (AppTest drops the URL
    when a page is switched to before the first run, as a browser on a deep link would not)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception[0].value
    return at


def charts(at: AppTest) -> list[dict[str, Any]]:
    """The plotly figures of the page, as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart_titles(at: AppTest) -> list[str]:
    """Chart titles as one line each (the builders wrap them with <br>)."""
    return [c["layout"]["title"]["text"].replace("<br>", " ") for c in charts(at)]


def chart_captions(at: AppTest) -> list[str]:
    return [
        a["text"].replace("<br>", " ")
        for c in charts(at)
        for a in c["layout"].get("annotations", [])
    ]


def widget(elements: Any, label: str) -> Any:
    """The widget of a kind (at.selectbox, at.text_input, ...) with this label."""
    found = [w for w in elements if w.label == label]
    assert found, f"no widget labelled {label!r}: {[w.label for w in elements]}"
    return found[0]


def texts(at: AppTest) -> str:
    """Everything the page says in markdown, captions, info and text elements (Markdown
    escapes removed: the pages escape text from the database)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [t.value for t in at.get("text")]
    parts += [s.value for s in at.subheader] + [t.value for t in at.title]
    return unescape("\n".join(str(p) for p in parts))


def unescape(markdown: str) -> str:
    """Markdown with its backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)
