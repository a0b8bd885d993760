"""Repeats across cycles: which recommendation of a later cycle asks again for what an
earlier one asked.

States often receive the same recommendation again in the next cycle, from the same or other
states and in other words. :func:`suggest_links` proposes such pairs, per state under review,
as :class:`~tracker.models.RecommendationLink` rows with status ``suggested``; a person then
confirms or rejects each one (:func:`decide_link`, audited). A confirmed chain is the
recommendation's *lineage* (:func:`lineage`), shown with the status at each cycle.

How a pair is scored (0-100), tuned on a labelled set of Kazakhstan's session 7 -> 20 pairs
(``tests/test_linking.py`` reads the real file and states the figures):

1. Both texts are normalised: case, punctuation, treaty names and their abbreviations
   ("Convention on the Rights of Persons with Disabilities" = "CRPD"), UPR phrases ("national
   human rights institution" = "NHRI", Ombudsman = NHRI), verbs that mean the same step
   ("accede to", "become a party to", "ratification of" = "ratify"), leading boilerplate
   ("Continue to", "Consider", "Take measures to"), stop words, and a light stemmer.
2. Word overlap weighted by rarity within the state's recommendations (IDF): a shared
   "torture" or "CRPD" counts, a shared "measures" does not. The score mixes the weighted
   Dice coefficient (how much of both texts is shared), the weighted overlap coefficient (a
   short repeat of a long recommendation, "Abolish the death penalty") and rapidfuzz's
   ``token_sort_ratio`` on the normalised texts (wording and order).
3. A pair whose texts name different treaties and no treaty in common ("ratify the OP to
   ICESCR" vs "ratify the Second OP to ICCPR") scores 0.
4. A suggestion needs ``threshold`` (default 45). Each recommendation keeps at most
   ``MAX_PER_RECOMMENDATION`` suggestions in each direction, best first, so a generic text
   ("Continue to promote human rights") does not flood the review list; pairs scoring
   ``STRONG_SCORE`` or more are always kept (seven rewordings of "ratify the CRPD" are all
   real repeats).

Cycle ``c`` is compared with ``c + 1`` first; a later cycle ``c + n`` only for pairs where
neither recommendation is already linked across the cycles in between (a chain c1 -> c2 -> c3
needs no extra c1 -> c3 suggestion). Re-running never changes a person's decision and never
suggests a pair again, whatever its status: it adds only pairs that are new.

Everything is vectorised per state and cycle pair (an inverted index and ``numpy.bincount``
for the weighted overlap, ``rapidfuzz.process.cdist`` for the fuzzy ratio): the whole
61k-recommendation UPR Info export (193 states) is compared in about 6 s of CPU time.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db, queries
from tracker.errors import ValidationError
from tracker.filters import Filters
from tracker.i18n import _
from tracker.models import (
    Recommendation,
    RecommendationLink,
    Review,
    State,
    utcnow,
)
from tracker.vocab import NOT_ASSESSED, LinkStatus, Role, Status

# --- tuning (see the module docstring and tests/test_linking.py) ---------------------------
DEFAULT_THRESHOLD = 45.0  # precision 0.94 on the labelled Kazakhstan pairs (see the tests)
STRONG_SCORE = 70.0  # at or above: always suggested, whatever the per-recommendation limit
MAX_PER_RECOMMENDATION = 5  # below STRONG_SCORE: the best 5 per recommendation and direction
WEIGHT_DICE, WEIGHT_OVERLAP, WEIGHT_FUZZY = 0.4, 0.3, 0.3
Progress = Callable[[float, str], None]
IN_LIST_LIMIT = 5000  # ids per IN (...) list when reading back many recommendations

# Treaties: full names and abbreviations become one token each, so that a shared treaty
# counts as one strong word and different treaties can be told apart (rule 3).
_TREATIES: list[tuple[str, str]] = [
    (
        r"second optional protocol to (?:the )?(?:international covenant on civil and "
        r"political rights|iccpr)|iccpr[- ]op ?2",
        "iccpr2",
    ),
    # "International" is sometimes left out ("the Optional Protocol to the Covenant on
    # Economic, Social and Cultural Rights", OHCHR's session-20 matrix for Slovenia).
    (r"(?:international )?covenant on civil and political rights|iccpr", "iccpr"),
    (r"(?:international )?covenant on economic,? social and cultural rights|icescr", "icescr"),
    (r"convention on the rights of persons with disabilities|crpd|cprd", "crpd"),
    (r"convention on the rights of the child|crc", "crc"),
    (r"convention on the elimination of all forms of discrimination against women|cedaw", "cedaw"),
    (
        r"(?:international )?convention on the elimination of all forms of racial "
        r"discrimination|icerd|cerd",
        "icerd",
    ),
    (
        r"convention against torture(?: and other cruel,? inhuman or degrading treatment "
        r"or punishment)?|cat",
        "cat",
    ),
    (
        r"international convention on the protection of the rights of all migrant workers "
        r"and (?:members of )?their famil(?:y|ies)(?: members)?|icrmw|icmw",
        "icrmw",
    ),
    (
        r"international convention for the protection of all persons from enforced "
        r"disappearance|icppedc?|cped|ced",
        "cped",
    ),
    (r"rome statute(?: of the international criminal court)?", "romestatute"),
    (r"opcat", "op cat"),
]
# UPR phrases that mean one thing, and the words that name the same step or subject.
_PHRASES: list[tuple[str, str]] = [
    (
        r"(?:national )?ombudsman (?:for|on) (?:the )?rights of (?:the )?child(?:ren)?|"
        r"children's ombudsman|child(?:ren)? ombudsman",
        "childombudsman",
    ),
    (
        r"national (?:human rights )?action plan (?:on|for) human rights|"
        r"(?:national )?human rights action plan",
        "nhrap",
    ),
    (
        r"national human rights institutions?|nhri|ombudsman|ombudsperson|"
        r"(?:office of the )?human rights commissioner|commissioner for human rights|"
        r"human rights commission",
        "nhri",
    ),
    (r"national preventi(?:ve|on) mechanism|npm", "npm"),
    (r"optional protocols?|op", "op"),
    (r"paris principles", "parisprinciples"),
    (r"death penalty|capital punishment", "deathpenalty"),
    (r"human rights defenders?", "hrd"),
    (r"trafficking in (?:human beings|persons)|human trafficking|trafficking", "trafficking"),
    (r"domestic violence|violence (?:against women )?(?:with)?in the family", "domesticviolence"),
    (r"violence against women", "vaw"),
    (r"freedom of (?:opinion and )?expression|free speech|freedom of speech", "freeexpression"),
    (r"freedom of religion(?: (?:or|and) belief)?|religious freedom", "freereligion"),
    (
        r"freedom of (?:peaceful )?assembly|right to (?:freedom of )?peaceful assembly",
        "freeassembly",
    ),
    (r"special procedures?", "specialprocedures"),
    (r"special rapporteurs?", "specialrapporteur"),
    (r"universal periodic review|upr", "upr"),
    (r"persons with disabilities|disabled persons|people with disabilities", "disabled"),
    (r"non-refoulement", "nonrefoulement"),
    (
        r"sign(?:ing)? and ratif\w*|accede|acceding|accession|adhere|adhering|"
        r"become (?:a )?party|becoming (?:a )?party|ratif\w*",
        "ratify",
    ),
    (r"decriminali[sz]\w*", "decriminalize"),
    (r"criminali[sz]\w*", "criminalize"),
    (r"abol\w*", "abolish"),
    (r"independen\w*", "independent"),
    (r"investigat\w*", "investigate"),
    (r"discriminat\w*", "discrimination"),
    (r"defam\w*", "defamation"),
    (r"tortur\w*", "torture"),
    (r"religio\w*", "religion"),
    (r"implement\w*", "implement"),
    (r"prevent\w*", "prevent"),
    (r"prosecut\w*", "prosecute"),
    (r"judicia\w*|judges?", "judiciary"),
]
_CANONICAL = _TREATIES + _PHRASES
_CANONICAL_TOKENS = frozenset(t for _p, rep in _CANONICAL for t in rep.split())
_REGEX_META = frozenset(".^$*+?{}[]\\|()")


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (split on ``|`` outside groups)."""
    alternatives, depth, current = [], 0, ""
    for ch in pattern:
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            alternatives.append(current)
            current = ""
        else:
            current += ch
    alternatives.append(current)
    return alternatives


