"""Repeats across cycles, step 1: the words of a recommendation that say what is asked.

Case, punctuation, treaty names and their abbreviations, UPR phrases, verbs that mean the same
step, leading boilerplate, stop words and a light stemmer (see :mod:`tracker.linking` for how
the normalised texts are scored). Normalised texts are kept in a cache of the process.
"""

from __future__ import annotations

import functools
import heapq
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

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
TREATY_BITS = {t: 1 << k for k, t in enumerate(sorted(TREATY_TOKENS))}

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


def state_name_words(name: str, un_name: str) -> frozenset[str]:
    """The state's own name, which says nothing about what is asked ("Kazakhstan's ...")."""
    return frozenset(_NON_WORD.sub(" ", f"{name} {un_name}".casefold()).split())


__all__ = [
    "STOP_WORDS",
    "TREATY_BITS",
    "TREATY_TOKENS",
    "clear_normalised_cache",
    "normalise_for_matching",
    "state_name_words",
]
