"""What a bulk import plans: the recommendations and reviews it meets, and its figures.

Plain data, filled by :class:`tracker.importers.writer.BulkWriter` (the identity rule) and
written by :class:`tracker.importers.plan_write.PlanWriter`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tracker.importers.inputs import AssessmentInput
from tracker.models import (
    recommendation_groups,
    recommendation_sdgs,
    recommendation_states,
    recommendation_themes,
)

Fingerprint = tuple[Any, ...]
# The link tables, in the order of a PlannedRec's ``links`` (STATES, THEMES, SDGS, GROUPS).
LINK_TABLES = (
    (recommendation_states, "state_id"),
    (recommendation_themes, "theme_id"),
    (recommendation_sdgs, "sdg_id"),
    (recommendation_groups, "group_id"),
)
STATES, THEMES, SDGS, GROUPS = range(4)
# The links of a recommendation the import adds none to (most of a later round's): one tuple
# shared by all, replaced by a list of its own at the first link added.
NO_LINKS: tuple[None, None, None, None] = (None, None, None, None)


class PlannedRec:
    """A recommendation as the plan sees it: one the database holds, or a new one."""

    __slots__ = (
        "action_category",
        "adopted_by_file",
        "confirmed_by_file",
        "created",
        "file_index",
        "fingerprints",
        "id",
        "is_sample",
        "key",
        "known",
        "links",
        "n_new",
        "new_paragraph",
        "new_response",
        "paragraph",
        "response",
        "response_told",
        "review_key",
        "sample_run",
        "source_row",
        "text",
    )

    def __init__(
        self,
        id: int | None,
        key: str,
        review_key: tuple[str, int],
        paragraph: str | None,
        is_sample: bool,
        *,
        file_index: int | None = None,
        text: str = "",
        response: str | None = None,
        action_category: int | None = None,
        source_row: int | None = None,
        sample_run: bool = False,
    ) -> None:
        self.id = id  # None until inserted
        self.created = id is None  # new in this import (still True once inserted)
        self.key = key
        self.review_key = review_key
        self.paragraph = paragraph
        self.is_sample = is_sample
        # per kind (states, themes, SDGs, groups): the natural keys the import adds, None
        # until the first one (lists: a recommendation has one or a few of each, and an
        # import holds 60,000 recommendations); NO_LINKS until the first of any kind
        self.links: list[list[str] | None] | tuple[None, None, None, None] = NO_LINKS
        # per kind: the natural keys the database has (recommendations it holds only);
        # tuples, not sets: a recommendation has one or a few of each, a later round of a
        # million holds a million of these, and four empty sets cost 860 bytes, () nothing
        self.known: list[tuple[str, ...]] | None = None
        self.n_new = 0
        self.new_paragraph = False
        # a response given later (pending -> supported): see BulkWriter.fill_response
        self.new_response: str | None = None
        self.response_told = False
        self.confirmed_by_file: int | None = None  # a sample record a real row now holds
        # A real record the sample brought in (its import run is the sample's): a real row that
        # names it takes it over, or removing the sample would delete it.
        self.sample_run = sample_run
        self.adopted_by_file: int | None = None
        self.file_index = file_index  # the file that adds a new one
        self.text = text
        self.response = response
        self.action_category = action_category
        self.source_row = source_row
        # assessments already there: a stored one's fingerprint digest followed by its id
        # (8 bytes), or (digest, index of the file of the import that brings it)
        self.fingerprints: list[bytes | tuple[bytes, int]] | None = None

    @property
    def is_new(self) -> bool:
        """New in this import (not in the database before it)."""
        return self.created

    @property
    def gained(self) -> bool:
        """An existing recommendation the import changes."""
        return bool(
            self.n_new
            or self.new_paragraph
            or self.new_response
            or self.confirmed_by_file is not None
        )

    def has_link(self, kind: int, key: str) -> bool:
        """True when the state, theme, SDG or group (by natural key) is linked already: in
        the database or by the import."""
        new = self.links[kind]
        return (new is not None and key in new) or (
            self.known is not None and key in self.known[kind]
        )

    def add_link(self, kind: int, key: str) -> bool:
        """Add a state, theme, SDG or group (by natural key); True when it is new."""
        # has_link, inlined: called for every link of every row (165,000 for the 61k file)
        new = self.links[kind]
        if (new is not None and key in new) or (self.known is not None and key in self.known[kind]):
            return False
        if new is None:
            if isinstance(self.links, tuple):
                self.links = [None, None, None, None]
            self.links[kind] = [key]
        else:
            new.append(key)
        self.n_new += 1
        return True


@dataclass(slots=True)
class PlannedReview:
    """A review as the plan sees it: one the database holds (``id``), or a new one."""

    id: int | None
    session: int
    review_date: dt.date | None
    report_symbol: str | None
    is_sample: bool
    changed: bool = False


@dataclass
class FileChanges:
    """What one file changes: recommendations by identity key, and assessments."""

    added: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    assessments: list[tuple[str, AssessmentInput]] = field(default_factory=list)
    assessments_unchanged: int = 0
    # the identity key of each row, in file order (see BulkWriter.recommendation_ids)
    row_keys: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        """Recommendations the file names that it neither adds nor changes."""
        return len(self.touched - self.added - self.updated)


@dataclass
class Plan:
    """The outcome of :meth:`BulkWriter.plan`: figures per file and in total."""

    files: list[FileChanges]
    added: int
    updated: int
    unchanged: int
    assessments: int
    reviews_updated: int
    adopted: int = 0  # real recommendations the sample brought in, now held by this import

    @property
    def changed(self) -> bool:
        """True when applying the plan writes anything."""
        return bool(
            self.added or self.updated or self.assessments or self.reviews_updated or self.adopted
        )
