"""The filled matrix: OHCHR's thematic list of recommendations with its last column,
"Assessment/comments on level of implementation", filled from the store, for stakeholders to
annex to their submission.

:func:`fill_matrix` reads the matrix (.docx, any layout :mod:`tracker.importers.ohchr_matrix`
reads), matches each recommendation row to a stored recommendation of the same review (by
paragraph number, else by normalised text) and writes, in the rows whose recommendation has
a current assessment (as of a date, if given), e.g.::

    Partially implemented — Shelter opened in Almaty (Legal centre, 1 May 2025)

Every other cell, row, style and section row is left as it was. A layout without that column
(cycle 4) gets it appended as the last column. Rows matching nothing are listed, never guessed.
The stored text is hostile: python-docx escapes XML, and control characters (which XML 1.0
cannot hold) are removed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from docx.shared import Cm
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.assessments import effective, history_order
from tracker.evidence import check_include_private, private_notice
from tracker.i18n import _, get_language, long_date, set_language
from tracker.importers.docx_merge import match_key
from tracker.importers.ohchr_docx import DocFacts, cell_text, doc_tables, open_docx
from tracker.importers.ohchr_matrix import find_layout, is_section, recommendation_cell
from tracker.importers.rows import ParseContext
from tracker.importers.values import CellError, split_paragraph
from tracker.models import Assessment, Recommendation, Review, State
from tracker.safe_output import printable
from tracker.vocab import status_label

ASSESSMENT_HEADER = "Assessment/comments on level of implementation"
NEW_COLUMN_WIDTH = Cm(5)
MAX_CELL = 3000  # characters of evidence written into one cell


class MatrixError(ValueError):
    """The file is not a matrix that can be filled (the message says why)."""


@dataclass
class FillResult:
    """What :func:`fill_matrix` did."""

    data: bytes  # the filled document
    rows: int = 0  # recommendation rows in the matrix
    filled: list[str] = field(default_factory=list)  # paragraph numbers (or row numbers)
    not_assessed: list[str] = field(default_factory=list)  # matched, no assessment (as of)
    unmatched: list[str] = field(default_factory=list)  # rows matching no stored one
    column_added: bool = False


@contextmanager
def _language(lang: str | None) -> Iterator[None]:
    before = get_language()
    set_language(lang or before)
    try:
        yield
    finally:
        set_language(before)


def assessment_text(status: str, evidence: str | None, source: str, day: dt.date) -> str:
    """``Partially implemented — Shelter opened in Almaty (Legal centre, 1 May 2025)``."""
    details = f"{cell_text(source).strip()}, {long_date(day)}"
    note = " ".join(cell_text(evidence or "").split())
    if len(note) > MAX_CELL:
        note = note[: MAX_CELL - 1] + "…"
    label = status_label(status)
    return f"{label} — {note} ({details})" if note else f"{label} ({details})"


def _current(
    session: Session, ids: list[int], as_of: dt.date | None, include_private: bool = False
) -> dict[int, Any]:
    """Each recommendation's current assessment (the latest that counts, as of ``as_of``;
    private ones only with ``include_private``: tracker.evidence)."""
    a = Assessment
    stmt = select(a.recommendation_id, a.status, a.evidence, a.source_org, a.assessed_on).where(
        a.recommendation_id.in_(ids), *effective(a, include_private=include_private)
    )
    if as_of is not None:
        stmt = stmt.where(a.assessed_on <= as_of)
    out: dict[int, Any] = {}
    for row in session.execute(stmt.order_by(*history_order(a))):
        out[row.recommendation_id] = row  # oldest first: the last one wins
    return out


def fill_matrix(
    session: Session,
    data: bytes,
    name: str,
    *,
    as_of: dt.date | None = None,
    lang: str | None = None,
    state: str | None = None,
    session_no: int | None = None,
    include_private: bool = False,
) -> FillResult:
    """Fill the matrix ``data`` (file ``name``, whose name may say the review) from the
    store. Raises MatrixError when it is not a matrix or its review is unknown. Private
    assessments fill no cell unless ``include_private`` (editors only); the document then
    opens with a paragraph saying it includes private evidence."""
    include_private = check_include_private(include_private)
    try:
        doc = open_docx(data)
    except CellError as exc:
        raise MatrixError(str(exc)) from exc
    tables = doc_tables(doc)
    layout = find_layout(tables)
    if layout is None:
        raise MatrixError(
            _("this is not an OHCHR matrix (no table with the columns Recommendation and Position)")
        )
    header, rows = tables[layout.table]
    paragraphs = [cell_text(p.text) for p in doc.paragraphs[:40]]
    facts = DocFacts.find(name, paragraphs, ParseContext(), state, session_no)
    missing = facts.missing()
    if missing:
        raise MatrixError("; ".join(missing))
    recs = session.execute(
        select(Recommendation.id, Recommendation.paragraph, Recommendation.text)
        .join(Review, Review.id == Recommendation.review_id)
        .join(State, State.id == Review.state_id)
        .where(State.iso3 == facts.state, Review.session == facts.session)
    ).all()
    if not recs:
        raise MatrixError(
            _(
                "no recommendation of this review (session {session}) is stored; import the "
                "matrix first"
            ).format(session=facts.session)
        )
    by_para = {p: i for i, p, _t in recs if p}
    by_text = {match_key(t): i for i, _p, t in recs}
    current = _current(session, [i for i, _p, _t in recs], as_of, include_private)

    result = FillResult(b"")
    column = layout.assessment
    if column is None:
        column = _append_column(doc, {r.table for r in rows} | {_first_table(doc, header)})
        result.column_added = True
    with _language(lang):
        for r in rows:
            if not any(c.strip() for c in r.cells) or is_section(r.cells):
                continue
            result.rows += 1
            text, _symbol = recommendation_cell(r.cells[layout.text])
            paragraph, body = split_paragraph(text)
            label = paragraph or str(r.number)
            rid = by_para.get(paragraph) if paragraph else None
            if rid is None:
                rid = _by_text(by_text, body)
            if rid is None:
                result.unmatched.append(label)
                continue
            got = current.get(rid)
            if got is None:
                result.not_assessed.append(label)
                continue
            cell = doc.tables[r.table].rows[r.index].cells[column]
            _set_text(
                cell, assessment_text(got.status, got.evidence, got.source_org, got.assessed_on)
            )
            result.filled.append(label)
        if include_private:
            notice = doc.add_paragraph()
            notice.add_run(private_notice()).bold = True
            doc.element.body.insert(0, notice._p)  # first in the document, before any table
    out = io.BytesIO()
    doc.save(out)
    result.data = out.getvalue()
    return result


def _by_text(by_text: dict[str, int], body: str) -> int | None:
    """A stored recommendation whose text is the row's, its trailing state brackets aside."""
    from tracker.importers.ohchr_docx import split_states

    key = match_key(body)
    if key in by_text:
        return by_text[key]
    found = split_states(body, ParseContext())
    return by_text.get(match_key(found.text))


