"""Shared machinery of the format readers: the one row loop (:func:`iter_rows`) applying a
format's table of fields (:class:`Field`: column, parser, required), state look-ups, the
one-review-per-cycle check, and turning a row's errors into problems and a rejected row.

A reader declares its columns as a tuple of :class:`Field`; :func:`iter_rows` walks the
rows, parses each field's cell (a repeating column each distinct value once) and hands the
reader the values and the row's :class:`RowCheck`; the reader adds the rules that join
several fields (a cycle that must match the session, the review's session) and builds its
input."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from tracker.i18n import _
from tracker.importers.detect import ColumnMap
from tracker.importers.outcome import FileReport, Problem, RejectedRow
from tracker.importers.sources import Row, RowStream
from tracker.importers.values import (
    CellError,
    as_text,
    check_length,
    decode_entities,
    parse_cycle,
    quote,
    single_line,
)
from tracker.safe_output import strip_controls
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

    def order(self, columns: list[str]) -> None:
        """Sort the problems by their column's place in ``columns`` (others last), each
        column's problems in the order found."""
        rank = {c: i for i, c in reversed(list(enumerate(columns)))}
        self.errors.sort(key=lambda e: rank.get(e[0], len(columns)))

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


_MISSING = object()


class Field(NamedTuple):
    """One column of a format's table: its field key (:mod:`.detect`), how a cell is parsed
    (raising :class:`CellError` with the message), and whether an empty result is an error.

    ``required``: the message for a cell whose value parses to nothing (``None``, ``""``,
    ``[]``); None when the column may be empty. ``repeats``: the column's values repeat
    (states, sessions, responses), so each distinct cell is parsed once. ``split``: the
    cell holds a list (themes, positions): ``split(cell)`` gives its items, each parsed by
    ``parse`` and each problem recorded; the value is the list of the items that parse. A
    column the file lacks reads as an empty cell."""

    key: str
    parse: Callable[[Any], Any]
    required: str | None = None
    repeats: bool = False
    split: Callable[[Any], list[Any]] | None = None


class Fields:
    """A format's table bound to a file's columns: :meth:`read` parses one row's cells.

    Made for the 61,000-row export: a repeating column's distinct values are parsed once
    (61,014 rows hold 193 states, 27 sessions, 2 responses), a column the file lacks once
    for all rows, and the usual row (every repeating value seen before, and good) is looked
    up without a Python loop over its columns."""

    __slots__ = (
        "_absent_errors",
        "_bad",
        "_good",
        "_missing",
        "_one",
        "_place",
        "_rep",
        "_rep_cells",
        "_tail",
        "cmap",
        "keys",
    )

    def __init__(self, table: tuple[Field, ...], cmap: ColumnMap) -> None:
        self.cmap = cmap
        self.keys = [f.key for f in table]
        # the repeating columns the file has, the other ones, and the lacking ones (which
        # read as an empty cell: their values and problems are found once)
        self._rep: list[tuple[int, Field, str]] = []  # (cell index, field, column name)
        self._one: list[tuple[int, Field, str]] = []
        absent: list[Any] = []
        self._absent_errors: list[tuple[str, str]] = []
        rep_pos: list[int] = []
        one_pos: list[int] = []
        absent_pos: list[int] = []
        for pos, f in enumerate(table):
            index = cmap.index.get(f.key)
            name = cmap.name(f.key)
            if index is None:
                scratch = RowCheck(0)
                absent.append(self._parse(f, name, None, scratch, None, {}))
                self._absent_errors.extend(scratch.errors)
                absent_pos.append(pos)
            elif f.repeats:
                self._rep.append((index, f, name))
                rep_pos.append(pos)
            else:
                self._one.append((index, f, name))
                one_pos.append(pos)
        self._tail = absent
        # per repeating column: cell -> its good value; a bad one's message apart
        self._good: list[dict[Any, Any]] = [{} for _ in self._rep]
        self._bad: list[dict[Any, str]] = [{} for _ in self._rep]
        self._missing = [_MISSING] * len(self._rep)
        self._rep_cells = _getter([i for i, _f, _n in self._rep])
        # repeating values + other values + lacking ones -> the table's order
        order = rep_pos + one_pos + absent_pos
        self._place = _getter([order.index(pos) for pos in range(len(table))])

    def read(self, cells: list[Any], check: RowCheck) -> list[Any]:
        """The values of the table's fields in its order (None where a cell has an error,
        which ``check`` records under the column's name)."""
        if self._absent_errors:
            check.errors.extend(self._absent_errors)
        values = self._rep_cells(cells)
        got = list(map(dict.get, self._good, values, self._missing))
        if _MISSING in got:  # a value not seen before, or a bad one
            for k, (_index, f, name) in enumerate(self._rep):
                if got[k] is _MISSING:
                    got[k] = self._parse(f, name, values[k], check, self._good[k], self._bad[k])
        for index, f, name in self._one:
            if f.split is not None:
                got.append(self._parse(f, name, cells[index], check, None, {}))
                continue
            try:  # _parse, inlined for the text of every row
                value = f.parse(cells[index])
            except CellError as exc:
                check.add(name, str(exc))
                value = None
            else:
                if f.required is not None and not value:
                    check.add(name, f.required)
            got.append(value)
        got += self._tail
        return list(self._place(got))

    @staticmethod
    def _parse(
        f: Field,
        column: str,
        v: Any,
        check: RowCheck,
        good: dict[Any, Any] | None,
        bad: dict[Any, str],
    ) -> Any:
        """One cell's value, its problems recorded in ``check``; a repeating column's good
        value is remembered in ``good`` and its bad one's message in ``bad``."""
        if good is not None and v in bad:
            check.add(column, bad[v])
            return None
        if f.split is not None:
            items = []
            for item in f.split(v):
                try:
                    items.append(f.parse(item))
                except CellError as exc:
                    check.add(column, str(exc))
            return items
        try:
            got = f.parse(v)
        except CellError as exc:
            if good is not None:
                bad[v] = str(exc)
            check.add(column, str(exc))
            return None
        if f.required is not None and not got:
            check.add(column, f.required)
        elif good is not None:
            good[v] = got
        return got


