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
* **Characters that break a file or disguise its text**: every writer passes stored text
  through :func:`printable` (see there for what is dropped, replaced or closed, and why).
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


# --- printable text -----------------------------------------------------------------------------
# C0 controls but tab, line feed and carriage return; DEL.
CONTROL_CHARS = "".join(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
_EMBEDDINGS = "\u202a\u202b\u202d\u202e"  # LRE RLE LRO RLO, each closed by PDF
_ISOLATES = "\u2066\u2067\u2068"  # LRI RLI FSI, each closed by PDI
_PDF, _PDI = "\u202c", "\u2069"
_DROPPED = CONTROL_CHARS + "\ufffe\uffff"
# One search decides whether a text needs any work: nearly no stored text does.
_UNPRINTABLE = re.compile(
    "[" + re.escape(_DROPPED) + "\ud800-\udfff" + _EMBEDDINGS + _ISOLATES + _PDF + _PDI + "]"
)
_DROP = str.maketrans(dict.fromkeys(map(ord, _DROPPED), None))
# Below U+0100 the unprintable characters are the C0 controls and DEL: a text that fits in
# Latin-1 is checked a byte at a time by one table look-up (0 = unprintable).
_LATIN1_PRINTABLE = bytes(0 if chr(i) in _DROPPED else 1 for i in range(256))
_LONG_TEXT = 4096  # characters from which the Latin-1 path pays (a file's megabyte pieces)
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """Stored text as every writer of the app puts it in a file (DOCX, XLSX, CSV, Markdown,
    chart images), whatever an import, a restore of an old backup, the form or the command
    line let into the database. One rule for all outputs, because the harm is the same:

    * **C0 control characters** (``\\x00``-``\\x08``, ``\\x0b``, ``\\x0c``,
      ``\\x0e``-``\\x1f``) and DEL ``\\x7f`` are **dropped**; tab, line feed and carriage
      return stay. XML (DOCX, XLSX) cannot hold them at all (python-docx raises "All strings
      must be XML compatible", openpyxl IllegalCharacterError); in a CSV or Markdown file a NUL
      ends the text for many programs and an ESC drives the terminal that prints the file.
      They carry no meaning in UPR text. The non-characters U+FFFE and U+FFFF (also illegal in
      XML) are dropped too.
    * **Lone surrogates** (U+D800-U+DFFF, which no UTF-8 file can hold) become U+FFFD, the
      replacement character: the reader sees that something was there.
    * **Bidirectional controls** (U+202A-U+202E, U+2066-U+2069) are **kept but balanced**: an
      embedding or override left open is closed at the end of the text, and a closing mark with
      nothing to close is dropped. They are legitimate in Arabic, Hebrew or Persian text, so
      they stay and still shape the stored text itself; balanced, they can no longer reorder
      what follows it in our own output (the status after a recommendation in the report, the
      next cell of a Markdown table or CSV line): the "Trojan Source" trick.
    * **Zero-width characters** (U+200B-U+200D, U+2060, U+FEFF) are **kept**: joiners are
      needed in Persian, Indic scripts and emoji, and none of them moves other text.
    * **Long text** is kept whole here; a format with a limit cuts it where it is written
      (:data:`tracker.spreadsheet.XLSX_MAX_CELL_CHARS`).

    A **backup** is the one output that keeps text exactly as stored (tracker.backup), so that a
    restore gives the same database. Entry points strip the controls as well
    (:func:`strip_controls`), so new data never holds them; this function is for what is
    already stored."""
    if not _UNPRINTABLE.search(text):
        return text
    text = _SURROGATE.sub(REPLACEMENT, text.translate(_DROP))
    return _balanced_bidi(text)


def _balanced_bidi(text: str) -> str:
    """``text`` with every bidi embedding, override or isolate closed inside it."""
    out: list[str] = []
    open_marks: list[str] = []  # the closing mark each open control waits for
    for char in text:
        if char in _EMBEDDINGS:
            open_marks.append(_PDF)
        elif char in _ISOLATES:
            open_marks.append(_PDI)
        elif char == _PDF:
            if not open_marks or open_marks[-1] != _PDF:
                continue  # closes nothing opened here (or would cross an isolate): dropped
            open_marks.pop()
        elif char == _PDI:
            if _PDI not in open_marks:
                continue
            # A PDI closes the embeddings opened inside its isolate: said explicitly.
            while open_marks[-1] != _PDI:
                out.append(open_marks.pop())
            open_marks.pop()
        out.append(char)
    out.extend(reversed(open_marks))
    return "".join(out)


def strip_controls(text: str) -> tuple[str, int]:
    """``text`` without C0 control characters and DEL (tab, line feed and carriage return
    stay) nor the non-characters U+FFFE and U+FFFF, and how many were removed: the entry rule
    (importers, forms, command line), so that stored text stays printable. Bidi controls and
    zero-width characters are legitimate text and stay (see :func:`printable`). An importer
    says where it removed some (tracker.importers.rows.strip_row_controls); a form or the
    command line removes them silently: a person typed or pasted the text and sees it back."""
    cleaned = text.translate(_DROP) if _unprintable(text) else text
    return cleaned, len(text) - len(cleaned)


def _unprintable(text: str) -> bool:
    """True when ``text`` holds a character :func:`strip_controls` removes. A long text
    that fits in Latin-1 (the 61k UPR Info export's does) is checked in 9 ms instead of
    the regular expression's 44 ms for its 15 MB."""
    if len(text) >= _LONG_TEXT:
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            pass
        else:
            return raw.translate(_LATIN1_PRINTABLE).find(0) >= 0
    return _UNPRINTABLE.search(text) is not None


def entry_text(value: str | None) -> str:
    """Text typed in a form or on the command line, without control characters (the entry
    rule, :func:`strip_controls`): ``None`` gives ""."""
    return strip_controls(value)[0] if value else ""


# --- spreadsheet cells --------------------------------------------------------------------------
def neutralise_cell(value: Any) -> Any:
    """``value`` as it may be written into a CSV or XLSX cell: text made :func:`printable`,
    and text that a spreadsheet would run as a formula gets an apostrophe in front; anything
    else is returned unchanged."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_START):
            return QUOTE + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`neutralise_cell`."""
    row = values if isinstance(values, list) else list(values)
    # One search for the whole row: nearly no row needs printable() (an export's hot loop).
    if _UNPRINTABLE.search("".join([v for v in row if isinstance(v, str)])):
        return [neutralise_cell(v) if isinstance(v, str) else v for v in row]
    return [QUOTE + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]


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
    punctuation is backslash-escaped; line breaks become spaces; the text is :func:`printable`."""
    # "&" stays: an entity only ever produces a character, never markup.
    escaped = printable(text).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", escaped).replace("\r", " ").replace("\n", " ")


__all__ = [
    "CONTROL_CHARS",
    "FORMULA_START",
    "MAX_URL_LENGTH",
    "QUOTE",
    "REPLACEMENT",
    "UrlError",
    "check_url",
    "entry_text",
    "link_target",
    "md_literal",
    "neutralise_cell",
    "neutralise_row",
    "printable",
    "restore_cell",
    "restore_row",
    "strip_controls",
]
