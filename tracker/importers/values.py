"""Cell values as people's files hold them -> clean Python values, or a readable error.

Every parser takes the raw cell (a string from a CSV, or whatever openpyxl or ``json`` gives:
str, int, float, datetime, list, None) and returns the clean value, or raises
:class:`CellError` whose message quotes the value and says what was expected, in words a
spreadsheet user understands. The column name is added by the caller.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from typing import Any

from tracker.i18n import _
from tracker.identity import clean_text
from tracker.vocab import ACTION_CATEGORY_LABELS, Response, parse_response

# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); serials between these
# bounds are 1955..2173, so a plain year such as 2019 is never mistaken for a serial.
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL_MIN = 20_000
EXCEL_SERIAL_MAX = 100_000

# Only complete entities (with the closing ";") are decoded: "R&D" or "AT&T" stay as written.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# openpyxl leaves Excel's escapes of control characters (``_x000D_`` for a carriage return).
_XLSX_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ONE_NUMBER_RE = re.compile(r"^\D*?(\d+)(?:\.0+)?\D*$")
_ACTION_RE = re.compile(r"^(?:category\s*)?([1-5])(?:\.0+)?(?:\s*[-–—:]\s*\D.*|\s+[a-z].*)?$", re.I)
_NEGATIVE_RE = re.compile(r"^\s*-\d")  # "-5", not UHRI's "- 5"
_PARAGRAPH_RE = re.compile(r"^\s*(\d{1,4}(?:\.\d{1,4}){1,3})\.?(?=\s|$)")
# UHRI's texts may name the paragraph in words: "Recommendation No. 12 para. 145.2 ...",
# "para. 145.2 ...", "Paragraph 12: ..." (at least one of the two prefixes).
_PREFIXED_PARAGRAPH_RE = re.compile(
    r"^\s*(?:(?:recommendation\s+no\.?\s*\d{1,4}\s*[,:.]?\s*)"
    r"(?:para(?:graph)?s?\.?\s*(?P<p1>\d{1,4}(?:\.\d{1,4}){0,3})?\.?)?"
    r"|para(?:graph)?s?\.?\s*(?P<p2>\d{1,4}(?:\.\d{1,4}){0,3})\.?)"
    r"(?=[\s:–—-]|$)[\s:–—-]*",
    re.I,
)
# A number that leads a longer label: "20 - October 2014", "Session 20 (2014)", "3rd cycle
# (2017-2022)"; the rest, after a separator, only describes it.
_LEADING_NUMBER_RE = re.compile(
    r"^(?:(?:upr|wg)\s+)?(?:session|cycle)?\s*(?:no\.?\s*)?(\d{1,3})(?:st|nd|rd|th)?"
    r"(?:\s*(?:session|cycle))?\s*[-–—:,(/]\s*(.*\S)\s*$",
    re.I,
)
# What follows a leading number when it names more sessions or cycles (not a year).
_OTHER_NUMBERS_RE = re.compile(r"(?:and\s+)?\d{1,3}(?:\s*(?:[,;&-]|and)\s*\d{1,3})*\)?", re.I)
# Marks that show as nothing, which UHRI's cells carry around names and numbers: left-to-right
# and right-to-left marks, byte order marks, zero-width spaces, directional embeddings;
# no-break spaces become plain spaces. The zero-width (non-)joiners stay: Persian and Indic
# scripts spell words with them.
_INVISIBLE = {
    **dict.fromkeys(map(ord, "\u200b\u200e\u200f\u2060\ufeff"), None),
    **dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None),
    **dict.fromkeys(map(ord, "\u00a0\u2007\u202f"), " "),
}
_SDG_RE = re.compile(r"^\s*(?:sdg\s*)?(\d{1,2}(?:\.[0-9a-z]{1,2})?)\b\s*(?:[-–—:]\s*(.*))?$", re.I)


class CellError(ValueError):
    """A cell value that cannot be used; the message quotes it."""


def quote(value: Any) -> str:
    """A value as it is quoted in messages: ``'27th'``, shortened when very long."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return repr(text)


