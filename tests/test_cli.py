"""The command line as a user runs it: init, stats --json, export, assess, sample."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tracker.cli import main
from tracker.vocab import STATUS_ORDER

CONTRACT_KEYS = {
    "recommendations",
    "recommendation_state_pairs",
    "reviews",
    "states_under_review",
    "recommending_states",
    "assessments",
    "by_cycle",
    "by_response",
    "by_status",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def stats(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, _ = run(capsys, "stats", "--json", *args)
    assert code == 0
    return json.loads(out)


def test_init_then_stats_prints_every_contract_key(db_url, capsys) -> None:
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "Loaded the sample" in out
    figures = stats(capsys)
    assert set(figures) == CONTRACT_KEYS
    assert set(figures["by_status"]) == set(STATUS_ORDER)
    assert figures["by_cycle"] == {"1": 7, "2": 10, "3": 8, "4": 5}
    assert figures["recommendations"] == sum(figures["by_status"].values())


def test_init_twice_does_not_load_the_sample_again(db_url, capsys) -> None:
    run(capsys, "init")
    first = stats(capsys)
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "already holds data" in out
    assert stats(capsys) == first


def test_init_no_sample_creates_an_empty_database(db_url, capsys) -> None:
    assert run(capsys, "init", "--no-sample")[0] == 0
    figures = stats(capsys)
    assert figures["recommendations"] == 0
    assert figures["by_status"]["not_assessed"] == 0


def test_stats_for_one_state(db_url, capsys) -> None:
    run(capsys, "init")
    kaz = stats(capsys, "--state", "Kazakhstan")
    assert kaz["states_under_review"] == 1
    assert kaz["reviews"] == 4
    assert kaz["by_cycle"] == {"1": 6, "2": 8, "3": 7, "4": 5}
    assert stats(capsys, "--state", "KAZ") == kaz


def test_stats_with_unknown_state_is_a_clear_error(db_url, capsys) -> None:
    run(capsys, "init")
    code, _, err = run(capsys, "stats", "--state", "Atlantis", "--json")
    assert code == 1
    assert "'Atlantis'" in err


def _seed_ids(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["recommending_states"]: r for r in rows if r["sample"] != "yes"}


def test_export_lists_the_three_seed_recommendations_as_partially_implemented(
    db_url,
    capsys,
    tmp_path,
) -> None:
    run(capsys, "init")
    out_file = tmp_path / "kaz.csv"
    code, out, _ = run(capsys, "export", str(out_file), "--state", "Kazakhstan")
    assert code == 0
    assert "Wrote 26 recommendations" in out
    seeds = _seed_ids(out_file)
    assert set(seeds) == {"Malaysia", "Mexico", "Egypt"}
    for row in seeds.values():
        assert row["status"] == "partially_implemented"
        assert row["response"] == "supported"
        assert row["id"].isdigit()
    assert seeds["Malaysia"]["cycle"] == "1"
    assert seeds["Malaysia"]["session"] == "7"
    assert seeds["Malaysia"]["action_category"] == "4"
    assert seeds["Mexico"]["session"] == "20"
    assert seeds["Egypt"]["report_symbol"] == "A/HRC/28/10"
    assert "Shymkent" in seeds["Egypt"]["evidence"]


def test_export_xlsx_has_a_sheet_with_every_assessment(db_url, capsys, tmp_path) -> None:
    run(capsys, "init")
    out_file = tmp_path / "all.xlsx"
    assert run(capsys, "export", str(out_file))[0] == 0
    wb = load_workbook(out_file, read_only=True)
    assert wb.sheetnames == ["Recommendations", "Assessments"]
    recs = list(wb["Recommendations"].iter_rows(values_only=True))
    assessments = list(wb["Assessments"].iter_rows(values_only=True))
    figures = stats(capsys)
    assert len(recs) - 1 == figures["recommendations"]
    assert len(assessments) - 1 == figures["assessments"]


def test_export_refuses_other_extensions(db_url, capsys, tmp_path) -> None:
    run(capsys, "init")
    code, _, err = run(capsys, "export", str(tmp_path / "x.pdf"))
    assert code == 1
    assert ".csv or .xlsx" in err
    assert not (tmp_path / "x.pdf").exists()


def test_assess_moves_the_counts_at_once(db_url, capsys, tmp_path) -> None:
    run(capsys, "init")
    run(capsys, "export", str(tmp_path / "kaz.csv"), "--state", "KAZ")
    malaysia = _seed_ids(tmp_path / "kaz.csv")["Malaysia"]["id"]
    before = stats(capsys)["by_status"]
    code, out, _ = run(
        capsys,
        "assess",
        "--id",
        malaysia,
        "--status",
        "fully_implemented",
        "--date",
        "2025-06-30",
        "--source",
        "Coalition",
        "--evidence",
        "Law adopted",
        "--url",
        "https://example.org/law",
    )
    assert code == 0, out
    assert "Fully implemented" in out
    after = stats(capsys)
    assert after["by_status"]["fully_implemented"] == before["fully_implemented"] + 1
    assert after["by_status"]["partially_implemented"] == before["partially_implemented"] - 1
    assert after["assessments"] == stats(capsys)["assessments"]


def test_an_older_assessment_does_not_become_current(db_url, capsys, tmp_path) -> None:
    run(capsys, "init")
    run(capsys, "export", str(tmp_path / "kaz.csv"), "--state", "KAZ")
    mexico = _seed_ids(tmp_path / "kaz.csv")["Mexico"]["id"]
    before = stats(capsys)
    run(
        capsys,
        "assess",
        "--id",
        mexico,
        "--status",
        "not_implemented",
        "--date",
        "2015-01-01",
        "--source",
        "Old report",
    )
    after = stats(capsys)
    assert after["assessments"] == before["assessments"] + 1
    assert after["by_status"] == before["by_status"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--id", "999999", "--status", "fully_implemented", "--date", "2024-01-01"],
            "no recommendation with id 999999",
        ),
        (["--id", "1", "--status", "done", "--date", "2024-01-01"], "'done' is not one of"),
        (
            ["--id", "1", "--status", "fully_implemented", "--date", "31/12/2024"],
            "'31/12/2024' is not a date in the form YYYY-MM-DD",
        ),
        (
            ["--id", "1", "--status", "fully_implemented", "--date", "2024-02-30"],
            "'2024-02-30' is not a date",
        ),
        (["--id", "1", "--status", "fully_implemented", "--date", "2999-01-01"], "in the future"),
        (
            [
                "--id",
                "1",
                "--status",
                "fully_implemented",
                "--date",
                "2024-01-01",
                "--url",
                "javascript:alert(1)",
            ],
            "not a web address",
        ),
    ],
)
def test_assess_rejects_bad_input_and_writes_nothing(db_url, capsys, args, message) -> None:
    run(capsys, "init")
    before = stats(capsys)
    code, _, err = run(capsys, "assess", *args, "--source", "NGO")
    assert code == 1
    assert message in err
    assert stats(capsys) == before


def test_sample_remove_leaves_an_empty_database_and_load_restores(db_url, capsys) -> None:
    run(capsys, "init")
    full = stats(capsys)
    code, out, _ = run(capsys, "sample", "remove")
    assert code == 0
    assert "Removed the sample" in out
    empty = stats(capsys)
    assert empty["recommendations"] == 0
    assert empty["assessments"] == 0
    assert empty["reviews"] == 0
    assert run(capsys, "sample", "load")[0] == 0
    assert stats(capsys) == full


def test_python_dash_m_tracker_runs_as_a_process(tmp_path: Path) -> None:
    env = dict(os.environ, UPR_TRACKER_DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "tracker", "init"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "stats", "--json"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert set(json.loads(done.stdout)) == CONTRACT_KEYS


def test_xlsx_export_keeps_formula_like_text_as_text(db_url, capsys, tmp_path) -> None:
    from tests.importer_support import add_recommendation
    from tracker import db
    from tracker.importers.inputs import RecommendationInput

    run(capsys, "init", "--no-sample")
    with db.session_scope() as s:
        add_recommendation(
            s,
            RecommendationInput(
                "Kazakhstan", 48, '=HYPERLINK("http://x","click")', "noted", 1, ["Mexico"]
            ),
        )
    out_file = tmp_path / "f.xlsx"
    assert run(capsys, "export", str(out_file))[0] == 0
    ws = load_workbook(out_file)["Recommendations"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("recommendation") + 1)
    assert cell.data_type == "s"
    # Text, and with the apostrophe of tracker.safe_output (issue 13): still no formula when
    # someone edits the cell in a spreadsheet program.
    assert cell.value.startswith("'=HYPERLINK")


# A Ctrl-C once the command has finished, while Python tears down (simulated: the process
# interrupts itself from an exit handler, after the import's summary).
CTRL_C_AT_EXIT = """
import atexit, os, signal, sys, time
from tracker.cli import run
atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(5)))
run(sys.argv[1:])
"""


def test_ctrl_c_after_an_imports_summary_prints_no_traceback(db_url, tmp_path) -> None:
    assert main(["init"]) == 0
    exported = tmp_path / "kaz.csv"
    assert main(["export", str(exported), "--state", "KAZ"]) == 0
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_AT_EXIT, "import", str(exported)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert "KeyboardInterrupt" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert "unchanged" in done.stdout.lower() or "recommendations" in done.stdout.lower()
