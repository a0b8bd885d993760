"""Repeats across cycles, step 3: the candidate pairs of each state under review, read and
compared a state at a time (see :mod:`tracker.linking` for the method; :func:`tracker.linking.
suggest` stores them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from tracker.i18n import _
from tracker.link_scoring import (
    DEFAULT_THRESHOLD,
    PAIR_BUDGET,
    best_earlier,
    features_of,
    idf_weights,
)
from tracker.link_text import normalise_for_matching, state_name_words
from tracker.models import Recommendation, RecommendationLink, Review, State
from tracker.vocab import LinkStatus

Progress = Callable[[float, str], None]
IN_LIST_LIMIT = 5000  # ids per IN (...) list when reading back many recommendations
READ_BLOCK = 20_000  # recommendations read at once by the suggestion pass (small states)


@dataclass(frozen=True)
class LinkCandidate:
    """A pair to suggest: the earlier and the later recommendation, and their score."""

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


@dataclass
class StateBlock:
    """One state's candidates, and the pairs of its recommendations already in the link
    table (whatever their status): what :func:`suggest` holds at a time."""

    candidates: list[LinkCandidate]
    known: set[tuple[int, int]]


def candidate_links(
    session: Session,
    state_ids: Iterable[int] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
) -> tuple[list[LinkCandidate], SuggestResult]:
    """Candidate repeats for the states (all when None), including pairs already linked.
    ``progress(fraction, message)`` is called before each state. Holds every candidate:
    :func:`suggest` takes them a state at a time."""
    result = SuggestResult()
    candidates: list[LinkCandidate] = []
    for block in state_blocks(session, state_ids, threshold, progress, result):
        candidates.extend(block.candidates)
    return candidates, result


def state_blocks(
    session: Session,
    state_ids: Iterable[int] | None,
    threshold: float,
    progress: Progress | None,
    result: SuggestResult,
    budget: int = PAIR_BUDGET,
) -> Iterator[StateBlock]:
    """The candidates of each state under review with two cycles or more, a state at a
    time (texts and stored links read for a group of states, :data:`READ_BLOCK`
    recommendations or one larger state); counts go to ``result``. ``budget``: the pairs
    scored at once (:func:`tracker.link_scoring.best_earlier`)."""
    sizes = select(Review.state_id, Review.cycle, func.count(Recommendation.id)).join(
        Recommendation, Recommendation.review_id == Review.id
    )
    if state_ids is not None:
        sizes = sizes.where(Review.state_id.in_(set(state_ids)))
    cycles_of: dict[int, int] = defaultdict(int)
    count_of: dict[int, int] = defaultdict(int)
    for state_id, _cycle, n in session.execute(sizes.group_by(Review.state_id, Review.cycle)):
        cycles_of[state_id] += 1
        count_of[state_id] += n
    total = sum(count_of.values()) or 1
    names = {
        sid: state_name_words(name, un_name)
        for sid, name, un_name in session.execute(
            select(State.id, State.name, State.un_name).where(State.id.in_(list(cycles_of)))
        )
    }
    message = _("Suggesting repeats across cycles")
    compared = [sid for sid in sorted(cycles_of) if cycles_of[sid] >= 2]
    done = sum(n for sid, n in count_of.items() if cycles_of[sid] < 2)
    for group in _read_groups(compared, count_of):
        texts, known = _read_states(session, group)
        for state_id in group:
            if progress is not None:
                progress(done / total, message)
            done += count_of[state_id]
            result.states += 1
            yield _state_candidates(
                texts.pop(state_id, []),
                known.pop(state_id, {}),
                names.get(state_id, frozenset()),
                threshold,
                result,
                budget,
            )
    if progress is not None:
        progress(1.0, message)


def _read_groups(states: list[int], count_of: dict[int, int]) -> Iterator[list[int]]:
    """``states`` in groups of about ``READ_BLOCK`` recommendations (a larger state alone):
    a few queries read many small states, and no more than that is held at once."""
    group: list[int] = []
    size = 0
    for state_id in states:
        if group and size + count_of[state_id] > READ_BLOCK:
            yield group
            group, size = [], 0
        group.append(state_id)
        size += count_of[state_id]
    if group:
        yield group


Texts = dict[int, list[tuple[int, int, str]]]  # state -> (recommendation id, cycle, text)
Known = dict[int, dict[tuple[int, int], bool]]  # state -> (earlier, later) -> rejected


def _read_states(session: Session, states: list[int]) -> tuple[Texts, Known]:
    """The texts of the ``states``' recommendations, by cycle and id, and the pairs already
    in the link table whose earlier recommendation is one of them (suggested, confirmed or
    rejected: True when rejected), per state."""
    texts: Texts = defaultdict(list)
    state_of: dict[int, int] = {}
    for state_id, rec_id, cycle, text in session.execute(_TEXTS, {"states": states}):
        texts[state_id].append((rec_id, cycle, text))
        state_of[rec_id] = state_id
    known: Known = defaultdict(dict)
    ids = list(state_of)
    # By the ids, through the index on earlier_id: a join to the states' reviews made
    # PostgreSQL scan the whole link table (growing with this run's own rows) each time.
    for i in range(0, len(ids), IN_LIST_LIMIT):
        for a, b, rejected in session.execute(_KNOWN, {"ids": ids[i : i + IN_LIST_LIMIT]}):
            known[state_of[a]][(a, b)] = bool(rejected)
    return texts, known


# The statements run for each group of states, built once (their compiled form is cached;
# building an IN list of ids, value by value, cost more than running it). The ids are
# integers of this process, rendered into the SQL: psycopg parsed 5,000 placeholders per
# query anew, which made the 61k file's step 10 % slower on PostgreSQL.
_TEXTS = (
    select(Review.state_id, Recommendation.id, Review.cycle, Recommendation.text)
    .join(Review, Review.id == Recommendation.review_id)
    .where(Review.state_id.in_(bindparam("states", expanding=True, literal_execute=True)))
    .order_by(Review.state_id, Review.cycle, Recommendation.id)
)
_KNOWN = select(
    RecommendationLink.earlier_id,
    RecommendationLink.later_id,
    RecommendationLink.status == LinkStatus.REJECTED.value,
).where(RecommendationLink.earlier_id.in_(bindparam("ids", expanding=True, literal_execute=True)))


def _state_candidates(
    recs: list[tuple[int, int, str]],
    known: dict[tuple[int, int], bool],
    state_words: frozenset[str],
    threshold: float,
    result: SuggestResult,
    budget: int,
) -> StateBlock:
    """The candidates of one state under review (see the module's docstring): its
    recommendations ``recs`` (id, cycle, text) and its ``known`` pairs (:func:`_read_states`)."""
    cycles: dict[int, list[int]] = defaultdict(list)
    norm: dict[int, str] = {}
    for rec_id, cycle, text in recs:
        cycles[cycle].append(rec_id)
        norm[rec_id] = normalise_for_matching(text, state_words)
    result.recommendations += len(norm)
    idf = idf_weights(list(norm.values()))
    features = {rec_id: features_of(text, idf) for rec_id, text in norm.items()}
    del norm
    cycle_of = {rec_id: c for c, ids in cycles.items() for rec_id in ids}
    links_out: dict[int, set[int]] = defaultdict(set)  # rec -> cycles it repeats into
    links_in: dict[int, set[int]] = defaultdict(set)  # rec -> cycles repeated from
    for (a, b), rejected in known.items():
        # A rejected pair is no repeat: it does not stand in for a link across the cycles
        # in between.
        if not rejected and a in cycle_of and b in cycle_of:
            links_out[a].add(cycle_of[b])
            links_in[b].add(cycle_of[a])
    order = sorted(cycles)
    pairs = sorted(
        ((c1, c2) for i, c1 in enumerate(order) for c2 in order[i + 1 :]),
        key=lambda p: (p[1] - p[0], p[0]),
    )
    candidates: list[LinkCandidate] = []
    for c1, c2 in pairs:
        between = set(range(c1 + 1, c2))
        a_ids = [r for r in cycles[c1] if not links_out[r] & between]
        b_ids = [r for r in cycles[c2] if not links_in[r] & between]
        for rows, cols, scores in best_earlier(
            [features[r] for r in a_ids],
            [features[r] for r in b_ids],
            idf,
            threshold,
            budget=budget,
        ):
            for i, j, score in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
                a, b = a_ids[i], b_ids[j]
                candidates.append(LinkCandidate(a, b, round(score, 1)))
                links_out[a].add(c2)
                links_in[b].add(c1)
    return StateBlock(candidates, set(known))


__all__ = [
    "IN_LIST_LIMIT",
    "READ_BLOCK",
    "LinkCandidate",
    "Progress",
    "StateBlock",
    "SuggestResult",
    "candidate_links",
    "state_blocks",
]
