"""The OHCHR thematic list of recommendations ("matrix", .docx), in its published layouts.

(a) ``Recommendation / Position / Full list of themes / Assessment/comments on level of
    implementation``: ``Theme: …`` section rows; themes coded (``A12 Acceptance of
    international norms``, ``S16 SDG 16 - …``) or uncoded (``- Acceptance of …``), with
    ``SDGs:`` and ``Affected persons:`` blocks in the themes cell.
(b) ``Recommendation / Recommending state/s / Position / Full list of rights/affected
    persons``: ``Right or area: 2.1. …`` section rows, the states one per line in column 2
    (and in brackets in the text), the position ``Supported/Noted`` (stored as ``mixed``).
(c) cycle 4: ``Recommendation and recommending State / Position of the State under review /
    Human rights themes and groups of persons / Relevant SDGs``, ``Groups of Persons:``,
    SDGs as ``- 5 - GENDER EQUALITY``.

Each recommendation row gives its paragraph number (``140.7``), text (without the number and
the trailing state brackets), recommending states, response, themes (codes stripped), SDGs
(numbers) and affected groups; ``Source of position: A/HRC/59/15/Add.1 - Para.3`` gives the
Working Group report's symbol. Section rows and repeated header rows are not recommendations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docx.document import Document as DocxDocument

from tracker.i18n import _
from tracker.identity import clean_text
from tracker.importers.inputs import RecommendationInput
from tracker.importers.ohchr_docx import (
    SOURCE_RE,
    DocFacts,
    TableRow,
    bracket_states,
    document_review,
    first_symbol,
    split_states,
)
from tracker.importers.outcome import FileReport, ParsedRow, Problem, RejectedRow
from tracker.importers.rows import ParseContext, Progress, unknown_state_message
from tracker.importers.values import CellError, parse_sdg, quote, split_paragraph
from tracker.vocab import Response, parse_response

SECTION_RE = re.compile(r"^\s*(theme|right or area|cluster|thematic area)\s*:", re.I)
_CODE_RE = re.compile(r"^([A-Z]{1,2}\d{1,2})\s+(\S.*)$")
_SDG_THEME_RE = re.compile(r"^SDG\s*(\d{1,2})\s*[-–—:]\s*(.*)$", re.I)
_NUMBERED_RE = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+(\S.*)$")
_SDG_HEAD_RE = re.compile(r"^\s*sdgs?\s*:\s*(.*)$", re.I)
_GROUPS_HEAD_RE = re.compile(
    r"^\s*(?:affected\s+persons|groups?\s+of\s+persons|affected\s+groups|persons\s+affected)"
    r"\s*:\s*(.*)$",
    re.I,
)
_THEMES_HEAD_RE = re.compile(r"^\s*(?:themes?|rights?)\s*:\s*(.*)$", re.I)


@dataclass
class Layout:
    """Which column of a matrix holds what (indexes into the row's cells)."""

    table: int  # index into doc_tables()
    text: int
    position: int
    states: int | None = None
    themes: int | None = None
    sdgs: int | None = None
    assessment: int | None = None
    width: int = 0


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def layout_of(header: list[str], table: int = 0) -> Layout | None:
    """The layout of a header row, or None when it is not a matrix's."""
    roles: dict[str, int] = {}
    for i, raw in enumerate(header):
        h = _norm(raw)
        if not h:
            continue
        if "assessment" in h or "level of implementation" in h:
            key = "assessment"
        elif h.startswith("recommendation"):
            key = "text"
        elif "recommending state" in h or h in ("states", "recommending states"):
            key = "states"
        elif h.startswith("position") or h == "response":
            key = "position"
        elif "sdg" in h:
            key = "sdgs"
        elif "theme" in h or "right" in h or "affected persons" in h:
            key = "themes"
        else:
            continue
        roles.setdefault(key, i)
    if "text" not in roles or "position" not in roles:
        return None
    return Layout(
        table=table,
        text=roles["text"],
        position=roles["position"],
        states=roles.get("states"),
        themes=roles.get("themes"),
        sdgs=roles.get("sdgs"),
        assessment=roles.get("assessment"),
        width=len(header),
    )


def find_layout(tables: list[tuple[list[str], list[TableRow]]]) -> Layout | None:
    """The first table whose header row is a matrix's."""
    for index, (header, _rows) in enumerate(tables):
        got = layout_of(header, index)
        if got is not None:
            return got
    return None


def is_section(cells: list[str]) -> bool:
    """A ``Theme: …`` / ``Right or area: …`` row (one cell merged across the table)."""
    filled = [" ".join(c.split()) for c in cells if c.strip()]
    if not filled:
        return False
    if SECTION_RE.match(filled[0]):
        return True
    return len(filled) == len(cells) > 1 and len(set(filled)) == 1


def recommendation_cell(text: str) -> tuple[str, str | None]:
    """The recommendation's own text and the symbol of its ``Source of position`` line."""
    lines: list[str] = []
    symbol = None
    for line in text.splitlines():
        m = SOURCE_RE.match(line)
        if m:
            symbol = first_symbol(m.group(1)) or symbol
            continue
        lines.append(line)
    return clean_text("\n".join(lines)), symbol


def parse_response_text(text: str) -> str:
    """``Supported`` / ``Noted`` / ``Supported/Noted`` (mixed); empty is pending."""
    flat = " ".join(text.split())
    if not flat:
        return Response.PENDING.value
    got = parse_response(re.sub(r"\s*/\s*", "/", flat))
    if got is None:
        raise CellError(
            _("{value} is not a position (Supported, Noted or Supported/Noted)").format(
                value=quote(flat)
            )
        )
    return got.value


@dataclass
class Classified:
    """The themes, SDGs and affected groups of a matrix's themes (and SDG) cells."""

    themes: list[str]
    sdgs: list[tuple[str, str | None]]
    groups: list[str]


def _item(line: str) -> str:
    text = " ".join(line.split())
    while text[:1] in ("-", "•", "–", "·") and not text[1:2].isdigit():
        text = text[1:].strip()
    if text.startswith(("- ", "-\t")):
        text = text[2:].strip()
    return text


def classify(cells: list[str]) -> Classified:
    """Read themes cells: ``A12 Theme`` / ``- Theme`` / ``2.1. Right`` lines, then blocks
    opened by ``SDGs:`` and ``Affected persons:`` / ``Groups of Persons:``. Raises CellError
    for an SDG line that is not one."""
    out = Classified([], [], [])
    for cell, start in cells_with_modes(cells):
        mode = start
        for raw in cell.splitlines():
            if not raw.strip():
                continue
            head = _SDG_HEAD_RE.match(raw)
            if head:
                mode, raw = "sdgs", head.group(1)
            else:
                head = _GROUPS_HEAD_RE.match(raw)
                if head:
                    mode, raw = "groups", head.group(1)
                else:
                    head = _THEMES_HEAD_RE.match(raw)
                    if head and mode == "themes":
                        raw = head.group(1)
            item = _item(raw)
            if not item:
                continue
            if mode == "sdgs":
                _add_sdg(out, item)
            elif mode == "groups":
                if item not in out.groups:
                    out.groups.append(item)
            else:
                _add_theme(out, item)
    return out


def cells_with_modes(cells: list[str]) -> list[tuple[str, str]]:
    """(themes cell, "themes") and, for layout (c), (SDGs cell, "sdgs")."""
    return [(c, "sdgs" if i == 1 else "themes") for i, c in enumerate(cells) if c]


def _add_sdg(out: Classified, item: str) -> None:
    m = _SDG_THEME_RE.match(item)
    code, label = (m.group(1), m.group(2).strip() or None) if m else parse_sdg(item)
    code = code.lower()
    if all(c != code for c, _l in out.sdgs):
        out.sdgs.append((code, label.capitalize() if label and label.isupper() else label))


def _add_theme(out: Classified, item: str) -> None:
    m = _CODE_RE.match(item)
    if m:
        code, name = m.group(1), m.group(2).strip()
        sdg = _SDG_THEME_RE.match(name)
        if code.startswith("S") and sdg:
            _add_sdg(out, name)
            return
        item = name
    else:
        numbered = _NUMBERED_RE.match(item)
        if numbered:
            item = numbered.group(1).strip()
    if item and item not in out.themes:
        out.themes.append(item)


def read_matrix(
    report: FileReport,
    doc: DocxDocument,
    layout: Layout,
    ctx: ParseContext,
    state: str | None,
    session: int | None,
    progress: Progress | None = None,
) -> None:
    """Read the matrix's recommendation rows into ``report``."""
    from tracker.importers.ohchr_docx import body_paragraphs, doc_tables

    header, rows = doc_tables(doc)[layout.table]
    texts = list(body_paragraphs(doc)[:40])
    facts = DocFacts.find(report.name, texts, ctx, state, session)
    if facts.symbol is None:
        for r in rows[:50]:
            if layout.text < len(r.cells):
                got = recommendation_cell(r.cells[layout.text])[1]
                if got:
                    facts.symbol = got
                    break
    if document_review(report, facts, ctx) is None:
        return
    total = len(rows) or 1
    for n, r in enumerate(rows):
        cells = r.cells + [""] * (len(header) - len(r.cells))
        if not any(c.strip() for c in cells) or is_section(cells):
            continue
        report.rows_read += 1
        errors: list[tuple[str, str]] = []
        rec = _row(r, cells, header, layout, facts, ctx, errors)
        if errors or rec is None:
            reject(report, r.number, header, cells, errors)
        else:
            report.rows_valid += 1
            report.parsed.append(ParsedRow(r.number, rec))
        if progress is not None and n % 50 == 0:
            progress(n / total, "")


def _row(
    r: TableRow,
    cells: list[str],
    header: list[str],
    layout: Layout,
    facts: DocFacts,
    ctx: ParseContext,
    errors: list[tuple[str, str]],
) -> RecommendationInput | None:
    col_text = " ".join(header[layout.text].split())
    raw, symbol = recommendation_cell(cells[layout.text])
    paragraph, body = split_paragraph(raw)
    found = split_states(body, ctx)
    states = list(found.states)
    if layout.states is not None:
        col = " ".join(header[layout.states].split())
        for line in cells[layout.states].splitlines():
            name = _item(line).rstrip(";,.")
            if not name:
                continue
            codes = bracket_states(name, ctx)
            if codes is None:
                errors.append((col, unknown_state_message(name)))
                continue
            states.extend(c for c in codes if c not in states)
    if not found.text:
        errors.append((col_text, _("empty — the recommendation's text is required")))
    if not states:
        if found.unknown:
            errors.append((col_text, unknown_state_message(found.unknown)))
        else:
            errors.append((col_text, _("no recommending state in brackets at the end")))
    col_pos = " ".join(header[layout.position].split())
    try:
        response = parse_response_text(cells[layout.position])
    except CellError as exc:
        errors.append((col_pos, str(exc)))
        response = None
    theme_cells = [cells[layout.themes] if layout.themes is not None else ""]
    if layout.sdgs is not None:
        theme_cells.append(cells[layout.sdgs])
    try:
        got = classify(theme_cells)
    except CellError as exc:
        col = header[layout.sdgs if layout.sdgs is not None else layout.themes or 0]
        errors.append((" ".join(col.split()), str(exc)))
        got = Classified([], [], [])
    if errors:
        return None
    assert facts.state is not None
    assert facts.session is not None
    return RecommendationInput(
        state_under_review=facts.state,
        session=facts.session,
        text=found.text,
        response=response,
        recommending_states=states,
        themes=got.themes,
        sdgs=got.sdgs,
        affected_groups=got.groups,
        paragraph=paragraph,
        report_symbol=symbol or facts.symbol,
        source_row=r.number,
    )


def reject(
    report: FileReport,
    row: int | str,
    header: list[str],
    cells: list[str],
    errors: list[tuple[str, str]],
) -> None:
    """File a rejected row (or paragraph) with its problems."""
    for column, message in errors:
        report.problems.append(Problem(report.name, row, column, message))
    report.rejected.append(
        RejectedRow(report.name, row, header, list(cells), [f"{c}: {m}" for c, m in errors])
    )


__all__ = [
    "Classified",
    "Layout",
    "classify",
    "find_layout",
    "is_section",
    "layout_of",
    "parse_response_text",
    "read_matrix",
    "recommendation_cell",
    "reject",
]
