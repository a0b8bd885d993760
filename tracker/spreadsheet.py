"""XLSX rows whose text cells stay text.

A recommendation that starts with ``=`` must not become a formula in the reader's
spreadsheet: every string is written as a typed text cell. Used by the downloads
(:mod:`tracker.exports`) and the template export (:mod:`tracker.template_format`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from tracker.safe_output import neutralise_cell

XLSX_MAX_CELL_CHARS = 32_767  # Excel's limit; longer text is cut (never in UPR data so far)


def xlsx_row(ws: WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """Cells for ``ws.append``: strings are typed as text (never formulas), and text that
    starts like a formula carries an apostrophe (tracker.safe_output), so that it stays text
    when someone edits the cell and the spreadsheet program re-reads it."""
    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(ws, value=neutralise_cell(value)[:XLSX_MAX_CELL_CHARS])
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row