def decode_entities(text: str) -> str:
    """Decode HTML entities such as ``&#40;`` or ``&amp;`` (UPR Info exports hold some)."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)


def strip_invisible(text: str) -> str:
    """Invisible marks removed and no-break spaces made plain (``"\u200eKazakhstan"`` ->
    ``"Kazakhstan"``); an ASCII text, the usual case, is returned as it is at once."""
    if text.isascii():
        return text
    return text.translate(_INVISIBLE)


def unescape_xlsx(text: str) -> str:
    """Undo Excel's ``_xHHHH_`` escapes of control characters."""
    if "_x" not in text:
        return text
    return _XLSX_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def as_text(value: Any) -> str:
    """Any cell as text: None -> "", whole floats without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "\n".join(as_text(v) for v in value)
    return str(value)


def clean_cell_text(text: str) -> str:
    """:func:`tracker.identity.clean_text`, with a shortcut for the usual one-line text."""
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())
    return clean_text(text)


def single_line(text: str) -> str:
    """Stray whitespace and line breaks removed: for names, codes and numbers."""
    return " ".join(text.split())


def strip_dash(text: str) -> str:
    """UHRI's single value ``"- Kazakhstan"`` -> ``"Kazakhstan"``."""
    text = text.strip()
    if text.startswith("-") and not text[1:2].isdigit():
        text = text[1:].strip()
    return text


def split_dashed(value: Any) -> list[str]:
    """UHRI's multi-value cell (newline-separated ``- x`` lines, or a JSON list) -> values."""
    if value is None:
        return []
    items: Iterable[Any] = value if isinstance(value, list | tuple) else as_text(value).splitlines()
    out: list[str] = []
    for item in items:
        text = single_line(strip_dash(as_text(item)))
        if text and text not in out:
            out.append(text)
    return out


def split_list(text: str, separators: str = ",") -> list[str]:
    """A joined list (``"Women's rights,Justice"``) -> distinct, stripped items in order."""
    pattern = "[" + re.escape(separators) + "\n\r]"
    out: list[str] = []
    for part in re.split(pattern, text):
        item = single_line(part)
        if item and item not in out:
            out.append(item)
    return out


