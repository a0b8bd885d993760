"""The identity rule, set-based: plan what a batch of rows changes, then write it at once.

The one writer of recommendations: the importers and the bundled sample both go through it.

* :meth:`BulkWriter.plan` reads what the database holds (one query per table) and works out,
  per file, which recommendations are new, which existing ones gain something (a
  recommending state, a theme, an SDG, a group, a missing paragraph, or confirmation of a
  sample record by a real source) and which are unchanged. It writes nothing: a dry run
  stops here.
* :meth:`BulkWriter.apply` (:class:`~tracker.importers.plan_write.PlanWriter`) writes the
  plan with one ``executemany`` (or COPY) per table: no ORM object and no query per row.
  Everything happens in the caller's transaction.

The plan's data is in :mod:`tracker.importers.plan`, the SQL of a bulk write (COPY, the
deferred full-text index) in :mod:`tracker.importers.bulk_sql`.

Identity: state under review, session, whitespace- and case-normalised text, response and
action category (:func:`tracker.identity.identity_key`). A real row confirms a sample record
it matches (it stops being sample), and a row of a published source takes over the real
records that only the sample's load holds (they belong to the import), so that removing the
sample keeps them. Assessments (template files) are
matched by (status, date, source, evidence, URL, retraction or not) as a multiset: importing a
file again adds none, and two equal assessments within one file stay two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.assessments import history_order
from tracker.identity import clean_text, distinct_paragraphs, identity_key, paragraph_key
from tracker.importers.bulk_sql import COPY_MIN_ROWS
from tracker.importers.inputs import AssessmentInput, RecommendationInput
from tracker.importers.plan import (
    GROUPS,
    LINK_TABLES,
    SDGS,
    STATES,
    THEMES,
    FileChanges,
    Fingerprint,
    Plan,
    PlannedRec,
    PlannedReview,
)
from tracker.importers.plan_write import PlanWriter
from tracker.models import (
    AffectedGroup,
    Assessment,
    ImportRun,
    Recommendation,
    Review,
    Sdg,
    State,
    Theme,
)
from tracker.states import resolve_iso3
from tracker.vocab import cycle_for_session

IN_CHUNK = 500  # ids per IN (...) list: far below every database's parameter limit
SCAN_ABOVE = 5000  # above this many ids, one pass over a whole table beats IN lists
# Above this many identities, one streamed pass over the recommendations (keeping only those
# the import names) beats IN lists on their unique index; below it, a few queries do.
SCAN_KEYS_ABOVE = 20000
STREAM_ROWS = 10000  # rows fetched at a time by a pass over a whole table (never all at once)
SAMPLE_FORMAT = "sample"  # ImportRun.format of the bundled sample's load

Progress = Callable[[float, str], None]
# A row as the plan keys it: identity key, state, clean text, the row, its assessments.
_Keyed = tuple[str, str, str, RecommendationInput, list[AssessmentInput]]
# A stored recommendation: id, paragraph, sample, review id, brought in by the sample's load.
_Stored = tuple[int, str | None, bool, int, bool]


DIGEST_SIZE = 16


def _digest(fp: Fingerprint) -> bytes:
    """An assessment's fingerprint as 16 bytes: what the plan holds of each stored
    assessment of the recommendations an import names (a later round of a million names
    three million), instead of the fingerprint's texts (evidence, URL). Two assessments
    are equal exactly when their digests are (128 bits: no collision in practice)."""
    data = repr(fp).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


class BulkWriter(PlanWriter):
    """Plan and write batches of :class:`RecommendationInput` under the identity rule."""

    def __init__(self, session: Session) -> None:
        self.session = s = session
        self._state_ids: dict[str, int] = dict(s.execute(select(State.iso3, State.id)).all())
        self._reviews: dict[tuple[str, int], PlannedReview] = {}
        for rid, iso3, cycle, sess, day, symbol, sample in s.execute(
            select(
                Review.id,
                State.iso3,
                Review.cycle,
                Review.session,
                Review.review_date,
                Review.report_symbol,
                Review.is_sample,
            ).join(State, State.id == Review.state_id)
        ):
            self._reviews[(iso3, cycle)] = PlannedReview(rid, sess, day, symbol, bool(sample))
        self._theme_ids = {n.casefold(): i for i, n in s.execute(select(Theme.id, Theme.name))}
        self._sdg_ids = {c: i for i, c in s.execute(select(Sdg.id, Sdg.code))}
        self._group_ids = {
            n.casefold(): i for i, n in s.execute(select(AffectedGroup.id, AffectedGroup.name))
        }
        # spelling (themes, groups) or label (SDGs) of the names the import brings
        self._theme_names: dict[str, str] = {}
        self._group_names: dict[str, str] = {}
        self._sdg_labels: dict[str, str | None] = {}
        self._sample_runs = set(
            s.scalars(select(ImportRun.id).where(ImportRun.format == SAMPLE_FORMAT))
        )
        # The stored recommendations the import names, by identity: looked up for the keys
        # it brings (_fetch), not loaded whole: a later round of 300,000 rows into a database
        # of a million would hold all million otherwise (issue #19.4).
        self._existing: dict[str, _Stored] = {}
        # identities never to look up again: moved by fill_response
        self._settled: set[str] = set()
        self._stored_any = s.scalar(select(Recommendation.id).limit(1)) is not None
        self._recs: dict[str, PlannedRec] = {}
        # a theme's or group's name -> its casefolded key, made once (61,000 rows name
        # 40 themes: one string each, not one per row)
        self._folded: dict[str, str] = {}
        self._iso3: dict[str, str] = {}
        self._plan: Plan | None = None
        # (file index, local assessment id) -> database id of the equal assessment, or the
        # (file index, fingerprint) of the equal one another file of the import brings
        self._same_as: dict[tuple[int, str], int | tuple[int, Fingerprint]] = {}
        # recommendation id -> the response a later document gives it (fill_response)
        self._responses: dict[int, str] = {}

    # --- responses given later -----------------------------------------------------------
    def fill_response(self, old_key: str, new_key: str, response: str) -> str:
        """Before :meth:`plan`: the stored recommendation ``old_key`` (pending) receives
        ``response`` (an OHCHR matrix after its Working Group report), which makes its
        identity ``new_key`` (:func:`tracker.identity.identity_key` with the response), or
        its paragraph key when a recommendation of another paragraph holds that already;
        rows of the import with that identity then merge into it. Returns the identity."""
        self._fetch((old_key,))
        got = self._existing.pop(old_key, None)
        self._settled.add(old_key)  # moved (or never stored): not to be looked up again
        if got is None:
            return new_key
        new_key = self.numbered_identity(new_key, got[1])
        self._existing[new_key] = got
        self._responses[got[0]] = response
        return new_key

    def numbered_identity(self, key: str, paragraph: str | None) -> str:
        """The identity a recommendation of ``paragraph`` whose :func:`identity_key` is ``key``
        has or gets, given what the database holds (see :mod:`tracker.identity`)."""
        self._fetch((key,))
        got = self._existing.get(key)
        if got is not None and distinct_paragraphs(got[1], paragraph):
            assert paragraph is not None
            return paragraph_key(key, paragraph)
        return key

    # --- planning -------------------------------------------------------------------------
    def _numbered_key(self, key: str, paragraph: str, holders: dict[str, str | None]) -> str:
        """``key``, or its paragraph key when another paragraph holds it (the database's
        recommendation, or an earlier row of the import)."""
        if key in holders:
            held = holders[key]
        else:
            got = self._existing.get(key)
            held = got[1] if got is not None else None
        if held is None:
            # free, or held by a recommendation without a paragraph, which this row numbers
            holders[key] = paragraph
            return key
        if distinct_paragraphs(held, paragraph):
            return paragraph_key(key, paragraph)
        return key

    def _fetch(self, keys: Iterable[str]) -> None:
        """Look the stored recommendations of ``keys`` (identities) up into ``_existing``:
        a few by IN lists on the unique index; many by one streamed pass over the table that
        keeps only those named, so that what is held is the import's matches, never the
        whole table."""
        if not self._stored_any:
            return  # the first import into an empty database: nothing to look up
        existing, settled = self._existing, self._settled
        # key -> itself: the plan keeps the import's own string, not the database's copy
        named = {k: k for k in keys if k not in existing and k not in settled}
        if not named:
            return
        stmt = select(
            Recommendation.identity,
            Recommendation.id,
            Recommendation.paragraph,
            Recommendation.is_sample,
            Recommendation.review_id,
            Recommendation.import_run_id,
        )
        if len(named) > SCAN_KEYS_ABOVE:
            batches: Iterable[Any] = [
                self.session.execute(stmt.execution_options(yield_per=STREAM_ROWS))
            ]
        else:
            wanted = list(named)
            batches = (
                self.session.execute(
                    stmt.where(Recommendation.identity.in_(wanted[i : i + IN_CHUNK]))
                )
                for i in range(0, len(wanted), IN_CHUNK)
            )
        runs = self._sample_runs
        for batch in batches:
            for key, rid, para, sample, review_id, run in batch:
                own = named.get(key)
                if own is not None:
                    existing[own] = (rid, para, bool(sample), review_id, run in runs)

    def _resolve(self, name: str) -> str:
        try:
            return self._iso3[name]
        except KeyError:
            code = self._iso3[name] = resolve_iso3(name)
            return code

    def plan(
        self,
        files: Iterable[Iterable[tuple[RecommendationInput, list[AssessmentInput]]]],
        *,
        texts_clean: bool = False,
        rows_owned: bool = False,
        progress: Progress | None = None,
    ) -> Plan:
        """Work out what ``files`` (each the rows with their assessments, in file order)
        change; write nothing. ``texts_clean``: the texts already went through
        :func:`tracker.identity.clean_text` (the readers do it). ``rows_owned``: nobody but
        the plan reads the rows afterwards, so that the row of a recommendation the
        database holds lets go of its text at once (only a new one's text is written).

        The rows are read once, in order (generators do), and each is let go of once taken
        into the plan: given rows nobody else holds, the plan's memory replaces theirs."""
        keyed: list[list[_Keyed | None]] = []
        has_assessments = False
        touched: dict[int, str] = {}
        existing = self._existing
        # key -> the paragraph of the recommendation holding it, once a numbered row of this
        # import met it: a later row of another paragraph is another recommendation
        holders: dict[str, str | None] = {}
        for rows in files:
            out: list[_Keyed | None] = []
            for row, assessments in rows:
                iso3 = self._resolve(row.state_under_review)
                body = row.text if texts_clean else clean_text(row.text)
                key = identity_key(iso3, row.session, body, row.response, row.action_category)
                out.append((key, iso3, body, row, assessments))
                if assessments:
                    has_assessments = True
            keyed.append(out)
        # The stored recommendations the rows name, then the numbering of rows with a
        # paragraph (in file order, as it depends on the rows before), then the stored
        # recommendations of the paragraph keys that numbering made.
        self._fetch(entry[0] for out in keyed for entry in out if entry is not None)
        numbered: list[str] = []
        for out in keyed:
            for j, entry in enumerate(out):
                assert entry is not None
                key, iso3, body, row, assessments = entry
                if row.paragraph:
                    new_key = self._numbered_key(key, row.paragraph, holders)
                    if new_key != key:
                        out[j] = (new_key, iso3, body, row, assessments)
                        numbered.append(new_key)
        holders.clear()  # numbered: one entry per row with a paragraph, not needed any more
        self._fetch(numbered)
        for out in keyed:
            for j, entry in enumerate(out):
                assert entry is not None
                got = existing.get(entry[0])
                if got is not None:
                    touched[got[0]] = entry[0]
                    if rows_owned:
                        # stored: its text is not written again (a later round's rows
                        # are mostly such, and their texts most of what they hold)
                        entry[3].text = ""
                        out[j] = (*entry[:2], "", *entry[3:])
        if progress:
            progress(0.4, "")
        self._load_existing(touched)
        if has_assessments:
            self._load_assessments(touched)
        if progress:
            progress(0.6, "")

        changes: list[FileChanges] = []
        recs = self._recs
        reviewed: set[tuple[Any, ...]] = set()  # review facts already taken in
        # (state, session) -> (state, cycle): one tuple per review, not one per row
        review_keys: dict[tuple[Any, ...], tuple[str, int]] = {}
        for file_index, keyed_rows in enumerate(keyed):
            fc = FileChanges()
            for j, entry in enumerate(keyed_rows):
                assert entry is not None
                keyed_rows[j] = None  # the row is let go of once merged
                key, iso3, body, row, assessments = entry
                sample = bool(row.is_sample)
                facts = (iso3, row.session, row.review_date, row.report_symbol, sample)
                if facts not in reviewed:
                    reviewed.add(facts)
                    self._review(iso3, *facts[1:])
                rec = recs.get(key)
                if rec is None:
                    review_key = review_keys.get(facts[:2])
                    if review_key is None:
                        review_key = review_keys[facts[:2]] = (
                            iso3,
                            cycle_for_session(row.session),
                        )
                    rec = recs[key] = PlannedRec(
                        None,
                        key,
                        review_key,
                        None,
                        sample,
                        file_index=file_index,
                        text=body,
                        response=row.response,
                        action_category=row.action_category,
                        source_row=row.source_row,
                    )
                    fc.added.add(key)
                    existed = False
                else:
                    existed = not rec.is_new or rec.file_index != file_index
                gained = self._merge(rec, row, sample, file_index)
                fc.touched.add(key)
                fc.row_keys.append(key)
                if existed and gained:
                    fc.updated.add(key)
                if assessments:
                    self._plan_assessments(rec, key, assessments, fc, file_index)
            changes.append(fc)

        added = updated = unchanged = adopted = 0
        for rec in recs.values():
            # what the database holds of it was only for the comparison: the writes need
            # none of it (a later round's stored links and assessments, let go before them)
            rec.known = rec.fingerprints = None
            if rec.is_new:
                added += 1
            elif rec.gained:
                updated += 1
            else:
                unchanged += 1
            if rec.adopted_by_file is not None:
                adopted += 1
        n_reviews = sum(1 for rv in self._reviews.values() if rv.changed and rv.id is not None)
        n_assess = sum(len(fc.assessments) for fc in changes)
        self._plan = Plan(changes, added, updated, unchanged, n_assess, n_reviews, adopted)
        return self._plan

    def add_review(
        self,
        state: str,
        session: int,
        review_date: dt.date | None,
        report_symbol: str | None,
        *,
        is_sample: bool,
    ) -> None:
        """Plan a review that no row may name (the sample lists its reviews apart); call it
        before :meth:`plan`. A review the database holds gains only what it lacks."""
        self._review(self._resolve(state), session, review_date, report_symbol, is_sample)

    def recommendation_ids(self, file_index: int = 0) -> list[int]:
        """After :meth:`apply`: the id of each row's recommendation, in the file's order."""
        if self._plan is None:
            raise RuntimeError("BulkWriter.recommendation_ids() needs plan() and apply() first")
        ids = [self._recs[key].id for key in self._plan.files[file_index].row_keys]
        if any(i is None for i in ids):
            raise RuntimeError("BulkWriter.recommendation_ids() needs apply() first")
        return ids  # type: ignore[return-value]

    def _review(
        self,
        iso3: str,
        session: int,
        review_date: dt.date | None,
        report_symbol: str | None,
        sample: bool,
    ) -> None:
        key = (iso3, cycle_for_session(session))
        rv = self._reviews.get(key)
        if rv is None:
            self._reviews[key] = PlannedReview(None, session, review_date, report_symbol, sample)
            return
        if review_date and rv.review_date is None:
            rv.review_date = review_date
            rv.changed = True
        if report_symbol and not rv.report_symbol:
            rv.report_symbol = report_symbol
            rv.changed = True
        if rv.is_sample and not sample:
            rv.is_sample = False  # a real source confirms the review
            rv.changed = True

    def _merge(
        self, rec: PlannedRec, row: RecommendationInput, sample: bool, file_index: int
    ) -> bool:
        """Add what ``row`` brings to ``rec``; True when it brought something new."""
        gained = False
        if rec.new_response and not rec.response_told:
            rec.response_told = True  # the first row bringing the response counts it
            gained = True
        if row.paragraph and not rec.paragraph:
            rec.paragraph = row.paragraph
            rec.new_paragraph = not rec.is_new
            gained = True
        if rec.is_sample and not sample:
            rec.is_sample = False  # a real source now holds it: sample removal keeps it
            if not rec.is_new:
                rec.confirmed_by_file = file_index
            gained = True
        elif rec.sample_run and row.is_sample is None:
            # Real already, but only the sample's load holds it, and a published source (a
            # row that says nothing of sample) names it: this import takes it over, or removing
            # the sample would delete it. Not counted as updated: its content is unchanged. A
            # template row states its database's own flag (a round trip is no new source).
            rec.sample_run = False
            rec.adopted_by_file = file_index
        for name in row.recommending_states:
            if rec.add_link(STATES, self._iso3.get(name) or self._resolve(name)):
                gained = True
        folds = self._folded
        for name in row.themes:
            folded = folds.get(name) or folds.setdefault(name, name.casefold())
            if rec.add_link(THEMES, folded):
                self._theme_names.setdefault(folded, name)
                gained = True
        for code, label in row.sdgs:
            if rec.add_link(SDGS, code):
                self._sdg_labels.setdefault(code, label)
                gained = True
        for name in row.affected_groups:
            folded = folds.get(name) or folds.setdefault(name, name.casefold())
            if rec.add_link(GROUPS, folded):
                self._group_names.setdefault(folded, name)
                gained = True
        return gained

    def _plan_assessments(
        self,
        rec: PlannedRec,
        key: str,
        assessments: list[AssessmentInput],
        fc: FileChanges,
        file_index: int,
    ) -> None:
        """Match the row's assessments against those already there (in the database, or
        brought by an earlier file of the import); plan the others."""
        if rec.fingerprints is None:
            rec.fingerprints = []
        held = rec.fingerprints
        planned: list[bytes | tuple[bytes, int]] = []
        for a in assessments:
            fp = (*a.fingerprint(), a.retracts is not None)
            digest = _digest(fp)
            # a stored one (digest and id in one bytes), or one an earlier file brings
            match = next(
                (
                    i
                    for i, f in enumerate(held)
                    if (
                        f.startswith(digest)
                        if isinstance(f, bytes)
                        else f[0] == digest and f[1] != file_index
                    )
                ),
                None,
            )
            if match is not None:
                got = held.pop(match)
                fc.assessments_unchanged += 1
                if a.local_id is not None:  # a retraction in this file may name it
                    self._same_as[(file_index, a.local_id)] = (
                        int.from_bytes(got[DIGEST_SIZE:])
                        if isinstance(got, bytes)
                        else (got[1], fp)
                    )
                continue
            fc.assessments.append((key, a))
            planned.append((digest, file_index))
        held.extend(planned)

    def _load_existing(self, touched: dict[int, str]) -> None:
        """Bring the recommendations the import finds in the database into the plan, with
        the states, themes, SDGs and groups they already have."""
        if not touched:
            return
        review_keys = {rv.id: k for k, rv in self._reviews.items()}
        by_id: dict[int, PlannedRec] = {}
        for rid, key in touched.items():
            _id, para, sample, review_id, sample_run = self._existing[key]
            rec = PlannedRec(rid, key, review_keys[review_id], para, sample, sample_run=sample_run)
            rec.new_response = self._responses.get(rid)
            rec.known = [(), (), (), ()]
            self._recs[key] = rec
            by_id[rid] = rec
        # Taken into the plan: what was looked up is not needed any more (its memory goes
        # to the stored assessments, loaded next).
        self._existing.clear()
        names: list[dict[int, str]] = [
            {i: c for c, i in self._state_ids.items()},
            {i: n for n, i in self._theme_ids.items()},
            {i: c for c, i in self._sdg_ids.items()},
            {i: n for n, i in self._group_ids.items()},
        ]
        for kind, (table, col) in enumerate(LINK_TABLES):
            for rid, other in self._pairs(table, col, list(by_id)):
                linked = by_id.get(rid)
                if linked is not None and linked.known is not None:
                    linked.known[kind] += (names[kind][other],)

    def _pairs(self, table: Any, col: str, ids: list[int]) -> Iterable[tuple[int, int]]:
        c_rec, c_other = table.c.recommendation_id, table.c[col]
        if len(ids) > SCAN_ABOVE:
            stmt = select(c_rec, c_other).execution_options(yield_per=STREAM_ROWS)
            yield from self.session.execute(stmt)
            return
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            yield from self.session.execute(select(c_rec, c_other).where(c_rec.in_(chunk)))

    def _load_assessments(self, touched: dict[int, str]) -> None:
        by_id = {rid: self._recs[key] for rid, key in touched.items()}
        for rec in by_id.values():
            rec.fingerprints = []
        stmt = select(
            Assessment.recommendation_id,
            Assessment.id,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.source_org,
            Assessment.evidence,
            Assessment.evidence_url,
            Assessment.retracts_id,
        ).order_by(*history_order(Assessment))
        ids = list(by_id)
        chunks: list[list[int] | None] = (
            [None]
            if len(ids) > SCAN_ABOVE
            else [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]
        )
        for chunk in chunks:
            q = (
                stmt.execution_options(yield_per=STREAM_ROWS)  # a pass over the whole table
                if chunk is None
                else stmt.where(Assessment.recommendation_id.in_(chunk))
            )
            for rid, aid, status, day, source, evidence, url, retracts in self.session.execute(q):
                held = by_id.get(rid)
                if held is not None and held.fingerprints is not None:
                    fp = (status, day, source, evidence or None, url or None, retracts is not None)
                    # one object, not a tuple of a digest and an int: a million stored
                    # recommendations have 3.3 million assessments
                    held.fingerprints.append(_digest(fp) + aid.to_bytes(8))


__all__ = ["COPY_MIN_ROWS", "SAMPLE_FORMAT", "BulkWriter", "FileChanges", "Plan"]
