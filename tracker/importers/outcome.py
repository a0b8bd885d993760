"""What an import found and did: problems, rejected rows, figures per file and in total.

Every problem reads ``FILE:ROW: column: message`` (ROW as a spreadsheet program numbers it,
the header being row 1); a problem with the whole file reads ``FILE: message``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from tracker import private_files
from tracker.hints import cli_command
from tracker.i18n import N_, _, ngettext
from tracker.importers.detect import Format, format_label
from tracker.importers.inputs import AssessmentInput, RecommendationInput
from tracker.safe_output import neutralise_row

PREVIEW_ROWS = 20


# The extras of a row that has none, shared (read-only).
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Problem:
    """One problem, located as precisely as the file allows."""

    file: str
    row: int | str | None  # a row number, or a Word paragraph's number ("140.7")
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.file}: {self.message}"
        if self.column:
            return f"{self.file}:{self.row}: {self.column}: {self.message}"
        return f"{self.file}:{self.row}: {self.message}"


@dataclass
class RejectedRow:
    """A row left out, with the reasons and its cells as the file gave them."""

    file: str
    row: int | str
    header: list[str]
    cells: list[Any]
    reasons: list[str]


@dataclass(slots=True)
class ParsedRow:
    """A valid row: the recommendation it gives, and the assessments it carries (slotted,
    and without a dict of its own unless it has extras: an import holds one per row)."""

    row: int
    rec: RecommendationInput
    local_id: str | None = None
    assessments: list[AssessmentInput] = field(default_factory=list)
    extra: Mapping[str, Any] = field(default_factory=lambda: NO_EXTRA)  # for the preview


@dataclass
class FileReport:
    """Everything about one file: how it was read, its problems, what it changed."""

    name: str
    format: Format | None = None
    kind: str | None = None  # csv / xlsx / json
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sha256: str | None = None
    fatal: str | None = None  # the file could not be read as a table of a known format
    warnings: list[str] = field(default_factory=list)  # e.g. a guessed encoding
    rows_read: int = 0
    rows_valid: int = 0
    rows_skipped: int = 0  # rows that are not recommendations (UHRI: another body)
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    parsed: list[ParsedRow] = field(default_factory=list, repr=False)
    extra_assessments: list[tuple[str, AssessmentInput]] = field(default_factory=list, repr=False)
    preview: list[dict[str, Any]] = field(default_factory=list, repr=False)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    assessments_added: int = 0
    assessments_unchanged: int = 0
    # what the reader or the merge wants the user to know, without blocking the import
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Rows left out for their problems (Assessments-sheet rows included)."""
        return len(self.rejected)

    @property
    def changed(self) -> bool:
        """True when this file adds or changes something."""
        return bool(self.added or self.updated or self.assessments_added)

    def describe(self) -> str:
        """``"UPR Info database export (UTF-8 with BOM, ';'-separated)"``."""
        if self.format is None:
            return _("unknown format")
        details = []
        if self.encoding:
            details.append(_(ENCODING_LABELS.get(self.encoding, self.encoding)))
        if self.delimiter:
            details.append(
                _("tab-separated")
                if self.delimiter == "\t"
                else _("{d!r}-separated").format(d=self.delimiter)
            )
        if self.kind == "xlsx":
            details.append(
                _("Excel workbook, sheet {name!r}").format(name=self.sheet)
                if self.sheet
                else _("Excel workbook")
            )
        if self.kind == "json":
            details.append(_("JSON"))
        label = format_label(self.format)
        return f"{label} ({', '.join(details)})" if details else label


ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8 with BOM"),
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "cp1252": "Windows-1252",
    "mac_roman": "Mac Roman",
}


