"""The real UPR Info files (read in place from ../shared/data/upr, never copied): each imports
exactly, and ``stats`` agrees with an independent count of the file under the identity rule.

The independent count below uses only the ``csv`` module, plain string operations and the
state reference table (tracker.states); none of the importer's code. Its results are also
written out as numbers, so that a change in either shows.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.importer_support import (
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    new_engine,
    run_import,
    stats,
)
from tracker.states import resolve_iso3

pytestmark = pytest.mark.realdata

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "upr"
BIG = SHARED / "upr_info_recommendations_sessions01-27_export2018-07-25.csv"
KAZAKHSTAN = SHARED / "upr_info_kazakhstan_sessions07_20.csv"
TERMAN = SHARED / "terman_upr_info_sessions06-09_accepted_noted.csv"

RESPONSES = {"supported": "supported", "accepted": "supported", "noted": "noted"}
NO_STATE = {"&#40;Unknown&#41;", "(Unknown)", ""}

# The independent counts, as computed by count() on the files of SOURCES.md.
EXPECTED: dict[str, dict[str, Any]] = {
    BIG.name: {
        "rows": 61_014,
        "without_session": 1,
        "recommendations": 58_699,
        "recommendation_state_pairs": 61_000,
        "reviews": 400,
        "states_under_review": 193,
        "recommending_states": 173,
        "by_cycle": {"1": 20_621, "2": 34_926, "3": 3_152},
        "by_response": {"supported": 43_531, "noted": 15_168},
    },
    KAZAKHSTAN.name: {
        "rows": 327,
        "without_session": 0,
        "recommendations": 318,
        "recommendation_state_pairs": 327,
        "reviews": 2,
        "states_under_review": 1,
        "recommending_states": 75,
        "by_cycle": {"1": 129, "2": 189},
        "by_response": {"supported": 263, "noted": 55},
    },
    TERMAN.name: {
        "rows": 8_343,
        "without_session": 0,
        "recommendations": 8_176,
        "recommendation_state_pairs": 8_342,
        "reviews": 63,
        "states_under_review": 63,
        "recommending_states": 135,
        "by_cycle": {"1": 8_176},
        "by_response": {"supported": 6_106, "noted": 2_070},
    },
}


def _require_data() -> None:
    if SHARED.is_dir():
        return
    reason = f"the real UPR data is not at {SHARED}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@functools.cache
def iso3(name: str) -> str:
    return resolve_iso3(name)


@functools.cache
def identities(path: Path) -> tuple[dict[str, Any], frozenset[tuple[Any, ...]]]:
    """Count ``path`` under the identity rule, independently of the importer: state under
    review, session, whitespace- and case-normalised text, response, action category."""
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "mac_roman"
    delimiter = ";" if encoding == "utf-8-sig" else ","
    # io.StringIO with newline="" splits records on CR (the Mac Roman file), LF and CRLF.
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline=""), delimiter=delimiter))
    body = rows[1:]
    ids: set[tuple[Any, ...]] = set()
    pairs: set[tuple[Any, ...]] = set()
    reviews: set[tuple[str, int]] = set()
    recommending: set[str] = set()
    by_cycle: Counter[str] = Counter()
    by_response: Counter[str] = Counter()
    without_session = 0
    for sur, _g, _o, text, rs, _g2, _o2, response, action, _issue, session in body:
        if not session.strip():
            without_session += 1
            continue
        number = int(session)
        cycle = 1 if number <= 12 else 2 + (number - 13) // 14
        key = (
            iso3(sur),
            number,
            " ".join(unicodedata.normalize("NFC", text).split()).casefold(),
            RESPONSES[response.strip().lower()],
            int(action) if action.strip() else None,
        )
        if key not in ids:
            ids.add(key)
            by_cycle[str(cycle)] += 1
            by_response[key[3]] += 1
        reviews.add((key[0], cycle))
        if rs.strip() not in NO_STATE:
            pairs.add((key, iso3(rs)))
            recommending.add(iso3(rs))
    counts = {
        "rows": len(body),
        "without_session": without_session,
        "recommendations": len(ids),
        "recommendation_state_pairs": len(pairs),
        "reviews": len(reviews),
        "states_under_review": len({k[0] for k in ids}),
        "recommending_states": len(recommending),
        "by_cycle": dict(sorted(by_cycle.items())),
        "by_response": dict(by_response),
    }
    return counts, frozenset(ids)


def _matches(figures: dict[str, Any], counts: dict[str, Any]) -> None:
    for key in (
        "recommendations",
        "recommendation_state_pairs",
        "reviews",
        "states_under_review",
        "recommending_states",
        "by_cycle",
    ):
        assert figures[key] == counts[key], key
    assert {k: v for k, v in figures["by_response"].items() if v} == counts["by_response"]
    assert figures["assessments"] == 0
    assert figures["by_status"]["not_assessed"] == counts["recommendations"]


@pytest.fixture(scope="module")
def big_db() -> Iterator[tuple[Engine, Any]]:
    _require_data()
    tmp = Path(tempfile.mkdtemp(prefix="upr-real-"))
    engine = new_engine(tmp)
    report = run_import(engine, [BIG], skip_invalid=True)
    yield engine, report
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


def test_the_61k_export_imports_completely_and_agrees_with_an_independent_count(
    big_db: tuple[Engine, Any],
) -> None:
    engine, report = big_db
    counts, _ids = identities(BIG)
    assert counts == EXPECTED[BIG.name]
    assert (report.rows_read, report.rows_rejected) == (61_014, 1)
    assert [str(p) for p in report.problems] == [
        f"{BIG}:16: Session: empty — the UPR session number is required"
    ]
    assert report.added == counts["recommendations"]
    _matches(stats(engine), counts)


def test_the_subset_and_the_older_scrape_merge_with_the_61k_export_by_identity(
    big_db: tuple[Engine, Any],
) -> None:
    engine, _report = big_db
    _big_counts, big_ids = identities(BIG)
    kaz = run_import(engine, [KAZAKHSTAN], dry_run=True)
    assert (kaz.added, kaz.updated, kaz.unchanged) == (0, 0, 318)  # every row already there
    _t, terman_ids = identities(TERMAN)
    terman = run_import(engine, [TERMAN], dry_run=True)
    assert terman.files[0].encoding == "mac_roman"
    assert terman.added == len(terman_ids - big_ids)
    assert terman.added + terman.updated + terman.unchanged == len(terman_ids)


@pytest.mark.parametrize("path", [KAZAKHSTAN, TERMAN], ids=["kazakhstan", "mac-roman"])
def test_each_smaller_file_imports_exactly(tmp_path: Path, path: Path) -> None:
    _require_data()
    counts, _ids = identities(path)
    assert counts == EXPECTED[path.name]
    engine = new_engine(tmp_path)
    try:
        report = run_import(engine, [path])
        assert report.ok
        assert not report.problems
        assert report.rows_read == counts["rows"]
        _matches(stats(engine), counts)
        again = run_import(engine, [path])
        assert (again.added, again.updated, again.unchanged) == (0, 0, counts["recommendations"])
    finally:
        engine.dispose()


def test_the_kazakhstan_rows_split_as_the_sources_say() -> None:
    _require_data()
    with KAZAKHSTAN.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    by_session = Counter((r[10], r[7]) for r in rows)
    assert by_session == {
        ("7", "Supported"): 122,
        ("7", "Noted"): 7,
        ("20", "Supported"): 147,
        ("20", "Noted"): 51,
    }