def _literal_prefixes(pattern: str) -> list[str] | None:
    """The literal text each top-level alternative of ``pattern`` starts with, or None when
    one has none: a cheap ``in`` test that skips the regex on texts that cannot match."""
    prefixes = []
    for alt in _alternatives(pattern):
        optional = re.match(r"\(\?:[^()]*\)\?", alt)  # "(?:national )?ombudsman": "ombudsman"
        if optional:
            alt = alt[optional.end() :]
        n = 0
        while n < len(alt) and alt[n] not in _REGEX_META:
            n += 1
        if n < len(alt) and alt[n] in "?*{":  # the last literal character is optional
            n -= 1
        if n < 2:
            return None
        prefixes.append(alt[:n])
    return prefixes


_WORD = re.compile(r"\w+")
_START = 3  # characters of a word start that index the rules (see _word_starts)


def _word_starts(pattern: str, prefixes: list[str] | None) -> frozenset[str] | None:
    """The first ``_START`` characters of the words at which a match of
    ``\\b(?:pattern)\\b`` can begin its literal prefix, or None when that cannot be told.

    A prefix begins a word when it opens the match (``\\b`` before a letter) or follows an
    optional group ending in a space ("(?:national )?ombudsman"). So a text none of whose
    words starts so cannot match, and the rule is skipped without a substring search."""
    if prefixes is None:
        return None
    for alt in _alternatives(pattern):
        optional = re.match(r"\(\?:([^()]*)\)\?", alt)
        if optional and not all(o.endswith(" ") for o in optional.group(1).split("|")):
            return None
    if any(len(p) < _START or not _WORD.fullmatch(p[:_START]) for p in prefixes):
        return None
    return frozenset(p[:_START] for p in prefixes)


