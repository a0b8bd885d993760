"""The entry of one earlier recommendation in a stakeholder report: its numbered paragraph
(the text, the recommending states by their formal name, the status after a dash), the
state's response under it, the evidence as footnotes or a table, and the heading of its
review; with :class:`Phrases`, what every entry repeats, made once per report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from babel.dates import format_date

from tracker.i18n import _, locale_name, long_date
from tracker.safe_output import link_target
from tracker.states import formal_name
from tracker.submission.document import Block, EvidenceTable, Para, Run
from tracker.submission.options import ReportSettings
from tracker.vocab import response_label, status_phrase


def _month_year(day: dt.date) -> str:
    return _month_year_in(day, locale_name())


@lru_cache(maxsize=1024)
def _month_year_in(day: dt.date, locale: str) -> str:
    # Remembered: babel parses the locale and the pattern on every call, and a report heads
    # each review once per section it appears in.
    # LLLL: the stand-alone month ("февраль 2010", not the genitive "февраля").
    return format_date(day, format="LLLL y", locale=locale)


def sentence(text: str) -> str:
    """``text`` ending as a sentence does (a full stop added when it has no end mark)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…", ";")) else text + "."


class Phrases:
    """What every recommendation of a report repeats, translated, checked and made into runs
    once per build: a country's report says "partially implemented", "Response of
    Kazakhstan: supported." and the same sources, dates and links hundreds of times, and
    each translation, date and URL check cost microseconds that added up to a third of the
    build (2,451 recommendations at a million). Runs are immutable, so that one run serves
    every place it appears (the cached report is smaller too)."""

    def __init__(self, state_name: str) -> None:
        self.state_name = state_name
        self.dash = Run(" — ")
        self.space = Run(" ")
        self.no_assessment = " " + _("No assessment recorded yet.")
        self.note_template = _("{source}, {date}: {status}.")
        self._states: dict[str, Run] = {}
        self._status: dict[str | None, str] = {}
        self._status_run: dict[str | None, Run] = {}
        self._response: dict[str | None, str] = {}
        self._links: dict[str | None, str | None] = {}
        self._link_runs: dict[str, tuple[Run, ...]] = {}
        self._notes: dict[tuple[str, dt.date, str | None], str] = {}
        self._evidence: dict[str, str] = {}

    def states(self, recommending: str) -> Run:
        """ " (Malaysia, Russian Federation)": the recommending states by their formal name."""
        run = self._states.get(recommending)
        if run is None:
            names = ", ".join(formal_name(n) for n in recommending.split(", "))
            run = self._states[recommending] = Run(f" ({names})")
        return run

    def status(self, status: str | None) -> str:
        if status not in self._status:
            self._status[status] = status_phrase(status)
        return self._status[status]

    def status_run(self, status: str | None) -> Run:
        if status not in self._status_run:
            self._status_run[status] = Run(self.status(status), bold=True)
        return self._status_run[status]

    def response_note(self, response: str | None) -> str:
        if response not in self._response:
            self._response[response] = _("Response of {state}: {response}.").format(
                state=self.state_name, response=response_label(response).lower()
            )
        return self._response[response]

    def link(self, url: str | None) -> str | None:
        """The evidence URL made safe (only http(s), percent-encoded: tracker.safe_output)."""
        if url not in self._links:
            self._links[url] = link_target(url)
        return self._links[url]

    def link_runs(self, url: str) -> tuple[Run, ...]:
        """A footnote's link after its text."""
        runs = self._link_runs.get(url)
        if runs is None:
            runs = self._link_runs[url] = (self.space, Run(url, url=url))
        return runs

    def evidence(self, text: str) -> str:
        """The evidence as a footnote's second sentence (" The law …."), "" when blank."""
        said = self._evidence.get(text)
        if said is None:
            words = " ".join(text.split())
            said = self._evidence[text] = " " + sentence(words) if words else ""
        return said

    def note(self, source: str, day: dt.date, status: str | None) -> str:
        """ "NGO coalition, 3 March 2021: partially implemented." """
        key = (source, day, status)
        text = self._notes.get(key)
        if text is None:
            text = self._notes[key] = self.note_template.format(
                source=source, date=long_date(day), status=self.status(status)
            )
        return text