def _first_table(doc: Any, header: list[str]) -> int:
    from tracker.importers.ohchr_docx import row_cells

    for i, t in enumerate(doc.tables):
        if t.rows and row_cells(t.rows[0]) == header:
            return i
    return 0


def _append_column(doc: Any, table_indexes: set[int]) -> int:
    """Add the assessment column to the matrix's tables; its index."""
    index = 0
    for t_index in sorted(table_indexes):
        table = doc.tables[t_index]
        table.add_column(NEW_COLUMN_WIDTH)
        index = len(table.columns) - 1
        for row in table.rows:  # the header, and its repeats where the table was split
            cells = row.cells
            if cells and _looks_header(cells[0].text):
                _set_text(cells[index], ASSESSMENT_HEADER, bold_like=cells[0])
    return index


def _looks_header(text: str) -> bool:
    return text.strip().casefold().startswith("recommendation")


def _set_text(cell: Any, text: str, bold_like: Any = None) -> None:
    """Replace a cell's text, keeping its first paragraph (and so its style)."""
    text = printable(cell_text(text))  # stored evidence: no control character in the XML
    paragraphs = cell.paragraphs
    first = paragraphs[0]
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    for run in list(first.runs):
        run._r.getparent().remove(run._r)
    run = first.add_run(text)
    if bold_like is not None:
        runs = [r for p in bold_like.paragraphs for r in p.runs]
        if runs and runs[0].bold:
            run.bold = True


__all__ = ["ASSESSMENT_HEADER", "FillResult", "MatrixError", "assessment_text", "fill_matrix"]
