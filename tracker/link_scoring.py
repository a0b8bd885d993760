"""Repeats across cycles, step 2: how alike two normalised texts are (0-100), and which
pairs to suggest.

Word overlap weighted by rarity (IDF: the weighted Dice and overlap coefficients), rapidfuzz's
``token_sort_ratio``, the treaty rule, the threshold and the per-recommendation limits (for
repeats, :func:`best_earlier`: the best 3 earlier texts of each later one, in blocks of
bounded memory; for take-ups of own recommendations, :func:`select_pairs`); see
:mod:`tracker.linking` for the whole method and its tuning.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from tracker.link_text import TREATY_BITS, TREATY_TOKENS

# --- tuning (see tracker.linking's docstring and tests/test_linking.py) ---------------------
DEFAULT_THRESHOLD = 45.0  # precision 0.94 on the labelled Kazakhstan pairs (see the tests)
STRONG_SCORE = 70.0  # at or above: always suggested, whatever the per-recommendation limit
MAX_PER_RECOMMENDATION = 5  # below STRONG_SCORE: the best 5 per recommendation and direction
# Repeats across cycles (tracker.linking): each later recommendation keeps its best 3 earlier
# candidates, strong or not (see best_earlier).
MAX_EARLIER_PER_LATER = 3
# Pairs of texts sharing a word held at once while scoring repeats (about 60 bytes each in
# the temporary arrays): the later texts are scored in blocks of at most this many.
PAIR_BUDGET = 1 << 19
BLOCK_TEXTS = 4096  # and at most this many later texts a block
WEIGHT_DICE, WEIGHT_OVERLAP, WEIGHT_FUZZY = 0.4, 0.3, 0.3


# --- scoring -----------------------------------------------------------------------------
def idf_weights(documents: Sequence[str]) -> dict[str, float]:
    """Rarity of each word among ``documents`` (normalised texts): log((N + 1) / (df + 0.5))."""
    n = len(documents)
    df = Counter(w for d in documents for w in set(d.split()))
    return {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}


class Features(NamedTuple):
    """What the score needs of one normalised text, computed once per text."""

    text: str
    words: frozenset[str]
    mass: float  # the sum of its words' weights
    treaties: int  # the treaties it names, as bits


def features_of(text: str, idf: dict[str, float]) -> Features:
    """The features of the normalised ``text`` under the rarity weights ``idf``."""
    words = frozenset(text.split())
    treaties = words & TREATY_TOKENS
    return Features(
        text,
        words,
        math.fsum([idf.get(w, 0.0) for w in words]),
        sum(TREATY_BITS[t] for t in treaties) if treaties else 0,
    )


def similarity_matrix(
    earlier: Sequence[str],
    later: Sequence[str],
    idf: dict[str, float],
    threshold: float | None = None,
) -> np.ndarray:
    """Scores (0-100) of every earlier x later pair of normalised texts (see the docstring).

    With ``threshold``, the fuzzy ratio (at most ``WEIGHT_FUZZY * 100`` points) is computed
    only for the pairs whose shared words alone could bring them to ``threshold``: every pair
    scoring ``threshold`` or more gets its exact score, the others a lower one. On the whole
    UPR Info export that is about 3 % of the pairs, and the ratio was half of the run time.
    """
    return feature_similarity(
        [features_of(t, idf) for t in earlier], [features_of(t, idf) for t in later], idf, threshold
    )


def feature_similarity(
    earlier: Sequence[Features],
    later: Sequence[Features],
    idf: dict[str, float],
    threshold: float | None = None,
    *,
    best_of_row: int | None = None,
) -> np.ndarray:
    """:func:`similarity_matrix` of texts whose features are known.

    With ``threshold`` and ``best_of_row`` (the ``per_recommendation`` that
    :func:`select_pairs` will be given), a pair whose row already holds ``best_of_row``
    pairs certain to score more than it can, and that cannot reach :data:`STRONG_SCORE`,
    gets a lower score without its fuzzy ratio: :func:`select_pairs` drops it either way,
    and ranks every other pair as with exact scores. Texts of one review that share most of
    their words (the synthetic million corpus: 5 % of all pairs reach the threshold) made
    the ratio of almost every pair necessary before."""
    shape = (len(earlier), len(later))
    if not earlier or not later:
        return np.zeros(shape, dtype=np.float32)
    common = _shared_weights(_word_rows(earlier), len(earlier), later, idf)
    if common is None:
        return np.zeros(shape, dtype=np.float32)
    if threshold is not None and threshold > WEIGHT_FUZZY * 100 + 1:
        # Only the pairs sharing a word can reach the threshold (the ratio alone cannot):
        # score those; the others are 0 in either way of computing (the ratio is not taken
        # for a pair that cannot reach the threshold).
        pi, pj, score = _scored_pairs(common, earlier, later, threshold, best_of_row=best_of_row)
        out = np.zeros(shape[0] * shape[1], dtype=np.float32)
        out[pi * shape[1] + pj] = score
        return out.reshape(shape)
    ta = np.array([fa.treaties for fa in earlier], np.int64)
    tb = np.array([fb.treaties for fb in later], np.int64)
    mass_a = np.array([fa.mass for fa in earlier], dtype=np.float32)
    mass_b = np.array([fb.mass for fb in later], dtype=np.float32)
    pi, pj = np.indices(shape)
    score = _score(
        common.reshape(shape),
        mass_a[:, None],
        mass_b[None, :],
        ta[:, None],
        tb[None, :],
        earlier,
        later,
        pi,
        pj,
        threshold=threshold,
        every_ratio=threshold is None,
    )
    return np.clip(score, 0, 100).astype(np.float32)


def _word_rows(features: Sequence[Features]) -> dict[str, list[int]]:
    """An inverted index: each word -> the positions of the texts holding it."""
    rows: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(features):
        for w in f.words:
            rows[w].append(i)
    return rows


def _shared_weights(
    rows_a: dict[str, list[int]], n_earlier: int, later: Sequence[Features], idf: dict[str, float]
) -> np.ndarray | None:
    """The weighted count of shared words of every (earlier, later) pair, as a flat array of
    the matrix's cells in row order (``rows_a``: the ``n_earlier`` earlier texts'
    :func:`_word_rows`); None when no pair shares a word of positive weight.

    From an inverted index: each word adds its weight to the pairs that both contain it.
    Sparse by nature (a text has ~15 words), so this stays fast without a BLAS product."""
    rows_b = _word_rows(later)
    # In the earlier texts' word order, whatever the later ones: each pair's weights are
    # summed in one order, so a block of the later texts scores exactly as the whole.
    shared = [w for w in rows_a if w in rows_b and idf.get(w, 0.0) > 0]
    if not shared:
        return None
    # Every (earlier, later) cell of every shared word, word after word, row-major within a
    # word: built in one go rather than per word (0.3 s of small arrays on the whole export).
    n_a = np.array([len(rows_a[w]) for w in shared], dtype=np.int64)
    n_b = np.array([len(rows_b[w]) for w in shared], dtype=np.int64)
    flat_a = np.fromiter(chain.from_iterable(rows_a[w] for w in shared), np.int64, int(n_a.sum()))
    flat_b = np.fromiter(chain.from_iterable(rows_b[w] for w in shared), np.int64, int(n_b.sum()))
    sizes = n_a * n_b
    block = np.repeat(np.arange(len(shared)), sizes)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    ia, ib = np.divmod(within, n_b[block])
    del within
    cells = flat_a[(np.cumsum(n_a) - n_a)[block] + ia] * len(later)
    cells += flat_b[(np.cumsum(n_b) - n_b)[block] + ib]
    del ia, ib
    weights = np.repeat(np.array([idf[w] for w in shared], dtype=np.float64), sizes)
    return np.bincount(cells, weights=weights, minlength=n_earlier * len(later))


def _scored_pairs(
    common: np.ndarray,
    earlier: Sequence[Features],
    later: Sequence[Features],
    threshold: float,
    *,
    best_of_row: int | None = None,
    best_of_column: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows, columns and scores (clipped, float32) of the pairs that share a weighted
    word (``common``: :func:`_shared_weights`) and are not told apart by treaty; the others
    score below a ``threshold`` above ``WEIGHT_FUZZY * 100``. ``best_of_row`` /
    ``best_of_column``: see :func:`_score`."""
    cell = np.flatnonzero(common)
    pi, pj = np.divmod(cell, len(later))
    # Blocked by treaty: a pair naming different treaties and none in common scores 0
    # (rule 3), so neither its score nor its fuzzy ratio is computed.
    ta = np.array([fa.treaties for fa in earlier], np.int64)
    tb = np.array([fb.treaties for fb in later], np.int64)
    ca, cb = ta[pi], tb[pj]
    open_ = (ca == 0) | (cb == 0) | ((ca & cb) != 0)
    cell, pi, pj = cell[open_], pi[open_], pj[open_]
    mass_a = np.array([fa.mass for fa in earlier], dtype=np.float32)
    mass_b = np.array([fb.mass for fb in later], dtype=np.float32)
    score = _score(
        common[cell], mass_a[pi], mass_b[pj], ta[pi], tb[pj], earlier, later, pi, pj,
        threshold=threshold, best_of_row=best_of_row, best_of_column=best_of_column,
    )  # fmt: skip
    return pi, pj, np.clip(score, 0, 100).astype(np.float32)


