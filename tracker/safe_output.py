"""What the app writes for other programs to read, made inert: spreadsheet cells, web addresses.

* **Spreadsheet formulas** (OWASP "CSV injection"): a cell whose text starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is a live formula in Excel or LibreOffice when the
  file is opened. Every CSV and XLSX the app produces passes its text cells through
  :func:`neutralise_cell`, which puts an apostrophe before such text (the spreadsheet then
  shows the text as written). The importers undo it with :func:`restore_cell`, so that an
  exported template imports back to the very same text.
* **Web addresses**: :func:`check_url` is the one rule for an evidence URL, at every entry
  (the recommendation page, the CLI, the importers, a restore): ``http`` or ``https``, a host,
  and no whitespace, quotes, angle brackets, backslashes or control characters.
  :func:`link_target` percent-encodes an address for Markdown or HTML output and refuses any
  other scheme (``javascript:``, ``data:``), so that a stored value never becomes markup or a
  script link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from tracker.i18n import _

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
MAX_URL_LENGTH = 1000
URL_SCHEMES = ("http", "https")
# Characters no evidence link needs and that break out of Markdown, HTML or a quoted string.
_URL_FORBIDDEN = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")
# Kept as they are when an address is percent-encoded for Markdown/HTML: the URL syntax
# itself and existing %XX escapes. Parentheses, quotes, spaces and brackets get encoded.
_URL_SAFE = ":/?#@!$&*+,;=%~-._"


class UrlError(ValueError):
    """A value that is not an acceptable web address (the message says why)."""


# --- spreadsheet cells --------------------------------------------------------------------------
def neutralise_cell(value: Any) -> Any:
    """``value`` as it may be written into a CSV or XLSX cell: text that a spreadsheet would
    run as a formula gets an apostrophe in front; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`neutralise_cell`."""
    return [QUOTE + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in values]


def restore_cell(value: Any) -> Any:
    """Undo :func:`neutralise_cell` on a cell read back: ``'=SUM(1)`` -> ``=SUM(1)``. An
    apostrophe before anything else (``'quoted'``) is real text and stays."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:2] in _FORMULA_SET:
        return value[1:]
    return value


def restore_row(values: list[Any]) -> list[Any]:
    """Every cell of a row read back through :func:`restore_cell` (the row itself when no
    cell needs it, which is nearly always: the check costs one pass over the cells)."""
    for v in values:
        if isinstance(v, str) and v[:1] == QUOTE and v[1:2] in _FORMULA_SET:
            return [restore_cell(c) for c in values]
    return values


_FORMULA_SET = frozenset(FORMULA_START)


# --- web addresses ------------------------------------------------------------------------------
def check_url(value: object) -> str | None:
    """The evidence URL ``value`` stripped, None when blank; :class:`UrlError` when it is not
    an ``http``/``https`` address with a host, or holds whitespace, quotes, angle brackets,
    backslashes or control characters, or is longer than :data:`MAX_URL_LENGTH`."""
    if value is not None and not isinstance(value, str):
        raise UrlError(_("{value} is not a web address").format(value=repr(value)[:80]))
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_URL_LENGTH:
        raise UrlError(
            _("the web address is {n} characters long; at most {limit} are allowed").format(
                n=len(text), limit=MAX_URL_LENGTH
            )
        )
    bad = _URL_FORBIDDEN.search(text)
    if bad:
        raise UrlError(
            _("{value} is not a web address: it holds {char}").format(
                value=repr(text[:80]), char=_describe(bad.group())
            )
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        host = None
    if parts.scheme.lower() not in URL_SCHEMES or not host:
        raise UrlError(
            _("{value} is not a web address (http:// or https://)").format(value=repr(text[:80]))
        )
    return text


def _describe(char: str) -> str:
    if char.isspace():
        return _("a space or line break")
    if char in "\"'`":
        return _("a quote")
    if char in "<>":
        return _("an angle bracket")
    if char == "\\":
        return _("a backslash")
    return _("a control character")


def link_target(value: Any) -> str | None:
    """A stored URL made safe to put in a Markdown link, an HTML ``href`` or a DOCX hyperlink:
    percent-encoded, or None when it is not an acceptable ``http``/``https`` address (values
    stored before the validation, or restored from an old backup, are never trusted)."""
    if not isinstance(value, str):
        return None
    try:
        url = check_url(value)
    except UrlError:
        return None
    return quote(url, safe=_URL_SAFE) if url else None


# --- Markdown -----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~])")


def md_literal(text: str) -> str:
    """Stored text made literal in a Markdown document: raw HTML is escaped as entities
    (``<script>`` shows as text in every renderer, not only CommonMark ones) and Markdown's
    punctuation is backslash-escaped; line breaks become spaces."""
    # "&" stays: an entity only ever produces a character, never markup.
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", escaped).replace("\r", " ").replace("\n", " ")


__all__ = [
    "FORMULA_START",
    "MAX_URL_LENGTH",
    "QUOTE",
    "UrlError",
    "check_url",
    "link_target",
    "md_literal",
    "neutralise_cell",
    "neutralise_row",
    "restore_cell",
    "restore_row",
]
