"""The CSV writer of a stakeholder report: its selection, one row per recommendation."""

from __future__ import annotations

import csv
import io

from tracker.i18n import _
from tracker.safe_output import neutralise_cell
from tracker.submission.document import OTHER_SECTION, Report


# --- CSV ---------------------------------------------------------------------------------------
def to_csv(report: Report) -> bytes:
    """The selection as CSV (UTF-8 with BOM, so that spreadsheet programs read it right)."""
    buf = io.StringIO()
    frame = report.frame.copy()
    frame["section"] = frame["section"].replace(OTHER_SECTION, _("Other recommendations"))
    frame = frame.map(neutralise_cell)  # no live formulas in the reader's spreadsheet
    frame.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
