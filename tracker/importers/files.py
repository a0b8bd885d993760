"""Bytes -> a table of cells with the row numbers a spreadsheet program shows.

Handles what people's files hold: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode
text"), Windows-1252 and Mac Roman; ``;``, ``,``, tab and ``|`` delimiters; every line-ending
style (CRLF, LF, bare CR); quoted values with line breaks (which stay one row); ``.xlsx``
workbooks; UHRI JSON dumps. Anything that is not a table raises :class:`NotATableError` with
one sentence saying what the file is and what would work instead.

Row numbers: the first line is row 1 (normally the header); a quoted value with line breaks
stays one row; a blank line is a row, as in Excel and LibreOffice. JSON records are numbered
from 1.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.i18n import _

# Delimiters a spreadsheet export may use, in the order preferred on a tie.
DELIMITERS = (";", ",", "\t", "|")
SNIFF_CHARS = 256 * 1024  # enough for dozens of rows of the longest real recommendation texts
SNIFF_RECORDS = 50
HEADER_ROWS = 10  # rows in which the header is looked for (titles or notes may come first)
BINARY_PROBE = 8192
CSV_FIELD_LIMIT = 10 * 1024 * 1024  # one cell; a longer one is an unclosed quote, reported
MAX_SCORED_CHARS = 4000  # non-ASCII characters looked at to choose cp1252 or Mac Roman

csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


class NotATableError(Exception):
    """The file is not a table at all (empty, binary, a broken workbook, ...)."""


@dataclass(frozen=True)
class ImportSource:
    """A file to import: the name shown in messages and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> ImportSource:
        """Read ``path``; a missing or unreadable file raises NotATableError."""
        p = Path(path)
        try:
            return cls(str(path), p.read_bytes())
        except IsADirectoryError:
            raise NotATableError(_("this is a folder, not a file")) from None
        except FileNotFoundError:
            raise NotATableError(_("there is no such file")) from None
        except OSError as exc:
            raise NotATableError(
                _("the file cannot be read ({reason})").format(reason=exc.strerror or exc)
            ) from None


@dataclass
class Sheet:
    """One table: cells by row, each row with its spreadsheet row number."""

    name: str | None  # the worksheet's name (xlsx), else None
    rows: list[tuple[int, list[Any]]]


