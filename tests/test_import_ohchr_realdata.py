"""The real OHCHR Word documents (read in place from ../shared/data/ohchr, never copied): the
three Slovenia matrices (sessions 20, 34, 48: three layouts) and the Estonia Working Group
draft report (session 52). Counts as SOURCES.md gives them; re-importing changes nothing;
repeats are suggested across the three cycles; ``matrix fill`` fills exactly what is
assessed."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.conftest import skip_or_fail
from tests.importer_support import (
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    new_engine,
    run_import,
    snapshot,
)
from tracker import db
from tracker.assessments import add_assessment
from tracker.importers import ImportSource, read_file
from tracker.matrix_fill import fill_matrix
from tracker.models import Recommendation, RecommendationLink, Review

pytestmark = pytest.mark.realdata

# ../shared next to the project (a worktree of it may sit one level deeper)
OHCHR = next(
    (
        p / "shared" / "data" / "ohchr"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "data" / "ohchr").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "ohchr",
)
S20 = "UPR20__Slovenia_ThematicListRecommendations_E.docx"
S34 = "UPR34_Slovenia_Thematic_list_of_Recommendations.docx"
S48 = "upr48-slovenia-thematic-list-of-recommendatio.docx"
EST = "Estonia_WG52_draft_after_adoption.docx"

# file -> (state, session, symbol, responses as SOURCES.md counts them)
EXPECTED = {
    S20: ("SVN", 20, "A/HRC/28/15", {"supported": 142, "noted": 21}),
    S34: ("SVN", 34, "A/HRC/43/15", {"supported": 182, "noted": 33}),
    S48: ("SVN", 48, "A/HRC/59/15", {"supported": 217, "noted": 37}),
    EST: ("EST", 52, None, {"pending": 273}),
}


@pytest.fixture(scope="module")
def ohchr() -> Path:
    if not OHCHR.is_dir():
        skip_or_fail(f"the real OHCHR documents are not at {OHCHR}")
    return OHCHR


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_document_reads_with_its_counts(ohchr: Path, name: str) -> None:
    state, session, symbol, responses = EXPECTED[name]
    report = read_file(ImportSource.from_path(ohchr / name))
    assert not report.problems
    rows = [p.rec for p in report.parsed]
    assert len(rows) == sum(responses.values())
    assert Counter(r.response for r in rows) == responses
    assert {(r.state_under_review, r.session, r.report_symbol) for r in rows} == {
        (state, session, symbol)
    }
    assert all(r.paragraph and r.recommending_states and r.text for r in rows)
    assert len({r.paragraph for r in rows}) == len(rows)


def _counts(engine: Engine, session_no: int) -> tuple[Counter[str | None], int, set[str | None]]:
    with db.session_scope(engine) as s:
        rows = s.execute(
            select(Recommendation.response, Recommendation.paragraph, Review.report_symbol)
            .join(Review, Review.id == Recommendation.review_id)
            .where(Review.session == session_no)
        ).all()
    return (
        Counter(r[0] for r in rows),
        sum(1 for r in rows if not r[1]),
        {r[2] for r in rows},
    )


def test_import_reimport_link_and_fill(ohchr: Path, tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    timings = {}
    for name in EXPECTED:
        started = time.perf_counter()
        report = run_import(engine, [ohchr / name])
        timings[name] = time.perf_counter() - started
        assert report.ok, report.problems
    # Session 20: 115.8 and 115.10 have the same text and response (noted), but two paragraph
    # numbers: two recommendations, each with its own paragraph's states.
    assert _counts(engine, 20) == (Counter({"supported": 142, "noted": 21}), 0, {"A/HRC/28/15"})
    assert _counts(engine, 34) == (Counter({"supported": 182, "noted": 33}), 0, {"A/HRC/43/15"})
    assert _counts(engine, 48) == (Counter({"supported": 217, "noted": 37}), 0, {"A/HRC/59/15"})
    assert _counts(engine, 52) == (Counter({"pending": 273}), 0, {None})

    before = snapshot(engine)
    again = run_import(engine, [ohchr / n for n in EXPECTED])
    assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before

    # Repeats across the three cycles: the OP-ICESCR ratification (20 -> 34 -> 48).
    with db.session_scope(engine) as s:
        pairs = _suggested_sessions(s, "Covenant on Economic, Social and Cultural Rights")
    assert (20, 34) in pairs
    assert (34, 48) in pairs

    # matrix fill on session 48 after assessing three recommendations
    with db.session_scope(engine) as s:
        ids = s.scalars(
            select(Recommendation.id)
            .join(Review, Review.id == Recommendation.review_id)
            .where(
                Review.session == 48, Recommendation.paragraph.in_(["140.7", "140.100", "140.253"])
            )
        ).all()
        assert len(ids) == 3
        for rid in ids:
            add_assessment(
                s,
                rid,
                status="partially_implemented",
                assessed_on="2025-05-01",
                source_org="Legal centre",
                evidence="Shelter opened in Almaty",
            )
    data = (ohchr / S48).read_bytes()
    with db.session_scope(engine) as s:
        result = fill_matrix(s, data, S48)
    assert sorted(result.filled) == ["140.100", "140.253", "140.7"]
    assert result.rows == 254
    assert not result.unmatched
    source = docx.Document(io.BytesIO(data)).tables[0]
    filled = docx.Document(io.BytesIO(result.data)).tables[0]
    assert len(filled.rows) == len(source.rows)
    written = [r.cells[-1].text for r in filled.rows[1:] if r.cells[-1].text != r.cells[0].text]
    assert [t for t in written if t] == [
        "Partially implemented — Shelter opened in Almaty (Legal centre, 1 May 2025)"
    ] * 3
    print({k: round(v, 2) for k, v in timings.items()})  # shown with pytest -s


def _suggested_sessions(session: Session, words: str) -> set[tuple[int, int]]:
    """(earlier session, later session) of the suggested links between recommendations whose
    texts both name ``words``."""
    rec = {
        rid: (sess, text)
        for rid, sess, text in session.execute(
            select(Recommendation.id, Review.session, Recommendation.text).join(
                Review, Review.id == Recommendation.review_id
            )
        )
    }
    out = set()
    for a, b in session.execute(select(RecommendationLink.earlier_id, RecommendationLink.later_id)):
        if words in rec[a][1] and words in rec[b][1]:
            out.add((rec[a][0], rec[b][0]))
    return out
