"""Merging what Word documents bring with what is already stored for the same review.

The identity rule counts the response and the action category, which a Working Group
report (response pending, no category) and an earlier UPR Info export (a category) do not
share with the matrix. Before the writer plans, each recommendation of an OHCHR matrix or
Working Group report is matched, within its review (state under review and session), by its
normalised text (case, spacing and punctuation ignored) against the recommendations already
stored and those earlier files of the same import bring:

* a stored response that is not pending wins, and the stored action category is kept: the
  row then has the stored recommendation's identity, and the writer adds only what it lacks
  (paragraph number, states, themes, SDGs, groups; the review's symbol);
* a stored ``pending`` recommendation receives the document's response
  (:meth:`tracker.importers.writer.BulkWriter.fill_response`);
* a row matching nothing, in a review that already held recommendations, is added and
  reported in the file's notes (never guessed).

A recommendation numbered with another paragraph is no candidate: the same text under two
paragraph numbers is two recommendations (:mod:`tracker.identity`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.i18n import ngettext
from tracker.identity import distinct_paragraphs, identity_key
from tracker.importers.inputs import RecommendationInput
from tracker.importers.ohchr_docx import DOCX_FORMATS
from tracker.importers.outcome import FileReport
from tracker.importers.writer import BulkWriter
from tracker.models import Recommendation, Review, State
from tracker.states import resolve_iso3
from tracker.vocab import Response

PENDING = Response.PENDING.value
NOTE_PARAGRAPHS = 10  # paragraph numbers named in a note


def match_key(text: str) -> str:
    """Text for matching across sources: letters and digits only, case folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


@dataclass
class _Candidate:
    """A recommendation already stored, or brought by an earlier file of the import."""

    text: str
    response: str | None
    action_category: int | None
    paragraph: str | None = None
    identity: str | None = None  # stored ones
    row: RecommendationInput | None = None  # ones of the import


def _pending(response: str | None) -> bool:
    return response in (None, "", PENDING)


def reconcile(session: Session, writer: BulkWriter, reports: list[FileReport]) -> None:
    """Align the Word documents' rows on what is stored (see the module's docstring)."""
    if not any(r.format in DOCX_FORMATS and r.parsed for r in reports):
        return
    reviews: set[tuple[str, int]] = set()
    for r in reports:
        for p in r.parsed:
            reviews.add((resolve_iso3(p.rec.state_under_review), p.rec.session))
    index: dict[tuple[str, int], dict[str, list[_Candidate]]] = defaultdict(
        lambda: defaultdict(list)
    )
    stored_keys: set[str] = set()
    stored_reviews: set[tuple[str, int]] = set()
    for iso3, sess in reviews:
        rows = session.execute(
            select(
                Recommendation.identity,
                Recommendation.text,
                Recommendation.response,
                Recommendation.action_category,
                Recommendation.paragraph,
            )
            .join(Review, Review.id == Recommendation.review_id)
            .join(State, State.id == Review.state_id)
            .where(State.iso3 == iso3, Review.session == sess)
        ).all()
        for identity, text, response, category, paragraph in rows:
            stored_keys.add(identity)
            stored_reviews.add((iso3, sess))
            index[(iso3, sess)][match_key(text)].append(
                _Candidate(text, response, category, paragraph, identity=identity)
            )
    for report in reports:
        unmatched: list[str] = []
        for p in report.parsed:
            rec = p.rec
            iso3 = resolve_iso3(rec.state_under_review)
            review = (iso3, rec.session)
            key = identity_key(iso3, rec.session, rec.text, rec.response, rec.action_category)
            mk = match_key(rec.text)
            if report.format in DOCX_FORMATS and key not in stored_keys:
                cands = [
                    c
                    for c in index[review].get(mk, ())
                    if not distinct_paragraphs(c.paragraph, rec.paragraph)
                ]
                if cands:
                    _align(writer, iso3, rec, cands)
                elif review in stored_reviews:
                    unmatched.append(rec.paragraph or str(p.row))
            index[review][mk].append(
                _Candidate(rec.text, rec.response, rec.action_category, rec.paragraph, row=rec)
            )
        if unmatched:
            shown = ", ".join(unmatched[:NOTE_PARAGRAPHS])
            if len(unmatched) > NOTE_PARAGRAPHS:
                shown += ", …"
            report.notes.append(
                ngettext(
                    "{n} recommendation matches none already stored for this review (by its "
                    "text); it is added as new: {paragraphs}",
                    "{n} recommendations match none already stored for this review (by their "
                    "text); they are added as new: {paragraphs}",
                    len(unmatched),
                ).format(n=len(unmatched), paragraphs=shown)
            )


def _align(
    writer: BulkWriter, iso3: str, rec: RecommendationInput, cands: list[_Candidate]
) -> None:
    """Make ``rec`` the same recommendation as the best candidate."""
    same = [c for c in cands if c.response == rec.response]
    decided = [c for c in cands if not _pending(c.response)]
    cand = (same or decided or cands)[0]
    if _pending(cand.response) and not _pending(rec.response):
        # The document gives the response the stored (or earlier) recommendation waited for.
        assert rec.response is not None
        if cand.row is not None:
            cand.row.response = rec.response
        elif cand.identity is not None:
            new_key = identity_key(iso3, rec.session, cand.text, rec.response, cand.action_category)
            cand.identity = writer.fill_response(cand.identity, new_key, rec.response)
        cand.response = rec.response
    else:
        rec.response = cand.response
    rec.action_category = cand.action_category
    rec.text = cand.text  # the identity normalises less than match_key does


__all__ = ["match_key", "reconcile"]
