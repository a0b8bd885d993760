"""Reading OHCHR Word documents (.docx): the thematic list of recommendations ("matrix") and
the Working Group report, with what both share.

* :func:`is_docx` tells a Word document from other zip files (an .xlsx workbook).
* :func:`doc_tables` gives each table's rows as cell texts, a table split across pages (its
  header row repeated, or the split made into two tables by the editor) read as one table.
* :class:`DocFacts` finds the state under review, the session and the Working Group report
  symbol in the document (title, symbol, ``Source of position``) or its file name
  (``UPR34_Slovenia_…``, ``upr48-slovenia-…``, ``Estonia_WG52_…``).
* :func:`split_states` takes the recommending states out of a recommendation's text: every
  bracketed name that is a state, the trailing ones removed from the text.
* :mod:`.word` (the entry point :func:`tracker.importers.read_file` calls) detects which
  document this is and hands it to :mod:`.ohchr_matrix` or :mod:`.wg_report`.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.table import Table

from tracker.i18n import _
from tracker.importers.detect import Format
from tracker.importers.outcome import FileReport, Problem
from tracker.importers.rows import ParseContext
from tracker.importers.values import CellError, quote
from tracker.states import UnknownStateError

DOCX_FORMATS = (Format.OHCHR_MATRIX, Format.WG_REPORT)

# "A/HRC/59/15", "A/HRC/59/15/Add.1" -> the report itself (an addendum holds the responses)
SYMBOL_RE = re.compile(r"\bA\s*/\s*HRC\s*/\s*(\d{1,3})\s*/\s*(\d{1,4})\b", re.I)
SOURCE_RE = re.compile(r"^\s*source\s+of\s+position\s*:?\s*(.*)$", re.I)
PARAGRAPH_RE = re.compile(r"^\s*(\d{1,4}\.\d{1,4})\.?(?=[\s\u00a0\t]|$)\s*")
# The session in a file name or title: "UPR34_…", "upr48-…", "WG52", "48th session"
_SESSION_NAME_RE = re.compile(r"(?:upr|wg)[\s_-]*(\d{1,2})(?!\d)", re.I)
_SESSION_TEXT_RE = re.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)\s+session|session\s*(?:no\.?\s*)?(\d{1,2}))\b", re.I
)
_TITLE_RE = re.compile(
    r"report\s+of\s+the\s+working\s+group\s+on\s+the\s+universal\s+periodic\s+review\W*\s*"
    r"([^\n\r]{2,80})",
    re.I,
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_STATES_TRIED = 8  # bracket groups tried as states at the end of one text


def is_docx(data: bytes) -> bool:
    """True for a Word document (a zip holding ``word/document.xml``)."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def open_docx(data: bytes) -> DocxDocument:
    """The document, or CellError (the message says why it cannot be read)."""
    try:
        return Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a broken package
        raise CellError(
            _("this Word document cannot be read ({reason})").format(reason=exc)
        ) from exc


def cell_text(text: str) -> str:
    """A cell's or paragraph's text as stored: control characters and no-break spaces out."""
    text = _CONTROL_RE.sub("", text.replace("\u00a0", " ").replace("\u202f", " "))
    return text.replace("\u200e", "").replace("\u200f", "").replace("\ufeff", "")


@dataclass
class TableRow:
    """One row of a (page-spanning) table: its 1-based number in the document's tables,
    the python-docx row and the texts of its distinct cells."""

    number: int
    table: int
    index: int  # position within its python-docx table
    cells: list[str]


def row_cells(row: Any) -> list[str]:
    """The texts of a row's cells, a cell merged across columns given once per grid column
    (python-docx repeats it), so that a section row reads the same text in every column."""
    return [cell_text(c.text) for c in row.cells]


def doc_tables(doc: DocxDocument) -> list[tuple[list[str], list[TableRow]]]:
    """Each table as (header, body rows). A table whose first row repeats the previous
    table's header (a table split across pages into two) continues that table; a repeated
    header row inside a table (Word's "repeat as header row" made into real rows) is dropped."""
    out: list[tuple[list[str], list[TableRow]]] = []
    number = 0
    for t_index, table in enumerate(doc.tables):
        rows = _rows(table)
        if not rows:
            continue
        header = row_cells(rows[0])
        body_start = 1
        if out and _same_header(out[-1][0], header):
            body = out[-1][1]
        elif out and len(header) == len(out[-1][0]) and not _looks_like_header(header):
            # A continuation without its header (the header repeated only by Word's display)
            body, body_start = out[-1][1], 0
        else:
            body = []
            out.append((header, body))
            number += 1  # the header row
        for r_index, row in enumerate(rows[body_start:], start=body_start):
            cells = row_cells(row)
            number += 1
            if _same_header(out[-1][0], cells):
                continue
            body.append(TableRow(number, t_index, r_index, cells))
    return out


