"""Suggested pairs, stored and decided: a repeat across cycles
(:class:`~tracker.models.RecommendationLink`) and a take-up of an own recommendation
(:class:`~tracker.models.OwnRecommendationLink`) are suggested, confirmed and rejected the
same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tracker import audit, auth, db
from tracker.errors import ValidationError
from tracker.models import OwnRecommendationLink, RecommendationLink, utcnow
from tracker.vocab import LinkStatus, Role

AnyLink = TypeVar("AnyLink", RecommendationLink, OwnRecommendationLink)


def store_suggestions(
    session: Session,
    model: type[AnyLink],
    pairs: list[dict[str, Any]],
    actor: str | None,
    *,
    action: str,
    summary: str,
    after: dict[str, Any],
) -> None:
    """Insert new suggested ``pairs`` of ``model`` (each: its two ids and ``score``) and
    note the run in the audit trail as ``{action}.suggest``; nothing when there are none.
    The caller commits."""
    if not pairs:
        return
    now = utcnow()
    suggested = LinkStatus.SUGGESTED.value
    # Core's executemany: the ORM's bulk insert took half again as long (21,000 rows).
    session.connection().execute(
        insert(model.__table__),  # type: ignore[arg-type]
        [{**pair, "status": suggested, "created_at": now} for pair in pairs],
    )
    audit.record(
        session,
        actor=actor,
        action=f"{action}.suggest",
        entity=model.__tablename__,
        summary=summary,
        after=after,
    )


def decide_suggestion(
    session: Session,
    model: type[AnyLink],
    link_id: int,
    confirm: bool,
    actor: str | None,
    *,
    doing: str,
    missing: str,
    action: str,
    pair: Callable[[AnyLink], str],
    after: Callable[[AnyLink], dict[str, Any]],
) -> AnyLink:
    """Confirm (or reject) the suggested pair ``link_id`` of ``model``; a decision can be
    changed later. Needs the editor role (``doing`` names the step in the refusal); a missing
    id raises ``ValidationError("link", missing)``. Audited as ``{action}.confirm`` or
    ``{action}.reject`` with ``pair(link)`` in the summary and ``after(link)`` besides the
    new status. The caller commits."""
    auth.require(Role.EDITOR, doing)
    db.begin_write(session)
    link = session.get(model, link_id, populate_existing=True)
    if link is None:
        raise ValidationError("link", missing)
    before = link.status
    link.status = (LinkStatus.CONFIRMED if confirm else LinkStatus.REJECTED).value
    link.decided_by = actor or audit.default_actor()
    link.decided_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=f"{action}.confirm" if confirm else f"{action}.reject",
        entity=model.__tablename__,
        entity_id=link.id,
        summary=f"{pair(link)}: {before} -> {link.status}",
        before={"status": before},
        after={"status": link.status, **after(link)},
    )
    session.flush()
    return link


__all__ = ["decide_suggestion", "store_suggestions"]