def _score(
    common: np.ndarray,
    mass_a: np.ndarray,
    mass_b: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    earlier: Sequence[Features],
    later: Sequence[Features],
    i: np.ndarray,
    j: np.ndarray,
    *,
    threshold: float | None = None,
    every_ratio: bool = False,
    best_of_row: int | None = None,
    best_of_column: int | None = None,
) -> np.ndarray:
    """The scores of the pairs (i, j) (arrays of one shape), before clipping. With
    ``best_of_row``, a pair that can be neither among the best of its row nor strong gets
    no fuzzy ratio (see :func:`feature_similarity`); with ``best_of_column``, one that
    cannot be among the best of its column, strong or not (see :func:`best_earlier`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = np.nan_to_num(2 * common / (mass_a + mass_b)) * 100
        overlap = np.nan_to_num(common / np.minimum(mass_a, mass_b)) * 100
    base = WEIGHT_DICE * dice + WEIGHT_OVERLAP * overlap
    if every_ratio:
        fuzzy = process.cdist(
            [fa.text for fa in earlier],
            [fb.text for fb in later],
            scorer=fuzz.token_sort_ratio,
            dtype=np.float32,
        )
    else:
        fuzzy = np.zeros(base.shape, dtype=np.float32)
        # One point of margin against rounding: a pair just below never loses its ratio.
        # The most the ratio can add: token_sort_ratio is an Indel similarity of the texts
        # with sorted words, and their Indel distance is at least the difference of their
        # lengths, so the ratio is at most 200 * shorter / (sum of the lengths).
        len_a, len_b = _sorted_lengths(earlier)[i], _sorted_lengths(later)[j]
        total = len_a + len_b
        most = np.where(total > 0, 200 * np.minimum(len_a, len_b) / np.maximum(total, 1), 100)
        ceiling = base + WEIGHT_FUZZY * most + 1
        need = ceiling >= (threshold or 0)

        def ratios(pairs: np.ndarray) -> None:
            """The ratios of ``pairs`` (a mask or positions), in rapidfuzz's C loop."""
            fuzzy[pairs] = process.cpdist(
                [earlier[a].text for a in i[pairs].tolist()],
                [later[b].text for b in j[pairs].tolist()],
                scorer=fuzz.token_sort_ratio,
                dtype=np.float32,
            )

        if best_of_row:
            need &= ~_outranked(base, ceiling, i, need, best_of_row)
        if best_of_column:
            # In two rounds: first the ratios of each column's best pairs by base, whose
            # scores then raise the column's floor above their bases; the other pairs get
            # theirs only when their ceiling reaches that floor. A pair told apart by
            # treaty scores 0 and needs none.
            need &= (ta == 0) | (tb == 0) | ((ta & tb) != 0)
            floor = _kth_at_least(base, j, need, best_of_column)
            first = need & (base >= floor)  # each column's best by base, and their ties
            need &= ceiling >= floor
            ratios(first)
            need &= ~first
            scored = base + WEIGHT_FUZZY * fuzzy
            need &= ceiling >= _kth_at_least(scored, j, first, best_of_column)
        ratios(need)
    score = base + WEIGHT_FUZZY * fuzzy
    # Treaties named, as bit masks: both name some, and none in common -> not a repeat.
    score[(ta != 0) & (tb != 0) & ((ta & tb) == 0)] = 0.0
    return score