def _rows(table: Table) -> list[Any]:
    try:
        return list(table.rows)
    except (IndexError, ValueError):  # a malformed grid: read what python-docx can
        return []


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _same_header(a: list[str], b: list[str]) -> bool:
    return len(a) == len(b) and [_norm(x) for x in a] == [_norm(x) for x in b]


def _looks_like_header(cells: list[str]) -> bool:
    first = _norm(cells[0]) if cells else ""
    return first.startswith("recommendation") and len(first) < 60


def body_paragraphs(doc: DocxDocument) -> list[str]:
    """Every paragraph's text, in document order, those in tables' cells included."""
    out: list[str] = [cell_text(p.text) for p in doc.paragraphs]
    for table in doc.tables:
        for row in _rows(table):
            seen: set[int] = set()
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                out.extend(cell_text(p.text) for p in cell.paragraphs)
    return out


@dataclass
class DocFacts:
    """The state under review, session and report symbol of one document: from the document
    when it says them, else the file name, else the command line's options."""

    state: str | None = None  # ISO alpha-3
    session: int | None = None
    symbol: str | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def find(
        cls,
        name: str,
        texts: list[str],
        ctx: ParseContext,
        state_option: str | None,
        session_option: int | None,
    ) -> DocFacts:
        """Work the facts out; the options win when given (the user knows better)."""
        facts = cls()
        head = "\n".join(t for t in texts[:40] if t)
        stem = re.sub(r"\.docx$", "", name.rsplit("/", 1)[-1], flags=re.I)
        if state_option:
            try:
                facts.state = ctx.iso3(state_option)
            except UnknownStateError:
                facts.problems.append(
                    _("--state {value} is not a known state").format(value=quote(state_option))
                )
        else:
            facts.state = _state_in_title(head, ctx) or _state_in_name(stem, ctx)
        if session_option is not None:
            facts.session = session_option
        else:
            facts.session = _session_in(stem) or _session_in_text(head)
        facts.symbol = first_symbol(head)
        return facts

    def missing(self) -> list[str]:
        """Messages for what neither the document nor the options gave."""
        out = list(self.problems)
        if self.state is None and not self.problems:
            out.append(
                _(
                    "the document does not say which state was reviewed; give it with --state "
                    "NAME (on the Import page: State under review)"
                )
            )
        if self.session is None:
            out.append(
                _(
                    "the document does not say which UPR session reviewed it; give it with "
                    "--session N (on the Import page: Session)"
                )
            )
        elif not 1 <= self.session <= 99:
            out.append(_("--session {n} is not a UPR session number").format(n=self.session))
        return out


def first_symbol(text: str) -> str | None:
    """``A/HRC/59/15`` from the first report symbol in ``text`` (an addendum's symbol names
    its report)."""
    m = SYMBOL_RE.search(text)
    return f"A/HRC/{int(m.group(1))}/{int(m.group(2))}" if m else None


def _session_in(stem: str) -> int | None:
    m = _SESSION_NAME_RE.search(stem)
    return int(m.group(1)) if m else None


def _session_in_text(text: str) -> int | None:
    m = _SESSION_TEXT_RE.search(text)
    if m is None:
        return None
    return int(m.group(1) or m.group(2))


def _state_in_title(text: str, ctx: ParseContext) -> str | None:
    m = _TITLE_RE.search(text)
    if m is None:
        return None
    name = re.split(r"[*\d]", m.group(1))[0].strip(" .:-")
    return _try_state(name, ctx)


