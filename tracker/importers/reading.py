"""Reading one file for an import: its format, its header, every row checked (no database).

:func:`read_file` turns an :class:`~tracker.importers.files.ImportSource` into a
:class:`~tracker.importers.outcome.FileReport`: the workbook read (:mod:`.files`), the header
row found and the format detected (:mod:`.detect`), the rows checked by the format's reader
(:mod:`.upr_info`, :mod:`.uhri`, :mod:`.template_rows`, Word: :mod:`.word`), and the first
valid rows kept as a preview. :mod:`tracker.importers` (the import itself) calls it for each
file before taking the write lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import tracker.importers.template_rows as template_reader
import tracker.importers.uhri as uhri_reader
import tracker.importers.upr_info as upr_info_reader
from tracker.i18n import _
from tracker.importers.detect import (
    ASSESSMENT_FIELDS,
    FIELDS,
    ColumnMap,
    Format,
    detect,
    duplicate_columns,
    format_label,
    header_score,
    map_columns,
    missing_columns,
)
from tracker.importers.files import (
    HEADER_ROWS,
    ImportSource,
    NotATableError,
    ReadLimits,
    RowStream,
    Sheet,
    Workbook,
    json_keys,
    read_workbook,
)
from tracker.importers.ohchr_docx import DOCX_FORMATS, is_docx
from tracker.importers.outcome import PREVIEW_ROWS, FileReport, ParsedRow, Problem
from tracker.importers.rows import ParseContext, is_blank, state_name
from tracker.importers.word import read_docx
from tracker.vocab import action_category_label, response_label

Progress = Callable[[float, str], None]
ASSESSMENTS_SHEET = "Assessments"


def read_file(
    source: ImportSource,
    fmt: str = "auto",
    ctx: ParseContext | None = None,
    progress: Progress | None = None,
    *,
    state: str | None = None,
    session_no: int | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> FileReport:
    """Read and check one file (no database access): its format, problems, valid rows.
    ``state``/``session_no``: the review of a Word document that does not name it;
    ``encoding`` overrides the detection of a text file's encoding."""
    report = FileReport(source.name, sha256=hashlib.sha256(source.data).hexdigest())
    ctx = ctx or ParseContext()
    if is_docx(source.data):
        read_docx(report, source.data, fmt, ctx, state=state, session=session_no, progress=progress)
        report.preview = preview(report.parsed)
        return report
    if fmt in DOCX_FORMATS:
        return fatal_report(
            report,
            _("read as a {format}, this file is not a Word document (.docx)").format(
                format=format_label(fmt)
            ),
        )
    try:
        wb = read_workbook(source, header_score, encoding=encoding, limits=limits)
    except NotATableError as exc:
        return fatal_report(report, str(exc))
    report.kind, report.encoding, report.delimiter = wb.kind, wb.encoding, wb.delimiter
    report.warnings = wb.warnings
    if wb.kind == "json":
        # JSON has no header row: the records' keys are the columns, record 1 is row 1.
        header = json_keys(wb.json_records or [])
        chosen = _choose_format(header, fmt)
        if chosen is None:
            return _header_problem(report, None, header, fmt)
        data = RowStream(_json_rows(wb.json_records or [], header))
        sheet, header_row = None, None
    else:
        found = _find_header(wb, fmt)
        if found is None:
            first = _first_row(wb.sheets[0])
            return _header_problem(report, first[0] if first else 1, first[1] if first else [], fmt)
        sheet, header_index, chosen = found
        header_row, cells = sheet.rows[header_index]
        header = ["" if h is None else str(h) for h in cells]
        # The readers let go of each row once read (rows.iter_rows): the sheet keeps none.
        data = sheet.stream(header_index + 1)
        if wb.kind == "xlsx":
            report.sheet = sheet.name
    report.format = chosen
    twice = duplicate_columns(header, FIELDS[chosen])
    if twice:
        return _duplicate_problem(report, header, twice, header_row)
    cmap = map_columns(header, FIELDS[chosen])
    try:
        if chosen is Format.UPR_INFO:
            upr_info_reader.read_rows(report, data, cmap, ctx, progress)
        elif chosen is Format.UHRI:
            uhri_reader.read_rows(report, data, cmap, ctx, progress)
        else:
            assessments = wb.sheet(ASSESSMENTS_SHEET) if wb.kind == "xlsx" else None
            if assessments is sheet:
                assessments = None
            rejected_ids = template_reader.read_rows(
                report, data, cmap, ctx, progress, status_columns=assessments is None
            )
            if assessments is not None:
                _read_assessment_sheet(report, assessments, rejected_ids)
    except NotATableError as exc:
        # A text file is read as its rows are checked: a row past a limit, or a quote never
        # closed, is found then. The file is refused as a whole, as when it was read first.
        return fatal_report(_reset(report), str(exc))
    report.preview = preview(report.parsed)
    if progress is not None:
        progress(1.0, "")
    return report


