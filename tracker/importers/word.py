"""A Word document into an import: which OHCHR document it is (a matrix of recommendations or
a Working Group report), then that reader (:mod:`.ohchr_matrix`, :mod:`.wg_report`, both on the
Word helpers of :mod:`.ohchr_docx`). The entry point :func:`tracker.importers.read_file` calls
for a ``.docx`` file."""

from __future__ import annotations

from tracker.i18n import _
from tracker.importers.detect import Format
from tracker.importers.ohchr_docx import body_paragraphs, doc_tables, fatal, open_docx
from tracker.importers.ohchr_matrix import find_layout, read_matrix
from tracker.importers.outcome import FileReport
from tracker.importers.rows import ParseContext, Progress
from tracker.importers.values import CellError
from tracker.importers.wg_report import numbered as numbered_paragraphs
from tracker.importers.wg_report import read_report


def read_docx(
    report: FileReport,
    data: bytes,
    fmt: str,
    ctx: ParseContext,
    *,
    state: str | None = None,
    session: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Read a Word document into ``report`` (format, problems, valid rows)."""
    report.kind = "docx"
    try:
        doc = open_docx(data)
    except CellError as exc:
        fatal(report, str(exc))
        return
    tables = doc_tables(doc)
    matrix = find_layout(tables)
    if fmt == Format.OHCHR_MATRIX.value or (fmt == "auto" and matrix is not None):
        if matrix is None:
            headers = "; ".join(
                ", ".join(repr(" ".join(h.split())) for h in header if h.strip())
                for header, _rows in tables[:3]
            )
            fatal(
                report,
                _(
                    "read as an OHCHR matrix, no table has the matrix's columns (Recommendation, "
                    "Position, themes); tables found: {found}"
                ).format(found=headers or _("none")),
            )
            return
        report.format = Format.OHCHR_MATRIX
        read_matrix(report, doc, matrix, ctx, state, session, progress)
        return
    paragraphs = body_paragraphs(doc)
    numbered = numbered_paragraphs(paragraphs)
    if fmt == Format.WG_REPORT.value or (fmt == "auto" and numbered):
        if not numbered:
            fatal(
                report,
                _(
                    "read as a Working Group report, no paragraph is a numbered recommendation "
                    "(such as “140.7 Ratify … (Maldives);”)"
                ),
            )
            return
        report.format = Format.WG_REPORT
        read_report(report, paragraphs, ctx, state, session, progress)
        return
    fatal(
        report,
        _(
            "this Word document is neither an OHCHR matrix (a table with the columns "
            "Recommendation and Position) nor a Working Group report (numbered recommendations "
            "such as “140.7 Ratify … (Maldives);”)"
        ),
    )
