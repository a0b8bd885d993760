"""``python -m tracker import``: messages, exit status, --dry-run, --skip-invalid, --rejects,
the progress bar, and atomicity under Ctrl-C and kill -9."""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    fts_count,
    new_engine,
    run_import,
    snapshot,
    upr_row,
    write,
)
from tracker import cli, cli_import, db
from tracker.sample import load_sample
from tracker.settings import DATABASE_URL_ENV
from tracker.states import reference_states

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated database holding the sample, named by UPR_TRACKER_DATABASE_URL."""
    engine = new_engine(tmp_path, "cli.db")
    with db.session_scope(engine) as s:
        load_sample(s)
    engine.dispose()
    path = tmp_path / "cli.db"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{path}")
    yield path
    db.dispose_engines()


def state(path: Path) -> dict[str, object]:
    engine = db.create_engine_for(f"sqlite:///{path}")
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_success_prints_the_summary_and_exits_0(tmp_path: Path, db_path: Path, capsys) -> None:
    f = write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(rs="Chile")]))
    code, out, err = run(capsys, str(f))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{f}: UPR Info database export (UTF-8 with BOM, ';'-separated): 2 rows read.",
        # the database holds the sample (issue 13.1: an import says so)
        "This database still holds the sample data. Remove it with `.venv/bin/tracker sample "
        "remove`: what your imports hold stays.",
        "Recommendations: 1 added, 0 updated, 0 unchanged; 0 rows rejected.",
    ]
    code, out, _err = run(capsys, str(f))
    assert code == 0
    assert out.splitlines()[-1] == (
        "Nothing changed: the database already holds everything in these files."
    )


def test_an_invalid_row_prints_every_problem_exits_1_and_writes_nothing(
    tmp_path: Path, db_path: Path, capsys
) -> None:
    rows = [upr_row(), upr_row(session="", text_="x"), upr_row(sur="Atlantis", text_="y")]
    f = write(tmp_path / "bad.csv", csv_bytes(UPR_INFO_HEADER, rows))
    before = state(db_path)
    code, out, err = run(capsys, str(f))
    assert code == 1
    assert err.splitlines() == [
        f"{f}:3: Session: empty — the UPR session number is required",
        f"{f}:4: SuR: 'Atlantis' is not a known state (a UN member or observer state, in any "
        "usual spelling)",
    ]
    assert "Nothing was imported: 2 rows are invalid" in out
    assert state(db_path) == before


def test_skip_invalid_imports_the_rest_and_rejects_go_to_a_csv(
    tmp_path: Path, db_path: Path, capsys
) -> None:
    rows = [upr_row(), upr_row(session="", text_="x")]
    f = write(tmp_path / "m.csv", csv_bytes(UPR_INFO_HEADER, rows))
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(capsys, str(f), "--skip-invalid", "--rejects", str(rejects))
    assert code == 0
    assert err == f"{f}:3: Session: empty — the UPR session number is required\n"
    assert f"Wrote 1 rejected row to {rejects}." in out
    assert "Recommendations: 1 added, 0 updated, 0 unchanged; 1 row rejected." in out
    table = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert len(table) == 2
    assert table[1][:2] == [str(f), "3"]


def test_dry_run_reports_and_writes_nothing(tmp_path: Path, db_path: Path, capsys) -> None:
    f = write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    before = state(db_path)
    code, out, _err = run(capsys, str(f), "--dry-run")
    assert code == 0
    assert "Dry run, nothing was written. It would give: Recommendations: 1 added" in out
    assert state(db_path) == before


def test_a_forced_format_that_does_not_fit_says_which_columns_are_missing(
    tmp_path: Path, db_path: Path, capsys
) -> None:
    f = write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    code, _out, err = run(capsys, str(f), "--format", "uhri")
    assert code == 1
    assert err.startswith(
        f"{f}:1: read as a OHCHR Universal Human Rights Index (UHRI) export, the header lacks "
        "the columns Text, Countries Concerned, Reccomending Body, UPR Session"
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("bin.csv", bytes(range(256)) * 4, "this is a binary file, not a table"),
        ("broken.xlsx", b"PK\x03\x04\x14\x00broken", "this Excel workbook cannot be opened"),
    ],
)
def test_a_file_that_is_not_a_table_gets_one_message(
    tmp_path: Path, db_path: Path, capsys, name: str, data: bytes, message: str
) -> None:
    f = write(tmp_path / name, data)
    code, out, err = run(capsys, str(f))
    assert code == 1
    assert err.startswith(f"{f}: {message}")
    assert len(err.splitlines()) == 1
    assert out == "Nothing was imported: a file could not be read (see above).\n"


def test_the_command_itself_prints_no_traceback_for_a_broken_workbook(
    tmp_path: Path, db_path: Path
) -> None:
    f = write(tmp_path / "broken.xlsx", b"PK\x03\x04\x14\x00broken")
    proc = subprocess.run(
        [sys.executable, "-m", "tracker", "import", str(f)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        f"{f}: this Excel workbook cannot be opened; it may be damaged (BadZipFile)\n"
    )


def test_a_missing_file_is_reported_by_name(tmp_path: Path, db_path: Path, capsys) -> None:
    code, _out, err = run(capsys, str(tmp_path / "nope.csv"))
    assert (code, err) == (1, f"{tmp_path / 'nope.csv'}: there is no such file\n")


def test_the_progress_bar_draws_on_a_terminal_and_clears_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_import, "BAR_DELAY", 0.0)
    stream = io.StringIO()
    bar = cli_import.TerminalProgress(stream)
    bar(0.5, "Checking rows of a.csv")
    assert stream.getvalue().startswith("\r[" + "#" * 15 + "-" * 15 + "]  50% Checking rows")
    bar.close()
    assert stream.getvalue().endswith("\r" + " " * 120 + "\r")


def test_no_progress_bar_when_standard_error_is_not_a_terminal(
    tmp_path: Path, db_path: Path, capsys
) -> None:
    f = write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    _code, _out, err = run(capsys, str(f))
    assert err == ""


# --- atomicity ------------------------------------------------------------------------------
def _big_file(path: Path, n: int) -> Path:
    """``n`` valid rows, over many states and sessions."""
    # Not the sample's states, whose reviews have their own sessions.
    names = [i.name for i in reference_states().values() if i.iso3 not in ("KAZ", "KGZ")][:150]
    rows = []
    for i in range(n):
        k = i % len(names)
        rows.append(
            upr_row(
                sur=names[k],
                text_=f"Recommendation {i}: strengthen the protection of rights in area {i % 97}.",
                rs=names[(k + 1) % len(names)],
                session=str(k % 26 + 1),
            )
        )
    return write(path, csv_bytes(UPR_INFO_HEADER, rows))


# Runs the CLI's import in a child process that receives ``sig`` from itself at one known
# point inside the import's write transaction: after the new recommendations are written,
# before the updates. Watching the write-ahead log grow from outside (what this did before)
# raced with the commit on a loaded machine: the signal could land after it.
_INTERRUPTING_IMPORT = """
import os, signal, sys
from tracker.cli import main
from tracker.importers import writer

