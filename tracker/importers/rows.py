"""Shared machinery of the format readers: state look-ups, the one-review-per-cycle check,
and turning a row's errors into problems and a rejected row."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tracker.i18n import _
from tracker.importers.outcome import FileReport, Problem, RejectedRow
from tracker.importers.values import CellError, as_text, decode_entities, quote
from tracker.safe_output import CONTROL_CHARS, strip_controls
from tracker.states import (
    UnknownStateError,
    clean_name,
    is_unknown_marker,
    reference_states,
    resolve_iso3,
)
from tracker.vocab import cycle_for_session

Progress = Callable[[float, str], None]
PROGRESS_EVERY = 2000  # rows between progress reports

# A cell listing states: "France, Chile", "France; Chile", "France | Chile", or UHRI's values
# joined on one line ("South Sudan - Sudan"); tried only when the whole cell is no state name.
_LIST_SPLIT_RE = re.compile(r"\s*[;,|\n\r]\s*|\s+[-–—]\s+")
_JOINED_RE = re.compile(r"\s+[-–—]\s+|\s*[|;]\s*")


class ParseContext:
    """What the readers share across rows and files of one import: caches, and the session
    each (state, cycle) review already has (from the database, then from earlier rows)."""

    def __init__(self, review_sessions: dict[tuple[str, int], int] | None = None) -> None:
        self._iso3: dict[str, str | None] = {}
        # (iso3, cycle) -> (session, the row that set it, or None for the database)
        self._reviews: dict[tuple[str, int], tuple[int, int | None]] = {
            key: (session, None) for key, session in (review_sessions or {}).items()
        }

    def iso3(self, name: str) -> str:
        """ISO alpha-3 of a state name in any known spelling; UnknownStateError otherwise."""
        try:
            got = self._iso3[name]
        except KeyError:
            try:
                got = resolve_iso3(name)
            except UnknownStateError:
                got = None
            self._iso3[name] = got
        if got is None:
            raise UnknownStateError(clean_name(name))
        return got

    def state_under_review(self, raw: Any, *, decode: bool = True) -> str:
        """The state under review of a cell; CellError when empty or unknown."""
        text = as_text(raw)
        if decode:
            text = decode_entities(text)
        name = clean_name(text) if text else ""
        if not name or is_unknown_marker(name):
            if name:
                raise CellError(
                    _("{value} — the state under review is required").format(value=quote(name))
                )
            raise CellError(_("empty — the state under review is required"))
        try:
            return self.iso3(name)
        except UnknownStateError:
            raise CellError(unknown_state_message(name)) from None

    def state_under_review_of_one(self, names: list[str]) -> str:
        """The state under review of a cell holding one value (UHRI's ``Countries
        Concerned``); CellError when empty, unknown, or when it joins several states on one
        line (``"South Sudan - Sudan"``): a UPR recommendation concerns one state."""
        name = names[0] if names else ""
        try:
            return self.state_under_review(name)
        except CellError:
            joined = self._joined_states(name)
            if joined is None:
                raise
            raise CellError(
                _(
                    "{value} names {n} states ({names}); a UPR recommendation concerns one "
                    "state under review: give each its own row"
                ).format(
                    value=quote(name),
                    n=len(joined),
                    names=", ".join(state_name(c) for c in joined),
                )
            ) from None

    def _joined_states(self, name: str) -> list[str] | None:
        """The states of a name that joins several known ones, else None."""
        parts = [p for p in _JOINED_RE.split(clean_name(name)) if p]
        if len(parts) < 2:
            return None
        try:
            return [self.iso3(p) for p in parts]
        except UnknownStateError:
            return None

    def recommending_states(self, names: list[str]) -> list[str]:
        """ISO codes of recommending states; "(Unknown)" and empty mean none. A cell that
        does not resolve as one name is tried as a list (``"France, Germany"``)."""
        out: list[str] = []
        for raw in names:
            name = clean_name(raw)
            if not name or is_unknown_marker(name):
                continue
            try:
                codes = [self.iso3(name)]
            except UnknownStateError:
                parts = [p for p in _LIST_SPLIT_RE.split(name) if p]
                codes = []
                bad = None
                if len(parts) > 1:
                    i = 0
                    while i < len(parts):
                        part = parts[i]
                        i += 1
                        if is_unknown_marker(part):
                            continue
                        try:
                            codes.append(self.iso3(part))
                        except UnknownStateError:
                            # a name written with its comma: "France, Korea, Republic of"
                            if i < len(parts):
                                try:
                                    codes.append(self.iso3(f"{part}, {parts[i]}"))
                                    i += 1
                                    continue
                                except UnknownStateError:
                                    pass
                            bad = part
                            break
                else:
                    bad = name
                if bad is not None:
                    raise CellError(unknown_state_message(bad)) from None
            for code in codes:
                if code not in out:
                    out.append(code)
        return out

    def check_review(self, iso3: str, session: int, row: int) -> str | None:
        """A message when ``iso3`` already has another session in the same cycle (a state is
        reviewed once per cycle); else remember this row's session and return None."""
        key = (iso3, cycle_for_session(session))
        known = self._reviews.get(key)
        if known is None:
            self._reviews[key] = (session, row)
            return None
        if known[0] == session:
            return None
        where = _("in the database") if known[1] is None else _("row {row}").format(row=known[1])
        return _(
            "{value} — {state}'s cycle {cycle} review is session {known} ({where}); a state is "
            "reviewed once per cycle"
        ).format(
            value=quote(str(session)),
            state=state_name(iso3),
            cycle=key[1],
            known=known[0],
            where=where,
        )


