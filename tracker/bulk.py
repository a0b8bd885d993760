"""Bulk assessment: one dated, sourced assessment for each recommendation of a selection
(issue #16, point 7): the Explorer's filters or ticked rows, or the CLI's filter flags.

All of it is one transaction: every recommendation gets its assessment, its current status
is recomputed and one audit event per recommendation is written, or nothing is (a bad value,
an unknown id, a refusal). The values are validated once, with the rules of a single
assessment (tracker.assessments). The work is set-based (one INSERT of the assessments, one
refresh of the current statuses per 500 ids, one INSERT of the audit events, one bump of the
data version): 500 recommendations take well under a second on SQLite
(bench/bulk_assess_bench.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db
from tracker.assessments import (
    REFRESH_CHUNK,
    ValidationError,
    refresh_current_status,
    review_required,
    validate_confidence,
    validate_day,
    validate_evidence,
    validate_source,
    validate_source_type,
    validate_status,
    validate_url,
)
from tracker.filters import Filters
from tracker.i18n import _, ngettext
from tracker.models import Assessment, Recommendation
from tracker.queries import filtered_ids
from tracker.vocab import Role

DEFAULT_MAX = 500  # the CLI's --max: more needs --yes


class TooManyError(ValidationError):
    """The selection holds more recommendations than the caller allowed."""

    def __init__(self, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(
            "max",
            _(
                "{n} recommendations are selected, more than the limit of {max}; nothing was "
                "written. Narrow the selection, or confirm that all {n} are meant."
            ).format(n=count, max=limit),
        )


@dataclass(frozen=True)
class BulkResult:
    """What a bulk assessment wrote."""

    count: int  # recommendations assessed (= assessments added = audit events written)
    status: str
    assessed_on: dt.date
    source_org: str
    draft: bool = False  # saved as drafts awaiting review (tracker.evidence)

    def message(self) -> str:
        """The confirmation for the person: how many, what, as of when, from whom."""
        from tracker.vocab import status_label

        text = ngettext(
            "Recorded {status} as of {date} ({source}) for {n} recommendation.",
            "Recorded {status} as of {date} ({source}) for {n} recommendations.",
            self.count,
        ).format(
            status=status_label(self.status),
            date=self.assessed_on.isoformat(),
            source=self.source_org,
            n=f"{self.count:,}",
        )
        if self.draft:
            text += " " + _(
                "They are drafts: they count once another editor or an admin publishes them."
            )
        return text


def selection_ids(session: Session, f: Filters | None) -> list[int]:
    """The ids of the recommendations matching ``f`` (all when None), ascending."""
    return sorted(int(i) for i in session.scalars(filtered_ids(f)))


def assess_selection(
    session: Session,
    f: Filters | None,
    *,
    limit: int | None = None,
    **values: Any,
) -> BulkResult:
    """:func:`bulk_assess` of the recommendations matching ``f``, the selection read in the
    writing transaction: with ``limit`` (the count the person confirmed, or the CLI's
    ``--max``) a selection that grew meanwhile (an import) is refused, so nothing unseen
    is assessed. ``values``: the keyword arguments of :func:`bulk_assess`."""
    auth.require(Role.EDITOR, _("adding assessments"))
    db.begin_write(session)
    ids = selection_ids(session, f)
    if not ids:
        raise ValidationError(
            "filters", _("No recommendations match these filters; nothing was written.")
        )
    return bulk_assess(session, ids, limit=limit, **values)


def bulk_assess(
    session: Session,
    ids: Iterable[int],
    *,
    status: str,
    assessed_on: str | dt.date,
    source_org: str,
    evidence: str | None = None,
    evidence_url: str | None = None,
    actor: str | None = None,
    limit: int | None = None,
    source_type: str | None = None,
    confidence: str | None = None,
    private: bool = False,
) -> BulkResult:
    """Add the same assessment to each recommendation of ``ids``, in the caller's
    transaction, with one audit event (``assessment.add``, or ``assessment.draft`` when the
    database asks for review before publishing: then each is a draft that changes no current
    status until published) per recommendation. ``source_type``, ``confidence`` and
    ``private`` as in :func:`tracker.assessments.add_assessment`.

    Raises :class:`ValidationError` for an empty selection, an unknown id or a bad value
    (the rules of :func:`tracker.assessments.add_assessment`), :class:`TooManyError` when
    ``limit`` is given and the selection is larger, and
    :class:`tracker.auth.PermissionDenied` unless the current actor is an editor. Nothing is
    written then. The caller commits."""
    auth.require(Role.EDITOR, _("adding assessments"))
    db.begin_write(session)  # before the first read (SQLite: see tracker.db.begin_write)
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise ValidationError("id", _("id: no recommendation is selected"))
    if limit is not None and len(wanted) > limit:
        raise TooManyError(len(wanted), limit)
    st = validate_status(status)
    day = validate_day(assessed_on)
    source = validate_source(source_org)
    text = validate_evidence(evidence)
    url = validate_url(evidence_url)
    kind = validate_source_type(source_type)
    sure = validate_confidence(confidence)
    draft = review_required(session)
    author = actor or audit.default_actor()
    # Row locks (PostgreSQL) in id order, as add_assessment takes them one at a time: a
    # single assessment written meanwhile waits for this transaction, and each current
    # status is computed with every row in view.
    previous: dict[int, str | None] = {}
    for start in range(0, len(wanted), REFRESH_CHUNK):
        chunk = wanted[start : start + REFRESH_CHUNK]
        rows = session.execute(
            select(Recommendation.id, Recommendation.current_status)
            .where(Recommendation.id.in_(chunk))
            .order_by(Recommendation.id)
            .with_for_update()
        ).all()
        previous.update((int(r[0]), r[1]) for r in rows)
    missing = [i for i in wanted if i not in previous]
    if missing:
        raise ValidationError(
            "id",
            _("id: there is no recommendation with id {id}").format(
                id=", ".join(str(i) for i in missing[:10])
            ),
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    new_ids = list(
        session.scalars(
            insert(Assessment).returning(Assessment.id, sort_by_parameter_order=True),
            [
                {
                    "recommendation_id": rec_id,
                    "status": st.value,
                    "assessed_on": day,
                    "source_org": source,
                    "evidence": text,
                    "evidence_url": url,
                    "author": author,
                    "is_sample": False,
                    "created_at": now,
                    "source_type": kind.value,
                    "confidence": sure.value if sure else None,
                    "is_private": private,
                    "is_draft": draft,
                }
                for rec_id in wanted
            ],
        )
    )
    if not draft:
        refresh_current_status(session, wanted)
    # Stored text stays English, as add_assessment writes it.
    marks = (", private" if private else "") + (", draft" if draft else "")
    summary = f"{st.value} ({day.isoformat()}, {source}, {kind.value}{marks})"
    audit.record_many(
        session,
        [
            {
                "action": "assessment.draft" if draft else "assessment.add",
                "entity": "recommendation",
                "entity_id": rec_id,
                "summary": summary,
                "before": {"current_status": previous[rec_id]},
                "after": {
                    "assessment_id": assessment_id,
                    "status": st.value,
                    "assessed_on": day.isoformat(),
                    "source_org": source,
                    "source_type": kind.value,
                    "confidence": sure.value if sure else None,
                    "private": private,
                    "draft": draft,
                    "evidence": text,
                    "evidence_url": url,
                    "bulk": len(wanted),  # one of how many assessed together
                },
            }
            for rec_id, assessment_id in zip(wanted, new_ids, strict=True)
        ],
        actor=author,
    )
    return BulkResult(len(wanted), st.value, day, source, draft)


__all__ = [
    "DEFAULT_MAX",
    "BulkResult",
    "TooManyError",
    "assess_selection",
    "bulk_assess",
    "selection_ids",
]
