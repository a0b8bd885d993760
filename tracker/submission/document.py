"""The document model of a stakeholder report: a title block and a list of headings,
paragraphs and evidence tables (:class:`Report`) that every writer renders, so that the
``.docx``, the ``.md`` and the word count always agree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from tracker.formats import number
from tracker.i18n import _, long_date
from tracker.submission.options import WORD_LIMIT_INDIVIDUAL, WORD_LIMIT_JOINT, ReportSettings

OTHER_SECTION = ""  # section key of recommendations without a theme
CSV_COLUMNS = [
    "section",
    "id",
    "cycle",
    "session",
    "review_date",
    "report_symbol",
    "paragraph",
    "recommendation",
    "recommending_states",
    "response",
    "status",
    "assessed_on",
    "source_org",
    "evidence",
    "evidence_url",
    "sample",
]


# --- the document model ----------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """A piece of text with its emphasis (and a link); with ``footnote``, a footnote
    reference whose note holds those runs (``text`` is then empty)."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None
    footnote: tuple[Run, ...] = ()


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1: section (theme), 2: cycle and session


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    numbered: bool = True  # a numbered paragraph of the submission
    note: bool = False  # small print under a recommendation (the response)
    keep_with_next: bool = False  # never the last line of a page (a lead-in, a recommendation)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def footnote_text(self) -> str:
        """The text of the paragraph's footnotes (for the word count when they count)."""
        return "\n".join("".join(n.text for n in r.footnote) for r in self.runs if r.footnote)


@dataclass(frozen=True)
class EvidenceTable:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Run, ...], ...], ...]  # rows of cells of runs


Block = Heading | Para | EvidenceTable


@dataclass
class Report:
    """A built report: the title block, the body and the selection behind it."""

    settings: ReportSettings  # validated: state is the ISO code
    state_name: str
    session: int  # the Working Group session the report is for
    cycle: int  # its cycle
    cycles: tuple[int, ...]  # the cycles covered
    organisations: tuple[str, ...]
    generated_on: dt.date
    title: str
    subtitle: str
    byline: str
    keywords: tuple[str, ...]
    blocks: list[Block]
    own_recommendations: list[str]
    frame: pd.DataFrame  # the selection in report order (CSV_COLUMNS)
    is_sample: bool
    status_totals: dict[str, int] = field(default_factory=dict)
    # An editor asked for private evidence (tracker.evidence): the first page says so.
    includes_private: bool = False
    as_of: dt.date | None = None  # the status as it was on that day (None: today)
    footnotes_counted: bool = False  # do footnotes count toward the word limit?

    @property
    def joint(self) -> bool:
        return len(self.organisations) > 1

    @property
    def word_limit(self) -> int:
        if self.settings.word_limit:
            return self.settings.word_limit
        return WORD_LIMIT_JOINT if self.joint else WORD_LIMIT_INDIVIDUAL

    @cached_property
    def word_count(self) -> int:
        # Cached: a page asks four times, and counting a long report takes 0.05 s each time.
        return count_words(self.all_text())

    @property
    def over_limit(self) -> bool:
        return self.word_count > self.word_limit

    @property
    def recommendation_count(self) -> int:
        return len(self.frame)

    @property
    def paragraph_count(self) -> int:
        """The numbered paragraphs of the body (the last paragraph's number)."""
        return sum(1 for b in self.blocks if isinstance(b, Para) and b.numbered)

    def all_text(self) -> str:
        """Every word of the document (title block, body, tables; the footnotes when they
        count), for the word count."""
        parts = [self.title, self.subtitle, self.byline, self.generated_label]
        if self.keywords:
            parts.append(_("Key words:") + " " + "; ".join(self.keywords))
        for b in self.blocks:
            if isinstance(b, Para):
                parts.append(b.text)
                if self.footnotes_counted:
                    parts.append(b.footnote_text)
            elif isinstance(b, Heading):
                parts.append(b.text)
            else:
                parts.extend(b.header)
                parts.extend("".join(r.text for r in cell) for row in b.rows for cell in row)
        return "\n".join(parts)

    @property
    def has_footnotes(self) -> bool:
        return any(isinstance(b, Para) and any(r.footnote for r in b.runs) for b in self.blocks)

    @property
    def generated_label(self) -> str:
        return long_date(self.generated_on)

    def word_count_message(self) -> str:
        """ "1,234 of 2,815 words" and, when over, by how much."""
        n, limit = self.word_count, self.word_limit
        kind = _("joint submission") if self.joint else _("individual submission")
        if self.has_footnotes:
            kind += "; " + (
                _("footnotes counted") if self.footnotes_counted else _("footnotes not counted")
            )
        if n > limit:
            return _(
                "{n} words: {over} over the limit of {limit} ({kind}). Shorten the "
                "evidence (e.g. latest assessment only), narrow the themes or cycles, or "
                "trim your own text."
            ).format(n=number(n), over=number(n - limit), limit=number(limit), kind=kind)
        return _("{n} of {limit} words ({kind}).").format(
            n=number(n), limit=number(limit), kind=kind
        )


# A whitespace-separated token holding a letter or digit ([^\W_]: what str.isalnum accepts),
# matched whole from its first character; the regex engine counts them in C (a report of a
# country's 800 recommendations: 70 ms token by token in Python).
_WORD = re.compile(r"\S*[^\W_]\S*")


def count_words(text: str) -> int:
    """Words as a word processor counts them: whitespace-separated tokens holding a letter or
    digit (a lone dash or bullet is not a word)."""
    return sum(1 for _match in _WORD.finditer(text))


def sample_notice() -> str:
    return _("Sample data: this document contains illustrative records. Not for submission.")
