"""Issue 19.4: a later round (the same recommendations re-exported with a newer assessment
each) imported into a database that holds them. The writer looks up only the stored
recommendations the file names (IN lists on the unique identity, or one streamed pass over
the table for many) and holds a digest of each stored assessment: the import's memory follows
the file, not the database."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import synth
from tests.importer_support import (
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    new_engine,
    run_import,
    snapshot,
)
from tracker import backup, db
from tracker.importers import writer
from tracker.models import Assessment

N = 3000  # recommendations of the synthetic corpus (about 1,000 rows in its fourth round)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four round files of a small synthetic corpus (bench/synth.py)."""
    out = tmp_path_factory.mktemp("corpus")
    synth.write_corpus(out, n=N, seed=19)
    return out


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in fh) - 1  # the synthetic texts hold no line break


@pytest.mark.parametrize("lookup", ["in-lists", "one-pass"])
def test_a_later_round_adds_its_assessments_and_nothing_else(
    any_db_url: str, corpus: Path, lookup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of finding the stored recommendations (IN lists for a few, one streamed
    pass over the table for many: a server-side cursor on PostgreSQL) find every one: a
    later round adds one assessment per row, no recommendation, and importing it again adds
    nothing."""
    if lookup == "one-pass":
        monkeypatch.setattr(writer, "SCAN_KEYS_ABOVE", 0)
        monkeypatch.setattr(writer, "SCAN_ABOVE", 0)
    else:
        monkeypatch.setattr(writer, "SCAN_KEYS_ABOVE", 10**9)
        monkeypatch.setattr(writer, "SCAN_ABOVE", 10**9)
    engine = db.get_engine(any_db_url)
    first = run_import(engine, [corpus / "round1.csv"], defer_repeats=True)
    assert first.added == _rows(corpus / "round1.csv")
    assert not first.rows_rejected
    before = snapshot(engine)
    later = corpus / "round4.csv"
    report = run_import(engine, [later], defer_repeats=True)
    assert not report.rows_rejected
    assert (report.added, report.updated) == (0, 0)
    assert report.unchanged == report.rows_read == _rows(later)
    assert report.assessments_added == _rows(later)
    after = snapshot(engine)
    assert after["recommendation"] == before["recommendation"]
    assert after["recommendation_state"] == before["recommendation_state"]
    assert after["recommendation_theme"] == before["recommendation_theme"]
    assert after["assessment"] == before["assessment"] + _rows(later)

    again = run_import(engine, [later], defer_repeats=True)
    assert (again.added, again.updated, again.assessments_added) == (0, 0, 0)
    assert again.files[0].assessments_unchanged == _rows(later)
    with db.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Assessment)) == after["assessment"]


def test_a_later_round_holds_memory_in_proportion_to_the_file(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fourth round (a third of the corpus' recommendations) into the database of the
    first: 12 times the file at its peak (Python's own allocations; much of it the import's
    fixed cost, which a file this small does not dwarf), where loading every stored
    recommendation, and the stored assessments as tuples of their texts, took 21. The backup
    taken before the import is left out: its memory follows the database, and it is
    measured apart (bench/import_memory.py)."""
    monkeypatch.setattr(backup, "auto_backup", lambda *a, **k: None)
    engine = new_engine(tmp_path)
    run_import(engine, [corpus / "round1.csv"], defer_repeats=True)
    later = corpus / "round4.csv"
    run_import(engine, [corpus / "round2.csv"], defer_repeats=True)  # warm: caches filled
    tracemalloc.start()
    try:
        report = run_import(engine, [later], defer_repeats=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.assessments_added == _rows(later)
    size = later.stat().st_size
    assert peak < 16 * size, f"peak {peak / size:.1f} times the file"


def test_a_json_template_with_lists_in_its_cells_shares_the_repeating_values() -> None:
    """Template rows from JSON may give their lists as arrays: they read as the same list
    as the text would, and two rows naming the same themes share one list (read-only)."""
    import json

    from tracker.importers import ImportSource, read_file

    rows = [
        {
            "state_under_review": "Kazakhstan",
            "session": 20,
            "recommendation": f"Ratify the Optional Protocol, step {i}.",
            "recommending_states": ["France", "Chile"],
            "response": "supported",
            "themes": ["Torture", "Justice"],
            "paragraph": f"1.{i}",
            "status": "not_implemented",
            "assessed_on": "2020-01-01",
            "assessment_source": "Coalition of NGOs",
        }
        for i in (1, 2)
    ]
    report = read_file(ImportSource("t.json", json.dumps(rows).encode()))
    assert not report.fatal
    assert not report.problems
    first, second = (p.rec for p in report.parsed)
    assert first.themes == ["Torture", "Justice"]
    assert first.recommending_states == ["FRA", "CHL"]
    assert first.themes is second.themes
    a, b = (p.assessments[0] for p in report.parsed)
    assert a.source_org == "Coalition of NGOs"
    assert a.source_org is b.source_org
