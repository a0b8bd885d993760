"""How many assessments the database holds, kept in ``assessment_count`` by the database's
own triggers (migration 0013).

Why kept: the whole corpus' headline figure (``stats``, the Overview: the public assessments,
every one less the private ones and drafts) counted every assessment on each cold view after
any write: 3.3 million at a million recommendations, 0.29-0.52 s on PostgreSQL, for one
number. The triggers keep it exact whoever writes (the app, cascades, a restore, psql); the
private ones and drafts are few and counted from their partial indexes.

PostgreSQL only: SQLite counts its assessments (520,000 in 12 ms), where a row trigger cost
18 us per assessment written (+9 % of CPU importing a second round of 156,000). There the
table stays empty and :func:`total` counts.

The first bulk import into an empty database and a restore suspend the triggers and count
once at the end (:func:`suspend`, through ``tracker.kept_counts``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from tracker import kept_triggers
from tracker.models import Assessment, AssessmentCount

TRIGGER_PREFIX = "assessment_count_"  # every trigger of migration 0013
ROW = 1  # the id of the table's one row


def kept_here(session: Session) -> bool:
    """True when the database keeps the count (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def total(session: Session) -> int:
    """Every assessment of the database (what :func:`counted` counts): the kept row on
    PostgreSQL, a count on SQLite."""
    if not kept_here(session):
        return counted(session)
    return int(session.scalar(select(AssessmentCount.n).where(AssessmentCount.id == ROW)) or 0)


def counted(session: Session) -> int:
    """Every assessment of the database, counted (what the kept row equals)."""
    return int(session.scalar(select(func.count()).select_from(Assessment)) or 0)


def recount(session: Session) -> None:
    """Count the assessments again into ``assessment_count``, in the caller's transaction
    (after the triggers were suspended, or on a restore); nothing on SQLite."""
    if not kept_here(session):
        return
    session.execute(delete(AssessmentCount))
    session.execute(
        insert(AssessmentCount).from_select(
            ["id", "n"], select(literal(ROW), func.count()).select_from(Assessment)
        )
    )


def suspend(session: Session) -> Callable[[], None]:
    """Stop the triggers for a bulk write of ``assessment`` in the caller's transaction;
    return what starts them again and counts once (:func:`recount`; call it after the
    write): :func:`tracker.kept_triggers.suspend`."""
    return kept_triggers.suspend(session, TRIGGER_PREFIX, recount)