def _sorted_lengths(features: Sequence[Features]) -> np.ndarray:
    """The length of each text as token_sort_ratio compares it (words sorted, one space)."""
    return np.array([len(" ".join(f.text.split())) for f in features], dtype=np.float64)


def _outranked(
    base: np.ndarray,
    ceiling: np.ndarray,
    rows: np.ndarray,
    need: np.ndarray,
    best: int,
    *,
    strong: float | None = STRONG_SCORE,
) -> np.ndarray:
    """Which pairs cannot be among the ``best`` of their row nor reach ``strong`` (None: no
    exception for strong pairs), whatever their fuzzy ratio: ``best`` pairs of the row score
    at least their ``base`` (the ratio only adds), more than the pair's ``ceiling`` (the most
    it can score, with one point of margin against rounding). ``rows`` are the pairs' rows
    (or columns)."""
    # The ``best``-th highest base per row, among the pairs that may reach the threshold
    # (a row with fewer of them prunes nothing: the others are below the threshold anyway).
    order, rank = _ranked(base, rows, np.flatnonzero(need))
    out = ceiling < _floor(base, rows, order, rank, best)
    return out if strong is None else out & (ceiling < strong)


def _ranked(
    values: np.ndarray, groups: np.ndarray, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``idx`` (positions) ordered by group, then by value, highest first, ties
    in the order given (a stable sort); and the rank of each within its group (0: the
    highest)."""
    order = idx[np.lexsort((-values[idx], groups[idx]))]
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    return order, np.arange(g.size) - np.repeat(starts, np.diff(np.r_[starts, g.size]))


def _floor(
    values: np.ndarray, groups: np.ndarray, order: np.ndarray, rank: np.ndarray, best: int
) -> np.ndarray:
    """For every pair, the ``best``-th highest value of its group among the pairs ranked
    (:func:`_ranked`); -inf where the group has fewer."""
    floor = np.full(int(groups.max(initial=0)) + 1, -np.inf)
    at = order[rank == best - 1]
    floor[groups[at]] = values[at]
    return floor[groups]


# Steps per score point of _kth_at_least's histogram: its floor is at most this much lower
# than the exact value.
FLOOR_STEPS = 2


def _kth_at_least(values: np.ndarray, groups: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """For every pair, a value that the ``k``-th highest of ``values`` (0-100) among the
    pairs of ``mask`` in its group reaches (-inf where the group has fewer than ``k``),
    lower than it by less than ``1 / FLOOR_STEPS``: from a histogram per group, without
    the sort that an exact rank takes (which was most of the time at a million); exact when
    the pairs are few beside the histogram."""
    steps = 100 * FLOOR_STEPS + 1
    n_groups = int(groups.max(initial=0)) + 1
    idx = np.flatnonzero(mask)
    if idx.size < n_groups * steps // 8:  # few pairs: an exact rank costs less
        order, rank = _ranked(values, groups, idx)
        return _floor(values, groups, order, rank, k)
    # Down to the step: never above the value, so never above the k-th highest either.
    step = np.floor(np.clip(values[idx], 0, 100) * FLOOR_STEPS).astype(np.int64)
    counts = np.bincount(groups[idx] * steps + step, minlength=n_groups * steps)
    # Per group, from the top step down: how many pairs at that step or above.
    above = np.cumsum(counts.reshape(n_groups, steps)[:, ::-1], axis=1)
    reached = above >= k
    top = (steps - 1 - np.argmax(reached, axis=1)) / FLOOR_STEPS
    return np.where(reached[:, -1], top, -np.inf)[groups]


def _ranked_within(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row of ``scores``, the cells ranked below ``k`` when the row is sorted by score,
    highest first, ties by column (what a stable argsort gives), without sorting: the
    ``k``-th highest value and a running count of the cells equal to it."""
    if scores.shape[1] <= k:
        return np.ones(scores.shape, dtype=bool)
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
    greater = scores > kth
    equal = scores == kth
    ahead = greater.sum(axis=1, keepdims=True) + np.cumsum(equal, axis=1)
    return greater | (equal & (ahead <= k))


def select_pairs(
    scores: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    per_recommendation: int = MAX_PER_RECOMMENDATION,
    strong: float = STRONG_SCORE,
) -> list[tuple[int, int]]:
    """(row, column) pairs to suggest: at least ``threshold``; below ``strong``, only the
    ``per_recommendation`` best of their row and of their column."""
    if scores.size == 0:
        return []
    keep = scores >= threshold
    if not keep.any():
        return []
    # Only the rows holding a pair at the threshold can give a pair; ranks are taken within
    # whole rows, so leaving the other rows out changes nothing (and saves most of the sort).
    row_ids = np.flatnonzero(keep.any(axis=1))
    scores, keep = scores[row_ids], keep[row_ids]
    keep &= (scores >= strong) | _ranked_within(scores, per_recommendation)
    masked = np.where(keep, scores, -1.0)
    keep &= (scores >= strong) | _ranked_within(masked.T, per_recommendation).T
    rows, cols = np.nonzero(keep)
    return list(zip(row_ids[rows].tolist(), cols.tolist(), strict=True))


def best_earlier(
    earlier: Sequence[Features],
    later: Sequence[Features],
    idf: dict[str, float],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    k: int = MAX_EARLIER_PER_LATER,
    budget: int = PAIR_BUDGET,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each text of ``later``, the ``k`` texts of ``earlier`` that score highest, at
    least ``threshold``: (rows, columns, scores) arrays, a block of ``later`` at a time.

    Ranked by score, ties by position in ``earlier`` (what a stable sort gives); the scores
    are those of :func:`feature_similarity`. The later texts are scored in blocks of about
    ``budget`` pairs, so memory stays bounded whatever the number of texts; a pair's
    weights are summed in the same order in any block, so the blocks give exactly the pairs
    and scores of one pass over all. A pair that cannot be among the ``k`` best of its later
    text whatever its fuzzy ratio gets none (:func:`_outranked`): on the synthetic million
    corpus, where most texts of a review share words, that is most of them."""
    if not earlier or not later:
        return
    rows_a = _word_rows(earlier)
    sparse = threshold > WEIGHT_FUZZY * 100 + 1
    for start, stop in _blocks(rows_a, len(earlier), later, idf, budget if sparse else 0):
        part = later[start:stop]
        if sparse:
            common = _shared_weights(rows_a, len(earlier), part, idf)
            if common is None:
                continue
            pi, pj, score = _scored_pairs(common, earlier, part, threshold, best_of_column=k)
        else:  # a bar the fuzzy ratio alone can reach: every pair is scored
            matrix = feature_similarity(earlier, part, idf, threshold)
            pi, pj = np.nonzero(matrix >= threshold)
            score = matrix[pi, pj]
        # Per later text (column), ranked by score then earlier position (the pairs come
        # in row order): the first k at the threshold or above.
        order, rank = _ranked(score, pj, np.flatnonzero(score >= threshold))
        chosen = order[rank < k]
        yield pi[chosen], pj[chosen] + start, score[chosen]


def _blocks(
    rows_a: dict[str, list[int]],
    n_earlier: int,
    later: Sequence[Features],
    idf: dict[str, float],
    budget: int,
) -> Iterator[tuple[int, int]]:
    """``later`` cut into consecutive blocks (start, stop), each of at most ``budget`` pairs
    sharing a word and ``4 * budget`` pairs in all (the dense weights), and at least one
    text. ``budget`` 0: blocks of at most ``PAIR_BUDGET`` pairs in all."""
    whole = 4 * budget if budget else PAIR_BUDGET
    if n_earlier * len(later) <= (budget or whole) and len(later) <= BLOCK_TEXTS:
        yield 0, len(later)
        return
    # Later texts a block: the dense bound, and at most BLOCK_TEXTS (a histogram per text).
    per_block = min(max(1, whole // max(n_earlier, 1)), BLOCK_TEXTS)
    start, cells = 0, 0
    for j, f in enumerate(later):
        # The pairs this text adds: for each of its words, the earlier texts holding it.
        cost = (
            sum(len(rows_a[w]) for w in f.words if w in rows_a and idf.get(w, 0.0) > 0)
            if budget
            else 0
        )
        if j > start and (cells + cost > budget or j - start >= per_block):
            yield start, j
            start, cells = j, 0
        cells += cost
    yield start, len(later)


__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_EARLIER_PER_LATER",
    "MAX_PER_RECOMMENDATION",
    "PAIR_BUDGET",
    "STRONG_SCORE",
    "Features",
    "best_earlier",
    "feature_similarity",
    "features_of",
    "idf_weights",
    "select_pairs",
    "similarity_matrix",
]