# Applied in order (treaties first: the Second Optional Protocol before "optional protocol").
# Each: the regex, its replacement, and its literal prefixes.
_CANONICAL_RULES = [
    (re.compile(rf"\b(?:{pattern})\b"), f" {rep} ", _literal_prefixes(pattern))
    for pattern, rep in _CANONICAL
]


def _rule_index() -> tuple[dict[str, list[int]], list[int], list[list[int]]]:
    """Rules by the word starts they need; the rules every text must try; and, per rule, the
    later rules that its replacement's own words may bring into play (a rewrite replaces a
    whole-word match by " replacement ": it adds no other word start)."""
    by_start: dict[str, list[int]] = defaultdict(list)
    always: list[int] = []
    for i, (pattern, _rep) in enumerate(_CANONICAL):
        starts = _word_starts(pattern, _CANONICAL_RULES[i][2])
        if starts is None:
            always.append(i)
        for key in starts or ():
            by_start[key].append(i)
    triggers = [
        sorted({j for w in _WORD.findall(rep) for j in by_start.get(w[:_START], ()) if j > i})
        for i, (_rule, rep, _p) in enumerate(_CANONICAL_RULES)
    ]
    return dict(by_start), always, triggers


_RULES_BY_START, _RULES_ALWAYS, _RULES_TRIGGERED = _rule_index()