def _getter(indexes: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The items at ``indexes`` of a sequence, as a tuple (operator.itemgetter, which gives
    a lone item for one index and fails for none)."""
    if not indexes:
        return lambda _seq: ()
    if len(indexes) == 1:
        i = indexes[0]
        return lambda seq: (seq[i],)
    return itemgetter(*indexes)


def bounded_line(limit: int) -> Callable[[Any], str | None]:
    """A parser of a one-line value (a code, a symbol, a name) of at most ``limit``
    characters: stray whitespace removed, empty -> None."""

    def parse(value: Any) -> str | None:
        text = single_line(as_text(value)) or None
        check_length(text, limit)
        return text

    return parse


def check_cycle(
    check: RowCheck, column: str, raw: Any, session: int | None, shown: str | None = None
) -> None:
    """A cycle cell must agree with the row's session (when both are there): record the
    problem under ``column``. ``shown``: the cell as the message quotes it (default: as
    written)."""
    if session is None:
        return
    cycle = check.parse(column, parse_cycle, raw)
    if cycle is not None and cycle != cycle_for_session(session):
        check.add(
            column,
            _("{value} does not match session {session}, which is in cycle {cycle}").format(
                value=quote(as_text(raw) if shown is None else shown),
                session=session,
                cycle=cycle_for_session(session),
            ),
        )


def strip_row_controls(
    report: FileReport, row_no: int, header: Sequence[str], cells: list[Any]
) -> list[Any]:
    """The entry rule for stored text on one row (tracker.safe_output.strip_controls): C0
    control characters and DEL taken out of every text cell, so that what is stored stays
    printable in every output. The row is imported; a problem line ``FILE:ROW: column:
    message`` says so, once per column and file (the first row; the others are cleaned the
    same way). The row itself (no copy) when no cell holds one: nearly always."""
    texts = [c for c in cells if isinstance(c, str)]
    # one search per row, by the entry rule itself (its characters are not listed twice)
    if not texts or not strip_controls("".join(texts))[1]:
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
    rows: RowStream | list[Row],
    width: int,
    progress: Progress | None = None,
    *,
    telling: tuple[int, ...] = (),
    header: Sequence[str] | None = None,
) -> Iterator[Row]:
    """The data rows of a sheet as every reader walks them: ``(row number, cells)`` with
    short rows padded to ``width``, blank rows left out, a progress report now and then, and
    the rows read added to ``report.rows_read`` once the walk ends. Each row is let go of
    once read (a list ends empty; a text file's rows are read as they are asked for,
    :class:`~tracker.importers.sources.RowStream`): the raw cells and the values read from
    them are not held at once (a rejected row keeps a copy of its cells).

    ``telling``: indexes of columns that almost every row fills (text, state): a row with
    one of them filled is not blank, so the full blank check is skipped (the 61k file's fast
    path). With ``header``, every row that may hold a control character passes
    :func:`strip_row_controls`."""
    stream = rows if isinstance(rows, RowStream) else RowStream(rows)
    controls = stream.may_hold_controls
    n_read = 0
    try:
        for n, (row_no, cells) in enumerate(stream):
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(stream.done(n), _("Checking rows of {file}").format(file=report.name))
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            for i in telling:
                if cells[i]:
                    break
            else:
                if is_blank(cells):
                    continue
            n_read += 1
            if header is not None and controls():
                cells = strip_row_controls(report, row_no, header, cells)
            yield row_no, cells
    finally:
        report.rows_read += n_read


def iter_fields(
    report: FileReport,
    rows: RowStream | list[Row],
    fields: Fields,
    progress: Progress | None = None,
    *,
    telling: tuple[str, ...] = (),
    text_cells: bool = False,
) -> Iterator[tuple[int, list[Any], list[Any], RowCheck]]:
    """:func:`iter_rows` with the format's table applied: ``(row number, cells, values in
    the table's order, the row's check)``. ``telling``: field keys of :func:`iter_rows`.
    ``text_cells``: list and object cells (JSON) are read as their text, so that every cell
    can be looked up in a repeating field's cache."""
    index = fields.cmap.index
    at = tuple(index[k] for k in telling if k in index)
    width = len(fields.cmap.header)
    read = fields.read
    header = fields.cmap.header
    for row_no, cells in iter_rows(report, rows, width, progress, telling=at, header=header):
        if text_cells:
            cells = [as_text(c) if isinstance(c, list | dict) else c for c in cells]
        check = RowCheck(row_no)
        yield row_no, cells, read(cells, check), check


__all__ = [
    "PROGRESS_EVERY",
    "Field",
    "Fields",
    "ParseContext",
    "Progress",
    "RowCheck",
    "bounded_line",
    "check_cycle",
    "is_blank",
    "iter_fields",
    "iter_rows",
    "state_name",
    "strip_row_controls",
    "unknown_state_message",
]
