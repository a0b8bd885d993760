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
4. A suggestion needs ``threshold`` (default 45). Each *later* recommendation keeps only its
   ``MAX_EARLIER_PER_LATER`` (3) best earlier candidates, strong or not, ties to the first
   in id order: a person asks of it "which earlier recommendation does this repeat?", and one
   confirmed link answers it. An earlier recommendation keeps every later one that chose it
   (eight states repeating one ask are eight repeats). The review list is so bounded by the
   recommendations (3 per later one), not by the square of a review's size: the former rule
   (the best 5 per recommendation in each direction, every pair of 70 or more besides) gave 8
   million suggestions for the synthetic million corpus, whose reviews are near repeats of
   each other, and dropped the weaker repeats of much-repeated asks (recall 0.44 against 0.50
   now on the labelled pairs, precision 0.94 against 0.95).

Cycle ``c`` is compared with ``c + 1`` first; a later cycle ``c + n`` only for pairs where
neither recommendation is already linked across the cycles in between (a chain c1 -> c2 -> c3
needs no extra c1 -> c3 suggestion). Re-running never changes a person's decision and never
suggests a pair again, whatever its status: it adds only pairs that are new.

Everything is vectorised per state and cycle pair (an inverted index and ``numpy.bincount``
for the weighted overlap, rapidfuzz for the fuzzy ratio, taken only for the pairs that may be
among a later recommendation's best: :func:`tracker.link_scoring.best_earlier`): the whole
61k-recommendation UPR Info export (193 states) is compared in about 3 s of CPU time.

Memory is bounded whatever the corpus: :func:`suggest` reads a group of states at a time
(``READ_BLOCK`` recommendations, or one larger state: texts and stored links), scores the
later texts in blocks of at most ``PAIR_BUDGET`` pairs sharing a word, and writes the new
suggestions in batches (``WRITE_BATCH``) as it goes, in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker import auth, db, queries
from tracker.errors import ValidationError
from tracker.filters import Filters
from tracker.i18n import _
from tracker.link_candidates import (
    IN_LIST_LIMIT,
    LinkCandidate,
    Progress,
    SuggestResult,
    candidate_links,
    state_blocks,
)
from tracker.link_scoring import (
    DEFAULT_THRESHOLD,
    MAX_EARLIER_PER_LATER,
    MAX_PER_RECOMMENDATION,
    PAIR_BUDGET,
    STRONG_SCORE,
    idf_weights,
    select_pairs,
    similarity_matrix,
)
from tracker.link_store import WRITE_BATCH, SuggestionWriter, decide_suggestion
from tracker.link_text import clear_normalised_cache, normalise_for_matching
from tracker.models import (
    Recommendation,
    RecommendationLink,
    Review,
)
from tracker.vocab import NOT_ASSESSED, LinkStatus, Role, Status


def suggest(
    session: Session,
    state_ids: Iterable[int] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    actor: str | None = None,
    progress: Progress | None = None,
    batch_size: int = WRITE_BATCH,
    budget: int = PAIR_BUDGET,
) -> SuggestResult:
    """Write new link suggestions for the states (all when None) and return what happened.

    Pairs already in the link table, whatever their status, are left as they are. One audit
    event records the run when it added anything. Needs the editor role
    (:class:`tracker.auth.PermissionDenied`). The caller commits: the whole run is one
    transaction (a failure or an interruption leaves nothing, and a new run starts over).
    ``progress(fraction, message)`` is called as the states are compared.

    Memory stays bounded whatever the corpus: one group of states' texts (``READ_BLOCK``
    recommendations or one larger state) and one state's candidates are held at a time, the
    new suggestions are written ``batch_size`` at a time as they come, and the
    pairs are scored ``budget`` at a time (see :func:`tracker.link_scoring.best_earlier`).
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
    result = SuggestResult()
    writer = SuggestionWriter(
        session, RecommendationLink, ("earlier_id", "later_id"), batch_size=batch_size
    )
    for block in state_blocks(session, state_ids, threshold, progress, result, budget):
        for c in block.candidates:
            if (c.earlier_id, c.later_id) in block.known:
                result.known += 1
            else:
                writer.add(c.earlier_id, c.later_id, c.score)
    result.added = writer.close()
    writer.record(
        actor,
        action="link",
        summary=f"{result.added} suggested repeat(s), threshold {threshold:g}",
        after={
            "added": result.added,
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
    return decide_suggestion(
        session,
        RecommendationLink,
        link_id,
        confirm,
        actor,
        doing=_("confirming or rejecting a repeat"),
        missing=_("link: there is no suggested repeat with id {id}").format(id=link_id),
        action="link",
        pair=lambda lk: f"{lk.earlier_id} -> {lk.later_id}",
        after=lambda lk: {"earlier_id": lk.earlier_id, "later_id": lk.later_id},
    )


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
    "MAX_EARLIER_PER_LATER",
    "MAX_PER_RECOMMENDATION",
    "STRONG_SCORE",
    "LineageStep",
    "LinkCandidate",
    "LinkView",
    "SuggestResult",
    "candidate_links",
    "clear_normalised_cache",
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