# The indexed word starts, found in one pass over a text (a word start is a word boundary
# followed by a word character; every key is _START word characters).
def _trie(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, as a trie ("abc|abd" -> "ab[cd]"-like groups):
    Python's engine tries alternatives one by one, so a flat list of 80 was slower."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alternatives = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch]
        if not alternatives:
            return ""
        optional = "" in node
        if len(alternatives) == 1 and not optional:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")" + ("?" if optional else "")

    return build(tree)


_STARTS_RE = re.compile(r"\b(" + _trie(_RULES_BY_START) + ")")
TREATY_TOKENS = frozenset(rep for _p, rep in _TREATIES if " " not in rep)
_TREATY_BITS = {t: 1 << k for k, t in enumerate(sorted(TREATY_TOKENS))}

# How a UPR recommendation opens says how firmly, not what: "Continue to", "Consider",
# "Take all necessary measures to", "May".
_LEADING_BOILERPLATE = re.compile(
    r"^(?:(?:continue|continuously|pursue|maintain|intensify|strengthen|step up|redouble|"
    r"increase|enhance|further|make|undertake|take)(?: (?:to|its|the|further|current|ongoing|"
    r"existing|all|necessary|concrete|appropriate|effective|additional|specific|best|positive|"
    r"government's|efforts?|work|measures|steps|actions?|endeavou?rs|process|practice|of|in|"
    r"on|aimed at|towards|for|regarding|directed towards|with a view to|in order to))*"
    r"|(?:consider|examine|study)(?: (?:the possibility of|favourably|positively|seriously|"
    r"taking))*|may)\b"
)
# Words that say nothing about what is asked, in UPR texts.
_STOP_WORDS_TEXT = """
    a an the of to and or in its their his her with for on by as all at from that which this
    these those be is are was were it into any such also including include includes particular
    particularly especially notably other well both should would may can must ensure effective
    effectively further country state government national own order view regard regards
    respect within through accordance line keeping conformity compliance fully full need
    necessary measures steps efforts effort continue take human rights right improve improving
    improvement promote promoting promotion protect protecting protection strengthen
    strengthening enhance"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_SUFFIXES: tuple[str, ...] = (
    "ations",
    "ation",
    "ities",
    "ity",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ive",
)
_SUFFIXES += ("ed", "es", "s", "al", "ly", "e")
_NON_WORD = re.compile(r"[^\w\s]")
_POSSESSIVE = re.compile(r"'s\b")


@functools.cache
def _stem(word: str) -> str:
    """A light suffix stripper: "violations" and "violation" meet, stems keep 4+ letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


NORMALISED_CACHE = 131_072  # normalised texts kept in the process (about 40 MB at most)
# state words (sorted, joined) -> text -> normalised text. Plain dicts of strings: the garbage
# collector does not track them (functools.lru_cache's entries it did, and walking 60,000 of
# them cost more than the cache saved on a first run).
_NORMALISED: dict[str, dict[str, str]] = {}
_normalised_count = 0


def normalise_for_matching(text: str, state_words: Iterable[str] = ()) -> str:
    """The words of ``text`` that say what is asked, in a canonical form, space-separated.

    >>> normalise_for_matching("Consider ratifying the Convention on the Rights of Persons "
    ...                        "with Disabilities")
    'ratify crpd'

    Kept in a cache of the process: every later suggestion pass for the state (the next
    import, ``tracker link``, the sample) reads its texts again, and normalising them was
    half of a pass's time.
    """
    global _normalised_count
    state = state_words if isinstance(state_words, frozenset) else frozenset(state_words)
    cache = _NORMALISED.setdefault(" ".join(sorted(state)), {})
    found = cache.get(text)
    if found is None:
        if _normalised_count >= NORMALISED_CACHE:
            clear_normalised_cache()
            cache = _NORMALISED.setdefault(" ".join(sorted(state)), {})
        found = cache[text] = _normalise(text, state)
        _normalised_count += 1
    return found


def clear_normalised_cache() -> None:
    """Forget the normalised texts (the benchmarks, to time a first run)."""
    global _normalised_count
    _NORMALISED.clear()
    _normalised_count = 0


def _normalise(text: str, state: frozenset[str]) -> str:
    t = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    # Only the rules indexed under a word start of the text can match (see _rule_index),
    # tried in their order; a rewrite may bring later rules into play.
    todo = set(_RULES_ALWAYS)
    for key in _STARTS_RE.findall(t):
        todo.update(_RULES_BY_START[key])
    pending = sorted(todo)  # a sorted list is a heap
    last = -1
    while pending:
        i = heapq.heappop(pending)
        if i == last:
            continue
        last = i
        rule, replacement, prefixes = _CANONICAL_RULES[i]
        if prefixes is not None:
            for p in prefixes:  # a plain loop: twice as fast as any() or a regex search here
                if p in t:
                    break
            else:
                continue
        rewritten = rule.sub(replacement, t)
        if rewritten != t:
            t = rewritten
            for j in _RULES_TRIGGERED[i]:
                heapq.heappush(pending, j)
    t = _POSSESSIVE.sub("", t)
    t = " ".join(_NON_WORD.sub(" ", t).split())
    t = _LEADING_BOILERPLATE.sub("", t)
    # Two look-ups, not the union of the sets (made afresh for every text, it cost more).
    words = []
    for w in t.split():
        if w in STOP_WORDS or w in state or w.isdigit():
            continue
        words.append(w if w in _CANONICAL_TOKENS else _stem(w))
    return " ".join(words)


# --- scoring -----------------------------------------------------------------------------
def idf_weights(documents: Sequence[str]) -> dict[str, float]:
    """Rarity of each word among ``documents`` (normalised texts): log((N + 1) / (df + 0.5))."""
    n = len(documents)
    df = Counter(w for d in documents for w in set(d.split()))
    return {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}


class _Features(NamedTuple):
    """What the score needs of one normalised text, computed once per text."""

    text: str
    words: frozenset[str]
    mass: float  # the sum of its words' weights
    treaties: int  # the treaties it names, as bits


def _features(text: str, idf: dict[str, float]) -> _Features:
    words = frozenset(text.split())
    treaties = words & TREATY_TOKENS
    return _Features(
        text,
        words,
        math.fsum([idf.get(w, 0.0) for w in words]),
        sum(_TREATY_BITS[t] for t in treaties) if treaties else 0,
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
    return _similarity(
        [_features(t, idf) for t in earlier], [_features(t, idf) for t in later], idf, threshold
    )


def _similarity(
    earlier: Sequence[_Features],
    later: Sequence[_Features],
    idf: dict[str, float],
    threshold: float | None = None,
) -> np.ndarray:
    """:func:`similarity_matrix` of texts whose features are known."""
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
            threshold=threshold,
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
    earlier: Sequence[_Features],
    later: Sequence[_Features],
    i: np.ndarray,
    j: np.ndarray,
    *,
    threshold: float | None = None,
    every_ratio: bool = False,
) -> np.ndarray:
    """The scores of the pairs (i, j) (arrays of one shape), before clipping."""
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
        need = base + WEIGHT_FUZZY * 100 + 1 >= (threshold or 0)
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
    row_rank = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1, kind="stable")
    keep &= (scores >= strong) | (row_rank < per_recommendation)
    masked = np.where(keep, scores, -1.0)
    col_rank = np.argsort(np.argsort(-masked, axis=0, kind="stable"), axis=0, kind="stable")
    keep &= (scores >= strong) | (col_rank < per_recommendation)
    rows, cols = np.nonzero(keep)
    return list(zip(row_ids[rows].tolist(), cols.tolist(), strict=True))


