"""Repeats across cycles at scale (tracker.linking, tracker.link_scoring): each later
recommendation keeps only its best ``MAX_EARLIER_PER_LATER`` earlier candidates, and the step
holds one state and one block of pairs at a time, writing its suggestions in batches, with
exactly the results of one pass over everything."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.test_linking import add, add_synthetic, synthetic_texts
from tracker import db, linking
from tracker import link_scoring as ls
from tracker.models import RecommendationLink
from tracker.vocab import LinkStatus

# Cycle 1 (session 7): four wordings of one ask, from the closest to the loosest; cycle 2
# (session 20): the ask itself. Every pair scores above STRONG_SCORE, so the former rule
# ("strong pairs are always kept") suggested all four.
DEATH_PENALTY = "Abolish the death penalty for all crimes"
EARLIER_WORDINGS = [
    DEATH_PENALTY,
    "Abolish the death penalty",
    "Abolish the death penalty for all crimes in law",
    "Abolish the death penalty for all crimes immediately",
]
JOBS = "Continue to support employment generation among the young"
STATES = ["France", "Spain", "Chile", "Brazil", "Norway", "Ghana", "Japan", "Peru"]


def test_a_later_recommendation_gets_only_its_best_earlier_candidates(session: Session) -> None:
    earlier = [add(session, "Kazakhstan", 7, text, (state,)) for text, state in
               zip(EARLIER_WORDINGS, STATES, strict=False)]  # fmt: skip
    add(session, "Kazakhstan", 7, JOBS)
    later = add(session, "Kazakhstan", 20, DEATH_PENALTY, ("Mexico",))
    session.commit()
    # All four are strong matches, in this order (the scores as the pass computes them).
    norm = [linking.normalise_for_matching(t, frozenset()) for t in [*EARLIER_WORDINGS, JOBS]]
    idf = ls.idf_weights([*norm, norm[0]])
    scores = ls.similarity_matrix(norm[:4], norm[:1], idf)[:, 0].tolist()
    assert scores == sorted(scores, reverse=True)
    assert min(scores) >= ls.STRONG_SCORE
    assert linking.suggest_links(session) == 3 == linking.MAX_EARLIER_PER_LATER
    session.commit()
    # What the later recommendation's page lists: three suggested earlier repeats, the same
    # words first; the loosest wording, though a strong match too, is not suggested.
    views = linking.links_for(session, later)
    assert [v.status for v in views] == [LinkStatus.SUGGESTED.value] * 3
    assert [v.other_id for v in views] == earlier[:3]
    assert views[0].score == 100.0
    assert all(v.score >= ls.STRONG_SCORE for v in views)
    assert linking.links_for(session, earlier[3]) == []
    # ...and the run stays idempotent: nothing more on a second run.
    assert linking.suggest_links(session) == 0


def test_an_earlier_recommendation_keeps_every_later_repeat(session: Session) -> None:
    # Eight states ask again, in the next cycle, what one state asked, none of them
    # strongly: each is suggested, as each later recommendation keeps its own best (the
    # former limit of five per earlier recommendation left three out).
    first = add(session, "Kazakhstan", 7, "Ratify the CRPD")
    add(session, "Kazakhstan", 7, JOBS)
    wordings = [
        "Ratify the CRPD without delay",
        "Ratify the CRPD and its Optional Protocol",
        "Sign and ratify the CRPD as soon as possible",
        "Ratify the CRPD and adopt a law on disability",
        "Consider ratifying the CRPD soon",
        "Ratify the CRPD and train officials on it",
        "Ratify the CRPD and report on its implementation",
        "Ratify the CRPD and review its laws accordingly",
    ]
    later = [add(session, "Kazakhstan", 20, text, (state,)) for text, state in
             zip(wordings, STATES, strict=True)]  # fmt: skip
    session.commit()
    assert linking.suggest_links(session) == len(later)
    session.commit()
    links = list(session.scalars(select(RecommendationLink)))
    assert {(lk.earlier_id, lk.later_id) for lk in links} == {(first, b) for b in later}
    assert all(ls.DEFAULT_THRESHOLD <= lk.score < ls.STRONG_SCORE for lk in links)
    assert len(linking.links_for(session, first)) == len(later) > ls.MAX_PER_RECOMMENDATION


def _links(session: Session) -> list[tuple[int, int, float, str]]:
    return sorted(  # type: ignore[arg-type]
        session.execute(
            select(
                RecommendationLink.earlier_id,
                RecommendationLink.later_id,
                RecommendationLink.score,
                RecommendationLink.status,
            )
        ).all()
    )


def test_small_blocks_and_batches_suggest_exactly_what_one_pass_does(session: Session) -> None:
    add_synthetic(session)
    linking.clear_normalised_cache()
    whole = linking.suggest(session, batch_size=1_000_000, budget=1 << 30)
    expected = _links(session)
    session.rollback()
    assert whole.added == len(expected) > 1000
    assert session.scalar(select(func.count()).select_from(RecommendationLink)) == 0

    # Now in blocks of at most 300 pairs sharing a word and batches of 97 rows, watching
    # every statement that writes links and the table as each state's turn comes.
    written: list[int] = []
    seen_at_states: list[int] = []

    def watch(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RECOMMENDATION_LINK"):
            written.append(len(parameters) if executemany else 1)

    def progress(_fraction: float, _message: str) -> None:
        seen_at_states.append(
            session.scalar(select(func.count()).select_from(RecommendationLink)) or 0
        )

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", watch)
    try:
        small = linking.suggest(session, batch_size=97, budget=300, progress=progress)
    finally:
        event.remove(bind, "before_cursor_execute", watch)
    session.commit()
    assert _links(session) == expected
    assert (small.added, small.known, small.states, small.recommendations) == (
        whole.added, whole.known, whole.states, whole.recommendations,
    )  # fmt: skip
    assert max(written) <= 97
    assert sum(written) == len(expected)
    # Written as it goes: the first state's suggestions are in the table when the second
    # state's turn comes, before the run ends.
    assert 0 < seen_at_states[2] < len(expected)


def test_blocks_of_pairs_pick_the_best_of_the_exact_scores() -> None:
    # The pruned, blocked pass against every pair scored in full (every fuzzy ratio), on a
    # review whose texts nearly repeat the earlier one's (most pairs could reach the bar).
    texts = [t for _s, _n, t in synthetic_texts(seed=7)]
    norm = [linking.normalise_for_matching(t, frozenset()) for t in texts]
    idf = ls.idf_weights(norm)
    features = [ls.features_of(t, idf) for t in norm]
    earlier, later = features[:240], features[240:480]
    exact = ls.feature_similarity(earlier, later, idf)  # no threshold: every ratio
    expected = []
    for j in range(exact.shape[1]):
        column = exact[:, j]
        ranked = sorted(range(len(column)), key=lambda i: (-column[i], i))
        expected += [(i, j, float(column[i])) for i in ranked[:3] if column[i] >= 45]
    for budget in (1 << 30, 2000, 50):
        found = [
            (i, j, s)
            for rows, cols, scores in ls.best_earlier(earlier, later, idf, 45.0, budget=budget)
            for i, j, s in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True)
        ]
        assert sorted(found, key=lambda p: (p[1], -p[2], p[0])) == expected
    assert len(expected) > 2 * len(later)


def test_a_small_budget_bounds_the_memory_of_the_pass() -> None:
    # The same review pair scored whole and in blocks: the blocks' arrays are what the
    # step's memory peaks on (a million recommendations held 7.8 GB at once before).
    texts = [t for _s, _n, t in synthetic_texts(seed=11)]
    norm = [linking.normalise_for_matching(t, frozenset()) for t in texts]
    idf = ls.idf_weights(norm)
    features = [ls.features_of(t, idf) for t in norm]
    earlier, later = features[: len(features) // 2], features[len(features) // 2 :]

    def peak(budget: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            n = sum(len(r) for r, _c, _s in ls.best_earlier(earlier, later, idf, budget=budget))
            return n, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    n_whole, whole = peak(1 << 30)
    n_small, small = peak(5000)
    assert n_small == n_whole > 0
    assert small < whole / 4


@pytest.mark.parametrize("threshold", [20.0, 45.0])
def test_blocks_keep_the_results_at_a_low_threshold_too(threshold: float) -> None:
    texts = [t for _s, _n, t in synthetic_texts(seed=5)][:300]
    norm = [linking.normalise_for_matching(t, frozenset()) for t in texts]
    idf = ls.idf_weights(norm)
    features = [ls.features_of(t, idf) for t in norm]

    def run(budget: int) -> list[tuple[int, int, float]]:
        return sorted(
            (i, j, s)
            for rows, cols, scores in ls.best_earlier(
                features[:150], features[150:], idf, threshold, budget=budget
            )
            for i, j, s in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True)
        )

    whole = run(1 << 30)
    assert whole
    assert run(40) == whole
    per_later = np.bincount([j for _i, j, _s in whole])
    assert per_later.max() == ls.MAX_EARLIER_PER_LATER


def test_the_run_writes_through_the_databases_bulk_path(db_url: str) -> None:
    # More suggestions than a batch, through the same session as the import's second step.
    engine = db.get_engine(db_url)
    with db.session_scope(engine) as s:
        add_synthetic(s)
    with db.session_scope(engine) as s:
        added = linking.suggest(s, batch_size=500).added
    with db.session_scope(engine) as s:
        assert len(_links(s)) == added > 500
        assert {status for *_ids, status in _links(s)} == {LinkStatus.SUGGESTED.value}
