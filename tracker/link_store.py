"""Suggested pairs, stored and decided: a repeat across cycles
(:class:`~tracker.models.RecommendationLink`) and a take-up of an own recommendation
(:class:`~tracker.models.OwnRecommendationLink`) are suggested, confirmed and rejected the
same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from tracker import audit, auth, db
from tracker.errors import ValidationError
from tracker.models import OwnRecommendationLink, RecommendationLink, utcnow
from tracker.vocab import LinkStatus, Role

AnyLink = TypeVar("AnyLink", RecommendationLink, OwnRecommendationLink)


# New suggestions written at a time: the run holds at most this many besides one state's
# candidates (PostgreSQL: one COPY each).
WRITE_BATCH = 10_000


class SuggestionWriter:
    """New suggested pairs of ``model`` (its two id columns ``ids``, then the score),
    written ``batch_size`` at a time as they come: a run never holds all of them. The
    caller commits; with the batches in its transaction, a failed run leaves none."""

    def __init__(
        self,
        session: Session,
        model: type[RecommendationLink] | type[OwnRecommendationLink],
        ids: tuple[str, str],
        *,
        batch_size: int = WRITE_BATCH,
    ) -> None:
        self.session = session
        self.model = model
        self.columns = [*ids, "score", "status", "created_at"]
        self.batch_size = max(1, batch_size)
        self.now = utcnow()
        self.pending: list[tuple[int, int, float]] = []
        self.written = 0

    def add(self, first_id: int, second_id: int, score: float) -> None:
        """Queue one new pair; write the queue when it is full."""
        self.pending.append((first_id, second_id, score))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the queued pairs (one executemany; PostgreSQL: one COPY)."""
        if not self.pending:
            return
        # Here, not at the top: tracker.importers runs the suggestions (it imports linking,
        # which imports this module), so its package cannot be loaded while this one is.
        from tracker.importers.bulk_sql import insert_many, table_of

        suggested = LinkStatus.SUGGESTED.value
        insert_many(
            self.session.connection(),
            table_of(self.model),
            self.columns,
            ((a, b, score, suggested, self.now) for a, b, score in self.pending),
        )
        self.written += len(self.pending)
        self.pending = []

    def close(self) -> int:
        """Write what is queued; return how many pairs the writer wrote in all."""
        self.flush()
        return self.written

    def record(
        self, actor: str | None, *, action: str, summary: str, after: dict[str, Any]
    ) -> None:
        """Note the run in the audit trail as ``{action}.suggest`` when it wrote anything
        (after :meth:`close`)."""
        if not self.written:
            return
        audit.record(
            self.session,
            actor=actor,
            action=f"{action}.suggest",
            entity=self.model.__tablename__,
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


__all__ = ["WRITE_BATCH", "SuggestionWriter", "decide_suggestion"]