# --- suggestions -------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkCandidate:
    earlier_id: int
    later_id: int
    score: float


@dataclass
class SuggestResult:
    """What a run of :func:`suggest` found."""

    added: int = 0  # new suggestions written
    known: int = 0  # candidates already linked (suggested, confirmed or rejected before)
    states: int = 0  # states under review with at least two cycles
    recommendations: int = 0  # recommendations compared
    new: list[LinkCandidate] = field(default_factory=list)


def _state_words(name: str, un_name: str) -> frozenset[str]:
    """The state's own name, which says nothing about what is asked ("Kazakhstan's ...")."""
    return frozenset(_NON_WORD.sub(" ", f"{name} {un_name}".casefold()).split())


def candidate_links(
    session: Session,
    state_ids: Iterable[int] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
) -> tuple[list[LinkCandidate], SuggestResult]:
    """Candidate repeats for the states (all when None), including pairs already linked.
    ``progress(fraction, message)`` is called after each state."""
    stmt = (
        select(Recommendation.id, Review.state_id, Review.cycle, Recommendation.text)
        .join(Review, Review.id == Recommendation.review_id)
        .order_by(Review.state_id, Review.cycle, Recommendation.id)
    )
    wanted = None if state_ids is None else set(state_ids)
    if wanted is not None:
        stmt = stmt.where(Review.state_id.in_(wanted))
    by_state: dict[int, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    for rec_id, state_id, cycle, text in session.execute(stmt):
        by_state[state_id][cycle].append((rec_id, text))
    names = {
        sid: _state_words(name, un_name)
        for sid, name, un_name in session.execute(select(State.id, State.name, State.un_name))
        if sid in by_state
    }
    existing = _existing_pairs(session, by_state)
    result = SuggestResult()
    candidates: list[LinkCandidate] = []
    total = sum(len(items) for cycles in by_state.values() for items in cycles.values()) or 1
    done = 0
    message = _("Suggesting repeats across cycles")
    for state_id, cycles in by_state.items():
        if progress is not None:
            progress(done / total, message)
        done += sum(len(items) for items in cycles.values())
        if len(cycles) < 2:
            continue
        result.states += 1
        norm: dict[int, str] = {}
        for items in cycles.values():
            for rec_id, text in items:
                norm[rec_id] = normalise_for_matching(text, names.get(state_id, frozenset()))
        result.recommendations += len(norm)
        idf = idf_weights(list(norm.values()))
        features = {rec_id: _features(text, idf) for rec_id, text in norm.items()}
        cycle_of = {rec_id: c for c, items in cycles.items() for rec_id, _t in items}
        links_out: dict[int, set[int]] = defaultdict(set)  # rec -> cycles it repeats into
        links_in: dict[int, set[int]] = defaultdict(set)  # rec -> cycles repeated from
        for a, b in existing.get(state_id, ()):
            if a in cycle_of and b in cycle_of:
                links_out[a].add(cycle_of[b])
                links_in[b].add(cycle_of[a])
        order = sorted(cycles)
        pairs = sorted(
            ((c1, c2) for i, c1 in enumerate(order) for c2 in order[i + 1 :]),
            key=lambda p: (p[1] - p[0], p[0]),
        )
        for c1, c2 in pairs:
            between = set(range(c1 + 1, c2))
            a_ids = [r for r, _t in cycles[c1] if not links_out[r] & between]
            b_ids = [r for r, _t in cycles[c2] if not links_in[r] & between]
            scores = _similarity(
                [features[r] for r in a_ids], [features[r] for r in b_ids], idf, threshold
            )
            for i, j in select_pairs(scores, threshold):
                a, b = a_ids[i], b_ids[j]
                candidates.append(LinkCandidate(a, b, round(float(scores[i, j]), 1)))
                links_out[a].add(c2)
                links_in[b].add(c1)
    if progress is not None:
        progress(1.0, message)
    return candidates, result


def _existing_pairs(
    session: Session, by_state: dict[int, dict[int, list[tuple[int, str]]]]
) -> dict[int, set[tuple[int, int]]]:
    """Suggested and confirmed links already stored, per state (a rejected pair is no repeat:
    it does not stand in for a link across the cycles in between)."""
    state_of = {
        rec_id: sid
        for sid, cycles in by_state.items()
        for items in cycles.values()
        for rec_id, _t in items
    }
    out: dict[int, set[tuple[int, int]]] = defaultdict(set)
    rows = session.execute(
        select(RecommendationLink.earlier_id, RecommendationLink.later_id).where(
            RecommendationLink.status != LinkStatus.REJECTED.value
        )
    )
    for a, b in rows:
        sid = state_of.get(a)
        if sid is not None:
            out[sid].add((a, b))
    return out


def suggest(
    session: Session,
    state_ids: Iterable[int] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    actor: str | None = None,
    progress: Progress | None = None,
) -> SuggestResult:
    """Write new link suggestions for the states (all when None) and return what happened.

    Pairs already in the link table, whatever their status, are left as they are. One audit
    event records the run when it added anything. Needs the editor role
    (:class:`tracker.auth.PermissionDenied`). The caller commits. ``progress(fraction,
    message)`` is called as the states are compared.
    """
    auth.require(Role.EDITOR, _("suggesting repeats"))
    if not 0 <= threshold <= 100:
        raise ValidationError(
            "threshold",
            _("threshold: {value!r} is not a score between 0 and 100").format(value=threshold),
        )
    # Exclusive: two runs at once would both insert the same new pairs (PostgreSQL; SQLite
    # writers queue anyway).
    db.begin_write(session, exclusive=True)
    candidates, result = candidate_links(session, state_ids, threshold=threshold, progress=progress)
    known = set(session.execute(select(RecommendationLink.earlier_id, RecommendationLink.later_id)))
    new = [c for c in candidates if (c.earlier_id, c.later_id) not in known]
    result.known = len(candidates) - len(new)
    result.added = len(new)
    result.new = new
    if new:
        now = utcnow()
        # Core's executemany: the ORM's bulk insert took half again as long (21,000 rows).
        session.connection().execute(
            insert(RecommendationLink.__table__),  # type: ignore[arg-type]
            [
                {
                    "earlier_id": c.earlier_id,
                    "later_id": c.later_id,
                    "score": c.score,
                    "status": LinkStatus.SUGGESTED.value,
                    "created_at": now,
                }
                for c in new
            ],
        )
        audit.record(
            session,
            actor=actor,
            action="link.suggest",
            entity="recommendation_link",
            summary=f"{len(new)} suggested repeat(s), threshold {threshold:g}",
            after={
                "added": len(new),
                "threshold": threshold,
                "state_ids": None if state_ids is None else sorted(set(state_ids)),
            },
        )
    return result


def suggest_links(
    session: Session,
    state_ids: Iterable[int] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    actor: str | None = None,
) -> int:
    """Suggest repeats for the states (all when None); return how many suggestions are new.

    The hook for importers: call it after an import with the ids of the states the import
    touched, in the same transaction.
    """
    return suggest(session, state_ids, threshold=threshold, actor=actor).added


# --- decisions ---------------------------------------------------------------------------
def decide_link(
    session: Session, link_id: int, confirm: bool, actor: str | None = None
) -> RecommendationLink:
    """Confirm (or reject) a suggested link; a decision can be changed later. Audited; needs
    the editor role (:class:`tracker.auth.PermissionDenied`); the caller commits."""
    auth.require(Role.EDITOR, _("confirming or rejecting a repeat"))
    db.begin_write(session)
    link = session.get(RecommendationLink, link_id, populate_existing=True)
    if link is None:
        raise ValidationError(
            "link", _("link: there is no suggested repeat with id {id}").format(id=link_id)
        )
    before = link.status
    link.status = (LinkStatus.CONFIRMED if confirm else LinkStatus.REJECTED).value
    link.decided_by = actor or audit.default_actor()
    link.decided_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="link.confirm" if confirm else "link.reject",
        entity="recommendation_link",
        entity_id=link.id,
        summary=f"{link.earlier_id} -> {link.later_id}: {before} -> {link.status}",
        before={"status": before},
        after={"status": link.status, "earlier_id": link.earlier_id, "later_id": link.later_id},
    )
    session.flush()
    return link


