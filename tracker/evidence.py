"""Evidence you can weigh and protect: source types side by side, the implementation index,
private evidence and review before publishing (issue #16; the rule is in docs/evidence.md).

The rule, in one place:

* The **public current status** of a recommendation is its latest published, non-private
  assessment that counts (not retracted, no retraction). It is the one kept on the
  recommendation (``current_status``, tracker.assessments.refresh_current_status) and the one
  every count, chart, flag, list, download, report, snapshot, matrix fill and chart image
  reads, for every reader: the numbers an editor sees are the numbers a report publishes.
* A **private** assessment is shown to editors and admins only (the recommendation page's
  history, sources side by side and index, and the editors' current status there, which counts
  it). Outputs leave private assessments out unless an editor asks (``--include-private``, a
  checkbox); such an output says so on its first page.
* A **draft** (review before publishing switched on for the database) counts nowhere until an
  account other than its author publishes it; the publication is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db
from tracker.assessments import (
    REVIEW_META_KEY,
    effective,
    history_order,
    refresh_current_status,
    review_required,
)
from tracker.errors import ValidationError
from tracker.filters import Filters
from tracker.formats import decimal
from tracker.i18n import N_, _
from tracker.models import Assessment, Meta, Recommendation, Review, State, utcnow
from tracker.queries import matches
from tracker.vocab import (
    NOT_ASSESSED,
    STATUS_ORDER,
    STATUS_PHRASES,
    Role,
    SourceType,
    Status,
    source_type_label,
)

# UPR Info's mid-term implementation index: each source type's latest status scores this.
INDEX_SCORES: dict[str, float] = {
    Status.FULLY_IMPLEMENTED: 1.0,
    Status.PARTIALLY_IMPLEMENTED: 0.5,
    Status.NOT_IMPLEMENTED: 0.0,
}
ID_CHUNK = 5000  # recommendation ids per query (SQLite's bound-parameter limit)
# The note every output that includes private evidence carries on its first page.
PRIVATE_NOTICE = N_(
    "Includes PRIVATE evidence (asked for by an editor): do not share this outside the "
    "organisation."
)
SIDE_BY_SIDE_COLUMNS = [
    "source_type",
    "source_type_label",
    "status",
    "assessed_on",
    "source_org",
    "confidence",
    "is_private",
    "assessment_id",
]
DRAFT_COLUMNS = [
    "assessment_id",
    "recommendation_id",
    "state",
    "cycle",
    "paragraph",
    "status",
    "assessed_on",
    "source_org",
    "source_type",
    "is_private",
    "author",
    "created_at",
]


def may_see_private() -> bool:
    """True when the current actor may see private evidence (editors and admins)."""
    return auth.current_actor().can(Role.EDITOR)


def private_notice() -> str:
    """The translated first-page note of an output that includes private evidence."""
    return _(PRIVATE_NOTICE)


def check_include_private(include_private: bool) -> bool:
    """``include_private`` after checking that the current actor may ask for it (editors);
    raises tracker.auth.PermissionDenied otherwise."""
    if include_private:
        auth.require(Role.EDITOR, _("including private evidence"))
    return include_private


# --- sources side by side and the index ------------------------------------------------------
@dataclass(frozen=True)
class ImplementationIndex:
    """UPR Info's mid-term index: the mean over source types of their latest ranked status
    (fully 1, partially 0.5, not 0); None without any ranked assessment."""

    value: float | None
    source_types: int

    @property
    def word(self) -> str:
        """The index in words: fully (1), not (0), else partially implemented."""
        if self.value is None:
            return _(STATUS_PHRASES[NOT_ASSESSED])
        if self.value >= 1:
            return _(STATUS_PHRASES[Status.FULLY_IMPLEMENTED])
        if self.value <= 0:
            return _(STATUS_PHRASES[Status.NOT_IMPLEMENTED])
        return _(STATUS_PHRASES[Status.PARTIALLY_IMPLEMENTED])

    def label(self) -> str:
        """ "0.75 (partially implemented)" ("0,75 (…)" in Russian: the language's decimal
        mark), or the word alone without a value."""
        if self.value is None:
            return self.word
        return f"{decimal(self.value, 2)} ({self.word})"


def sources_side_by_side(
    session: Session, recommendation_id: int, *, include_private: bool | None = None
) -> pd.DataFrame:
    """The latest counting assessment of each source type of a recommendation, in the order
    of vocab.SourceType (columns: SIDE_BY_SIDE_COLUMNS). Private ones only when
    ``include_private`` (default: when the current actor is an editor)."""
    if include_private is None:
        include_private = may_see_private()
    rows = session.execute(
        select(
            Assessment.source_type,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.source_org,
            Assessment.confidence,
            Assessment.is_private,
            Assessment.id,
        )
        .where(
            Assessment.recommendation_id == recommendation_id,
            *effective(Assessment, include_private=include_private),
        )
        .order_by(*history_order(Assessment))
    ).all()
    latest = {r[0]: r for r in rows}  # oldest first: the last of each type wins
    order = [t.value for t in SourceType]
    kinds = sorted(latest, key=lambda k: order.index(k) if k in order else len(order))
    return pd.DataFrame(
        [(k, source_type_label(k), *latest[k][1:6], latest[k][6]) for k in kinds],
        columns=SIDE_BY_SIDE_COLUMNS,
    )


def implementation_index(side_by_side: pd.DataFrame) -> ImplementationIndex:
    """The index over the source types of :func:`sources_side_by_side` (statuses without a
    score, "no information", are left out)."""
    scores = [INDEX_SCORES[s] for s in side_by_side["status"] if s in INDEX_SCORES]
    if not scores:
        return ImplementationIndex(None, 0)
    return ImplementationIndex(round(sum(scores) / len(scores), 4), len(scores))


def editors_status(session: Session, recommendation_id: int) -> str | None:
    """The current status counting private assessments (the editors' view of one
    recommendation), or None without any counting assessment."""
    return session.scalar(
        select(Assessment.status)
        .where(
            Assessment.recommendation_id == recommendation_id,
            *effective(Assessment, include_private=True),
        )
        .order_by(*history_order(Assessment, newest_first=True))
        .limit(1)
    )


PRIVATE_COLUMNS = ["id", "status", "assessed_on", "source_org", "evidence", "evidence_url"]


def latest_private(session: Session, ids: list[int]) -> pd.DataFrame:
    """Each recommendation's latest private assessment that counts (not retracted, not a
    draft), for the downloads an editor asks with private evidence. Columns:
    PRIVATE_COLUMNS; recommendations without one are left out. Callers check the right
    (:func:`check_include_private`)."""
    a = Assessment
    latest: dict[int, tuple[object, ...]] = {}
    for chunk in (ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)):
        stmt = (
            select(a.recommendation_id, a.status, a.assessed_on, a.source_org, a.evidence)
            .add_columns(a.evidence_url)
            .where(
                a.recommendation_id.in_(chunk),
                a.is_private.is_(True),
                *effective(a, include_private=True),
            )
            .order_by(a.recommendation_id, *history_order(a))
        )
        for row in session.execute(stmt):
            latest[row[0]] = tuple(row)  # oldest first: the last one wins
    return pd.DataFrame(list(latest.values()), columns=PRIVATE_COLUMNS)


def status_by_source_type(session: Session, f: Filters | None = None) -> pd.DataFrame:
    """The Progress page's "by source type": for each source type, the recommendations of
    ``f`` counted by the status of that type's latest public assessment of each (a
    recommendation counts once under each type that assessed it). Columns: source_type,
    status, count; types in the order of vocab.SourceType. Public figures: private
    assessments and drafts never count here (the rule above).

    Counted from the partial index of each type's latest public assessment
    (``latest_of_type``, kept by tracker.assessments.refresh_current_status; migration
    0009): ranking every history by type with a window function took 1.2 s of CPU on the
    520,000 assessments of the benchmark corpus (SQLite, load 8-9), the kept flag 0.02-0.03
    s; the Progress page's cold run, whole corpus, went from 2.83 to 1.51 s of CPU (load
    17-20, old and new measured in the same minutes)."""
    a = Assessment
    rows = session.execute(
        select(a.source_type, a.status, func.count())
        .where(a.latest_of_type.is_(True), matches(a.recommendation_id, f))
        .group_by(a.source_type, a.status)
    ).all()
    order = {t.value: i for i, t in enumerate(SourceType)}
    statuses = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows = sorted(rows, key=lambda r: (order.get(r[0], len(order)), statuses.get(r[1], 99)))
    return pd.DataFrame(
        [(k, st, int(n)) for k, st, n in rows], columns=["source_type", "status", "count"]
    )


# --- review before publishing ----------------------------------------------------------------
# review_required (and its Meta key) live in tracker.assessments, which reads them on every
# write: this module imports that one, never the other way round.
def set_review_required(session: Session, on: bool, actor: str | None = None) -> None:
    """Switch review before publishing on or off for this database (admins; audited). Drafts
    saved before stay drafts until published. The caller commits."""
    auth.require(Role.ADMIN, _("changing review before publishing"))
    db.begin_write(session)
    before = review_required(session)
    if before == on:
        return
    row = session.get(Meta, REVIEW_META_KEY)
    if row is None:
        session.add(Meta(key=REVIEW_META_KEY, value="on" if on else "off"))
    else:
        row.value = "on" if on else "off"
    audit.record(
        session,
        actor=actor,
        action="settings.review",
        entity="meta",
        summary="on" if on else "off",
        before={"review_before_publish": before},
        after={"review_before_publish": on},
    )


def drafts_frame(session: Session) -> pd.DataFrame:
    """The drafts awaiting review, oldest first (columns: DRAFT_COLUMNS). Editors only: a
    draft may be private."""
    auth.require(Role.EDITOR, _("listing drafts"))
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.recommendation_id,
            State.name,
            Review.cycle,
            Recommendation.paragraph,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.source_org,
            Assessment.source_type,
            Assessment.is_private,
            Assessment.author,
            Assessment.created_at,
        )
        .join(Recommendation, Recommendation.id == Assessment.recommendation_id)
        .join(Review, Review.id == Recommendation.review_id)
        .join(State, State.id == Review.state_id)
        .where(Assessment.is_draft.is_(True))
        .order_by(Assessment.created_at, Assessment.id)
    ).all()
    return pd.DataFrame(rows, columns=DRAFT_COLUMNS)


def publish(session: Session, assessment_id: int, actor: str | None = None) -> Assessment:
    """Publish a draft: from now on it counts (unless private) and the current status is
    recomputed. Four eyes: an editor or admin other than the draft's author. Audited; the
    caller commits. Raises ValidationError for an unknown assessment, one that is no draft or
    the author's own; PermissionDenied below the editor role."""
    who = auth.require(Role.EDITOR, _("publishing a draft assessment"))
    db.begin_write(session)
    a = session.get(Assessment, assessment_id, with_for_update=True, populate_existing=True)
    if a is None:
        raise ValidationError(
            "id", _("id: there is no assessment with id {id}").format(id=assessment_id)
        )
    if not a.is_draft:
        raise ValidationError(
            "id", _("id: assessment {id} is not a draft awaiting review").format(id=assessment_id)
        )
    publisher = actor or who.username
    if (a.author or "").casefold() == publisher.casefold():
        raise ValidationError(
            "id",
            _(
                "id: assessment {id} was drafted by {user}; another editor or an admin publishes it"
            ).format(id=assessment_id, user=publisher),
        )
    a.is_draft = False
    a.published_by = publisher
    a.published_at = utcnow()
    session.flush()
    rec_id = a.recommendation_id
    status, day, source = a.status, a.assessed_on, a.source_org
    refresh_current_status(session, [rec_id])
    audit.record(
        session,
        actor=publisher,
        action="assessment.publish",
        entity="recommendation",
        entity_id=rec_id,
        summary=f"published assessment {assessment_id} ({status}, {day.isoformat()}, {source})",
        before={"draft": True, "assessment_id": assessment_id},
        after={"draft": False, "published_by": publisher},
    )
    published = session.get(Assessment, assessment_id)
    assert published is not None  # just written
    return published


__all__ = [
    "DRAFT_COLUMNS",
    "INDEX_SCORES",
    "PRIVATE_COLUMNS",
    "PRIVATE_NOTICE",
    "SIDE_BY_SIDE_COLUMNS",
    "ImplementationIndex",
    "check_include_private",
    "drafts_frame",
    "editors_status",
    "implementation_index",
    "latest_private",
    "may_see_private",
    "private_notice",
    "publish",
    "review_required",
    "set_review_required",
    "sources_side_by_side",
    "status_by_source_type",
]
