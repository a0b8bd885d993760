"""Every count the database keeps by triggers, suspended together around a bulk write.

The kept counts (tracker.kept_links: migration 0011; kept_reviews: 0012; kept_partial and
kept_assessments: 0013) each take their triggers off for a bulk write and count once after
it (:func:`tracker.kept_triggers.suspend`). A bulk write that replaces the recommendations
(the first import into an empty database, a restore) suspends them all: this is the one
list of them, so that a count added later is suspended wherever the others are. Their tables
are left out of backups (``tracker.backup_format.DERIVED_TABLES``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from tracker import kept_assessments, kept_links, kept_partial, kept_reviews

SUSPENDERS: tuple[Callable[[Session], Callable[[], None]], ...] = (
    kept_links.suspend,
    kept_reviews.suspend,
    kept_partial.suspend,
    kept_assessments.suspend,
)


def suspend_all(session: Session) -> Callable[[], None]:
    """Take every kept count's triggers off in the caller's transaction; returns what puts
    them back and counts each once (call it after the write, not on an error: the rollback
    restores the triggers). Inside another suspension a count's part does nothing."""
    resumes = [suspend(session) for suspend in SUSPENDERS]

    def resume() -> None:
        for again in resumes:
            again()

    return resume


@contextmanager
def suspended(session: Session) -> Iterator[None]:
    """:func:`suspend_all` around a block: every trigger back and each count once after it
    (the first bulk import: its rows, links, assessments and current statuses written with
    no row trigger, then counted)."""
    resume = suspend_all(session)
    yield
    resume()
