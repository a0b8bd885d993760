"""docs/performance.md's generated tables (bench/report.py), the benchmarks' loud failures
(bench/run_all.py, bench/common.py) and the million corpus' generator (bench/synth.py).

No benchmark runs here: the writer is fed small results shaped like run_all.py's and
million.py's JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench import report, run_all, synth
from bench.common import BenchFailure, check_import

HAND_WRITTEN_TOP = """# Performance at full scale

Why it is fast, written by hand: *keep me* exactly, with  two spaces.

<!-- bench:machine -->
old machine line
<!-- /bench -->

Between the tables, by hand.

<!-- bench:sqlite -->
| old | sqlite | table |
<!-- /bench -->

<!-- bench:postgresql -->
| old | postgresql | table |
<!-- /bench -->

### Every page

<!-- bench:pages -->
| old page table |
<!-- /bench -->

## A million

<!-- bench:million -->
Not measured yet.
<!-- /bench -->

## What makes it fast

* Hand-written bullet, after every marker.
"""


def _fig(best: float, median: float | None = None) -> dict[str, Any]:
    return {"best": best, "median": median if median is not None else best, "runs": [best]}


def _pages(cold_all: float) -> dict[str, Any]:
    def page(cold: float) -> dict[str, Any]:
        return {
            scope: {"cold_s": _fig(cold if scope == "all" else 0.1), "warm_s": _fig(0.05)}
            for scope in ("all", "one_state")
        }

    return {
        "pages": {"overview": page(0.4), "progress": page(cold_all)},
        "floor_s": _fig(0.004),
        "target_s": {"all": 0.5, "one_state": 0.2},
    }


def _results() -> dict[str, Any]:
    """A run_all.py result, small: SQLite complete, PostgreSQL with a failed step."""
    sqlite = {
        "import_real": {
            "import_seconds": _fig(2.5, 2.9),
            "floor_seconds": _fig(0.5),
            "ratio_to_floor": 5.0,
            "target_seconds": 3.0,
            "target_ratio": 5.0,
            "repeats_step_seconds": _fig(1.2),
            "links_suggested": 21200,
        },
        "stats": {
            "all": {"seconds": _fig(0.62, 0.69), "floor_seconds": _fig(0.25)},
            "target_seconds": 1.5,
        },
        "pages": _pages(cold_all=0.61),
        "rss": {
            "rss_mb_after_every_page": 306.0,
            "rss_mb_peak": 307.0,
            "floor_rss_mb_after_every_page": 220.0,
            "target_mb": 500.0,
        },
    }
    postgresql = {"search": {"error": "bench/search_bench.py failed (1):\nmatches nothing"}}
    return {
        "started": "2026-12-05T06:00:00+00:00",
        "machine": {"cores": 2, "cpu": "AMD EPYC", "memory_gb": 23.5, "python": "3.11.7"},
        "postgres_version": "postgres (PostgreSQL) 15.18",
        "load_at_start": [0.12, 0.3, 0.25],
        "load_at_end": [1.9, 1.4, 0.8],
        "corpus": {"generator": 3, "seed": 7, "recommendations": 156005, "assessments": 519882},
        "sqlite": sqlite,
        "postgresql": postgresql,
    }


def _million() -> dict[str, Any]:
    return {
        "started": "2026-12-04T16:43:09+00:00",
        "ended": "2026-12-04T18:01:00+00:00",
        "machine": {"cores": 2, "cpu": "AMD EPYC", "memory_gb": 23.5},
        "load_at_start": [8.98, 5.84, 4.98],
        "load_at_end": [11.0, 10.2, 9.9],
        "corpus": {"recommendations": 999984, "assessments": 3329603, "bytes": 1365859138},
        "import": {
            "files": [
                {
                    "file": "round1.csv",
                    "rows": 999984,
                    "bytes": 401121557,
                    "wall_s": 900.0,
                    "cpu_s": 600.0,
                    "peak_rss_mb": 5200,
                    "load": [12.1, 9.1, 6.5],
                }
            ],
            "minutes": 15.0,
            "peak_rss_mb": 5200,
        },
        "pages": {**_pages(cold_all=3.2), "summary": None},
        "rss": {
            "rss_mb_after_every_page": 610.0,
            "rss_mb_peak": 640.0,
            "floor_rss_mb_after_every_page": 230.0,
        },
        "backup": {"wall_s": 300.0, "mb": 700, "peak_rss_mb": 250},
    }


def _outside_markers(text: str) -> str:
    return report.MARKER.sub(lambda m: m.group(1) + m.group(4), text)


def test_the_generated_tables_replace_the_old_ones_and_keep_the_hand_written_text() -> None:
    written = report.write_sections(HAND_WRITTEN_TOP, report.sections(_results(), None))

    assert _outside_markers(written) == _outside_markers(HAND_WRITTEN_TOP)
    assert "*keep me* exactly, with  two spaces." in written
    assert "old machine line" not in written
    assert "| old | sqlite | table |" not in written
    # The machine, the date and the load at start and end.
    assert "2026-12-05T06:00:00+00:00" in written
    assert "0.12 / 0.3 / 0.25 at the start, 1.9 / 1.4 / 0.8 at the end" in written
    assert "2 cores (AMD EPYC), 23.5 GB RAM" in written
    # Each figure beside its floor, its ratio to the floor, its target and whether it is met.
    lines = written.splitlines()
    stats = next(line for line in lines if line.startswith("| `stats --json`"))
    assert stats == (
        "| `stats --json` as a process, whole corpus | 0.62 / 0.69 s | 0.25 s (× 2.5) "
        "| ≤ 1.5 s | yes |"
    )
    imp = next(line for line in lines if line.startswith("| import of the 61,014"))
    assert "0.50 s (× 5.0)" in imp
    assert "≤ 3 s and ≤ 5×" in imp
    assert imp.endswith("| yes |")
    cold = next(line for line in lines if "whole corpus, cold cache (progress)" in line)
    assert "0.61 / 0.61 s" in cold
    assert "≤ 0.5 s" in cold
    assert cold.endswith("| **no** |")
    assert "| 306 MB (307 MB) | 220 MB | ≤ 500 MB | yes |" in written
    # A failed step is shown as failed, never left out.
    failed = next(line for line in lines if "search: **failed**" in line)
    assert "bench/search_bench.py failed (1):" in failed
    assert failed.endswith("| **no** |")
    # The page table: every page, both scopes.
    assert "| progress | 0.61 (0.61) | 0.05 (0.05) | 0.10 (0.10) | 0.05 (0.05) |" in written
    # A section the results do not hold (the million run) is left as it was.
    assert "Not measured yet." in written


def test_writing_twice_gives_the_same_page() -> None:
    generated = report.sections(_results(), _million())
    once = report.write_sections(HAND_WRITTEN_TOP, generated)
    assert report.write_sections(once, generated) == once


def test_the_million_section_says_which_targets_are_missed() -> None:
    million = _million()
    million["pages"]["summary"] = None
    section = report.sections(None, million)
    assert set(section) == {"million"}
    text = section["million"]
    assert "999,984 recommendations, 3,329,603 assessments, 1,366 MB of CSV" in text
    assert "8.98 / 5.84 / 4.98 at the start, 11 / 10.2 / 9.9 at the end" in text
    assert "| import, all files | 15.0 min, peak RSS 5,200 MB | minutes, not hours | yes |" in text
    assert "| server memory after every page (peak) | 610 MB (640 MB)" in text
    assert "| ≤ 500 MB | **no** |" in text
    assert "| `tracker backup` of the whole database | 5.0 min, 700 MB file" in text


def test_the_million_pages_are_measured_against_one_second() -> None:
    from bench.million import _page_summary

    pages = _pages(cold_all=3.2)
    million = {**_million(), "pages": {**pages, "summary": _page_summary(pages)}}
    text = report.sections(None, million)["million"]
    assert "| slowest page, whole corpus, cold (progress) | 3.20 / 3.20 s | ≤ 1 s | **no** |" in (
        text
    )
    assert "| slowest page, one country, cold (overview) | 0.10 / 0.10 s | ≤ 1 s | yes |" in text
    assert million["pages"]["summary"]["over_target"] == ["progress (all): 3.20 s"]


def test_a_page_without_its_markers_is_not_written(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    text = "# Hand-written only\n\n<!-- bench:machine -->\nx\n<!-- /bench -->\n"
    page.write_text(text)
    result = tmp_path / "results.json"
    result.write_text(json.dumps(_results()))
    assert report.main([str(result), "--write", str(page)]) == 1
    assert page.read_text() == text  # sqlite, postgresql and pages have no markers here

    with pytest.raises(ValueError, match="bench:sqlite"):
        report.write_sections(text, report.sections(_results(), None))


def test_the_writer_updates_the_file_in_place(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text(HAND_WRITTEN_TOP)
    million = tmp_path / "million.json"
    million.write_text(json.dumps(_million()))
    assert report.main(["--million", str(million), "--write", str(page)]) == 0
    text = page.read_text()
    assert "Not measured yet." not in text
    assert "round1.csv (999,984 rows" in text
    assert "| old | sqlite | table |" in text  # only the million section was given


def test_the_real_page_has_every_marker() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
    names = [m.group("name") for m in report.MARKER.finditer(page.read_text())]
    assert sorted(names) == sorted(report.SECTIONS)


def test_run_all_fails_when_any_step_failed() -> None:
    results = _results()
    assert run_all.failures(results) == ["postgresql search: bench/search_bench.py failed (1):"]
    results["postgresql"] = {"error": "PostgreSQL is not installed"}
    assert run_all.failures(results) == ["postgresql: PostgreSQL is not installed"]
    del results["postgresql"]
    assert run_all.failures(results) == []


def _report(**kw: Any) -> SimpleNamespace:
    fields = {
        "fatal": False,
        "rows_read": 10,
        "rows_rejected": 0,
        "added": 10,
        "updated": 0,
        "assessments_added": 10,
        "problems": [],
        **kw,
    }
    return SimpleNamespace(**fields)


def test_an_import_that_stores_nothing_fails_the_benchmark() -> None:
    check_import(_report(), "ok.csv", strict=True)
    check_import(_report(rows_rejected=2), "real.csv", strict=False)
    # The row limit (UPR_TRACKER_MAX_ROWS) makes the file unreadable: nothing is stored.
    limit = "corpus.csv:1: the file has more than 500,000 rows"
    with pytest.raises(BenchFailure, match=re.escape("could not be read:\ncorpus.csv:1: the file")):
        check_import(_report(fatal=True, added=0, assessments_added=0, problems=[limit]),
                     "corpus.csv", strict=False)  # fmt: skip
    with pytest.raises(BenchFailure, match="nothing was stored"):
        check_import(_report(added=0, assessments_added=0, rows_rejected=10), "x", strict=False)
    with pytest.raises(BenchFailure, match="2 rows rejected"):
        check_import(_report(rows_rejected=2), "synthetic", strict=True)


def test_the_default_synthetic_corpus_is_unchanged(tmp_path: Path) -> None:
    # Digest of generator version 3's output before --cycles existed (1,500 asked).
    synth.write_corpus(tmp_path, 1500)
    digest = hashlib.sha256()
    for name in ("round1.csv", "round2.csv", "round3.csv", "round4.csv"):
        digest.update((tmp_path / name).read_bytes())
    assert digest.hexdigest() == (
        "9f05b8aa100fee70489fc030a44ac8b0dd25c7b0d24ead563c46d3d8c5283652"
    )
    assert "cycles" not in json.loads((tmp_path / "corpus.json").read_text())


def test_the_fifth_cycle_holds_only_reviews_held_by_the_fixed_present(tmp_path: Path) -> None:
    info = synth.write_corpus(tmp_path, 3000, cycles=5)
    assert info["cycles"] == 5
    assert 2900 <= info["recommendations"] <= 3100
    with (tmp_path / "round1.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fifth = [r for r in rows if r["cycle"] == "5"]
    assert 0 < len(fifth) < len(rows) // 5  # a cycle still running: a few states so far
    assert all(dt.date.fromisoformat(r["review_date"]) <= synth.TODAY for r in fifth)
    assert all(dt.date.fromisoformat(r["assessed_on"]) <= synth.TODAY for r in rows)
    # A later call with the same arguments reuses the files; the default corpus is another.
    assert synth.write_corpus(tmp_path, 3000, cycles=5) == info
    assert synth.write_corpus(tmp_path, 3000)["recommendations"] != info["recommendations"]


def test_a_million_import_that_stopped_says_how_far_it_got() -> None:
    million = _million()
    million["corpus"]["files"] = ["round1.csv", "round2.csv", "round3.csv", "round4.csv"]
    million["import"]["complete"] = False
    million["import"]["files"][0]["committed_s"] = 612.0
    text = report.sections(None, million)["million"]
    assert "| import, stopped after 1 of 4 files | 15.0 min, peak RSS 5,200 MB |" in text
    assert "minutes, not hours | – |" in text  # not judged: the import did not end
    assert "15.0 min (committed after 10.2 min, CPU 10.0 min)" in text


def test_the_million_run_s_note_comes_before_its_table() -> None:
    million = {**_million(), "note": "Pages measured after the first round file."}
    text = report.sections(None, million)["million"]
    assert text.index("Pages measured after the first round file.") < text.index("| figure |")
