"""The bundled sample: what a new user sees before importing anything.

``data/sample/sample.json`` holds Kazakhstan's four reviews and the three recommendations an
NGO's stakeholder report cites (real), plus illustrative records so that every page has
something to show. Everything that is not real is stored with ``is_sample = True`` and the
pages show a banner while any such record exists. :func:`remove_sample` takes the whole sample
out again, keeping anything a real import has since confirmed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db, linking
from tracker.assessments import refresh_current_status
from tracker.i18n import _
from tracker.importers.inputs import AssessmentInput, RecommendationInput
from tracker.importers.writer import SAMPLE_FORMAT, BulkWriter
from tracker.models import (
    AffectedGroup,
    Assessment,
    ImportRun,
    Recommendation,
    Review,
    Sdg,
    Theme,
    recommendation_groups,
    recommendation_sdgs,
    recommendation_themes,
)
from tracker.settings import PROJECT_ROOT
from tracker.vocab import Role

SAMPLE_FILE = PROJECT_ROOT / "data" / "sample" / "sample.json"


@dataclass
class SampleSummary:
    recommendations: int
    assessments: int


def is_empty(session: Session) -> bool:
    return not session.scalar(select(exists().where(Recommendation.id.is_not(None))))


def load_sample(
    session: Session, path: Path = SAMPLE_FILE, actor: str | None = None
) -> SampleSummary:
    """Load the sample into the session's database (editors; the caller commits).

    It goes through the importers' writer, so the identity rule is the one an import
    applies: a recommendation the database already holds gains only what it lacks."""
    auth.require(Role.EDITOR, _("loading the sample"))
    db.begin_write(session, exclusive=True)
    doc = json.loads(path.read_text(encoding="utf-8"))
    who = actor or audit.default_actor()
    run = ImportRun(
        filename=str(path.relative_to(PROJECT_ROOT))
        if path.is_relative_to(PROJECT_ROOT)
        else str(path),
        format=SAMPLE_FORMAT,
        actor=who,
    )
    session.add(run)
    session.flush()
    writer = BulkWriter(session)
    # Reviews first, so that real reviews are stored as real even when a sample row names them.
    for rv in doc["reviews"]:
        writer.add_review(
            rv["state"],
            rv["session"],
            dt.date.fromisoformat(rv["date"]) if rv.get("date") else None,
            rv.get("symbol"),
            is_sample=rv["sample"],
        )
    rows: list[tuple[RecommendationInput, list[AssessmentInput]]] = [
        (
            RecommendationInput(
                state_under_review=item["state"],
                session=item["session"],
                text=item["text"],
                response=item["response"],
                action_category=item.get("action"),
                recommending_states=item["by"],
                themes=item.get("themes", []),
                source_row=i,
                is_sample=item["sample"],
            ),
            [
                AssessmentInput(
                    status=a["status"],
                    assessed_on=dt.date.fromisoformat(a["date"]),
                    source_org=a["source"],
                    evidence=a.get("evidence"),
                    evidence_url=a.get("url"),
                    author="sample",
                    is_sample=True,
                )
                for a in item.get("assessments", [])
            ],
        )
        for i, item in enumerate(doc["recommendations"], start=1)
    ]
    plan = writer.plan([rows])
    writer.apply([run.id], actor=who)  # refreshes the current status of what it assessed
    n_recs = len(rows)
    # Suggest repeats across cycles, as an import does, so the demo shows the lineage feature.
    linking.suggest_links(session, None, actor=actor)
    run.rows_read = run.added = n_recs
    audit.record(
        session,
        actor=actor,
        action="sample.load",
        entity="database",
        summary=f"{n_recs} recommendations, {plan.assessments} assessments",
        after={"recommendations": n_recs, "assessments": plan.assessments},
    )
    return SampleSummary(n_recs, plan.assessments)


def remove_sample(session: Session, actor: str | None = None) -> SampleSummary:
    """Delete every sample record (the caller commits).

    Removes sample assessments, sample recommendations, the real seed recommendations that
    only the sample brought in (no real import or assessment holds them), reviews left
    empty, and themes/SDGs/groups no longer used. Editors only.
    """
    auth.require(Role.EDITOR, _("removing the sample"))
    db.begin_write(session, exclusive=True)
    n_assessments = session.execute(
        delete(Assessment).where(Assessment.is_sample.is_(True))
    ).rowcount  # type: ignore[attr-defined]
    sample_runs = select(ImportRun.id).where(ImportRun.format == SAMPLE_FORMAT)
    has_assessment = exists().where(Assessment.recommendation_id == Recommendation.id)
    doomed = select(Recommendation.id).where(
        Recommendation.is_sample.is_(True)
        | (Recommendation.import_run_id.in_(sample_runs) & ~has_assessment)
    )
    ids = list(session.scalars(doomed))
    for start in range(0, len(ids), 500):
        session.execute(
            delete(Recommendation).where(Recommendation.id.in_(ids[start : start + 500]))
        )
    used_review = exists().where(Recommendation.review_id == Review.id)
    session.execute(delete(Review).where(~used_review))
    for model, col in (
        (Theme, recommendation_themes.c.theme_id),
        (Sdg, recommendation_sdgs.c.sdg_id),
        (AffectedGroup, recommendation_groups.c.group_id),
    ):
        session.execute(delete(model).where(model.id.not_in(select(col))))
    refresh_current_status(session)
    audit.record(
        session,
        actor=actor,
        action="sample.remove",
        entity="database",
        summary=f"{len(ids)} recommendations, {n_assessments} assessments",
        before={"recommendations": len(ids), "assessments": n_assessments},
    )
    return SampleSummary(len(ids), n_assessments)


def sample_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Recommendation)
            .where(Recommendation.is_sample.is_(True))
        )
        or 0
    )