original = writer.BulkWriter._write_updates

def interrupted(self, *args, **kwargs):
    # raise(3): delivered to this thread before it returns.
    signal.raise_signal(int(os.environ["UPR_TEST_SIGNAL"]))
    return original(self, *args, **kwargs)

writer.BulkWriter._write_updates = interrupted
# Ctrl-C as at a terminal: a test run started in the background by a shell without job
# control (`make test &` in a script) ignores SIGINT, and its children inherit that.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.exit(main(sys.argv[1:]))
"""


def _interrupt_while_writing(db_path: Path, data: Path, sig: int) -> subprocess.CompletedProcess:
    """Run ``import data`` in a child process that gets ``sig`` while it is writing (the
    new recommendations inserted, the transaction open); return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", _INTERRUPTING_IMPORT, "import", str(data)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "UPR_TEST_SIGNAL": str(int(sig))},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _intact(db_path: Path) -> None:
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert "recommendation_fts_insert" in names
        fts = con.execute(
            "INSERT INTO recommendation_fts(recommendation_fts) VALUES('integrity-check')"
        )
        fts.close()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)],
    ids=["kill-9", "ctrl-c"],
)
def test_an_interrupted_import_leaves_the_database_exactly_as_before(
    tmp_path: Path, db_path: Path, sig: int, code: int
) -> None:
    data = _big_file(tmp_path / "big.csv", 3_000)
    before = state(db_path)
    proc = _interrupt_while_writing(db_path, data, sig)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    if sig == signal.SIGINT:
        assert proc.stderr.strip().splitlines()[-1] == "Interrupted; nothing was written."
    assert state(db_path) == before
    _intact(db_path)
    # The database takes imports afterwards, and indexes them for search.
    small = write(
        tmp_path / "small.csv",
        csv_bytes(UPR_INFO_HEADER, [upr_row(sur="Chile", text_="Protect the quokkas.")]),
    )
    engine = db.create_engine_for(f"sqlite:///{db_path}")
    try:
        assert run_import(engine, [small]).added == 1
        assert fts_count(engine, "quokkas") == 1
    finally:
        engine.dispose()
