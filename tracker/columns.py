"""Which columns each recommendations table shows, per view.

At 1440 px a table has about 950 px beside the sidebar: the columns a view is about must fit
there, with the recommendation's text wide enough to read (issue #18). So each view lists
its columns in order of reading, and a table leaves out

* columns that are empty on every row shown (the paragraph of UPR Info exports, the details
  of stale recommendations, the date when nothing shown was ever assessed);
* the state under review when the whole selection holds one state (the page header names
  the filter; an NGO following its own government sees one state everywhere);
* per flag, what the flag already says: every stale recommendation was supported, and the
  explanation of a regressed or contested one names its statuses.

The widths are the app's (tracker.ui.widgets); this module only chooses (pure pandas and one
small query, testable without Streamlit).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.filters import Filters
from tracker.flags import Flag
from tracker.queries import SUR, apply_filters, base_select

EXPLORER = [
    "link",
    "state",
    "cycle",
    "paragraph",
    "text",
    "recommending_states",
    "response",
    "themes",
    "status",
    "assessed_on",
]
# Left out first when the Explorer's columns do not fit (several states, with paragraphs):
# a paragraph number matters when citing one state's report, less when browsing several.
EXPLORER_OPTIONAL = ["paragraph"]
# One recommending state's recommendations (the Recommending states page).
BY_RECOMMENDING_STATE = ["link", "state", "cycle", "text", "response", "status", "assessed_on"]
# Partially implemented, grouped by theme and cycle: what is half done, and the evidence
# (who recommended it is on the recommendation's page and in the downloads).
FLAGGED_PARTIAL = [
    "theme",
    "cycle",
    "link",
    "state",
    "text",
    "evidence",
    "assessed_on",
    "source_org",
]
# The other flags (and any flag added later): the flag's explanation beside the text (for
# regressed and contested it names the statuses, so no status column).
FLAGGED_OTHER = [
    "link",
    "state",
    "cycle",
    "text",
    "detail",
    "assessed_on",
    "evidence",
    "recommending_states",
]
# Stale: how old the latest assessment is (its date is in the downloads); every stale
# recommendation was supported, so no response column.
FLAGGED_STALE = [
    "link",
    "state",
    "cycle",
    "text",
    "status",
    "age_months",
    "evidence",
    "recommending_states",
]


# Never assessed: nothing to show of an assessment; the review's age instead (how long the
# government has had to act), and who recommended it.
FLAGGED_NEVER_ASSESSED = [
    "link",
    "state",
    "cycle",
    "text",
    "detail",
    "age_months",
    "recommending_states",
]


def several_states(session: Session, f: Filters | None) -> bool:
    """True when the recommendations matching ``f`` belong to more than one state under
    review. Two probes that each stop at their first row: a matching row's state, then
    whether a matching row of another state exists (a DISTINCT ... LIMIT 2 hashed every
    match first: 9 s for a recommending state's 110,000 at a million on PostgreSQL)."""
    first = session.scalar(apply_filters(base_select(SUR.id, current=False), f).limit(1))
    if first is None:
        return False
    other = apply_filters(base_select(SUR.id, current=False), f).where(SUR.id != first)
    return session.scalar(select(other.exists())) is True


def _empty(values: pd.Series) -> bool:
    """True when every value is missing or blank text."""
    blank = values.map(lambda v: isinstance(v, str) and not v.strip())
    return bool((values.isna() | blank).all())


def shown(rows: pd.DataFrame, columns: list[str], *, several_states: bool) -> list[str]:
    """``columns`` without those empty on every row of ``rows`` and, unless the selection
    holds ``several_states``, without the state under review. Without rows, all of them."""
    if rows.empty:
        return [c for c in columns if c in rows]
    return [
        c for c in columns if c in rows and (several_states or c != "state") and not _empty(rows[c])
    ]


def flagged(flag: str) -> list[str]:
    """The columns of the Flagged page's table for ``flag`` (before :func:`shown`)."""
    if flag == Flag.PARTIAL.value:
        return FLAGGED_PARTIAL
    if flag == Flag.STALE.value:
        return FLAGGED_STALE
    if flag == Flag.NEVER_ASSESSED.value:
        return FLAGGED_NEVER_ASSESSED
    return FLAGGED_OTHER


__all__ = [
    "BY_RECOMMENDING_STATE",
    "EXPLORER",
    "EXPLORER_OPTIONAL",
    "FLAGGED_NEVER_ASSESSED",
    "FLAGGED_OTHER",
    "FLAGGED_PARTIAL",
    "FLAGGED_STALE",
    "flagged",
    "several_states",
    "shown",
]
