"""Audit events and the data version.

Every write records an :class:`~tracker.models.AuditEvent` and bumps ``data_version`` in the
``meta`` table, in the same transaction as the write. The pages key their caches on the data
version, so a write by anyone (another browser, the CLI) is seen on the next rerun.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from sqlalchemy import Integer, String, cast, select, update
from sqlalchemy.orm import Session

from tracker.models import AuditEvent, Meta

DATA_VERSION_KEY = "data_version"


def default_actor() -> str:
    """Who is writing when no account is logged in: the operating-system user."""
    try:
        return os.environ.get("UPR_TRACKER_ACTOR") or getpass.getuser() or "local"
    except Exception:  # getpass fails without a login name (e.g. in some containers)
        return "local"


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    summary: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event and bump the data version (the caller commits)."""
    event = AuditEvent(
        actor=actor or default_actor(),
        action=action,
        entity=entity,
        entity_id=entity_id,
        summary=summary,
        before=before,
        after=after,
    )
    session.add(event)
    bump_data_version(session)
    return event


def bump_data_version(session: Session) -> None:
    updated = session.execute(
        update(Meta)
        .where(Meta.key == DATA_VERSION_KEY)
        .values(value=cast(cast(Meta.value, Integer) + 1, String))
    ).rowcount  # type: ignore[attr-defined]
    if not updated:
        session.add(Meta(key=DATA_VERSION_KEY, value="1"))
        session.flush()


def data_version(session: Session) -> int:
    value = session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY))
    return int(value) if value else 0
