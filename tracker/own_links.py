"""Our own recommendations, followed: which UN recommendations took them up.

An organisation's own recommendations are saved with a report outline
(:mod:`tracker.submission.drafts`) for the review the report is for. Once that review's
recommendations are imported, :func:`suggest_own` scores each own recommendation against
them with the repeat scoring of :mod:`tracker.link_scoring` (the same normalisation, rarity
weights, treaty rule, threshold and per-recommendation limit) and stores the likely pairs as
suggestions; a person confirms or rejects each (:func:`decide_own_link`, audited). The
recommendation page, the Report page and the snapshot then say "taken up by 3 States
(supported)" (:func:`taken_up`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import auth, db
from tracker.i18n import _, ngettext
from tracker.link_scoring import (
    DEFAULT_THRESHOLD,
    feature_similarity,
    features_of,
    idf_weights,
    select_pairs,
)
from tracker.link_store import SuggestionWriter, decide_suggestion
from tracker.link_text import normalise_for_matching, state_name_words
from tracker.models import (
    OwnRecommendation,
    OwnRecommendationLink,
    Recommendation,
    Review,
    State,
    recommendation_states,
)
from tracker.vocab import LinkStatus, Role, response_label


def suggest_own(
    session: Session,
    state_ids: Iterable[int] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    actor: str | None = None,
) -> int:
    """Suggest the UN recommendations that took up the own recommendations of the states
    (all when None); return how many suggestions are new. Pairs already stored, whatever
    their status, are left alone. Editors only; the caller commits."""
    auth.require(Role.EDITOR, _("suggesting which recommendations took up your own"))
    db.begin_write(session, exclusive=True)
    stmt = select(
        OwnRecommendation.id,
        OwnRecommendation.state_id,
        OwnRecommendation.session,
        OwnRecommendation.text,
    )
    if state_ids is not None:
        stmt = stmt.where(OwnRecommendation.state_id.in_(list(state_ids)))
    own_by_review: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
    for oid, sid, sess, text in session.execute(stmt):
        own_by_review[(sid, sess)].append((oid, text))
    if not own_by_review:
        return 0
    known: set[tuple[int, int]] = {
        (int(a), int(b))
        for a, b in session.execute(
            select(OwnRecommendationLink.own_id, OwnRecommendationLink.recommendation_id)
        )
    }
    names = {
        sid: state_name_words(n, u)
        for sid, n, u in session.execute(select(State.id, State.name, State.un_name))
    }
    writer = SuggestionWriter(session, OwnRecommendationLink, ("own_id", "recommendation_id"))
    for (sid, sess), owns in own_by_review.items():
        # The review the own recommendations were written for.
        recs = session.execute(
            select(Recommendation.id, Recommendation.text)
            .join(Review, Review.id == Recommendation.review_id)
            .where(Review.state_id == sid, Review.session == sess)
        ).all()
        if not recs:
            continue  # that review is not imported yet
        words: frozenset[str] = names.get(sid, frozenset())
        rec_norm = [normalise_for_matching(t, words) for _i, t in recs]
        own_norm = [normalise_for_matching(t, words) for _i, t in owns]
        # Rarity among the review's recommendations and the own ones: a word every UN
        # recommendation uses says little.
        idf = idf_weights(rec_norm + own_norm)
        scores = feature_similarity(
            [features_of(t, idf) for t in own_norm],
            [features_of(t, idf) for t in rec_norm],
            idf,
            threshold,
        )
        for i, j in select_pairs(scores, threshold):
            pair = (owns[i][0], recs[j][0])
            if pair in known:
                continue
            known.add(pair)
            writer.add(pair[0], pair[1], round(float(scores[i, j]), 1))
    added = writer.close()
    writer.record(
        actor,
        action="own_link",
        summary=f"{added} suggested take-up(s), threshold {threshold:g}",
        after={"added": added, "threshold": threshold},
    )
    return added


def decide_own_link(
    session: Session, link_id: int, confirm: bool, actor: str | None = None
) -> OwnRecommendationLink:
    """Confirm (or reject) that a UN recommendation took up an own recommendation; a
    decision can be changed later. Audited; editors only; the caller commits."""
    return decide_suggestion(
        session,
        OwnRecommendationLink,
        link_id,
        confirm,
        actor,
        doing=_("confirming or rejecting a take-up"),
        missing=_("link: there is no suggested take-up with id {id}").format(id=link_id),
        action="own_link",
        pair=lambda lk: f"own {lk.own_id} -> {lk.recommendation_id}",
        after=lambda lk: {},
    )


def own_links_list(session: Session, state_ids: Iterable[int] | None = None) -> list[dict]:
    """Suggested and confirmed take-ups as dicts with exactly ``own_id``, ``own_text``,
    ``recommendation_id``, ``recommendation_text``, ``score``, ``confirmed`` (the contract
    of ``link --own --json``), by own recommendation, best score first."""
    stmt = (
        select(
            OwnRecommendationLink.own_id,
            OwnRecommendation.text,
            OwnRecommendationLink.recommendation_id,
            Recommendation.text,
            OwnRecommendationLink.score,
            OwnRecommendationLink.status,
        )
        .join(OwnRecommendation, OwnRecommendation.id == OwnRecommendationLink.own_id)
        .join(Recommendation, Recommendation.id == OwnRecommendationLink.recommendation_id)
        .where(OwnRecommendationLink.status != LinkStatus.REJECTED.value)
        .order_by(
            OwnRecommendationLink.own_id,
            OwnRecommendationLink.score.desc(),
            OwnRecommendationLink.recommendation_id,
        )
    )
    if state_ids is not None:
        stmt = stmt.where(OwnRecommendation.state_id.in_(list(state_ids)))
    return [
        {
            "own_id": oid,
            "own_text": otext,
            "recommendation_id": rid,
            "recommendation_text": rtext,
            "score": float(score),
            "confirmed": status == LinkStatus.CONFIRMED.value,
        }
        for oid, otext, rid, rtext, score, status in session.execute(stmt)
    ]


@dataclass(frozen=True)
class OwnLinkView:
    """One suggested or confirmed take-up, for a page."""

    link_id: int
    own_id: int
    own_text: str
    organisation: str
    recommendation_id: int
    recommendation_text: str
    score: float
    confirmed: bool


def links_for_recommendation(session: Session, rec_id: int) -> list[OwnLinkView]:
    """The own recommendations this UN recommendation may have taken up (not rejected)."""
    return _views(session, OwnRecommendationLink.recommendation_id == rec_id)


def links_for_state(session: Session, state_id: int) -> list[OwnLinkView]:
    """Every suggested or confirmed take-up of the state's own recommendations."""
    return _views(session, OwnRecommendation.state_id == state_id)


