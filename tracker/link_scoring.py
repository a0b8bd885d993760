"""Repeats across cycles, step 2: how alike two normalised texts are (0-100), and which
pairs to suggest.

Word overlap weighted by rarity (IDF: the weighted Dice and overlap coefficients), rapidfuzz's
``token_sort_ratio``, the treaty rule, the threshold and the per-recommendation limit; see
:mod:`tracker.linking` for the whole method and its tuning.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import chain
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from tracker.link_text import TREATY_BITS, TREATY_TOKENS

# --- tuning (see tracker.linking's docstring and tests/test_linking.py) ---------------------
DEFAULT_THRESHOLD = 45.0  # precision 0.94 on the labelled Kazakhstan pairs (see the tests)
STRONG_SCORE = 70.0  # at or above: always suggested, whatever the per-recommendation limit
MAX_PER_RECOMMENDATION = 5  # below STRONG_SCORE: the best 5 per recommendation and direction
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
    # Weighted count of shared words for every pair, from an inverted index: each word adds
    # its weight to the (earlier, later) pairs that both contain it. Sparse by nature (a text
    # has ~15 words), so this stays fast without a BLAS matrix product.
    rows_a: dict[str, list[int]] = defaultdict(list)
    rows_b: dict[str, list[int]] = defaultdict(list)
    for i, fa in enumerate(earlier):
        for w in fa.words:
            rows_a[w].append(i)
    for j, fb in enumerate(later):
        for w in fb.words:
            rows_b[w].append(j)
    shared = [w for w in rows_a if w in rows_b and idf.get(w, 0.0) > 0]
    if not shared:
        return np.zeros(shape, dtype=np.float32)
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
    cells = flat_a[(np.cumsum(n_a) - n_a)[block] + ia] * shape[1]
    cells += flat_b[(np.cumsum(n_b) - n_b)[block] + ib]
    weights = np.repeat(np.array([idf[w] for w in shared], dtype=np.float64), sizes)
    common = np.bincount(cells, weights=weights, minlength=shape[0] * shape[1])
    mass_a = np.array([fa.mass for fa in earlier], dtype=np.float32)
    mass_b = np.array([fb.mass for fb in later], dtype=np.float32)
    ta = np.array([fa.treaties for fa in earlier], np.int64)
    tb = np.array([fb.treaties for fb in later], np.int64)
    if threshold is not None and threshold > WEIGHT_FUZZY * 100 + 1:
        # Only the pairs sharing a word can reach the threshold (the ratio alone cannot):
        # score those; the others are 0 in either way of computing (the ratio is not taken
        # for a pair that cannot reach the threshold).
        cell = np.flatnonzero(common)
        pi, pj = np.divmod(cell, shape[1])
        # Blocked by treaty: a pair naming different treaties and none in common scores 0
        # (rule 3), so neither its score nor its fuzzy ratio is computed.
        ca, cb = ta[pi], tb[pj]
        open_ = (ca == 0) | (cb == 0) | ((ca & cb) != 0)
        cell, pi, pj = cell[open_], pi[open_], pj[open_]
        score = _score(
            common[cell], mass_a[pi], mass_b[pj], ta[pi], tb[pj], earlier, later, pi, pj,
            threshold=threshold, best_of_row=best_of_row,
        )  # fmt: skip
        out = np.zeros(shape[0] * shape[1], dtype=np.float32)
        out[cell] = np.clip(score, 0, 100).astype(np.float32)
        return out.reshape(shape)
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
) -> np.ndarray:
    """The scores of the pairs (i, j) (arrays of one shape), before clipping; with
    ``best_of_row``, the pairs are cells of the matrix in row order (see
    :func:`feature_similarity`)."""
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
        if best_of_row:
            need &= ~_outranked(base, ceiling, i, need, best_of_row)
        # The same ratio, pair by pair, in rapidfuzz's C loop.
        fuzzy[need] = process.cpdist(
            [earlier[a].text for a in i[need].tolist()],
            [later[b].text for b in j[need].tolist()],
            scorer=fuzz.token_sort_ratio,
            dtype=np.float32,
        )
    score = base + WEIGHT_FUZZY * fuzzy
    # Treaties named, as bit masks: both name some, and none in common -> not a repeat.
    score[(ta != 0) & (tb != 0) & ((ta & tb) == 0)] = 0.0
    return score


def _sorted_lengths(features: Sequence[Features]) -> np.ndarray:
    """The length of each text as token_sort_ratio compares it (words sorted, one space)."""
    return np.array([len(" ".join(f.text.split())) for f in features], dtype=np.float64)


def _outranked(
    base: np.ndarray, ceiling: np.ndarray, rows: np.ndarray, need: np.ndarray, best: int
) -> np.ndarray:
    """Which pairs cannot be among the ``best`` of their row nor strong, whatever their
    fuzzy ratio: ``best`` pairs of the row score at least their ``base`` (the ratio only
    adds), more than the pair's ``ceiling`` (the most it can score, with one point of margin
    against rounding). ``rows`` are the pairs' rows."""
    out = np.zeros(base.shape, dtype=bool)
    idx = np.flatnonzero(need)
    if idx.size < best:
        return out
    # The ``best``-th highest base per row, among the pairs that may reach the threshold
    # (a row with fewer of them prunes nothing: the others are below the threshold anyway).
    order = idx[np.lexsort((-base[idx], rows[idx]))]
    r = rows[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    counts = np.diff(np.r_[starts, r.size])
    full = counts >= best
    floor = np.full(int(rows.max()) + 1, -np.inf)  # no floor: nothing pruned
    floor[r[starts[full]]] = base[order[starts[full] + best - 1]]
    return (ceiling < floor[rows]) & (ceiling < STRONG_SCORE)


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


__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_PER_RECOMMENDATION",
    "STRONG_SCORE",
    "Features",
    "feature_similarity",
    "features_of",
    "idf_weights",
    "select_pairs",
    "similarity_matrix",
]