# --- reading -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LineageStep:
    """One recommendation of a confirmed chain of repeats."""

    recommendation_id: int
    state: str
    cycle: int
    session: int
    paragraph: str | None
    text: str
    recommending_states: str
    response: str | None
    status: str  # a vocab.Status value or "not_assessed"
    assessed_on: dt.date | None
    source_org: str | None


def _chain_ids(session: Session, rec_id: int, statuses: Sequence[str]) -> set[int]:
    seen = {rec_id}
    frontier = {rec_id}
    while frontier:
        rows = session.execute(
            select(RecommendationLink.earlier_id, RecommendationLink.later_id).where(
                RecommendationLink.status.in_(statuses),
                or_(
                    RecommendationLink.earlier_id.in_(frontier),
                    RecommendationLink.later_id.in_(frontier),
                ),
            )
        ).all()
        frontier = {i for pair in rows for i in pair} - seen
        seen |= frontier
    return seen


def lineage(session: Session, rec_id: int) -> list[LineageStep]:
    """The confirmed chain through ``rec_id`` (earlier and later repeats, transitively),
    oldest cycle first; just the recommendation itself when nothing is confirmed."""
    ids = _chain_ids(session, rec_id, [LinkStatus.CONFIRMED.value])
    df = queries.recommendations_frame(session, ids=sorted(ids))
    df = df.sort_values(["cycle", "session", "id"])
    return [
        LineageStep(
            recommendation_id=int(r.id),
            state=r.state,
            cycle=int(r.cycle),
            session=int(r.session),
            paragraph=r.paragraph,
            text=r.text,
            recommending_states=r.recommending_states,
            response=r.response,
            status=r.status,
            assessed_on=r.assessed_on if pd.notna(r.assessed_on) else None,
            source_org=r.source_org,
        )
        for r in df.itertuples()
    ]


