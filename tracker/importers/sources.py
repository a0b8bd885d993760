"""What an import reads: a file's bytes (:class:`ImportSource`), the limits a file must keep
(:class:`ReadLimits`), the table it becomes (:class:`Workbook` of :class:`Sheet`), and the
error of a file that is no table at all (:class:`NotATableError`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker import settings
from tracker.i18n import _

MAX_COLUMNS = 1000  # real exports have about 40; a wider row is a bomb or not a table


def megabytes(size: int) -> str:
    """``52428800`` -> ``"50"``, ``10485`` -> ``"0.01"``: a size in MB as people write it."""
    mb = size / 2**20
    return f"{mb:,.1f}".removesuffix(".0") if mb >= 1 else f"{mb:.2g}"


class NotATableError(Exception):
    """The file is not a table at all (empty, binary, a broken workbook, ...)."""


@dataclass(frozen=True)
class ReadLimits:
    """How much one file may hold: bytes, rows, characters in one cell."""

    max_bytes: int
    max_rows: int
    max_cell_chars: int

    @classmethod
    def from_settings(cls) -> ReadLimits:
        """The limits in force (``UPR_TRACKER_MAX_UPLOAD_MB``, ``..._MAX_ROWS``,
        ``..._MAX_CELL_CHARS``)."""
        return cls(settings.max_upload_bytes(), settings.max_rows(), settings.max_cell_chars())

    def check_size(self, size: int) -> None:
        """NotATableError when a file of ``size`` bytes is over the limit."""
        if size > self.max_bytes:
            raise NotATableError(
                _(
                    "the file is {size} MB; at most {limit} MB can be imported "
                    "(UPR_TRACKER_MAX_UPLOAD_MB)"
                ).format(size=megabytes(size), limit=megabytes(self.max_bytes))
            )

    def too_many_rows(self) -> NotATableError:
        """The error for a file with more than ``max_rows`` rows."""
        return NotATableError(
            _(
                "the file has more than {limit} rows; at most {limit} can be imported at once "
                "(UPR_TRACKER_MAX_ROWS): split it into several files"
            ).format(limit=f"{self.max_rows:,}")
        )

    def check_row(self, number: int, cells: list[Any]) -> None:
        """NotATableError when row ``number`` is too wide or holds a cell that is too long."""
        if len(cells) > MAX_COLUMNS:
            raise NotATableError(
                _("row {row} has {n} columns; a table may have at most {limit}").format(
                    row=number, n=f"{len(cells):,}", limit=f"{MAX_COLUMNS:,}"
                )
            )
        for i, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > self.max_cell_chars:
                raise NotATableError(
                    _(
                        "row {row}, column {col}: the cell holds {n} characters; at most "
                        "{limit} are allowed (UPR_TRACKER_MAX_CELL_CHARS)"
                    ).format(
                        row=number, col=i + 1, n=f"{len(cell):,}", limit=f"{self.max_cell_chars:,}"
                    )
                )


@dataclass(frozen=True)
class ImportSource:
    """A file to import: the name shown in messages and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path, limits: ReadLimits | None = None) -> ImportSource:
        """Read ``path``; a missing or unreadable file, or one over the size limit, raises
        NotATableError (the size is checked before anything is read)."""
        p = Path(path)
        limits = limits or ReadLimits.from_settings()
        try:
            if p.is_file():
                limits.check_size(p.stat().st_size)
            return cls(str(path), p.read_bytes())
        except IsADirectoryError:
            raise NotATableError(_("this is a folder, not a file")) from None
        except FileNotFoundError:
            raise NotATableError(_("there is no such file")) from None
        except OSError as exc:
            raise NotATableError(
                _("the file cannot be read ({reason})").format(reason=exc.strerror or exc)
            ) from None


Row = tuple[int, list[Any]]  # a spreadsheet row number and the row's cells
_READ: Row = (0, [])  # in place of a row handed out


def _always() -> bool:
    return True


class RowStream:
    """Rows handed out once each, in order, and let go of as they are: a list already read
    (a workbook's rows, JSON records, the first rows of a text file), then, for a text file,
    the rest as the reader asks for them (:func:`tracker.importers.files.stream_csv`), so
    that a CSV's raw rows are never all held at once. ``done()`` is the share of the file
    read so far (for progress reports)."""

    __slots__ = ("_done", "_more", "_rows", "_total", "may_hold_controls")

    def __init__(
        self,
        rows: list[Row],
        more: Iterator[Row] | None = None,
        done: Callable[[], float] | None = None,
        controls: Callable[[], bool] | None = None,
    ) -> None:
        self._rows = rows
        self._more = more
        self._total = len(rows) or 1
        self._done = done
        # Whether a row handed out so far may hold a control character (the entry rule,
        # tracker.safe_output.strip_controls): a text file knows it piece by piece; for
        # the other sources every row is checked.
        self.may_hold_controls = controls or _always

    def __iter__(self) -> Iterator[Row]:
        rows = self._rows
        for n in range(len(rows)):
            row = rows[n]
            rows[n] = _READ  # let go of: the reader holds what it reads from it
            yield row
        rows.clear()
        if self._more is not None:
            yield from self._more
            self._more = None

    def done(self, handed_out: int) -> float:
        """The share of the rows read after ``handed_out`` were handed out (0 to 1)."""
        if self._done is not None:
            return self._done()
        return handed_out / self._total


@dataclass
class Sheet:
    """One table: cells by row, each row with its spreadsheet row number. A text file's
    sheet holds its first rows only (those where a header may be, at least
    :data:`~tracker.importers.files.HEADER_ROWS` that are not blank); ``more`` reads the
    others, once, and ``done`` tells how much of the file is read."""

    name: str | None  # the worksheet's name (xlsx), else None
    rows: list[Row]
    more: Iterator[Row] | None = field(default=None, repr=False)
    done: Callable[[], float] | None = field(default=None, repr=False)
    controls: Callable[[], bool] | None = field(default=None, repr=False)

    def stream(self, start: int) -> RowStream:
        """The rows from index ``start`` of :attr:`rows` to the end of the sheet, handed
        over: the sheet keeps none of them (it keeps the rows before ``start``)."""
        head = self.rows[start:]
        del self.rows[start:]
        more, self.more = self.more, None
        return RowStream(head, more, self.done, self.controls)


@dataclass
class Workbook:
    """What a file holds: one or more sheets, and how it was read."""

    kind: str  # "csv", "xlsx" or "json"
    sheets: list[Sheet]
    encoding: str | None = None
    delimiter: str | None = None
    json_records: list[Any] | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)  # how a guess was made, for the summary

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` (case-insensitive), if any."""
        for s in self.sheets:
            if s.name is not None and s.name.casefold() == name.casefold():
                return s
        return None


HeaderScore = Callable[[Sequence[object]], int]