def _evidence_rows(
    assessments: Sequence[Any], how: str, phrases: Phrases
) -> tuple[tuple[tuple[Run, ...], ...], ...]:
    """The evidence table of a recommendation from its assessments (rows of
    queries.assessments_select, oldest first)."""
    if how == "none" or not assessments:
        return ()
    if how == "latest":
        assessments = assessments[-1:]
    rows = []
    for a in assessments:
        url = phrases.link(a.evidence_url)
        rows.append(
            (
                (Run(a.assessed_on.isoformat()),),
                (Run(str(a.source_org), url=url),),
                (Run(phrases.status(a.status)),),
                (Run(str(a.evidence) if isinstance(a.evidence, str) else ""),),
            )
        )
    return tuple(rows)


def _evidence_footnotes(assessments: Sequence[Any], how: str, phrases: Phrases) -> list[Run]:
    """Footnote references, one per assessment listed (oldest first): the source, the date,
    the status, the evidence and the URL."""
    if how == "none" or not assessments:
        return []
    if how == "latest":
        assessments = assessments[-1:]
    refs = []
    for a in assessments:
        note = phrases.note(str(a.source_org), a.assessed_on, a.status)
        if isinstance(a.evidence, str):
            note += phrases.evidence(a.evidence)
        url = phrases.link(a.evidence_url)
        runs = (Run(note), *phrases.link_runs(url)) if url else (Run(note),)
        refs.append(Run("", footnote=runs))
    return refs


def review_heading(cycle: int, session: int, row: Any) -> str:
    """ "Cycle 2, session 16 (October 2014, A/HRC/28/10)": the review of ``row`` (one of the
    report's recommendations) with its month and report symbol when known."""
    text = _("Cycle {cycle}, session {session}").format(cycle=cycle, session=session)
    details = []
    review_date = row.review_date
    if isinstance(review_date, dt.date):
        details.append(_month_year(review_date))
    if isinstance(row.report_symbol, str) and row.report_symbol:
        details.append(row.report_symbol)
    return f"{text} ({', '.join(details)})" if details else text


def recommendation_blocks(
    row: Any, phrases: Phrases, by_rec: dict[int, list[Any]], settings: ReportSettings
) -> list[Block]:
    """The entry of the recommendation ``row``: its numbered paragraph (with the evidence of
    ``by_rec`` as footnotes), the response under it and, as ``settings`` ask, the evidence
    table."""
    runs: list[Run] = []
    if isinstance(row.paragraph, str) and row.paragraph:
        runs.append(Run(f"{row.paragraph} "))
    runs.append(Run(sentence(str(row.text)), italic=True))
    if row.recommending_states:
        runs.append(phrases.states(row.recommending_states))
    runs.append(phrases.dash)
    runs.append(phrases.status_run(row.status))
    history = by_rec.get(int(row.id), [])
    footnotes = settings.evidence_format == "footnotes"
    if footnotes:
        runs.extend(_evidence_footnotes(history, settings.evidence, phrases))
    blocks: list[Block] = [Para(tuple(runs), keep_with_next=True)]
    note = phrases.response_note(row.response)
    rows = () if footnotes else _evidence_rows(history, settings.evidence, phrases)
    if settings.evidence != "none" and not history:
        note += phrases.no_assessment
    blocks.append(Para((Run(note),), numbered=False, note=True))
    if rows:
        blocks.append(
            EvidenceTable(
                header=(_("Date"), _("Source"), _("Status"), _("Evidence")),
                rows=rows,
            )
        )
    return blocks