@dataclass
class ImportReport:
    """The result of :func:`tracker.importers.import_files`."""

    files: list[FileReport]
    dry_run: bool = False
    skip_invalid: bool = False
    written: bool = False  # the changes are in the caller's session (who commits them)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    assessments_added: int = 0
    reviews_updated: int = 0
    links_suggested: int = 0  # repeats across cycles suggested by the post-import pass
    # The states the import touched: the post-import pass suggests repeats for them.
    repeat_state_ids: list[int] = field(default_factory=list)
    # real recommendations the sample brought in that this import now holds (sample removal
    # keeps them)
    adopted: int = 0
    sample_present: bool = False  # the database holds sample records (after the import)
    import_run_ids: list[int] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Every problem of every file, in file and row order."""
        return [p for f in self.files for p in f.problems]

    @property
    def fatal(self) -> bool:
        """True when a file could not be read at all (nothing is ever written then)."""
        return any(f.fatal for f in self.files)

    @property
    def rows_read(self) -> int:
        """Data rows read in all files (blank rows not counted)."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected in all files."""
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_skipped(self) -> int:
        """Rows that are not recommendations (UHRI rows of other bodies)."""
        return sum(f.rows_skipped for f in self.files)

    @property
    def blocked(self) -> bool:
        """True when nothing may be written: an unreadable file, or invalid rows without
        ``skip_invalid``."""
        return self.fatal or (bool(self.rows_rejected) and not self.skip_invalid)

    @property
    def ok(self) -> bool:
        """Success as the command line's exit status sees it."""
        return not self.blocked

    @property
    def changed(self) -> bool:
        """True when the import writes (or, for a dry run, would write) anything."""
        return bool(
            self.added
            or self.updated
            or self.assessments_added
            or self.reviews_updated
            or self.adopted
        )

    def rejected_rows(self) -> list[RejectedRow]:
        """Every rejected row of every file, in order."""
        return [r for f in self.files for r in f.rejected]

    def summary_lines(self, *, page: bool = False) -> list[str]:
        """The summary of the import (translated): for the command line, or with ``page``
        for the Import page (which names its switch instead of the option, and calls a dry
        run a check)."""
        lines: list[str] = []
        for f in self.files:
            if f.fatal:
                continue
            line = _("{file}: {format}: {rows}.").format(
                file=f.name,
                format=f.describe(),
                rows=ngettext("{n} row read", "{n} rows read", f.rows_read).format(
                    n=f"{f.rows_read:,}"
                ),
            )
            if f.rows_skipped:
                reasons = ", ".join(f"{k} ({v:,})" for k, v in f.skipped_reasons.most_common(5))
                line += " " + ngettext(
                    "{n} row skipped: not a UPR recommendation ({reasons}).",
                    "{n} rows skipped: not UPR recommendations ({reasons}).",
                    f.rows_skipped,
                ).format(n=f"{f.rows_skipped:,}", reasons=reasons)
            lines.append(line)
            lines.extend(f"{f.name}: {note}" for note in f.notes)
            for warning in f.warnings:
                lines.append(_("{file}: warning: {message}.").format(file=f.name, message=warning))
        if self.blocked:
            if self.fatal:
                lines.append(_("Nothing was imported: a file could not be read (see above)."))
            elif page:
                lines.append(
                    ngettext(
                        "Nothing can be imported: {n} row is invalid (see the problems). Correct "
                        "it, or turn on “Skip invalid rows” to import the valid rows only.",
                        "Nothing can be imported: {n} rows are invalid (see the problems). "
                        "Correct them, or turn on “Skip invalid rows” to import the valid rows "
                        "only.",
                        self.rows_rejected,
                    ).format(n=f"{self.rows_rejected:,}")
                )
            else:
                lines.append(
                    ngettext(
                        "Nothing was imported: {n} row is invalid (see above). Correct it, or "
                        "use --skip-invalid to import the valid rows only.",
                        "Nothing was imported: {n} rows are invalid (see above). Correct them, "
                        "or use --skip-invalid to import the valid rows only.",
                        self.rows_rejected,
                    ).format(n=f"{self.rows_rejected:,}")
                )
            return lines
        if self.sample_present:
            lines.append(
                _(
                    "This database still holds the sample data. Remove it with `{command}`: "
                    "what your imports hold stays."
                ).format(command=cli_command("sample remove"))
            )
        figures = _(
            "Recommendations: {added} added, {updated} updated, {unchanged} unchanged; "
            "{rejected} rejected."
        ).format(
            added=f"{self.added:,}",
            updated=f"{self.updated:,}",
            unchanged=f"{self.unchanged:,}",
            rejected=ngettext("{n} row", "{n} rows", self.rows_rejected).format(
                n=f"{self.rows_rejected:,}"
            ),
        )
        if self.dry_run and page and self.changed:
            figures = _("Nothing is written yet. Importing will give: {figures}").format(
                figures=figures
            )
        elif self.dry_run and not page:
            figures = _("Dry run, nothing was written. It would give: {figures}").format(
                figures=figures
            )
        lines.append(figures)
        if self.assessments_added:
            lines.append(
                (
                    ngettext(
                        "{n} assessment would be added.",
                        "{n} assessments would be added.",
                        self.assessments_added,
                    )
                    if self.dry_run
                    else ngettext(
                        "{n} assessment added.", "{n} assessments added.", self.assessments_added
                    )
                ).format(n=f"{self.assessments_added:,}")
            )
        if self.adopted:
            lines.append(
                (
                    ngettext(
                        "{n} recommendation the sample brought in would be held by this import "
                        "(removing the sample keeps it).",
                        "{n} recommendations the sample brought in would be held by this import "
                        "(removing the sample keeps them).",
                        self.adopted,
                    )
                    if self.dry_run
                    else ngettext(
                        "{n} recommendation the sample brought in is now held by this import "
                        "(removing the sample keeps it).",
                        "{n} recommendations the sample brought in are now held by this import "
                        "(removing the sample keeps them).",
                        self.adopted,
                    )
                ).format(n=f"{self.adopted:,}")
            )
        if self.links_suggested:
            lines.append(
                ngettext(
                    "{n} possible repeat across cycles suggested for review.",
                    "{n} possible repeats across cycles suggested for review.",
                    self.links_suggested,
                ).format(n=f"{self.links_suggested:,}")
            )
        if not self.changed:
            lines.append(
                _("Nothing changed: the database already holds everything in these files.")
                if self.rows_read - self.rows_rejected - self.rows_skipped > 0
                else _("Nothing changed: the files hold no recommendation to import.")
            )
        return lines

    def rejects_csv(self) -> bytes:
        """The rejected rows as CSV (UTF-8 with BOM, so that Excel reads it right): the
        columns ``file``, ``row``, ``reason``, then the file's own columns."""
        return rejects_csv(self.rejected_rows())

    def write_rejects(self, path: str | Path) -> int:
        """Write :meth:`rejects_csv` to ``path`` (atomically); return the number of rows."""
        private_files.write_private(path, self.rejects_csv())  # 0600: it holds the file's rows
        return self.rows_rejected


