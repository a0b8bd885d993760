"""Property-based: malformed input never crashes the importer, and a rejected import never
writes anything."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine

from tests.importer_support import (
    TERMAN_HEADER,
    UHRI_HEADER,
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    new_engine,
    run_import,
    snapshot,
    upr_row,
)
from tracker.importers import ImportSource
from tracker.template_format import TEMPLATE_COLUMNS

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

cell_text = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "Kazakhstan",
            "Türkiye",
            "&#40;Unknown&#41;",
            "Narnia",
            "20",
            "27th",
            "0",
            "-3",
            "1e9",
            "Supported",
            "Accepted",
            "maybe",
            "5",
            "9",
            "Ratify the Convention.",
            "- 34 Session",
            "- UPR",
            "145.2 Ratify it (France)",
            "2024-13-45",
            "45000",
            '"',
            '""quoted""',
            "a\nb",
            "\r",
            "\x00",
            "=1+1",
            "&amp;",
            "☃" * 50,
        ]
    ),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    tmp = Path(tempfile.mkdtemp(prefix="upr-prop-"))
    e = new_engine(tmp)
    # Some data already there, so that "nothing written" is a real claim.
    run_import(e, [ImportSource("seed.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))])
    yield e
    e.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


def _check(engine: Engine, source: ImportSource, fmt: str = "auto") -> None:
    before = snapshot(engine)
    report = run_import(engine, [source], fmt)
    if not report.ok:
        assert snapshot(engine) == before, "a rejected import wrote something"
        assert report.problems
    for f in report.files:
        if not f.fatal:
            assert f.rows_valid + f.rows_rejected + f.rows_skipped == f.rows_read
    for p in report.problems:
        assert str(p).startswith(source.name)


@SETTINGS
@given(data=st.binary(max_size=3000), name=st.sampled_from(["f.csv", "f.xlsx", "f.json", "f"]))
def test_arbitrary_bytes_never_crash_and_never_write(
    engine: Engine, data: bytes, name: str
) -> None:
    _check(engine, ImportSource(name, data))


@SETTINGS
@given(
    header=st.sampled_from([UPR_INFO_HEADER, TERMAN_HEADER, UHRI_HEADER, TEMPLATE_COLUMNS]),
    rows=st.lists(st.lists(cell_text, max_size=22), max_size=8),
    delimiter=st.sampled_from([";", ",", "\t", "|"]),
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "utf-16"]),
    line_end=st.sampled_from(["\r\n", "\n", "\r"]),
    fmt=st.sampled_from(["auto", "auto", "upr-info", "uhri", "template"]),
)
def test_malformed_tables_never_crash_and_invalid_rows_never_write(
    engine: Engine,
    header: list[str],
    rows: list[list[str]],
    delimiter: str,
    encoding: str,
    line_end: str,
    fmt: str,
) -> None:
    data = csv_bytes(header, rows, delimiter=delimiter, encoding=encoding, line_end=line_end)
    _check(engine, ImportSource("fuzz.csv", data), fmt)


xlsx_cell = st.one_of(
    cell_text,
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from([UPR_INFO_HEADER, UHRI_HEADER, TEMPLATE_COLUMNS]),
    rows=st.lists(st.lists(xlsx_cell, max_size=22), max_size=6),
)
def test_workbooks_with_any_cell_types_never_crash(
    engine: Engine, header: list[str], rows: list[list[object]]
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        # Control characters cannot be written to a workbook at all.
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    _check(engine, ImportSource("fuzz.xlsx", buf.getvalue()))