def parse_session(value: Any) -> int:
    """A UPR Working Group session number: ``27``, ``"27"``, ``"27th"``, ``"- 34 Session"``."""
    if isinstance(value, bool):
        raise CellError(_("{value} is not a session number").format(value=quote(value)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(
                _("{value} is not a session number (a whole number such as 27)").format(
                    value=quote(as_text(value))
                )
            )
        number = int(value)
    else:
        text = single_line(as_text(value))
        if not text:
            raise CellError(_("empty — the UPR session number is required"))
        m = None if _NEGATIVE_RE.match(text) else _ONE_NUMBER_RE.match(text) or _leading(text)
        if m is None:
            raise CellError(
                _("{value} is not a session number (a whole number such as 27)").format(
                    value=quote(text)
                )
            )
        number = int(m.group(1))
    if not 1 <= number <= 999:
        raise CellError(
            _("{value} is not a session number (sessions are numbered from 1)").format(
                value=quote(as_text(value))
            )
        )
    return number


def _leading(text: str) -> re.Match[str] | None:
    """The match of a number leading a label (``"20 - October 2014"``); None when what
    follows is another bare number (``"20 - 21"`` names two sessions, not one)."""
    m = _LEADING_NUMBER_RE.match(text)
    if m is None or _OTHER_NUMBERS_RE.fullmatch(m.group(2)):
        return None
    return m


def parse_cycle(value: Any) -> int | None:
    """A UPR cycle number (``3``, ``"3rd cycle"``, ``"Cycle 3"``), None when empty."""
    text = single_line(as_text(value))
    if not text:
        return None
    m = _ONE_NUMBER_RE.match(text) or _leading(text)
    if m is None or not 1 <= int(m.group(1)) <= 99:
        raise CellError(
            _("{value} is not a cycle number (a whole number such as 3)").format(value=quote(text))
        )
    return int(m.group(1))


def parse_action_category(value: Any) -> int | None:
    """UPR Info's action category 1-5 (``"5"``, ``5.0``, ``"5 - Specific action"``,
    ``"Specific action"``), None when empty."""
    text = single_line(as_text(value))
    if not text:
        return None
    m = _ACTION_RE.match(text)
    if m:
        return int(m.group(1))
    folded = text.casefold()
    for number, label in ACTION_CATEGORY_LABELS.items():
        if folded == label.casefold() or folded == _(label).casefold():
            return number
    raise CellError(
        _("{value} is not an action category (a number from 1 to 5, or empty)").format(
            value=quote(text)
        )
    )


def parse_response_cell(value: Any) -> str | None:
    """The response to a recommendation (``Supported``, ``Accepted``, ``- Noted``...)."""
    text = single_line(as_text(value))
    if not text:
        return None
    response = parse_response(text)
    if response is None:
        allowed = ", ".join(r.value for r in Response)
        raise CellError(
            _("{value} is not a response (one of {allowed}; Accepted counts as supported)").format(
                value=quote(text), allowed=allowed
            )
        )
    return response.value


def parse_date_cell(value: Any) -> dt.date | None:
    """A date: a spreadsheet date, an Excel serial number, or text ``YYYY-MM-DD`` (a time
    part, as in ``2019-11-07T00:00:00``, is ignored). None when empty."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value), value)
    text = single_line(as_text(value))
    if not text:
        return None
    try:
        return _from_serial(float(text), text)
    except ValueError:
        pass
    candidate = text.replace("T", " ").split(" ")[0]
    try:
        return dt.date.fromisoformat(candidate)
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
    raise CellError(
        _("{value} is not a date (write it as YYYY-MM-DD, e.g. 2019-11-07)").format(
            value=quote(text)
        )
    )


def _from_serial(serial: float, original: Any) -> dt.date:
    if not EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX:
        raise CellError(
            _("{value} is not a date (write it as YYYY-MM-DD, e.g. 2019-11-07)").format(
                value=quote(as_text(original))
            )
        )
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def split_paragraph(text: str) -> tuple[str | None, str]:
    """``"145.2 Ratify ..."`` -> ``("145.2", "Ratify ...")``; no number -> ``(None, text)``.
    A prefix in words is understood and removed: ``"Recommendation No. 12 para. 145.2 ..."``,
    ``"para. 145.2 ..."`` -> ``"145.2"``; ``"Recommendation No. 12: ..."`` -> no number."""
    m = _PARAGRAPH_RE.match(text)
    if m is not None:
        return m.group(1), text[m.end() :].lstrip()
    if text.lstrip()[:1] in ("R", "r", "P", "p"):
        p = _PREFIXED_PARAGRAPH_RE.match(text)
        if p is not None:
            return p.group("p1") or p.group("p2") or None, text[p.end() :]
    return None, text


def parse_sdg(text: str) -> tuple[str, str | None]:
    """``"16.2 - Protect children ..."`` -> ``("16.2", "Protect children ...")``."""
    m = _SDG_RE.match(text)
    if m is None:
        raise CellError(
            _("{value} is not an SDG goal or target (such as 16 or 16.2)").format(value=quote(text))
        )
    label = single_line(m.group(2) or "") or None
    return m.group(1).lower(), label


def parse_flag(value: Any) -> bool:
    """The template's ``sample`` column: "yes"/"true"/"1"/"x" -> True, empty/"no" -> False."""
    text = single_line(as_text(value)).casefold()
    if text in ("", "no", "false", "0", "n"):
        return False
    if text in ("yes", "true", "1", "y", "x"):
        return True
    raise CellError(_("{value} is not yes or no").format(value=quote(as_text(value))))


def parse_local_id(value: Any) -> str | None:
    """A row's ``id`` in the exporting database, used only to link the Assessments sheet."""
    text = single_line(as_text(value))
    return text or None


def check_length(text: str | None, limit: int) -> None:
    """Raise when ``text`` is longer than the database column allows."""
    if text is not None and len(text) > limit:
        raise CellError(
            _("{value} is too long (at most {n} characters)").format(value=quote(text), n=limit)
        )
