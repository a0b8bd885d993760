"""Downloads of what a page shows: CSV and XLSX bytes.

* :func:`filtered_export` — the recommendations matching a filter in the project template
  (tracker.template_format; the same file as ``python -m tracker export``, so that it can be
  imported again);
* :func:`flagged_export` — a Flagged list with readable, translated column names and labels.

Both leave private evidence out unless an editor asks (``include_private``, the rule of
tracker.evidence); the file then says so first: a first sheet of its own in XLSX, the first
line in the Flagged list's CSV (the template's CSV never holds private evidence).

XLSX cells holding text are always written as text: a recommendation that starts with ``=``
must not become a formula in the reader's spreadsheet (see :func:`tracker.spreadsheet.xlsx_row`). In
CSV and XLSX alike, text starting like a formula gets an apostrophe in front (tracker.safe_output).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd
from openpyxl import Workbook
from sqlalchemy.orm import Session

from tracker import flags, template_format
from tracker.evidence import check_include_private, latest_private, private_notice
from tracker.filters import Filters
from tracker.i18n import _
from tracker.safe_output import neutralise_row
from tracker.spreadsheet import xlsx_row
from tracker.template_format import SHEET_PRIVATE, Format
from tracker.vocab import action_category_label, response_label, status_label

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def frame_bytes(
    df: pd.DataFrame, fmt: Format, sheet: str = "Sheet1", *, notice: str | None = None
) -> bytes:
    """``df`` as a CSV (UTF-8 with BOM, for Excel) or XLSX file, header = column names.
    ``notice`` (the private-evidence note) comes first: the CSV's first line, or a first
    sheet of its own in XLSX."""
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False)]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        if notice:
            w.writerow(neutralise_row([notice]))
        w.writerow(neutralise_row(str(c) for c in df.columns))
        w.writerows(neutralise_row(row) for row in rows)
        return buf.getvalue().encode("utf-8-sig")
    wb = Workbook(write_only=True)
    if notice:
        first = wb.create_sheet(SHEET_PRIVATE)
        first.append(xlsx_row(first, [notice]))
    ws = wb.create_sheet(sheet[:31])
    ws.append(xlsx_row(ws, [str(c) for c in df.columns]))
    for row in rows:
        ws.append(xlsx_row(ws, row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filtered_export(
    session: Session, f: Filters | None, fmt: Format, *, include_private: bool = False
) -> bytes:
    """The recommendations matching ``f`` in the project template (CSV, or XLSX with the
    Assessments sheet): every matching row, no cap. ``include_private`` (editors only): the
    XLSX's Assessments sheet lists private assessments too (template_format.write)."""
    out = io.BytesIO()
    template_format.write(session, out, fmt, f, include_private=include_private)
    return out.getvalue()


def flagged_table(df: pd.DataFrame, flag: str) -> pd.DataFrame:
    """A flagged_frame with readable labels and translated column names (for downloads)."""
    # Never assessed: the age is the review's (there is no assessment to date it).
    age_title = (
        _("Age of the review (months)")
        if flag == flags.Flag.NEVER_ASSESSED.value
        else _("Age of the assessment (months)")
    )
    out = pd.DataFrame(
        {
            _("Flag"): flags.flag_label(flag),
            _("Id"): df["id"],
            _("State under review"): df["state"],
            _("Cycle"): df["cycle"],
            _("Session"): df["session"],
            _("Paragraph"): df["paragraph"],
            _("Recommendation"): df["text"],
            _("Recommended by"): df["recommending_states"],
            _("Response"): df["response"].map(response_label),
            _("Themes"): df["themes"],
            _("Current status"): df["status"].map(status_label),
            _("Assessed on"): df["assessed_on"].map(lambda d: d.isoformat() if d else ""),
            age_title: df["age_months"],
            _("Source"): df["source_org"],
            _("Evidence"): df["evidence"],
            _("Evidence URL"): df["evidence_url"],
            _("Details"): df["detail"],
        }
    )
    return out


def with_private(table: pd.DataFrame, ids: pd.Series, private: pd.DataFrame) -> pd.DataFrame:
    """``table`` (one row per id of ``ids``) with the latest private assessment of each
    recommendation (evidence.latest_private) in five columns at the end, blank without one."""
    latest = {int(r.id): r for r in private.itertuples(index=False)}
    rows = [latest.get(int(i)) for i in ids]
    out = table.copy()
    out[_("Private assessment")] = [status_label(r.status) if r else "" for r in rows]
    out[_("Private assessment on")] = [r.assessed_on.isoformat() if r else "" for r in rows]
    out[_("Private source")] = [r.source_org if r else "" for r in rows]
    out[_("Private evidence")] = [(r.evidence or "") if r else "" for r in rows]
    out[_("Private evidence URL")] = [(r.evidence_url or "") if r else "" for r in rows]
    return out


def flagged_export(
    session: Session,
    f: Filters | None,
    flag: str,
    opts: flags.FlagOptions,
    fmt: Format,
    *,
    include_private: bool = False,
) -> bytes:
    """The recommendations under ``flag`` as a readable CSV / XLSX. The flags are the public
    ones (the list is the page's); ``include_private`` (editors only) adds each listed
    recommendation's latest private assessment, and the file says first that it holds
    private evidence."""
    include_private = check_include_private(include_private)
    df = flags.flagged_frame(session, f, flag, opts)
    table = flagged_table(df, flag)
    notice = None
    if include_private:
        ids = [int(i) for i in df["id"]]
        table = with_private(table, df["id"], latest_private(session, ids))
        notice = private_notice()
    return frame_bytes(table, fmt, sheet=flags.flag_label(flag), notice=notice)


def action_label_or_blank(value: Any) -> str:
    """An action category's label, "" when unknown."""
    return "" if value is None or value is pd.NA else action_category_label(int(value))


__all__ = [
    "MIME",
    "Format",
    "action_label_or_blank",
    "filtered_export",
    "flagged_export",
    "flagged_table",
    "frame_bytes",
    "with_private",
    "xlsx_row",
]