@dataclass(frozen=True)
class LinkView:
    """A link seen from one recommendation: the other side, and what people decided."""

    link_id: int
    status: str  # vocab.LinkStatus
    score: float
    direction: str  # "earlier": the other one is the earlier recommendation; or "later"
    other_id: int
    other_cycle: int
    other_session: int
    other_text: str
    other_states: str
    other_status: str
    decided_by: str | None
    decided_at: dt.datetime | None


def links_for(session: Session, rec_id: int) -> list[LinkView]:
    """Every link (suggested, confirmed, rejected) touching ``rec_id``, best score first."""
    links = session.scalars(
        select(RecommendationLink).where(
            or_(RecommendationLink.earlier_id == rec_id, RecommendationLink.later_id == rec_id)
        )
    ).all()
    if not links:
        return []
    others = {lk.later_id if lk.earlier_id == rec_id else lk.earlier_id for lk in links}
    df = queries.recommendations_frame(session, ids=sorted(others)).set_index("id")
    out = []
    for lk in links:
        earlier = lk.later_id == rec_id
        other = lk.earlier_id if earlier else lk.later_id
        if other not in df.index:
            continue
        row = df.loc[other]
        out.append(
            LinkView(
                link_id=lk.id,
                status=lk.status,
                score=float(lk.score),
                direction="earlier" if earlier else "later",
                other_id=int(other),
                other_cycle=int(row["cycle"]),
                other_session=int(row["session"]),
                other_text=row["text"],
                other_states=row["recommending_states"],
                other_status=row["status"],
                decided_by=lk.decided_by,
                decided_at=lk.decided_at,
            )
        )
    out.sort(key=lambda v: (-v.score, v.other_cycle, v.other_id))
    return out


