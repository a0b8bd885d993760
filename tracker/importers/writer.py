"""The identity rule, set-based: plan what a batch of rows changes, then write it at once.

The one writer of recommendations: the importers and the bundled sample both go through it.

* :meth:`BulkWriter.plan` reads what the database holds (one query per table) and works out,
  per file, which recommendations are new, which existing ones gain something (a
  recommending state, a theme, an SDG, a group, a missing paragraph, or confirmation of a
  sample record by a real source) and which are unchanged. It writes nothing: a dry run
  stops here.
* :meth:`BulkWriter.apply` writes the plan with one ``executemany`` per table: no ORM object
  and no query per row. Everything happens in the caller's transaction.

Identity: state under review, session, whitespace- and case-normalised text, response and
action category (:func:`tracker.identity.identity_key`). A real row confirms a sample record
it matches (it stops being sample), and a row of a published source takes over the real
records that only the sample's load holds (they belong to the import), so that removing the
sample keeps them. Assessments (template files) are
matched by (status, date, source, evidence, URL, retraction or not) as a multiset: importing a
file again adds none, and two equal assessments within one file stay two.

SQLite's full-text index (migration 0002) is kept by a trigger per inserted row, which costs
five times the insert itself; during :meth:`BulkWriter.apply` that trigger is dropped and
re-created inside the same transaction, and the new rows are indexed with one
``INSERT ... SELECT`` (see :func:`_deferred_fts_trigger`). A rollback restores the trigger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Date, DateTime, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from tracker.assessments import history_order, refresh_current_status
from tracker.identity import clean_text, distinct_paragraphs, identity_key, paragraph_key
from tracker.importers.inputs import AssessmentInput, RecommendationInput
from tracker.models import (
    AffectedGroup,
    Assessment,
    ImportRun,
    Recommendation,
    Review,
    Sdg,
    State,
    Theme,
    recommendation_groups,
    recommendation_sdgs,
    recommendation_states,
    recommendation_themes,
    utcnow,
)
from tracker.states import reference_states, resolve_iso3
from tracker.vocab import cycle_for_session

IN_CHUNK = 500  # ids per IN (...) list: far below every database's parameter limit
SCAN_ABOVE = 5000  # above this many ids, one pass over a whole table beats IN lists
FTS_TABLE = "recommendation_fts"
FTS_INSERT_TRIGGER = "recommendation_fts_insert"
SAMPLE_FORMAT = "sample"  # ImportRun.format of the bundled sample's load

Progress = Callable[[float, str], None]
Fingerprint = tuple[Any, ...]


def _table(model: Any) -> Table:
    """A model's Core table (typed as the Table it is, for insert/update statements)."""
    return cast(Table, model.__table__)


_REC = _table(Recommendation)
_REVIEW = _table(Review)
_ASSESSMENT = _table(Assessment)
_LINK_TABLES = (
    (recommendation_states, "state_id"),
    (recommendation_themes, "theme_id"),
    (recommendation_sdgs, "sdg_id"),
    (recommendation_groups, "group_id"),
)
STATES, THEMES, SDGS, GROUPS = range(4)


class _Rec:
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
        # per kind (states, themes, SDGs, groups): natural key -> True when the import adds
        # it, False when the database has it; None until the first one
        self.links: list[dict[str, bool] | None] = [None, None, None, None]
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
        # assessments already there: (fingerprint, database id, or None and the index of the
        # file of the import that brings it)
        self.fingerprints: list[tuple[Fingerprint, int | None, int | None]] | None = None

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

    def add_link(self, kind: int, key: str) -> bool:
        """Add a state, theme, SDG or group (by natural key); True when it is new."""
        d = self.links[kind]
        if d is None:
            d = self.links[kind] = {}
        elif key in d:
            return False
        d[key] = True
        self.n_new += 1
        return True


@dataclass(slots=True)
class _Review:
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