def unknown_state_message(name: str) -> str:
    """The message for a state name that resolves to no state."""
    return _(
        "{value} is not a known state (a UN member or observer state, in any usual spelling)"
    ).format(value=quote(name))


def state_name(iso3: str) -> str:
    """The short name of a state, for messages and previews."""
    info = reference_states().get(iso3)
    return info.name if info else iso3


class RowCheck:
    """Collects the problems of one row; :meth:`finish` files them in the report."""

    __slots__ = ("errors", "row")

    def __init__(self, row: int) -> None:
        self.row = row
        self.errors: list[tuple[str, str]] = []

    def add(self, column: str, message: str) -> None:
        """Record a problem of ``column``."""
        self.errors.append((column, message))

    def parse(self, column: str, fn: Callable[[Any], Any], value: Any) -> Any:
        """``fn(value)``, or None with the error recorded under ``column``."""
        try:
            return fn(value)
        except CellError as exc:
            self.add(column, str(exc))
            return None

    def reject(self, report: FileReport, header: list[str], cells: list[Any]) -> None:
        """File this row's problems and the row itself as rejected."""
        for column, message in self.errors:
            report.problems.append(Problem(report.name, self.row, column, message))
        report.rejected.append(
            RejectedRow(
                report.name,
                self.row,
                header,
                list(cells),
                [f"{column}: {message}" for column, message in self.errors],
            )
        )


def is_blank(cells: list[Any]) -> bool:
    """True for a row with no value at all (a blank line or an empty spreadsheet row)."""
    for c in cells:
        if c is None:
            continue
        if isinstance(c, str):
            if c.strip():
                return False
        elif isinstance(c, list | tuple | dict):
            if c:
                return False
        else:
            return False
    return True


# C0 control characters but tab, line feed and carriage return, and DEL: safe_output's entry rule.
_CONTROL_RE = re.compile("[" + re.escape(CONTROL_CHARS) + "]")


def strip_row_controls(
    report: FileReport, row_no: int, header: Sequence[str], cells: list[Any]
) -> list[Any]:
    """The entry rule for stored text on one row (tracker.safe_output.strip_controls): C0
    control characters and DEL taken out of every text cell, so that what is stored stays
    printable in every output. The row is imported; a problem line ``FILE:ROW: column:
    message`` says so, once per column and file (the first row; the others are cleaned the
    same way). The row itself (no copy) when no cell holds one: nearly always."""
    texts = [c for c in cells if isinstance(c, str)]
    if not texts or _CONTROL_RE.search("".join(texts)) is None:  # one search per row
        return cells
    out = list(cells)
    for i, value in enumerate(cells):
        if not isinstance(value, str):
            continue
        cleaned, removed = strip_controls(value)
        if not removed:
            continue
        out[i] = cleaned
        column = header[i] if i < len(header) else str(i + 1)
        message = _(
            "control characters removed (invisible, they cannot be printed); the row is "
            "imported without them, as is every other row of this column that holds some"
        )
        if not any(p.column == column and p.message == message for p in report.problems):
            report.problems.append(Problem(report.name, row_no, column, message))
    return out


def iter_rows(
    report: FileReport,
    rows: list[tuple[int, list[Any]]],
    width: int,
    progress: Progress | None = None,
    *,
    telling: tuple[int, ...] = (),
    header: Sequence[str] | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    """The data rows of a sheet as every reader walks them: ``(row number, cells)`` with
    short rows padded to ``width``, blank rows left out, a progress report now and then, and
    the rows read added to ``report.rows_read`` once the walk ends.

    ``telling``: indexes of columns that almost every row fills (text, state): a row with
    one of them filled is not blank, so the full blank check is skipped (the 61k file's fast
    path). With ``header``, every row passes :func:`strip_row_controls`."""
    total = len(rows) or 1
    n_read = 0
    try:
        for n, (row_no, cells) in enumerate(rows):
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n / total, _("Checking rows of {file}").format(file=report.name))
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            for i in telling:
                if cells[i]:
                    break
            else:
                if is_blank(cells):
                    continue
            n_read += 1
            if header is not None:
                cells = strip_row_controls(report, row_no, header, cells)
            yield row_no, cells
    finally:
        report.rows_read += n_read


__all__ = [
    "PROGRESS_EVERY",
    "ParseContext",
    "Progress",
    "RowCheck",
    "is_blank",
    "iter_rows",
    "state_name",
    "strip_row_controls",
    "unknown_state_message",
]