def _state_in_name(stem: str, ctx: ParseContext) -> str | None:
    """A state named in a file name: the longest run of its words that is a state."""
    words = [w for w in re.split(r"[\s_\-.]+", stem) if w]
    for size in range(min(5, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            chunk = words[start : start + size]
            if size == 1 and (len(chunk[0]) < 4 or not chunk[0].isalpha()):
                continue
            got = _try_state(" ".join(chunk), ctx)
            if got:
                return got
    return None


def _try_state(name: str, ctx: ParseContext) -> str | None:
    if not name:
        return None
    try:
        return ctx.iso3(name)
    except UnknownStateError:
        return None


# --- recommending states in brackets --------------------------------------------------------
def _last_group(text: str) -> tuple[int, str] | None:
    """The last balanced ``( … )`` group ending ``text`` (after ``;,.`` and spaces): its start
    and content; None when the text does not end with one."""
    end = len(text.rstrip(" \t;,.:"))
    if end == 0 or text[end - 1] != ")":
        return None
    depth = 0
    for i in range(end - 1, -1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return i, text[i + 1 : end - 1]
    return None


def _split_names(content: str) -> list[str]:
    """``"Portugal, Slovakia"`` -> two names; commas inside brackets do not split."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in content:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch in ",;" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [" ".join(p.split()) for p in parts if p.strip()]


def bracket_states(content: str, ctx: ParseContext) -> list[str] | None:
    """The states one bracket names (``Maldives``, ``Portugal, Slovakia``); None when it is
    not (only) states."""
    name = " ".join(content.split())
    if not name:
        return None
    got = _try_state(name, ctx)
    if got:
        return [got]
    names = _split_names(name)
    if len(names) < 2:
        return None
    codes = []
    for n in names:
        code = _try_state(n, ctx)
        if code is None:
            return None
        codes.append(code)
    return codes


@dataclass
class StatesFound:
    """What :func:`split_states` found in a text."""

    text: str  # without the trailing state brackets
    states: list[str]  # ISO codes, in order of appearance, each once
    unknown: str | None = None  # the trailing bracket that is not a state


def split_states(text: str, ctx: ParseContext) -> StatesFound:
    """Take the recommending states out of a recommendation's text: the trailing brackets
    ``(Maldives) (Portugal);`` or ``(Chile); (Estonia);`` are removed, and every bracketed
    state name elsewhere (a paragraph joining several recommendations) counts as well."""
    body = text.rstrip()
    trailing: list[list[str]] = []
    unknown = None
    for _i in range(MAX_STATES_TRIED * 4):
        group = _last_group(body)
        if group is None:
            break
        codes = bracket_states(group[1], ctx)
        if codes is None:
            if not trailing:
                unknown = " ".join(group[1].split())
            break
        trailing.append(codes)
        body = body[: group[0]].rstrip()
    body = body.rstrip(" ;,")
    states: list[str] = []
    # brackets inside the text: "… (ICRMW) (Libya); Consider …" names Libya
    for m in re.finditer(r"\(([^()]{2,80})\)", body):
        codes = bracket_states(m.group(1), ctx)
        for code in codes or []:
            if code not in states:
                states.append(code)
    for codes in reversed(trailing):
        for code in codes:
            if code not in states:
                states.append(code)
    return StatesFound(body, states, unknown if not states else None)


def document_review(
    report: FileReport, facts: DocFacts, ctx: ParseContext
) -> tuple[str, int] | None:
    """The document's review (state, session), or None with the whole document refused in
    ``report``: a fact that neither the document, its name nor the options give, or a review
    that conflicts with one already known (a state is reviewed once per cycle)."""
    missing = facts.missing()
    if missing:
        fatal_all(report, missing)
        return None
    assert facts.state is not None
    assert facts.session is not None
    problem = ctx.check_review(facts.state, facts.session, 1)
    if problem:
        fatal(report, problem)
        return None
    return facts.state, facts.session


def fatal(report: FileReport, message: str) -> None:
    """A problem with the whole document: nothing of it is imported."""
    fatal_all(report, [message])


def fatal_all(report: FileReport, messages: list[str]) -> None:
    """Problems with the whole document, each its own ``FILE: message`` line."""
    report.fatal = " ".join(messages)
    report.problems.extend(Problem(report.name, None, None, m) for m in messages)


__all__ = [
    "DOCX_FORMATS",
    "DocFacts",
    "StatesFound",
    "TableRow",
    "body_paragraphs",
    "bracket_states",
    "cell_text",
    "doc_tables",
    "document_review",
    "fatal",
    "fatal_all",
    "first_symbol",
    "is_docx",
    "open_docx",
    "row_cells",
    "split_states",
]