class BulkWriter:
    """Plan and write batches of :class:`RecommendationInput` under the identity rule."""

    def __init__(self, session: Session) -> None:
        self.session = s = session
        self._state_ids: dict[str, int] = dict(s.execute(select(State.iso3, State.id)).all())
        self._reviews: dict[tuple[str, int], _Review] = {}
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
            self._reviews[(iso3, cycle)] = _Review(rid, sess, day, symbol, bool(sample))
        self._theme_ids = {n.casefold(): i for i, n in s.execute(select(Theme.id, Theme.name))}
        self._sdg_ids = {c: i for i, c in s.execute(select(Sdg.id, Sdg.code))}
        self._group_ids = {
            n.casefold(): i for i, n in s.execute(select(AffectedGroup.id, AffectedGroup.name))
        }
        # spelling (themes, groups) or label (SDGs) of the names the import brings
        self._theme_names: dict[str, str] = {}
        self._group_names: dict[str, str] = {}
        self._sdg_labels: dict[str, str | None] = {}
        sample_runs = set(s.scalars(select(ImportRun.id).where(ImportRun.format == SAMPLE_FORMAT)))
        self._existing: dict[str, tuple[int, str | None, bool, int, bool]] = {
            key: (rid, para, bool(sample), review_id, run in sample_runs)
            for key, rid, para, sample, review_id, run in s.execute(
                select(
                    Recommendation.identity,
                    Recommendation.id,
                    Recommendation.paragraph,
                    Recommendation.is_sample,
                    Recommendation.review_id,
                    Recommendation.import_run_id,
                )
            )
        }
        self._recs: dict[str, _Rec] = {}
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
        got = self._existing.pop(old_key, None)
        if got is None:
            return new_key
        new_key = self.numbered_identity(new_key, got[1])
        self._existing[new_key] = got
        self._responses[got[0]] = response
        return new_key

    def numbered_identity(self, key: str, paragraph: str | None) -> str:
        """The identity a recommendation of ``paragraph`` whose :func:`identity_key` is ``key``
        has or gets, given what the database holds (see :mod:`tracker.identity`)."""
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

    def _resolve(self, name: str) -> str:
        try:
            return self._iso3[name]
        except KeyError:
            code = self._iso3[name] = resolve_iso3(name)
            return code

    def plan(
        self,
        files: Sequence[Sequence[tuple[RecommendationInput, list[AssessmentInput]]]],
        *,
        texts_clean: bool = False,
        progress: Progress | None = None,
    ) -> Plan:
        """Work out what ``files`` (each a list of rows with their assessments, in file
        order) change; write nothing. ``texts_clean``: the texts already went through
        :func:`tracker.identity.clean_text` (the readers do it)."""
        keyed: list[list[tuple[str, str, str, RecommendationInput, list[AssessmentInput]]]] = []
        touched: dict[int, str] = {}
        existing = self._existing
        # key -> the paragraph of the recommendation holding it, once a numbered row of this
        # import met it: a later row of another paragraph is another recommendation
        holders: dict[str, str | None] = {}
        for rows in files:
            out = []
            for row, assessments in rows:
                iso3 = self._resolve(row.state_under_review)
                body = row.text if texts_clean else clean_text(row.text)
                key = identity_key(iso3, row.session, body, row.response, row.action_category)
                if row.paragraph:
                    key = self._numbered_key(key, row.paragraph, holders)
                out.append((key, iso3, body, row, assessments))
                got = existing.get(key)
                if got is not None:
                    touched[got[0]] = key
            keyed.append(out)
        if progress:
            progress(0.4, "")
        self._load_existing(touched)
        if any(a for rows in files for _r, a in rows):
            self._load_assessments(touched)
        if progress:
            progress(0.6, "")

        changes: list[FileChanges] = []
        recs = self._recs
        reviewed: set[tuple[Any, ...]] = set()  # review facts already taken in
        for file_index, keyed_rows in enumerate(keyed):
            fc = FileChanges()
            for key, iso3, body, row, assessments in keyed_rows:
                sample = bool(row.is_sample)
                facts = (iso3, row.session, row.review_date, row.report_symbol, sample)
                if facts not in reviewed:
                    reviewed.add(facts)
                    self._review(iso3, *facts[1:])
                rec = recs.get(key)
                if rec is None:
                    rec = recs[key] = _Rec(
                        None,
                        key,
                        (iso3, cycle_for_session(row.session)),
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
            self._reviews[key] = _Review(None, session, review_date, report_symbol, sample)
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

    def _merge(self, rec: _Rec, row: RecommendationInput, sample: bool, file_index: int) -> bool:
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
        if row.recommending_states:
            links = rec.links[STATES]
            if links is None:
                links = rec.links[STATES] = {}
            for name in row.recommending_states:
                code = self._iso3.get(name) or self._resolve(name)
                if code not in links:
                    links[code] = True
                    rec.n_new += 1
                    gained = True
        if row.themes:
            links = rec.links[THEMES]
            if links is None:
                links = rec.links[THEMES] = {}
            for name in row.themes:
                folded = name.casefold()
                if folded not in links:
                    links[folded] = True
                    rec.n_new += 1
                    self._theme_names.setdefault(folded, name)
                    gained = True
        for code, label in row.sdgs:
            if rec.add_link(SDGS, code):
                self._sdg_labels.setdefault(code, label)
                gained = True
        for name in row.affected_groups:
            folded = name.casefold()
            if rec.add_link(GROUPS, folded):
                self._group_names.setdefault(folded, name)
                gained = True
        return gained

    def _plan_assessments(
        self,
        rec: _Rec,
        key: str,
        assessments: list[AssessmentInput],
        fc: FileChanges,
        file_index: int,
    ) -> None:
        """Match the row's assessments against those already there (in the database, or
        brought by an earlier file of the import); plan the others."""
        if rec.fingerprints is None:
            rec.fingerprints = []
        planned: list[tuple[Fingerprint, int | None, int | None]] = []
        for a in assessments:
            fp = (*a.fingerprint(), a.retracts is not None)
            match = next(
                (
                    i
                    for i, (f, _id, by_file) in enumerate(rec.fingerprints)
                    if f == fp and (by_file is None or by_file != file_index)
                ),
                None,
            )
            if match is not None:
                _fp, existing_id, by_file = rec.fingerprints.pop(match)
                fc.assessments_unchanged += 1
                if a.local_id is not None:  # a retraction in this file may name it
                    self._same_as[(file_index, a.local_id)] = (
                        existing_id if existing_id is not None else (by_file or 0, fp)
                    )
                continue
            fc.assessments.append((key, a))
            planned.append((fp, None, file_index))
        rec.fingerprints.extend(planned)

    def _load_existing(self, touched: dict[int, str]) -> None:
        """Bring the recommendations the import finds in the database into the plan, with
        the states, themes, SDGs and groups they already have."""
        if not touched:
            return
        review_keys = {rv.id: k for k, rv in self._reviews.items()}
        by_id: dict[int, _Rec] = {}
        for rid, key in touched.items():
            _id, para, sample, review_id, sample_run = self._existing[key]
            rec = _Rec(rid, key, review_keys[review_id], para, sample, sample_run=sample_run)
            rec.new_response = self._responses.get(rid)
            self._recs[key] = rec
            by_id[rid] = rec
        names: list[dict[int, str]] = [
            {i: c for c, i in self._state_ids.items()},
            {i: n for n, i in self._theme_ids.items()},
            {i: c for c, i in self._sdg_ids.items()},
            {i: n for n, i in self._group_ids.items()},
        ]
        for kind, (table, col) in enumerate(_LINK_TABLES):
            for rid, other in self._pairs(table, col, list(by_id)):
                linked = by_id.get(rid)
                if linked is None:
                    continue
                d = linked.links[kind]
                if d is None:
                    d = linked.links[kind] = {}
                d[names[kind][other]] = False

    def _pairs(self, table: Any, col: str, ids: list[int]) -> Iterable[tuple[int, int]]:
        c_rec, c_other = table.c.recommendation_id, table.c[col]
        if len(ids) > SCAN_ABOVE:
            yield from self.session.execute(select(c_rec, c_other))
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
            q = stmt if chunk is None else stmt.where(Assessment.recommendation_id.in_(chunk))
            for rid, aid, status, day, source, evidence, url, retracts in self.session.execute(q):
                held = by_id.get(rid)
                if held is not None and held.fingerprints is not None:
                    fp = (status, day, source, evidence or None, url or None, retracts is not None)
                    held.fingerprints.append((fp, aid, None))

    # --- writing --------------------------------------------------------------------------
    def apply(
        self,
        run_ids: Sequence[int],
        *,
        actor: str,
        progress: Progress | None = None,
    ) -> list[int]:
        """Write the plan; ``run_ids[i]`` is the ImportRun of file i. Returns the ids of the
        recommendations that received assessments (their current status is refreshed)."""
        if self._plan is None:
            raise RuntimeError("BulkWriter.apply() needs plan() first")
        now = utcnow()

        def step(fraction: float) -> None:
            if progress:
                progress(fraction, "")

        self._write_states()
        self._write_names()
        self._write_reviews()
        step(0.1)
        self._write_new(run_ids, now)
        step(0.6)
        self._write_updates(run_ids, now)
        self._write_links()
        step(0.85)
        changed = self._write_assessments(actor, now)
        step(1.0)
        return changed

    def _write_states(self) -> None:
        wanted = {k[0] for k in self._reviews}
        for r in self._recs.values():
            states = r.links[STATES]
            if states:
                wanted.update(k for k, new in states.items() if new)
        missing = sorted(wanted - self._state_ids.keys())
        if not missing:
            return
        ref = reference_states()
        self.session.execute(
            insert(_table(State)),
            [
                {
                    "iso3": c,
                    "name": ref[c].name,
                    "un_name": ref[c].un_name,
                    "regional_group": ref[c].regional_group,
                }
                for c in missing
            ],
        )
        self._state_ids = dict(self.session.execute(select(State.iso3, State.id)).all())

    def _write_names(self) -> None:
        s = self.session
        themes = [n for n in self._theme_names if n not in self._theme_ids]
        if themes:
            s.execute(insert(_table(Theme)), [{"name": self._theme_names[n]} for n in themes])
            self._theme_ids = {n.casefold(): i for i, n in s.execute(select(Theme.id, Theme.name))}
        groups = [n for n in self._group_names if n not in self._group_ids]
        if groups:
            s.execute(
                insert(_table(AffectedGroup)), [{"name": self._group_names[n]} for n in groups]
            )
            self._group_ids = {
                n.casefold(): i for i, n in s.execute(select(AffectedGroup.id, AffectedGroup.name))
            }
        sdgs = [c for c in self._sdg_labels if c not in self._sdg_ids]
        if sdgs:
            s.execute(
                insert(_table(Sdg)), [{"code": c, "label": self._sdg_labels[c]} for c in sdgs]
            )
            self._sdg_ids = {c: i for i, c in s.execute(select(Sdg.id, Sdg.code))}

    def _write_reviews(self) -> None:
        s = self.session
        changed = [rv for rv in self._reviews.values() if rv.changed and rv.id is not None]
        new = [(k, rv) for k, rv in self._reviews.items() if rv.id is None]
        if new:
            s.execute(
                insert(_REVIEW),
                [
                    {
                        "state_id": self._state_ids[k[0]],
                        "cycle": k[1],
                        "session": rv.session,
                        "review_date": rv.review_date,
                        "report_symbol": rv.report_symbol,
                        "is_sample": rv.is_sample,
                    }
                    for k, rv in new
                ],
            )
            ids = {
                (iso3, cycle): rid
                for rid, iso3, cycle in s.execute(
                    select(Review.id, State.iso3, Review.cycle).join(
                        State, State.id == Review.state_id
                    )
                )
            }
            for k, rv in new:
                rv.id = ids[k]
        if changed:
            s.connection().execute(
                update(_REVIEW)
                .where(_REVIEW.c.id == bindparam("b_id"))
                .values(
                    review_date=bindparam("b_date"),
                    report_symbol=bindparam("b_symbol"),
                    is_sample=bindparam("b_sample"),
                ),
                [
                    {
                        "b_id": rv.id,
                        "b_date": rv.review_date,
                        "b_symbol": rv.report_symbol,
                        "b_sample": rv.is_sample,
                    }
                    for rv in changed
                ],
            )

    def _write_new(self, run_ids: Sequence[int], now: dt.datetime) -> None:
        new = [r for r in self._recs.values() if r.is_new]
        if not new:
            return
        s = self.session
        reviews = self._reviews
        columns = [
            "review_id",
            "paragraph",
            "text",
            "identity",
            "response",
            "action_category",
            "import_run_id",
            "source_row",
            "is_sample",
            "version",
            "created_at",
            "updated_at",
        ]
        values = [
            (
                reviews[r.review_key].id,
                r.paragraph,
                r.text,
                r.key,
                r.response,
                r.action_category,
                run_ids[r.file_index or 0],
                r.source_row,
                r.is_sample,
                1,
                now,
                now,
            )
            for r in new
        ]
        runs = list(run_ids)
        with _deferred_fts_trigger(s) as index_new_rows:
            _insert_many(s.connection(), _REC, columns, values)
            # Only the new rows carry this import's runs so far (updates come later).
            index_new_rows(Recommendation.import_run_id.in_(runs))
        ids = dict(
            s.execute(
                select(Recommendation.identity, Recommendation.id).where(
                    Recommendation.import_run_id.in_(runs)
                )
            ).all()
        )
        for r in new:
            r.id = ids[r.key]

    def _write_updates(self, run_ids: Sequence[int], now: dt.datetime) -> None:
        conn = self.session.connection()
        by_id = _REC.c.id == bindparam("b_id")
        adopted = [
            {"b_id": r.id, "b_run": run_ids[r.adopted_by_file]}
            for r in self._recs.values()
            if r.adopted_by_file is not None
        ]
        if adopted:
            conn.execute(
                update(_REC).where(by_id).values(import_run_id=bindparam("b_run")), adopted
            )
        rows = [r for r in self._recs.values() if not r.is_new and r.gained]
        if not rows:
            return
        conn.execute(
            update(_REC).where(by_id).values(version=_REC.c.version + 1, updated_at=now),
            [{"b_id": r.id} for r in rows],
        )
        responses = [
            {"b_id": r.id, "b_resp": r.new_response, "b_key": r.key} for r in rows if r.new_response
        ]
        if responses:
            conn.execute(
                update(_REC)
                .where(by_id)
                .values(response=bindparam("b_resp"), identity=bindparam("b_key")),
                responses,
            )
        paragraphs = [{"b_id": r.id, "b_para": r.paragraph} for r in rows if r.new_paragraph]
        if paragraphs:
            conn.execute(
                update(_REC).where(by_id).values(paragraph=bindparam("b_para")), paragraphs
            )
        confirmed = [
            {"b_id": r.id, "b_run": run_ids[r.confirmed_by_file]}
            for r in rows
            if r.confirmed_by_file is not None
        ]
        if confirmed:
            conn.execute(
                update(_REC).where(by_id).values(is_sample=False, import_run_id=bindparam("b_run")),
                confirmed,
            )

    def _write_links(self) -> None:
        ids: list[dict[str, int]] = [
            self._state_ids,
            self._theme_ids,
            self._sdg_ids,
            self._group_ids,
        ]
        conn = self.session.connection()
        for kind, (table, col) in enumerate(_LINK_TABLES):
            to_id = ids[kind]
            values = [
                (r.id, to_id[k])
                for r in self._recs.values()
                for k, new in (r.links[kind] or {}).items()
                if new
            ]
            _insert_many(conn, table, ["recommendation_id", col], values)

    def _write_assessments(self, actor: str, now: dt.datetime) -> list[int]:
        plan = self._plan
        assert plan is not None
        s = self.session
        todo: list[tuple[int, AssessmentInput, int]] = []  # (file, assessment, rec id)
        for file_index, fc in enumerate(plan.files):
            for key, a in fc.assessments:
                rid = self._recs[key].id
                assert rid is not None
                todo.append((file_index, a, rid))
        if not todo:
            return []

        def values(a: AssessmentInput, rid: int, retracts_id: int | None) -> dict[str, Any]:
            return {
                "recommendation_id": rid,
                "status": a.status,
                "assessed_on": a.assessed_on,
                "source_org": a.source_org,
                "evidence": a.evidence,
                "evidence_url": a.evidence_url,
                "author": a.author or actor,
                "retracts_id": retracts_id,
                "is_sample": a.is_sample,
                "created_at": a.created_at or now,
            }

        # Retractions, and the assessments a retraction names, are written one by one to
        # learn their ids (they are few); all others at once.
        named = {(f, a.retracts) for f, a, _rid in todo if a.retracts is not None}
        for ref in self._same_as.values():
            if isinstance(ref, tuple):
                named |= {(f, a.local_id) for f, a, _rid in todo if f == ref[0] and a.local_id}
        bulk = [
            values(a, rid, None)
            for f, a, rid in todo
            if a.retracts is None and (f, a.local_id) not in named
        ]
        if bulk:
            keys = list(bulk[0])
            _insert_many(s.connection(), _ASSESSMENT, keys, [tuple(d.values()) for d in bulk])
        ids: dict[tuple[int, str], int] = {}
        pending = [
            (f, a, rid) for f, a, rid in todo if a.retracts is not None or (f, a.local_id) in named
        ]
        while pending:
            rest = []
            for f, a, rid in pending:
                retracts_id = None
                if a.retracts is not None:
                    retracts_id = self._assessment_id(f, a.retracts, ids, todo)
                    if retracts_id is None:
                        rest.append((f, a, rid))
                        continue
                new_id = s.execute(
                    insert(_ASSESSMENT).returning(_ASSESSMENT.c.id), [values(a, rid, retracts_id)]
                ).scalar_one()
                if a.local_id is not None:
                    ids[(f, a.local_id)] = new_id
            if len(rest) == len(pending):  # retractions that name each other: keep, unlinked
                for _f, a, rid in rest:
                    s.execute(insert(_ASSESSMENT), [values(a, rid, None)])
                break
            pending = rest
        changed = sorted({rid for _f, _a, rid in todo})
        refresh_current_status(s, changed)
        return changed

    def _assessment_id(
        self,
        file_index: int,
        local_id: str,
        ids: dict[tuple[int, str], int],
        todo: list[tuple[int, AssessmentInput, int]],
    ) -> int | None:
        """The database id of assessment ``local_id`` of a file, once it is known."""
        got = ids.get((file_index, local_id))
        if got is not None:
            return got
        ref = self._same_as.get((file_index, local_id))
        if isinstance(ref, int):
            return ref
        if isinstance(ref, tuple):
            other_file, fp = ref
            for f, a, _rid in todo:
                if (
                    f == other_file
                    and a.local_id
                    and (*a.fingerprint(), a.retracts is not None) == fp
                ):
                    return ids.get((f, a.local_id))
        return None


# PostgreSQL: from this many rows a table is written with COPY (a few hundred rows gain
# nothing over an executemany, which psycopg pipelines).
COPY_MIN_ROWS = 1000


def _insert_many(
    conn: Connection, table: Table, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT ``rows`` (tuples of values for ``columns``) with one ``executemany`` handed
    straight to the driver: SQLAlchemy's per-row parameter handling would cost as much as the
    database's own work. Its bind processors (booleans on SQLite, ...) are applied per column,
    as it would."""
    if not rows:
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
    if compiled.positional:
        order = [compiled.binds[name].key for name in compiled.positiontup or ()]
    else:
        order = list(columns)
    at = [columns.index(k) for k in order]
    if at != list(range(len(columns))):
        rows = [tuple(r[i] for i in at) for r in rows]
    convert = [_converter(conn, table.c[k].type) for k in order]
    if any(convert):
        # Column by column (a transposition is cheap); each distinct value converted once.
        cols = list(zip(*rows, strict=True))
        for i, fn in enumerate(convert):
            if fn is not None:
                cols[i] = tuple(map(_memo(fn), cols[i]))
        rows = list(zip(*cols, strict=True))
    if (
        len(rows) >= COPY_MIN_ROWS
        and conn.dialect.name == "postgresql"
        and _copy(conn, table, order, rows)
    ):
        return
    params: list[Any] = (
        rows if compiled.positional else [dict(zip(order, r, strict=True)) for r in rows]
    )
    conn.exec_driver_sql(compiled.string, params)


def _copy(conn: Connection, table: Table, columns: list[str], rows: list[tuple[Any, ...]]) -> bool:
    """PostgreSQL through psycopg 3: the rows sent with ``COPY ... FROM STDIN`` on the
    transaction's own connection (one stream instead of a round of INSERTs; the identity
    columns' defaults and the triggers run as for an INSERT). False when the driver is not
    psycopg 3, for the caller to INSERT."""
    raw = conn.connection.driver_connection
    if raw is None or conn.dialect.driver != "psycopg" or not hasattr(raw, "cursor"):
        return False
    quote = conn.dialect.identifier_preparer
    names = ", ".join(quote.quote(c) for c in columns)
    sql = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    return True


def _converter(conn: Connection, type_: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy (or the driver, for dates on SQLite) does to a value of ``type_``."""
    proc = type_.bind_processor(conn.dialect)
    if proc is None and conn.dialect.name == "sqlite" and type_._type_affinity in (Date, DateTime):
        # pysqlite's own adapters, which SQLAlchemy relies on: ISO text, as it stores dates.
        return _sqlite_date_text
    return proc


def _sqlite_date_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _memo(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            got = cache[value] = proc(value)
            return got
        except TypeError:
            return proc(value)

    return run


@contextmanager
def _deferred_fts_trigger(session: Session) -> Iterator[Callable[[Any], None]]:
    """On SQLite with the full-text index: drop its per-row insert trigger for the bulk insert
    and index the new rows with one statement instead (the caller says which rows, by a
    condition on ``recommendation``); re-create the trigger exactly as it was. Elsewhere: do
    nothing. Runs inside the caller's transaction, so a rollback restores the trigger."""
    conn = session.connection()
    trigger_sql = None
    if conn.dialect.name == "sqlite":
        trigger_sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": FTS_INSERT_TRIGGER},
        ).scalar()
    if trigger_sql is None:
        yield lambda _condition: None
        return
    conn.exec_driver_sql(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")

    def index_rows(condition: Any) -> None:
        ids = select(Recommendation.id, Recommendation.text).where(condition)
        compiled = ids.compile(conn, compile_kwargs={"literal_binds": True})
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}(rowid, text) {compiled}")

    yield index_rows
    conn.exec_driver_sql(trigger_sql)  # not on an error: the rollback restores it then