def _views(session: Session, condition: Any) -> list[OwnLinkView]:
    rows = session.execute(
        select(
            OwnRecommendationLink.id,
            OwnRecommendation.id,
            OwnRecommendation.text,
            OwnRecommendation.organisation,
            Recommendation.id,
            Recommendation.text,
            OwnRecommendationLink.score,
            OwnRecommendationLink.status,
        )
        .join(OwnRecommendation, OwnRecommendation.id == OwnRecommendationLink.own_id)
        .join(Recommendation, Recommendation.id == OwnRecommendationLink.recommendation_id)
        .where(condition, OwnRecommendationLink.status != LinkStatus.REJECTED.value)
        .order_by(OwnRecommendation.position, OwnRecommendationLink.score.desc())
    )
    return [
        OwnLinkView(
            lid, oid, otext, org, rid, rtext, float(score), st == LinkStatus.CONFIRMED.value
        )
        for lid, oid, otext, org, rid, rtext, score, st in rows
    ]


def taken_up(session: Session, own_ids: Iterable[int]) -> dict[int, str]:
    """Own recommendation id -> "taken up by 3 States (supported)": the recommending
    States of the confirmed UN recommendations that took it up, and their responses. An
    own recommendation with no confirmed take-up is left out."""
    ids = list(own_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            OwnRecommendationLink.own_id,
            Recommendation.id,
            Recommendation.response,
            recommendation_states.c.state_id,
        )
        .join(Recommendation, Recommendation.id == OwnRecommendationLink.recommendation_id)
        .outerjoin(
            recommendation_states, recommendation_states.c.recommendation_id == Recommendation.id
        )
        .where(
            OwnRecommendationLink.own_id.in_(ids),
            OwnRecommendationLink.status == LinkStatus.CONFIRMED.value,
        )
    )
    states: dict[int, set[int]] = defaultdict(set)
    responses: dict[int, dict[int, str]] = defaultdict(dict)
    for oid, rid, response, state_id in rows:
        if state_id is not None:
            states[oid].add(state_id)
        responses[oid][rid] = response_label(response).lower()
    out = {}
    for oid in responses:
        n = len(states[oid])
        said = ", ".join(sorted(set(responses[oid].values())))
        out[oid] = ngettext(
            "taken up by {n} State ({responses})", "taken up by {n} States ({responses})", n
        ).format(n=n, responses=said)
    return out


def state_take_ups(session: Session, iso3: str) -> list[tuple[str, str]]:
    """(own text, "taken up by 3 States (supported)") of the state's own recommendations
    with a confirmed take-up, for the Report page and the snapshot."""
    state_id = session.scalar(select(State.id).where(State.iso3 == iso3))
    if state_id is None:
        return []
    views = links_for_state(session, state_id)
    said = taken_up(session, {v.own_id for v in views if v.confirmed})
    texts = {v.own_id: v.own_text for v in views}
    return [(texts[oid], phrase) for oid, phrase in said.items()]
