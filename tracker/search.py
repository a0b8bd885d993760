"""Text search over recommendation texts.

``q`` is a list of words and "quoted phrases"; every one must occur (case-insensitive) in the
text. ``%`` and ``_`` are matched literally. This is a portable LIKE search; the explorer issue
may replace :func:`text_condition` with SQLite FTS5 / PostgreSQL full-text search behind the
same signature.
"""

from __future__ import annotations

import shlex

from sqlalchemy import ColumnElement, and_, func, true

from tracker.models import Recommendation

MAX_TERMS = 12


def terms(q: str) -> list[str]:
    """Words and quoted phrases of a query (an unbalanced quote counts as a plain character)."""
    q = " ".join(q.split())
    if not q:
        return []
    try:
        parts = shlex.split(q)
    except ValueError:
        parts = q.replace('"', " ").split()
    return [p for p in (" ".join(p.split()) for p in parts) if p][:MAX_TERMS]


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_condition(q: str) -> ColumnElement[bool]:
    """A WHERE condition: the recommendation text contains every term of ``q``."""
    ts = terms(q)
    if not ts:
        return true()
    return and_(
        *(
            func.lower(Recommendation.text).like(f"%{_escape_like(t.lower())}%", escape="\\")
            for t in ts
        )
    )
