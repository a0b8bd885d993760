"""What the readers (and the bundled sample) hand to the writer: one recommendation, one
assessment, already validated and parsed. :class:`tracker.importers.writer.BulkWriter` applies
the identity rule to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# An empty list every row without states, themes, SDGs or groups shares (read-only, like every
# list a reader hands over: 61,000 empty lists of their own would take 7 MB).
NO_ITEMS: list[Any] = []


@dataclass(slots=True)
class RecommendationInput:
    """One recommendation as a source row gives it (already validated and parsed). Slotted:
    an import holds one per row (61,000 for the UPR Info export), and readers share the
    lists of repeating cells (states, themes) between rows: read-only, like every value."""

    state_under_review: str
    session: int
    text: str
    response: str | None = None
    action_category: int | None = None
    recommending_states: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    sdgs: list[tuple[str, str | None]] = field(default_factory=list)  # (code, label)
    affected_groups: list[str] = field(default_factory=list)
    paragraph: str | None = None
    review_date: dt.date | None = None
    report_symbol: str | None = None
    source_row: int | None = None
    # True: illustrative sample data; False: real, as a template or the sample file states
    # it; None: a published source (UPR Info, UHRI), which also takes over the real records
    # only the sample's load holds (see tracker.importers.writer).
    is_sample: bool | None = None


@dataclass(slots=True)
class AssessmentInput:
    """One assessment from a template row or its Assessments sheet (validated)."""

    status: str
    assessed_on: dt.date
    source_org: str
    evidence: str | None = None
    evidence_url: str | None = None
    author: str | None = None
    created_at: dt.datetime | None = None
    is_sample: bool = False
    local_id: str | None = None  # assessment_id in the exporting database
    retracts: str | None = None  # local id of the assessment this one withdraws
    row: int = 0
    source_type: str = "other"  # vocab.SourceType
    confidence: str | None = None  # vocab.Confidence
    is_private: bool = False  # only in an export an editor asked to include private evidence

    def fingerprint(self) -> tuple[Any, ...]:
        """What makes two assessments of one recommendation the same (re-import adds none)."""
        return (
            self.status,
            self.assessed_on,
            self.source_org,
            self.evidence or None,
            self.evidence_url or None,
        )


__all__ = ["AssessmentInput", "RecommendationInput"]
