"""The stakeholder ("shadow") report builder: one selection of earlier recommendations, as a
Word document in the form of a UPR stakeholder submission, as Markdown and as CSV.

The report is built once (:mod:`~tracker.submission.builder`, each recommendation's entry
by :mod:`~tracker.submission.entries`) into a small document model
(:mod:`~tracker.submission.document`: a title block and a list of headings, paragraphs and
evidence tables) that the three writers render (``docx_writer``, ``markdown_writer``,
``csv_writer``), so that the ``.docx``, the ``.md`` and the word count always agree. What a
report covers, and the reports saved under a name, are :mod:`~tracker.submission.options`.
This package's namespace is the interface the pages and the command line use.

Form of the ``.docx`` (OHCHR's guidelines for stakeholder submissions, and the NGO report
that started this project):

* a title block: the country, the UPR cycle and Working Group session the submission is for,
  the submitting organisation(s) ("Submission by …" / "Joint submission by …"), the date and
  a key-words line;
* numbered paragraphs (a real Word numbering definition, not typed numbers), consecutive
  through the whole body, and page numbers in the footer;
* a section per theme; inside it a heading per cycle and session, then each earlier
  recommendation quoted with its recommending state(s) in parentheses and its current status
  after a dash ("… women and girls. (Malaysia) — partially implemented"), followed by the
  state's response and a compact table of the dated, sourced assessments;
* the organisation's own numbered recommendations, written on the Report page and stored
  with the saved report (:class:`~tracker.models.SavedReport`) so that it can be regenerated;
* with an outline (:mod:`~tracker.submission.outline`, saved per state by
  :mod:`~tracker.submission.drafts`): an executive summary first, then the organisation's
  own sections, each with the earlier recommendations it names, its narrative (with
  sub-headings) and "<Organisation> recommends that the Government of <State>:" followed by
  its own numbered recommendations; the evidence as real Word footnotes (or tables);
  states named by their UN formal name; the status as of a chosen day.

Which session the report is for: the state's next review, i.e. its latest review session
plus one cycle (13 sessions after a first-cycle review, 14 after a later one: Kazakhstan went
7 → 20 → 34 → 48); the user may name another. By default the report covers every cycle
before that one.

A recommendation that carries several of the chosen themes is listed once, under the first
of them in the order the user chose them (with no theme chosen: under its theme with the most
recommendations in the selection), so that no recommendation spends the word limit twice.
"""

from __future__ import annotations

from tracker.submission.builder import build_report
from tracker.submission.csv_writer import to_csv
from tracker.submission.document import (
    CSV_COLUMNS,
    EvidenceTable,
    Heading,
    Para,
    Report,
    Run,
    count_words,
    sample_notice,
)
from tracker.submission.docx_writer import to_docx
from tracker.submission.markdown_writer import to_markdown
from tracker.submission.options import (
    EVIDENCE_CHOICES,
    EVIDENCE_FORMATS,
    WORD_LIMIT_INDIVIDUAL,
    WORD_LIMIT_JOINT,
    ReportSettings,
    clean_own_recommendations,
    delete_saved_report,
    load_saved_report,
    next_review_session,
    save_report,
    saved_report_names,
    validate_settings,
)
from tracker.submission.outline import Outline, OutlineSection, read_toml, to_toml

__all__ = [
    "CSV_COLUMNS",
    "EVIDENCE_CHOICES",
    "EVIDENCE_FORMATS",
    "WORD_LIMIT_INDIVIDUAL",
    "WORD_LIMIT_JOINT",
    "EvidenceTable",
    "Heading",
    "Outline",
    "OutlineSection",
    "Para",
    "Report",
    "ReportSettings",
    "Run",
    "build_report",
    "clean_own_recommendations",
    "count_words",
    "delete_saved_report",
    "load_saved_report",
    "next_review_session",
    "read_toml",
    "sample_notice",
    "save_report",
    "saved_report_names",
    "to_csv",
    "to_docx",
    "to_markdown",
    "to_toml",
    "validate_settings",
]