def problems_frame(report: ImportReport) -> pd.DataFrame:
    """The problems as a table: file, row, column, message (for the Import page)."""
    frame = pd.DataFrame(
        [(p.file, p.row, p.column or "", p.message) for p in report.problems],
        columns=["file", "row", "column", "message"],
    )
    # Word paragraphs are located by their number ("140.7"): then the column stays text.
    if all(p.row is None or isinstance(p.row, int) for p in report.problems):
        frame = frame.astype({"row": "Int64"})
    return frame


def preview_frame(file: FileReport) -> pd.DataFrame:
    """The first valid rows of a file as the database will hold them."""
    return pd.DataFrame(file.preview)


def rejects_csv(rejected: list[RejectedRow]) -> bytes:
    """Rejected rows as CSV: a header, then one line per row (see ImportReport)."""
    # The union of the files' columns: a repeated name (UPR Info's two "Rgrp") is kept twice.
    columns: list[tuple[str, int]] = []
    positions: dict[tuple[str, int], int] = {}
    row_keys: list[list[tuple[str, int]]] = []
    for r in rejected:
        seen: Counter[str] = Counter()
        keys = []
        for name in r.header:
            seen[name] += 1
            key = (name, seen[name])
            keys.append(key)
            if key not in positions:
                positions[key] = len(columns)
                columns.append(key)
        row_keys.append(keys)
    buf = io.StringIO()
    w = csv.writer(buf)
    # Every cell through neutralise_row: a rejected row is whatever the file held.
    w.writerow(neutralise_row(["file", "row", "reason", *(name for name, _n in columns)]))
    for r, keys in zip(rejected, row_keys, strict=True):
        cells = [""] * len(columns)
        for key, value in zip(keys, r.cells, strict=False):
            cells[positions[key]] = _cell_text(value)
        w.writerow(neutralise_row([r.file, r.row, "; ".join(r.reasons), *cells]))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell_text(value: Any) -> str:
    from tracker.importers.values import as_text

    return as_text(value)


__all__ = [
    "FileReport",
    "ImportReport",
    "ParsedRow",
    "Problem",
    "RejectedRow",
    "preview_frame",
    "problems_frame",
    "rejects_csv",
]
