"""Bytes -> a table of cells with the row numbers a spreadsheet program shows.

Handles what people's files hold: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode
text"), Windows-1252 and Mac Roman; ``;``, ``,``, tab and ``|`` delimiters; every line-ending
style (CRLF, LF, bare CR); quoted values with line breaks (which stay one row); ``.xlsx``
workbooks; UHRI JSON dumps. Anything that is not a table raises :class:`NotATableError` with
one sentence saying what the file is and what would work instead.

Encodings: a text file that is not UTF-8 is read as Windows-1252 or Mac Roman only when an
encoding detector (charset-normalizer) agrees that it reads that way; the guess is reported as
a warning. A file the detector confidently reads otherwise (Shift-JIS, Windows-1251, ...), or a
UTF-8 file with a few invalid bytes, is refused with a message suggesting ``--encoding NAME``.

Limits (:class:`ReadLimits`, from tracker.settings): bytes, rows, characters per cell, columns;
beyond them a file is refused before it can fill the server's memory. Workbooks are streamed
and their ``<dimension>`` tag is ignored (it may be smaller, or far larger, than the data).

Row numbers: the first line is row 1 (normally the header); a quoted value with line breaks
stays one row; a blank line is a row, as in Excel and LibreOffice. JSON records are numbered
from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker import settings
from tracker.i18n import _
from tracker.safe_output import FORMULA_START, QUOTE, restore_row

# Delimiters a spreadsheet export may use, in the order preferred on a tie.
DELIMITERS = (";", ",", "\t", "|")
SNIFF_CHARS = 256 * 1024  # enough for dozens of rows of the longest real recommendation texts
SNIFF_RECORDS = 50
HEADER_ROWS = 10  # rows in which the header is looked for (titles or notes may come first)
BINARY_PROBE = 8192
XLSX_EXPANSION = 10  # what a workbook may expand to, as a multiple of the upload limit
CSV_FIELD_LIMIT = 10 * 1024 * 1024  # one cell; a longer one is an unclosed quote, reported
MAX_SCORED_CHARS = 4000  # non-ASCII characters looked at to choose cp1252 or Mac Roman
MAX_COLUMNS = 1000  # real exports have about 40; a wider row is a bomb or not a table
DETECT_BYTES = 512 * 1024  # what the encoding detector looks at (it samples anyway)
CONFIDENT_CHAOS = 0.05  # charset-normalizer's "mess" ratio under which its guess counts
# Fewer non-ASCII bytes than this are too little for the detector to overrule a plausible
# reading (the real Terman export has three, all Mac Roman, which the detector calls cp1250).
MIN_EVIDENCE = 16
_ASCII = bytes(range(128))
# The encodings read without --encoding (the Windows and Mac spreadsheet defaults).
GUESSED = ("cp1252", "mac_roman")
GUESSED_NAMES = frozenset(codecs.lookup(e).name for e in GUESSED)

# An apostrophe before a formula character: a cell tracker.safe_output protected.
_PROTECTED_CELL = re.compile(re.escape(QUOTE) + "[" + re.escape("".join(FORMULA_START)) + "]")

csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


def _megabytes(size: int) -> str:
    """``52428800`` -> ``"50"``, ``10485`` -> ``"0.01"``: a size in MB as people write it."""
    mb = size / 2**20
    return f"{mb:,.1f}".removesuffix(".0") if mb >= 1 else f"{mb:.2g}"


class NotATableError(Exception):
    """The file is not a table at all (empty, binary, a broken workbook, ...)."""


@dataclass(frozen=True)
class ReadLimits:
    """How much one file may hold: bytes, rows, characters in one cell."""

    max_bytes: int
    max_rows: int
    max_cell_chars: int

    @classmethod
    def from_settings(cls) -> ReadLimits:
        """The limits in force (``UPR_TRACKER_MAX_UPLOAD_MB``, ``..._MAX_ROWS``,
        ``..._MAX_CELL_CHARS``)."""
        return cls(settings.max_upload_bytes(), settings.max_rows(), settings.max_cell_chars())

    def check_size(self, size: int) -> None:
        """NotATableError when a file of ``size`` bytes is over the limit."""
        if size > self.max_bytes:
            raise NotATableError(
                _(
                    "the file is {size} MB; at most {limit} MB can be imported "
                    "(UPR_TRACKER_MAX_UPLOAD_MB)"
                ).format(size=_megabytes(size), limit=_megabytes(self.max_bytes))
            )

    def too_many_rows(self) -> NotATableError:
        """The error for a file with more than ``max_rows`` rows."""
        return NotATableError(
            _(
                "the file has more than {limit} rows; at most {limit} can be imported at once "
                "(UPR_TRACKER_MAX_ROWS): split it into several files"
            ).format(limit=f"{self.max_rows:,}")
        )

    def check_row(self, number: int, cells: list[Any]) -> None:
        """NotATableError when row ``number`` is too wide or holds a cell that is too long."""
        if len(cells) > MAX_COLUMNS:
            raise NotATableError(
                _("row {row} has {n} columns; a table may have at most {limit}").format(
                    row=number, n=f"{len(cells):,}", limit=f"{MAX_COLUMNS:,}"
                )
            )
        for i, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > self.max_cell_chars:
                raise NotATableError(
                    _(
                        "row {row}, column {col}: the cell holds {n} characters; at most "
                        "{limit} are allowed (UPR_TRACKER_MAX_CELL_CHARS)"
                    ).format(
                        row=number, col=i + 1, n=f"{len(cell):,}", limit=f"{self.max_cell_chars:,}"
                    )
                )


@dataclass(frozen=True)
class ImportSource:
    """A file to import: the name shown in messages and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path, limits: ReadLimits | None = None) -> ImportSource:
        """Read ``path``; a missing or unreadable file, or one over the size limit, raises
        NotATableError (the size is checked before anything is read)."""
        p = Path(path)
        limits = limits or ReadLimits.from_settings()
        try:
            if p.is_file():
                limits.check_size(p.stat().st_size)
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
    warnings: list[str] = field(default_factory=list)  # how a guess was made, for the summary

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` (case-insensitive), if any."""
        for s in self.sheets:
            if s.name is not None and s.name.casefold() == name.casefold():
                return s
        return None


HeaderScore = Callable[[Sequence[object]], int]


# --- entry point ----------------------------------------------------------------------------
def read_workbook(
    source: ImportSource,
    header_score: HeaderScore,
    *,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> Workbook:
    """Read ``source`` into sheets. ``header_score`` rates a candidate header row (how many
    known column names it holds) and chooses the delimiter of a text file. ``encoding``
    (a Python codec name) overrides the detection of a text file's encoding; ``limits``
    defaults to :meth:`ReadLimits.from_settings`."""
    limits = limits or ReadLimits.from_settings()
    data = source.data
    limits.check_size(len(data))
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise NotATableError(_("the file is empty"))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, limits)
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
    warnings: list[str] = []
    if encoding:
        text, encoding = decode_as(data, encoding)
    else:
        text, encoding = decode(data, warnings)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("[", "{"):
        records = _json_records(text, source.name)
        if records is not None:
            if len(records) > limits.max_rows:
                raise limits.too_many_rows()
            return Workbook("json", [], encoding=encoding, json_records=records, warnings=warnings)
    delimiter = sniff_delimiter(text, header_score)
    rows = parse_csv(text, delimiter, limits)
    return Workbook(
        "csv", [Sheet(None, rows)], encoding=encoding, delimiter=delimiter, warnings=warnings
    )


# --- text files -----------------------------------------------------------------------------
def decode_as(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode with the encoding the user named (``--encoding``); NotATableError when the
    name is unknown or the bytes are not text in it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise NotATableError(
            _(
                "{name} is not an encoding Python knows (e.g. utf-8, cp1252, latin-1, shift_jis)"
            ).format(name=repr(encoding))
        ) from None
    if name in ("utf-8", "utf-16") and data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = "utf-8-sig" if name == "utf-8" else name
    try:
        return data.decode(name), name
    except UnicodeDecodeError as exc:
        raise NotATableError(
            _("the file is not {name} text: byte {pos} (line {line}) is not ({reason})").format(
                name=encoding, pos=exc.start, line=_line_of(data, exc.start), reason=exc.reason
            )
        ) from None


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def decode(data: bytes, warnings: list[str] | None = None) -> tuple[str, str]:
    """Decode a text file; return the text and a label of the encoding found.

    A byte-order mark decides; else strict UTF-8; else Windows-1252 or Mac Roman, whichever
    makes the non-ASCII characters read as plausible text (accented letters inside words,
    typographic quotes and dashes in their usual places), provided that the encoding detector
    finds that reading among its best (:func:`_check_guess`). The guess is appended to
    ``warnings``. NotATableError for a UTF-8 file with a few invalid bytes and for a file the
    detector confidently reads in another encoding: both ask for ``--encoding``.
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
    except UnicodeDecodeError as exc:
        _refuse_broken_utf8(data, exc)
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
    _check_guess(data, text)
    if warnings is not None:
        label = "Windows-1252" if enc == "cp1252" else "Mac Roman"
        warnings.append(
            _(
                "the file is not UTF-8; it was read as {label} (a guess). If letters look "
                "wrong in the preview, import it again with --encoding NAME, or save it as "
                "UTF-8"
            ).format(label=label)
        )
    return text, enc


def _refuse_broken_utf8(data: bytes, exc: UnicodeDecodeError) -> None:
    """A file that is UTF-8 but for a few bytes must not be read as Windows-1252 (every
    accented letter would turn into two): refuse it, naming the first bad byte."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")
    good = sum(1 for ch in text if ch >= "\x80" and ch != "\ufffd")
    if good > bad:
        raise NotATableError(
            _(
                "the file is UTF-8 text except for byte {pos} (line {line}), which is not "
                "({reason}): correct it (save the file again as UTF-8), or, if the file is in "
                "another encoding, import it with --encoding NAME"
            ).format(pos=exc.start, line=_line_of(data, exc.start), reason=exc.reason)
        )


def _check_guess(data: bytes, text: str) -> None:
    """Refuse the Windows-1252 / Mac Roman reading ``text`` when the encoding detector is
    confident of another one: none of its best candidates (those as free of mess as the
    best) gives the same text nor is one of :data:`GUESSED` (whose choice between them
    :func:`plausibility` makes). An unsure detector leaves the guess alone, and so does a
    file with a handful of non-ASCII bytes that read plausibly."""
    from charset_normalizer import from_bytes

    sample = data[:DETECT_BYTES]
    if len(sample.translate(None, _ASCII)) < MIN_EVIDENCE and plausibility(text) > 0:
        return
    results = list(from_bytes(sample))
    if not results:
        return
    best = min(r.chaos for r in results)
    if best > CONFIDENT_CHAOS:
        return
    top = [r for r in results if r.chaos <= best + 1e-9]
    mine = text[: len(sample)]  # cp1252 and Mac Roman: one character per byte
    for r in top:
        if codecs.lookup(r.encoding).name in GUESSED_NAMES:
            return
        if sample.decode(r.encoding, "replace") == mine:
            return
    guess = codecs.lookup(top[0].encoding).name
    raise NotATableError(
        _(
            "the file is not UTF-8, and it looks like {guess} text rather than Windows-1252 or "
            "Mac Roman: save it as UTF-8, or import it with --encoding NAME (e.g. --encoding "
            "{guess})"
        ).format(guess=guess)
    )


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


def parse_csv(
    text: str, delimiter: str, limits: ReadLimits | None = None
) -> list[tuple[int, list[Any]]]:
    """Every record of ``text`` with its row number (1-based; blank lines count). A cell
    that :mod:`tracker.safe_output` protected from spreadsheets (``'=...``) reads back as
    written. NotATableError beyond ``limits`` (default: the settings)."""
    limits = limits or ReadLimits.from_settings()
    if text.startswith("\ufeff"):
        text = text[1:]
    rows: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    # Cheap pre-checks keep the 61,000-row import as fast as before: no cell can be longer
    # than the text, and no cell needs restore_row unless an apostrophe precedes a formula
    # character somewhere.
    check_cells = len(text) > min(limits.max_cell_chars, 64 * MAX_COLUMNS)
    longest = limits.max_cell_chars
    restore = _PROTECTED_CELL.search(text) is not None
    max_rows = limits.max_rows
    try:
        for number, record in enumerate(reader, start=1):
            if number > max_rows:
                raise limits.too_many_rows()
            if check_cells and (
                len(record) > MAX_COLUMNS or max(map(len, record), default=0) > longest
            ):
                limits.check_row(number, record)
            rows.append((number, restore_row(record) if restore else record))
    except csv.Error as exc:
        raise NotATableError(
            _(
                "the file cannot be read as a table from row {row} on ({reason}); "
                'is there a quote (") that is never closed?'
            ).format(row=number + 1, reason=exc)
        ) from None
    return rows


# --- workbooks ------------------------------------------------------------------------------
def _read_xlsx(data: bytes, limits: ReadLimits) -> Workbook:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            expanded = sum(i.file_size for i in zf.infolist())
        if expanded > XLSX_EXPANSION * limits.max_bytes:
            # A zip bomb: the XML alone would take gigabytes to hold.
            raise NotATableError(
                _(
                    "this Excel workbook expands to {size} MB; at most {limit} MB can be read "
                    "(UPR_TRACKER_MAX_UPLOAD_MB)"
                ).format(
                    size=_megabytes(expanded), limit=_megabytes(XLSX_EXPANSION * limits.max_bytes)
                )
            )
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
    max_rows = limits.max_rows
    try:
        for ws in wb.worksheets:
            # The <dimension> tag is the writer's claim, not the data: trusted, a smaller one
            # loses rows and a huge one pads every row to thousands of empty cells.
            ws.reset_dimensions()
            rows: list[tuple[int, list[Any]]] = []
            # Rows are streamed, and reading stops at the limit: memory stays bounded.
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                if number > max_rows:
                    raise limits.too_many_rows()
                cells = list(values)
                limits.check_row(number, cells)
                rows.append((number, restore_row(cells)))
            sheets.append(Sheet(ws.title, rows))
    except NotATableError:
        raise
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
    "ReadLimits",
    "Sheet",
    "Workbook",
    "decode",
    "decode_as",
    "json_keys",
    "parse_csv",
    "plausibility",
    "read_workbook",
    "sniff_delimiter",
]
