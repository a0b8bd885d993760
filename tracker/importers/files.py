"""Bytes -> a table of cells with the row numbers a spreadsheet program shows.

Handles what people's files hold: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode
text"), Windows-1252 and Mac Roman; ``;``, ``,``, tab and ``|`` delimiters; every line-ending
style (CRLF, LF, bare CR); quoted values with line breaks (which stay one row); ``.xlsx``
workbooks; UHRI JSON dumps. Anything that is not a table raises :class:`NotATableError` with
one sentence saying what the file is and what would work instead.

Encodings (:mod:`.encodings`): a text file that is not UTF-8 is read as Windows-1252 or Mac
Roman only when an encoding detector agrees that it reads that way; otherwise it is refused
with a message suggesting ``--encoding NAME``.

Limits (:class:`ReadLimits`, in :mod:`.sources` with the file and table types): bytes, rows,
characters per cell, columns; beyond them a file is refused before it can fill the server's
memory. Workbooks are streamed
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
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from tracker.i18n import _
from tracker.importers.encodings import (
    check_encoding,
    decode,
    decode_as,
    find_encoding,
    iter_text,
    plausibility,
)
from tracker.importers.sources import (
    MAX_COLUMNS,
    HeaderScore,
    ImportSource,
    NotATableError,
    ReadLimits,
    Row,
    RowStream,
    Sheet,
    Workbook,
    megabytes,
)
from tracker.safe_output import FORMULA_START, QUOTE, restore_row, strip_controls

# Delimiters a spreadsheet export may use, in the order preferred on a tie.
DELIMITERS = (";", ",", "\t", "|")
SNIFF_CHARS = 256 * 1024  # enough for dozens of rows of the longest real recommendation texts
SNIFF_RECORDS = 50
HEADER_ROWS = 10  # rows in which the header is looked for (titles or notes may come first)
XLSX_EXPANSION = 10  # what a workbook may expand to, as a multiple of the upload limit
CSV_FIELD_LIMIT = 10 * 1024 * 1024  # one cell; a longer one is an unclosed quote, reported

# An apostrophe before a formula character: a cell tracker.safe_output protected.
_PROTECTED_CELL = re.compile(re.escape(QUOTE) + "[" + re.escape("".join(FORMULA_START)) + "]")

csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


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
    # The encoding is found and every byte checked, but the text is not held: a CSV is
    # decoded and split into rows a piece at a time as its rows are read (stream_csv).
    codec = check_encoding(data, encoding) if encoding else find_encoding(data, warnings)
    head = _text_head(data, codec)
    if head.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
        records = _json_records(data.decode(codec), source.name)
        if records is not None:
            if len(records) > limits.max_rows:
                raise limits.too_many_rows()
            return Workbook("json", [], encoding=codec, json_records=records, warnings=warnings)
    delimiter = sniff_delimiter(head, header_score)
    del head
    sheet = stream_csv(data, codec, delimiter, limits)
    return Workbook("csv", [sheet], encoding=codec, delimiter=delimiter, warnings=warnings)


# --- text files -----------------------------------------------------------------------------
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


def _text_head(data: bytes, codec: str) -> str:
    """The first :data:`SNIFF_CHARS` characters of the text (no byte-order mark), for the
    delimiter and JSON checks."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    size = SNIFF_CHARS * 4  # bytes enough for SNIFF_CHARS characters in any encoding read
    return decoder.decode(memoryview(data)[:size], final=len(data) <= size)[:SNIFF_CHARS]


def _aligned(pieces: Iterable[str]) -> Iterator[str]:
    """The text of ``pieces`` again, in pieces that end after a line feed (but the last)."""
    tail = ""
    for piece in pieces:
        text = tail + piece if tail else piece
        cut = text.rfind("\n") + 1
        if cut:
            yield text[:cut]
        tail = text[cut:]
    if tail:
        yield tail


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of the text given in ``pieces`` (each ending after a line feed, but the
    last: :func:`_aligned`) with their endings (CRLF, LF or a bare CR), as
    io.StringIO(newline="") gives them, which would first copy the whole text at four bytes
    a character (60 MB for the 15 MB UPR Info export); a piece at a time, so that the lines
    are not all held at once either. str.splitlines also ends a line at form feeds, U+2028
    and the like: those pieces are joined again."""
    pending = ""
    for piece in pieces:
        for line in piece.splitlines(keepends=True):
            if line[-1] in "\r\n":
                if pending:
                    yield pending + line
                    pending = ""
                else:
                    yield line
            else:
                pending += line
    if pending:
        yield pending


def _chunked(text: str) -> Iterator[str]:
    """``text`` in pieces of about a megabyte (ending after a line feed), for :func:`_lines`."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _LINES_CHUNK)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


_LINES_CHUNK = 1 << 20  # characters split into lines at a time (parse_csv)


