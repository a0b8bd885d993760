"""The UPR Working Group report (final or draft, .docx): its numbered recommendations.

A recommendation is a paragraph ``140.7<TAB>Ratify … (Maldives) (Portugal);`` or
``6.1 … (Algeria); (Gambia);``, in the body or in a table's cells. Its states are every
bracketed state name (the trailing ones removed from the text). The response is ``pending``:
the matrix or the report's addendum gives it later, and importing that fills it in. Older
final reports group the recommendations under a paragraph saying they "enjoy the support" of
the State, or were "noted": those responses are taken from it.

Problems are located by the paragraph's number (``report.docx:6.4: Recommendation: …``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.i18n import _
from tracker.identity import clean_text
from tracker.importers.inputs import RecommendationInput
from tracker.importers.ohchr_docx import (
    PARAGRAPH_RE,
    DocFacts,
    document_review,
    first_symbol,
    split_states,
)
from tracker.importers.ohchr_matrix import reject
from tracker.importers.outcome import FileReport, ParsedRow
from tracker.importers.rows import ParseContext, Progress, unknown_state_message
from tracker.vocab import Response

COLUMN = "Recommendation"
_LEAD_RE = re.compile(r"^\s*(\d{1,4})\.\s+\S")
_SUPPORTED_RE = re.compile(r"enjoy(?:ed)?\s+the\s+support|\bwere\s+supported\b|\baccepted\b", re.I)
_NOTED_RE = re.compile(r"did\s+not\s+enjoy|\bnoted\b|\brejected\b", re.I)


@dataclass
class Numbered:
    """One numbered recommendation paragraph."""

    ordinal: int  # 1-based position among the document's paragraphs
    number: str  # "140.7"
    text: str  # without the number
    response: str


def numbered(paragraphs: list[str]) -> list[Numbered]:
    """The recommendation paragraphs of a report, continuation lines joined to theirs."""
    out: list[Numbered] = []
    response = Response.PENDING.value
    lead: dict[str, str] = {}  # "140" -> the response its lead paragraph gives
    for i, raw in enumerate(paragraphs, start=1):
        text = raw.strip()
        if not text:
            continue
        m = PARAGRAPH_RE.match(text)
        if m is None:
            lm = _LEAD_RE.match(text)
            if lm:
                lead[lm.group(1)] = _lead_response(text)
            elif out and not _closed(out[-1].text) and _closed(text):
                out[-1].text += "\n" + text  # a recommendation broken over two paragraphs
            continue
        number = m.group(1)
        response = lead.get(number.split(".")[0], Response.PENDING.value)
        out.append(Numbered(i, number, text[m.end() :].strip(), response))
    return out


def _closed(text: str) -> bool:
    return text.rstrip(" ;.,").endswith(")")


def _lead_response(text: str) -> str:
    if _NOTED_RE.search(text):
        return Response.NOTED.value
    if _SUPPORTED_RE.search(text):
        return Response.SUPPORTED.value
    return Response.PENDING.value


def read_report(
    report: FileReport,
    paragraphs: list[str],
    ctx: ParseContext,
    state: str | None,
    session: int | None,
    progress: Progress | None = None,
) -> None:
    """Read the report's recommendation paragraphs into ``report``."""
    facts = DocFacts.find(report.name, paragraphs, ctx, state, session)
    if facts.symbol is None:
        facts.symbol = first_symbol("\n".join(paragraphs[:60]))
    review = document_review(report, facts, ctx)
    if review is None:
        return
    state_under_review, session_no = review
    items = numbered(paragraphs)
    header = ["paragraph", COLUMN]
    for n, item in enumerate(items):
        report.rows_read += 1
        found = split_states(clean_text(item.text), ctx)
        errors: list[tuple[str, str]] = []
        if not found.text:
            errors.append((COLUMN, _("empty — the recommendation's text is required")))
        if not found.states:
            if found.unknown:
                errors.append((COLUMN, unknown_state_message(found.unknown)))
            else:
                errors.append((COLUMN, _("no recommending state in brackets at the end")))
        if errors:
            reject(report, item.number, header, [item.number, item.text], errors)
            continue
        report.rows_valid += 1
        report.parsed.append(
            ParsedRow(
                item.ordinal,
                RecommendationInput(
                    state_under_review=state_under_review,
                    session=session_no,
                    text=found.text,
                    response=item.response,
                    recommending_states=found.states,
                    paragraph=item.number,
                    report_symbol=facts.symbol,
                    source_row=item.ordinal,
                ),
            )
        )
        if progress is not None and n % 50 == 0:
            progress(n / (len(items) or 1), "")


__all__ = ["Numbered", "numbered", "read_report"]