@dataclass
class Workbook:
    """What a file holds: one or more sheets, and how it was read."""

    kind: str  # "csv", "xlsx" or "json"
    sheets: list[Sheet]
    encoding: str | None = None
    delimiter: str | None = None
    json_records: list[Any] | None = field(default=None, repr=False)

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` (case-insensitive), if any."""
        for s in self.sheets:
            if s.name is not None and s.name.casefold() == name.casefold():
                return s
        return None


HeaderScore = Callable[[list[str]], int]


# --- entry point ----------------------------------------------------------------------------
def read_workbook(source: ImportSource, header_score: HeaderScore) -> Workbook:
    """Read ``source`` into sheets. ``header_score`` rates a candidate header row (how many
    known column names it holds) and chooses the delimiter of a text file."""
    data = source.data
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise NotATableError(_("the file is empty"))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if source.name.lower().endswith((".xlsx", ".xlsm")):
        raise NotATableError(
            _("the name ends in .xlsx but this is not an Excel workbook (damaged, or renamed)")
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotATableError(
            _(
                "this is an old Excel 97-2003 workbook (.xls): open it in a spreadsheet program "
                "and save it as .xlsx or CSV"
            )
        )
    if data.startswith(b"%PDF"):
        raise NotATableError(_("this is a PDF document, not a table"))
    text, encoding = decode(data)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("[", "{"):
        records = _json_records(text, source.name)
        if records is not None:
            return Workbook("json", [], encoding=encoding, json_records=records)
    delimiter = sniff_delimiter(text, header_score)
    rows = parse_csv(text, delimiter)
    return Workbook("csv", [Sheet(None, rows)], encoding=encoding, delimiter=delimiter)


# --- text files -----------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """Decode a text file; return the text and a label of the encoding found.

    A byte-order mark decides; else strict UTF-8; else Windows-1252 or Mac Roman, whichever
    makes the non-ASCII characters read as plausible text (accented letters inside words,
    typographic quotes and dashes in their usual places).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", _("UTF-8 with BOM")), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "UTF-16"), "utf-16"
    probe = data[:BINARY_PROBE]
    if b"\x00" in probe:
        even, odd = probe[0::2].count(0), probe[1::2].count(0)
        half = len(probe) // 2 or 1
        if odd > 0.4 * half and even < 0.05 * half:
            return _strict(data, "utf-16-le", "UTF-16"), "utf-16-le"
        if even > 0.4 * half and odd < 0.05 * half:
            return _strict(data, "utf-16-be", "UTF-16"), "utf-16-be"
        raise NotATableError(
            _("this is a binary file, not a table (use CSV, Excel .xlsx or a UHRI JSON export)")
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[int, int, str, str]] = []
    bare_cr = data.count(b"\r") > 0 and data.count(b"\n") == 0
    for order, enc in enumerate(("cp1252", "mac_roman")):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # On a tie, classic Mac line ends (bare CR) point to Mac Roman.
        tie_break = (1 if enc == "mac_roman" else 0) if bare_cr else -order
        candidates.append((plausibility(text), tie_break, enc, text))
    _score, _tie, enc, text = max(candidates)
    if _control_share(text) > 0.01:
        raise NotATableError(
            _("this is a binary file, not a table (use CSV, Excel .xlsx or a UHRI JSON export)")
        )
    return text, enc


def _strict(data: bytes, encoding: str, label: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NotATableError(
            _("the file says it is {label} text but byte {pos} is not ({reason})").format(
                label=label, pos=exc.start, reason=exc.reason
            )
        ) from None


def _control_share(text: str) -> float:
    sample = text[:BINARY_PROBE]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    return bad / len(sample)


def plausibility(text: str) -> int:
    """How much the non-ASCII characters of ``text`` look like real text (higher is better).

    Accented letters belong inside words (a capital one after a lower-case letter does not);
    typographic quotes and dashes sit next to letters or spaces; symbols such as ``ˆ``, ``√``
    or ``Ž`` in the middle of a word are what a wrong code page produces.
    """
    score = 0
    seen = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        seen += 1
        if seen > MAX_SCORED_CHARS:
            break
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        cat = unicodedata.category(ch)
        if cat == "Ll":
            if prev.isalpha() or nxt.isalpha():
                score += -1 if nxt.isupper() and not prev.isalpha() else 1
        elif cat == "Lu":
            # not after a lower-case letter, and not a one-letter word
            score += -1 if prev.islower() or not (prev.isalpha() or nxt.isalpha()) else 1
        elif ch in "’‘":
            score += 1 if nxt.isalpha() else 0  # women’s; a closing quote is ambiguous
        elif ch in "“«":
            score += 1 if nxt.isalnum() else -1
        elif ch in "”»":
            score += 1 if prev.isalnum() or prev in ".,!?" else -1
        elif ch in "–—":
            score += 1 if prev in " \t" or nxt in " \t" or prev.isdigit() else 0
        elif ch in "€£°©®™§±…•·\u00a0":
            score += 0
        else:
            score -= 1
    return score


def sniff_delimiter(text: str, header_score: HeaderScore) -> str:
    """The delimiter under which the first rows look most like a table of known columns."""
    probe = text[:SNIFF_CHARS]
    best: tuple[int, float, int, int] | None = None
    chosen = DELIMITERS[0]
    for rank, delimiter in enumerate(DELIMITERS):
        records: list[list[str]] = []
        try:
            for record in csv.reader(io.StringIO(probe, newline=""), delimiter=delimiter):
                if any(cell.strip() for cell in record):
                    records.append(record)
                if len(records) >= SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not records:
            continue
        # The header is the best-scoring of the first rows (a title line may come first).
        scores = [header_score(r) for r in records[:HEADER_ROWS]]
        at = max(range(len(scores)), key=lambda i: (scores[i], -i))
        header = records[at]
        width = len(header)
        body = records[at + 1 : -1] if len(records) > at + 2 else records[at + 1 :]
        consistent = sum(1 for r in body if len(r) == width) / len(body) if body else 1.0
        key = (scores[at], consistent if width > 1 else 0.0, width, -rank)
        if best is None or key > best:
            best, chosen = key, delimiter
    return chosen


def parse_csv(text: str, delimiter: str) -> list[tuple[int, list[Any]]]:
    """Every record of ``text`` with its row number (1-based; blank lines count)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    rows: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            rows.append((number, record))
    except csv.Error as exc:
        raise NotATableError(
            _(
                "the file cannot be read as a table from row {row} on ({reason}); "
                'is there a quote (") that is never closed?'
            ).format(row=number + 1, reason=exc)
        ) from None
    return rows


# --- workbooks ------------------------------------------------------------------------------
def _read_xlsx(data: bytes) -> Workbook:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                raise NotATableError(_("this is a Word document, not a table"))
            raise NotATableError(_("this is a zip archive, not an Excel workbook (.xlsx)"))
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except NotATableError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise NotATableError(
            _("this Excel workbook cannot be opened; it may be damaged ({reason})").format(
                reason=type(exc).__name__
            )
        ) from None
    sheets: list[Sheet] = []
    try:
        for ws in wb.worksheets:
            rows: list[tuple[int, list[Any]]] = []
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                rows.append((number, list(values)))
            sheets.append(Sheet(ws.title, rows))
    except Exception as exc:
        raise NotATableError(
            _("this Excel workbook cannot be read; it may be damaged ({reason})").format(
                reason=type(exc).__name__
            )
        ) from None
    finally:
        wb.close()
    if not sheets:
        raise NotATableError(_("this Excel workbook has no worksheet"))
    return Workbook("xlsx", sheets)


# --- JSON -----------------------------------------------------------------------------------
def _json_records(text: str, name: str) -> list[Any] | None:
    """The records of a JSON dump (a list of objects, or an object holding one), or None
    when the text is not JSON and the file name does not claim it is."""
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        if name.lower().endswith(".json"):
            raise NotATableError(
                _("this is not valid JSON (line {line}, column {col}: {reason})").format(
                    line=exc.lineno, col=exc.colno, reason=exc.msg
                )
            ) from None
        return None
    except RecursionError:
        raise NotATableError(_("this JSON document is nested too deeply to be a table")) from None
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) == 1:
            doc = lists[0]
        elif any(isinstance(v, list | dict) for v in doc.values()):
            doc = next((v for v in lists if v and isinstance(v[0], dict)), [doc])
        else:
            doc = [doc]
    if not isinstance(doc, list):
        raise NotATableError(_("this JSON document holds no list of records"))
    if not doc:
        raise NotATableError(_("this JSON document holds no records"))
    return doc


def json_keys(records: list[Any]) -> list[str]:
    """Every key of the records, in order of first appearance."""
    keys: dict[str, None] = {}
    for rec in records[:1000]:
        if isinstance(rec, dict):
            for k in rec:
                keys.setdefault(str(k), None)
    return list(keys)


__all__ = [
    "DELIMITERS",
    "ImportSource",
    "NotATableError",
    "Sheet",
    "Workbook",
    "decode",
    "json_keys",
    "parse_csv",
    "plausibility",
    "read_workbook",
    "sniff_delimiter",
]