def links_list(
    session: Session, state_ids: Iterable[int] | None = None, *, include_rejected: bool = False
) -> list[dict[str, object]]:
    """Links as plain dicts (the ``link --json`` contract): earlier_id, later_id, score,
    confirmed, earlier_text, later_text; suggested and confirmed only unless asked."""
    earlier = Recommendation.__table__.alias("earlier")
    later = Recommendation.__table__.alias("later")
    review = Review.__table__.alias("earlier_review")
    stmt = (
        select(
            RecommendationLink.earlier_id,
            RecommendationLink.later_id,
            RecommendationLink.score,
            RecommendationLink.status,
            earlier.c.text,
            later.c.text,
        )
        .join(earlier, earlier.c.id == RecommendationLink.earlier_id)
        .join(later, later.c.id == RecommendationLink.later_id)
        .join(review, review.c.id == earlier.c.review_id)
        .order_by(RecommendationLink.earlier_id, RecommendationLink.score.desc())
    )
    if state_ids is not None:
        stmt = stmt.where(review.c.state_id.in_(list(state_ids)))
    if not include_rejected:
        stmt = stmt.where(RecommendationLink.status != LinkStatus.REJECTED.value)
    return [
        {
            "earlier_id": a,
            "later_id": b,
            "score": float(score),
            "confirmed": status == LinkStatus.CONFIRMED.value,
            "earlier_text": ta,
            "later_text": tb,
        }
        for a, b, score, status, ta, tb in session.execute(stmt)
    ]


def repeated_not_implemented(
    session: Session,
    f: Filters | None = None,
    *,
    include_suggested: bool = False,
) -> pd.DataFrame:
    """Recommendations that repeat an earlier one (a confirmed link; suggested ones too when
    ``include_suggested``) and are not assessed as fully implemented.

    Columns: queries.RECOMMENDATION_COLUMNS plus ``repeats`` (ids of the earlier
    recommendations it repeats, ``"12, 40"``), ``first_cycle`` (the cycle in which the chain
    started) and ``times`` (how many cycles the chain spans up to this one).
    """
    statuses = [LinkStatus.CONFIRMED.value]
    if include_suggested:
        statuses.append(LinkStatus.SUGGESTED.value)
    later_ids = select(RecommendationLink.later_id).where(RecommendationLink.status.in_(statuses))
    stmt = (
        queries.apply_filters(queries.base_select(Recommendation.id), f)
        .where(Recommendation.id.in_(later_ids))
        .where(queries.status_expr() != Status.FULLY_IMPLEMENTED.value)
    )
    ids = list(session.scalars(stmt))
    columns = [*queries.RECOMMENDATION_COLUMNS, "repeats", "first_cycle", "times"]
    if not ids:
        return pd.DataFrame(columns=columns)
    frames = [
        queries.recommendations_frame(session, f, ids=ids[i : i + IN_LIST_LIMIT])
        for i in range(0, len(ids), IN_LIST_LIMIT)
    ]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    links = session.execute(
        select(RecommendationLink.earlier_id, RecommendationLink.later_id).where(
            RecommendationLink.status.in_(statuses)
        )
    ).all()
    earlier_of: dict[int, list[int]] = defaultdict(list)
    for a, b in links:
        earlier_of[b].append(a)
    involved = {a for a, _b in links} | {b for _a, b in links}
    cycle_of = dict(
        session.execute(
            select(Recommendation.id, Review.cycle)
            .join(Review, Review.id == Recommendation.review_id)
            .where(Recommendation.id.in_(select(RecommendationLink.earlier_id)))
        ).all()
    )
    cycle_of.update(zip(df["id"].tolist(), df["cycle"].tolist(), strict=True))

    def chain_cycles(rec: int, seen: set[int]) -> set[int]:
        cycles = {cycle_of[rec]} if rec in cycle_of else set()
        for a in earlier_of.get(rec, ()):
            if a not in seen and a in involved:
                seen.add(a)
                cycles |= chain_cycles(a, seen)
        return cycles

    firsts, times = [], []
    for rec in df["id"].tolist():
        cycles = chain_cycles(rec, {rec})
        firsts.append(min(cycles) if cycles else None)
        times.append(len(cycles))
    df["repeats"] = [", ".join(str(a) for a in sorted(earlier_of[r])) for r in df["id"]]
    df["first_cycle"] = pd.array(firsts, dtype="Int64")
    df["times"] = pd.array(times, dtype="Int64")
    df["status"] = df["status"].fillna(NOT_ASSESSED)
    return df[columns]


__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_PER_RECOMMENDATION",
    "STRONG_SCORE",
    "LineageStep",
    "LinkCandidate",
    "LinkView",
    "SuggestResult",
    "candidate_links",
    "decide_link",
    "idf_weights",
    "lineage",
    "links_for",
    "links_list",
    "normalise_for_matching",
    "repeated_not_implemented",
    "select_pairs",
    "similarity_matrix",
    "suggest",
    "suggest_links",
]
