"""Report outlines saved in the database: several named drafts per state under review, each
with its settings, audited; saving one stores its own recommendations
(:class:`~tracker.models.OwnRecommendation`) for the review the report is for, so that
:mod:`tracker.own_links` can follow them into the recommendations that review made.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db, own_links
from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.models import OwnRecommendation, ReportOutline, State
from tracker.states import find_state, formal_name
from tracker.submission.options import (
    ReportSettings,
    clean_own_recommendations,
    next_review_session,
    validate_settings,
)
from tracker.submission.outline import Outline, outline_from_json
from tracker.vocab import Role


def _state_row(session: Session, state: str) -> State:
    row = find_state(session, state)  # UnknownStateError quotes an unknown name
    if row is None:
        raise ValidationError(
            "state",
            _("state: the database holds no recommendation to {state!r}").format(
                state=formal_name(state)
            ),
        )
    return row


def outline_titles(session: Session, state: str) -> list[str]:
    """Titles of the outlines saved for ``state``, alphabetical."""
    row = find_state(session, state)
    if row is None:
        return []
    return list(
        session.scalars(
            select(ReportOutline.title)
            .where(ReportOutline.state_id == row.id)
            .order_by(ReportOutline.title)
        )
    )


def load_outline(session: Session, state: str, title: str) -> tuple[Outline, ReportSettings]:
    """The outline saved for ``state`` under ``title``, with its report settings."""
    row = session.scalar(
        select(ReportOutline).where(
            ReportOutline.state_id == _state_row(session, state).id,
            ReportOutline.title == " ".join(title.split()),
        )
    )
    if row is None:
        raise ValidationError(
            "title", _("outline: there is no outline titled {title!r}").format(title=title)
        )
    return outline_from_json(row.outline), ReportSettings.from_json(row.settings)


def latest_outline(session: Session, state: str) -> tuple[Outline, ReportSettings] | None:
    """The outline of ``state`` saved last (None when there is none)."""
    row = find_state(session, state)
    if row is None:
        return None
    outline = session.scalar(
        select(ReportOutline)
        .where(ReportOutline.state_id == row.id)
        .order_by(ReportOutline.updated_at.desc(), ReportOutline.id.desc())
        .limit(1)
    )
    if outline is None:
        return None
    return outline_from_json(outline.outline), ReportSettings.from_json(outline.settings)


def save_outline(
    session: Session,
    outline: Outline,
    settings: ReportSettings,
    actor: str | None = None,
    *,
    follow: bool = True,
) -> ReportOutline:
    """Create or replace the outline of ``settings.state`` titled ``outline.title``, and
    its own recommendations (kept when their text is unchanged, so that a person's
    confirmations stay); audited, editors only. With ``follow``, the recommendations of
    the review it is for (when imported) are searched for ones that took them up
    (:func:`tracker.own_links.suggest_own`). The caller commits."""
    auth.require(Role.EDITOR, _("saving a report outline"))
    db.begin_write(session)
    if outline.organisation and not settings.organisations:
        settings = replace(settings, organisations=(outline.organisation,))
    settings = validate_settings(session, settings)
    state = _state_row(session, settings.state)
    target = settings.session or next_review_session(session, settings.state)
    if target is None:
        raise ValidationError("session", _("session: give the UPR session the report is for"))
    organisation = "; ".join(settings.organisations)
    row = session.scalar(
        select(ReportOutline).where(
            ReportOutline.state_id == state.id, ReportOutline.title == outline.title
        )
    )
    before = {"outline": row.outline, "settings": row.settings} if row else None
    if row is None:
        row = ReportOutline(state_id=state.id, title=outline.title, outline={}, settings={})
        session.add(row)
    row.organisation = organisation[:300]
    row.session = target
    row.outline = outline.to_json()
    row.settings = settings.to_json()
    session.flush()

    wanted: list[tuple[str, str]] = []  # (section heading, text), in document order
    for sec in outline.sections:
        wanted.extend((sec.heading, t) for t in clean_own_recommendations(sec.own))
    existing = {
        o.text: o
        for o in session.scalars(
            select(OwnRecommendation).where(OwnRecommendation.outline_id == row.id)
        )
    }
    keep_ids = []
    for position, (section, text) in enumerate(wanted):
        own = existing.pop(text, None)
        if own is None:
            own = OwnRecommendation(outline_id=row.id, state_id=state.id, text=text)
            session.add(own)
        own.session = target
        own.organisation = organisation[:300]
        own.section = section[:300]
        own.position = position
        session.flush()
        keep_ids.append(own.id)
    if existing:
        session.execute(
            delete(OwnRecommendation).where(
                OwnRecommendation.id.in_([o.id for o in existing.values()])
            )
        )
    audit.record(
        session,
        actor=actor,
        action="outline.save",
        entity="report_outline",
        entity_id=row.id,
        summary=f"{state.iso3}: {outline.title}",
        before=before,
        after={"outline": row.outline, "settings": row.settings, "own_ids": keep_ids},
    )
    if follow:
        own_links.suggest_own(session, [state.id], actor=actor)
    return row


def delete_outline(session: Session, state: str, title: str, actor: str | None = None) -> None:
    """Delete an outline and its own recommendations (audited; editors only)."""
    auth.require(Role.EDITOR, _("deleting a report outline"))
    db.begin_write(session)
    row = session.scalar(
        select(ReportOutline).where(
            ReportOutline.state_id == _state_row(session, state).id,
            ReportOutline.title == title,
        )
    )
    if row is None:
        raise ValidationError(
            "title", _("outline: there is no outline titled {title!r}").format(title=title)
        )
    audit.record(
        session,
        actor=actor,
        action="outline.delete",
        entity="report_outline",
        entity_id=row.id,
        summary=title,
        before={"outline": row.outline, "settings": row.settings},
    )
    session.execute(delete(OwnRecommendation).where(OwnRecommendation.outline_id == row.id))
    session.delete(row)
