"""Out-of-range ids and bad filter values get a message, never a traceback (issue #13.12)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.pages.dashboard_support import open_page
from tracker import detail
from tracker.assessments import ValidationError, add_assessment
from tracker.cli import main
from tracker.filters import from_query_params
from tracker.models import MAX_ID, parse_id

ROOT = Path(__file__).resolve().parents[1]
HUGE = "99999999999999999999999"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cycle", "x"], "--cycle: 'x' is not a UPR cycle number"),
        (["--cycle", "0"], "--cycle: '0' is not a UPR cycle number"),
        (["--cycle", "²"], "--cycle: '²' is not a UPR cycle number"),
        (["--response", "bogus"], "--response: 'bogus' is not one of supported"),
    ],
)
def test_bad_filter_values_are_errors_not_ignored(sample_url, capsys, args, message) -> None:
    for command in (["stats", "--json"], ["export", "out.csv"]):
        code, out, err = run(capsys, *command, *args)
        assert code == 1, (command, out)
        assert message in err
        assert "Traceback" not in err


def test_good_filter_values_still_filter(sample_url, capsys) -> None:
    code, out, _ = run(capsys, "stats", "--json", "--cycle", "1,2", "--response", "Supported")
    assert code == 0
    assert '"recommendations": ' in out


def test_a_huge_id_on_the_command_line_is_refused_with_a_message(sample_url, capsys) -> None:
    base = ["assess", "--status", "not_implemented", "--date", "2024-01-01", "--source", "X"]
    code, _, err = run(capsys, *base, "--id", HUGE)
    assert code == 2
    assert f"'{HUGE}' is too large (at most {MAX_ID})" in err
    code, _, err = run(capsys, *base, "--id", str(MAX_ID))
    assert code == 1
    assert f"there is no recommendation with id {MAX_ID}" in err


def test_out_of_range_ids_find_nothing_instead_of_raising(any_db_url) -> None:
    from tracker import db

    with db.session_scope() as s:
        for rec_id in (2**31, 2**63, int(HUGE), 0, -1):
            assert detail.recommendation_detail(s, rec_id) is None
            with pytest.raises(ValidationError, match="there is no recommendation"):
                add_assessment(
                    s, rec_id, status="not_implemented", assessed_on="2024-01-01", source_org="X"
                )


def test_id_and_cycle_parsing_accept_only_ascii_numbers_in_range() -> None:
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for raw in (HUGE, str(MAX_ID + 1), "0", "²", "٣", "-1", "1e3", "", None, "9" * 5000):
        assert parse_id(raw) is None, raw
    assert from_query_params({"cycle": ["²", "9" * 5000, "0", "3"]}).cycles == (3,)


def test_the_detail_page_explains_a_huge_or_odd_id(sample_url) -> None:
    for raw in (HUGE, str(2**31), "²"):
        at = open_page("pages/recommendation_page.py", id=raw)
        assert not at.exception, raw
        assert any("There is no recommendation with id" in e.value for e in at.error), raw


def test_the_served_app_shows_visitors_no_traceback() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("none", False)