def preview(parsed: list[ParsedRow], limit: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    """The first valid rows as the database will hold them (for the Import page)."""
    out = []
    for p in parsed[:limit]:
        r = p.rec
        item: dict[str, Any] = {
            "row": p.row,
            "state_under_review": state_name(r.state_under_review),
            "session": r.session,
            "paragraph": r.paragraph or "",
            "recommendation": r.text,
            "recommending_states": ", ".join(state_name(s) for s in r.recommending_states),
            "response": response_label(r.response) if r.response else "",
            "action_category": action_category_label(r.action_category),
            "themes": "; ".join(r.themes),
        }
        if p.assessments:
            item["assessments"] = len(p.assessments)
        for key, value in p.extra.items():
            item[key] = "" if value is None else str(value)
        out.append(item)
    return out


def fatal_report(report: FileReport, message: str) -> FileReport:
    report.fatal = message
    report.problems.append(Problem(report.name, None, None, message))
    return report


def _reset(report: FileReport) -> FileReport:
    """``report`` as it was before its rows were read."""
    report.parsed.clear()
    report.rejected.clear()
    report.problems.clear()
    report.rows_read = report.rows_valid = report.rows_skipped = 0
    report.skipped_reasons.clear()
    return report


def _choose_format(header: list[Any], fmt: str) -> Format | None:
    if fmt == "auto":
        return detect(header)
    chosen = Format(fmt)
    cmap = map_columns(header, FIELDS[chosen])
    return None if missing_columns(cmap, FIELDS[chosen]) else chosen


def _find_header(wb: Workbook, fmt: str) -> tuple[Sheet, int, Format] | None:
    sheets = [s for s in wb.sheets if (s.name or "").casefold() != ASSESSMENTS_SHEET.casefold()]
    for sheet in sheets or wb.sheets:
        seen = 0
        for i, (_row, cells) in enumerate(sheet.rows):
            if is_blank(cells):
                continue
            chosen = _choose_format(cells, fmt)
            if chosen is not None:
                return sheet, i, chosen
            seen += 1
            if seen >= HEADER_ROWS:
                break
    return None


def _first_row(sheet: Sheet) -> tuple[int, list[Any]] | None:
    for row, cells in sheet.rows:
        if not is_blank(cells):
            return row, cells
    return None


def _header_problem(report: FileReport, row: int | None, header: list[Any], fmt: str) -> FileReport:
    found = ", ".join(repr(" ".join(str(h).split())) for h in header if h not in (None, ""))
    found = found if len(found) <= 300 else found[:297] + "..."
    if fmt == "auto":
        message = _(
            "the header row does not look like a UPR Info export, an OHCHR UHRI export or "
            "the UPR Tracker template (columns found: {found}); use --format to say which it is"
        ).format(found=found or _("none"))
    else:
        chosen = Format(fmt)
        missing = missing_columns(map_columns(header, FIELDS[chosen]), FIELDS[chosen])
        message = _(
            "read as a {format}, the header lacks the columns {missing} (found: {found})"
        ).format(format=format_label(chosen), missing=", ".join(missing), found=found or _("none"))
    report.fatal = message
    report.problems.append(Problem(report.name, row, None, message))
    return report


def _duplicate_problem(
    report: FileReport,
    header: list[str],
    groups: list[list[int]],
    row: int | None,
) -> FileReport:
    """A header giving one field in two columns (the header's ``row``): only one could be
    read, so the file is refused rather than have the other column's values dropped
    without a word."""
    for cols in groups:
        names = [" ".join(header[i].split()) or "?" for i in cols]
        message = _(
            "the column {name} appears {n} times (columns {columns}: {names}); only one can be "
            "read: remove or rename the others"
        ).format(
            name=repr(names[0]),
            n=len(cols),
            columns=", ".join(str(i + 1) for i in cols),
            names=", ".join(repr(n) for n in names),
        )
        report.problems.append(Problem(report.name, row, names[0], message))
    report.fatal = report.problems[-1].message
    return report


def _json_rows(records: list[Any], keys: list[str]) -> list[tuple[int, list[Any]]]:
    """Records as rows of cells in ``keys`` order, numbered from 1 (a record that is not an
    object becomes a row with the value in its first cell, and is rejected as such)."""
    rows: list[tuple[int, list[Any]]] = []
    for number, rec in enumerate(records, start=1):
        if isinstance(rec, dict):
            rows.append((number, [rec.get(k) for k in keys]))
        else:
            rows.append((number, [rec] + [None] * (len(keys) - 1)))
    return rows


def _read_assessment_sheet(report: FileReport, sheet: Sheet, rejected_ids: dict[str, int]) -> None:
    label = f"{report.name}[{sheet.name}]"
    first = _first_row(sheet)
    if first is None:
        return
    index = next(i for i, (row, _c) in enumerate(sheet.rows) if row == first[0])
    header = [str(h) if h is not None else "" for h in first[1]]
    cmap: ColumnMap = map_columns(header, ASSESSMENT_FIELDS)
    missing = missing_columns(cmap, ASSESSMENT_FIELDS)
    if missing:
        message = _("the sheet lacks the columns {missing}").format(missing=", ".join(missing))
        report.fatal = message
        report.problems.append(Problem(label, first[0], None, message))
        return
    template_reader.read_assessments(report, label, sheet.rows[index + 1 :], cmap, rejected_ids)