def parse_csv(
    text: str, delimiter: str, limits: ReadLimits | None = None
) -> list[tuple[int, list[Any]]]:
    """Every record of ``text`` with its row number (1-based; blank lines count), as
    :func:`stream_csv` reads them from a file's bytes. NotATableError beyond ``limits``
    (default: the settings)."""
    limits = limits or ReadLimits.from_settings()
    if text.startswith("\ufeff"):
        text = text[1:]
    return list(_records(_chunked(text), delimiter, limits, len(text)))


def stream_csv(data: bytes, codec: str, delimiter: str, limits: ReadLimits | None = None) -> Sheet:
    """The sheet of a text file (its bytes checked to be text in ``codec``): its first rows
    read (the header is among them: at least :data:`HEADER_ROWS` rows that are not blank),
    the others read as they are asked for (:meth:`Sheet.stream`), decoded a megabyte at a
    time. Every record has its row number (1-based; blank lines count); a cell that
    :mod:`tracker.safe_output` protected from spreadsheets (``'=...``) reads back as
    written. NotATableError beyond ``limits`` (default: the settings), raised when the
    offending row is read."""
    limits = limits or ReadLimits.from_settings()
    seen = _Seen()

    def pieces() -> Iterator[str]:
        first = True
        for end, piece in iter_text(data, codec):
            if first and piece.startswith("\ufeff"):
                piece = piece[1:]  # a byte-order mark the codec kept (utf-8 read as such)
            first = False
            seen.decoded = (end, seen.decoded[1] + len(piece))
            yield piece

    records = _records(pieces(), delimiter, limits, len(data), seen)
    head: list[Row] = []
    filled = 0
    for record in records:
        head.append(record)
        if any(cell.strip() for cell in record[1]):
            filled += 1
            if filled >= HEADER_ROWS:
                break
    size = len(data) or 1

    def done() -> float:
        # the share of the decoded text read into rows, times the share of bytes decoded
        end, chars = seen.decoded
        return min(seen.chars_read / (chars or 1) * end / size, 1.0)

    return Sheet(None, head, records, done, lambda: seen.controls)


class _Seen:
    """What the pieces of a text read so far hold: a cell protected from spreadsheets
    (``restore``), a control character (``controls``, by the entry rule:
    :func:`tracker.safe_output.strip_controls`); and how far the reading is."""

    __slots__ = ("chars_read", "controls", "decoded", "restore")

    def __init__(self) -> None:
        self.restore = False
        self.controls = False
        self.decoded = (0, 0)  # (bytes, characters) decoded so far
        self.chars_read = 0  # characters of the lines read into rows


def _records(
    pieces: Iterable[str], delimiter: str, limits: ReadLimits, size: int, seen: _Seen | None = None
) -> Iterator[Row]:
    """The records of the text in ``pieces`` (``size``: its length, or more), numbered;
    ``seen`` tells what the pieces read so far hold."""
    check_cells = size > min(limits.max_cell_chars, 64 * MAX_COLUMNS)
    longest = limits.max_cell_chars
    max_rows = limits.max_rows
    # A cell needs restore_row only when an apostrophe precedes a formula character
    # somewhere, and a row strip_row_controls only when a control character is somewhere:
    # each piece is searched once, before its rows are read (a piece ends after a line
    # feed, which no such pair crosses), and the rows before the first such piece skip
    # the per-row work (the 61,000-row export has neither).
    seen = seen or _Seen()

    def searched(source: Iterable[str]) -> Iterator[str]:
        for piece in _aligned(source):
            if not seen.restore and _PROTECTED_CELL.search(piece) is not None:
                seen.restore = True
            if not seen.controls and strip_controls(piece)[1]:
                seen.controls = True
            yield piece

    def counted(lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            seen.chars_read += len(line)
            yield line

    reader = csv.reader(counted(_lines(searched(pieces))), delimiter=delimiter, strict=False)
    number = 0
    # Characters of the lines read before this record: a record whose lines hold at most
    # ``longest`` has no cell longer (the reader reads no line ahead), so its cells are
    # measured only when its lines are longer (0.045 s of the 61k file's 0.15 s otherwise).
    before = 0
    try:
        for number, record in enumerate(reader, start=1):
            if number > max_rows:
                raise limits.too_many_rows()
            if check_cells:
                if len(record) > MAX_COLUMNS or (
                    seen.chars_read - before > longest
                    and max(map(len, record), default=0) > longest
                ):
                    limits.check_row(number, record)
                before = seen.chars_read
            yield number, restore_row(record) if seen.restore else record
    except csv.Error as exc:
        raise NotATableError(
            _(
                "the file cannot be read as a table from row {row} on ({reason}); "
                'is there a quote (") that is never closed?'
            ).format(row=number + 1, reason=exc)
        ) from None


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
                    size=megabytes(expanded), limit=megabytes(XLSX_EXPANSION * limits.max_bytes)
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
    "HEADER_ROWS",
    "ImportSource",
    "NotATableError",
    "ReadLimits",
    "RowStream",
    "Sheet",
    "Workbook",
    "decode",
    "decode_as",
    "json_keys",
    "parse_csv",
    "plausibility",
    "read_workbook",
    "sniff_delimiter",
    "stream_csv",
]
