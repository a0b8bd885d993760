"""Read side of the recommendation detail page: everything known about one recommendation.

:func:`recommendation_detail` returns plain, picklable data (dicts, lists, DataFrames) so
that the page can cache it until the next write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from tracker.assessments import history_order, shown_fields
from tracker.evidence import (
    ImplementationIndex,
    editors_status,
    implementation_index,
    may_see_private,
    sources_side_by_side,
)
from tracker.models import (
    Assessment,
    Recommendation,
    RecommendationLink,
    Review,
    State,
    valid_id,
)
from tracker.vocab import NOT_ASSESSED, LinkStatus

ASSESSMENT_COLUMNS = [
    "assessment_id",
    "assessed_on",
    "status",
    "source_org",
    "evidence",
    "evidence_url",
    "author",
    "created_at",
    "retracts_id",
    "retracted",
    "is_current",
    "is_sample",
    "source_type",
    "confidence",
    "is_private",
    "is_draft",
]
LINK_COLUMNS = [
    "direction",  # "earlier": this one repeats it; "later": it repeats this one
    "id",
    "state",
    "cycle",
    "session",
    "paragraph",
    "text",
    "status",
    "score",
    "link_status",
]


@dataclass
class RecommendationDetail:
    """One recommendation, its review, links and full assessment history."""

    id: int
    text: str
    paragraph: str | None
    response: str | None
    action_category: int | None
    state: str
    state_iso3: str
    cycle: int
    session: int
    review_date: dt.date | None
    report_symbol: str | None
    status: str  # current status, or "not_assessed"
    is_sample: bool
    version: int
    recommending_states: list[dict[str, str | None]] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    sdgs: list[tuple[str, str | None]] = field(default_factory=list)
    affected_groups: list[str] = field(default_factory=list)
    assessments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    links: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    # The latest assessment of each source type (tracker.evidence.sources_side_by_side) and
    # UPR Info's implementation index over them.
    sources: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    index: ImplementationIndex = field(default_factory=lambda: ImplementationIndex(None, 0))
    # Editors' view only (None for anyone else): the status counting private assessments.
    editors_status: str | None = None


def recommendation_detail(
    session: Session, rec_id: int, *, include_private: bool | None = None
) -> RecommendationDetail | None:
    """The recommendation with id ``rec_id``, or None if there is none.

    ``assessments`` holds every assessment from every source, newest first (by assessment
    date, then entry time), retracted ones marked; ``links`` the earlier and later repeats
    (rejected links left out), earlier ones first. Private assessments and drafts only with
    ``include_private`` (default: when the current actor is an editor; a page passes it, as
    its cache is shared by every reader), and then ``editors_status`` counts private ones.
    """
    if not valid_id(rec_id):
        return None  # no row has it; the database would raise instead of finding none
    if include_private is None:
        include_private = may_see_private()
    rec = session.scalar(
        select(Recommendation)
        .where(Recommendation.id == rec_id)
        .options(
            selectinload(Recommendation.review).selectinload(Review.state),
            selectinload(Recommendation.recommending_states),
            selectinload(Recommendation.themes),
            selectinload(Recommendation.sdgs),
            selectinload(Recommendation.affected_groups),
            selectinload(Recommendation.current_assessment),
        )
    )
    if rec is None:
        return None
    review = rec.review
    sources = sources_side_by_side(session, rec.id, include_private=include_private)
    return RecommendationDetail(
        id=rec.id,
        text=rec.text,
        paragraph=rec.paragraph,
        response=rec.response,
        action_category=rec.action_category,
        state=review.state.name,
        state_iso3=review.state.iso3,
        cycle=review.cycle,
        session=review.session,
        review_date=review.review_date,
        report_symbol=review.report_symbol,
        status=rec.current_assessment.status if rec.current_assessment else NOT_ASSESSED,
        is_sample=rec.is_sample,
        version=rec.version,
        recommending_states=[
            {"name": s.name, "iso3": s.iso3, "regional_group": s.regional_group}
            for s in rec.recommending_states
        ],
        themes=sorted((t.name for t in rec.themes), key=str.casefold),
        sdgs=sorted(((s.code, s.label) for s in rec.sdgs), key=lambda s: _sdg_key(s[0])),
        affected_groups=sorted((g.name for g in rec.affected_groups), key=str.casefold),
        assessments=_assessments(session, rec.id, rec.current_assessment_id, include_private),
        links=_links(session, rec.id),
        sources=sources,
        index=implementation_index(sources),
        editors_status=editors_status(session, rec.id) if include_private else None,
    )


def _sdg_key(code: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in code.split("."))
    except ValueError:
        return (999,)


def _assessments(
    session: Session, rec_id: int, current_id: int | None, include_private: bool
) -> pd.DataFrame:
    # The frame's columns are the statement's (labels spell each name once).
    stmt = select(*shown_fields(), Assessment.is_draft).where(
        Assessment.recommendation_id == rec_id
    )
    if not include_private:
        stmt = stmt.where(Assessment.is_private.is_(False), Assessment.is_draft.is_(False))
    result = session.execute(stmt.order_by(*history_order(Assessment, newest_first=True)))
    df = pd.DataFrame(result.all(), columns=list(result.keys()))
    retracted = set(df["retracts_id"].dropna().astype(int))
    df["retracted"] = df["assessment_id"].isin(retracted)
    df["is_current"] = df["assessment_id"] == current_id
    df["retracts_id"] = df["retracts_id"].astype("Int64")
    return df[ASSESSMENT_COLUMNS]


def _links(session: Session, rec_id: int) -> pd.DataFrame:
    other = aliased(Recommendation, name="other")
    current = aliased(Assessment, name="other_current")
    rows = []
    for direction, mine, theirs in (
        ("earlier", RecommendationLink.later_id, RecommendationLink.earlier_id),
        ("later", RecommendationLink.earlier_id, RecommendationLink.later_id),
    ):
        stmt = (
            select(
                other.id,
                State.name,
                Review.cycle,
                Review.session,
                other.paragraph,
                other.text,
                current.status,
                RecommendationLink.score,
                RecommendationLink.status,
            )
            .select_from(RecommendationLink)
            .join(other, other.id == theirs)
            .join(Review, Review.id == other.review_id)
            .join(State, State.id == Review.state_id)
            .outerjoin(current, current.id == other.current_assessment_id)
            .where(mine == rec_id)
            .where(
                or_(
                    RecommendationLink.status.is_(None),
                    RecommendationLink.status != LinkStatus.REJECTED.value,
                )
            )
            .order_by(Review.cycle, other.id)
        )
        rows += [(direction, *r) for r in session.execute(stmt).all()]
    df = pd.DataFrame(rows, columns=LINK_COLUMNS)
    df["status"] = df["status"].fillna(NOT_ASSESSED)
    return df


__all__ = ["ASSESSMENT_COLUMNS", "LINK_COLUMNS", "RecommendationDetail", "recommendation_detail"]
