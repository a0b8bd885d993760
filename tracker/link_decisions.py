"""A person's decision on a suggested pair: a repeat across cycles
(:class:`~tracker.models.RecommendationLink`) or a take-up of an own recommendation
(:class:`~tracker.models.OwnRecommendationLink`) is confirmed or rejected the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from tracker import audit, auth, db
from tracker.errors import ValidationError
from tracker.models import OwnRecommendationLink, RecommendationLink, utcnow
from tracker.vocab import LinkStatus, Role

AnyLink = TypeVar("AnyLink", RecommendationLink, OwnRecommendationLink)


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


__all__ = ["decide_suggestion"]
