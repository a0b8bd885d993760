"""Writing a planned import: one statement per table, in the caller's transaction.

:class:`PlanWriter` is the half of :class:`tracker.importers.writer.BulkWriter` that writes
what its :meth:`~tracker.importers.writer.BulkWriter.plan` decided: new states, themes,
SDGs and groups, reviews, new recommendations (with the search index), updates, links and
assessments (with the current status refreshed). No ORM object and no query per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tracker import kept_counts
from tracker.assessments import refresh_current_status
from tracker.importers.bulk_sql import (
    DEFER_INDEXES_MIN_ROWS,
    deferred_fts_trigger,
    deferred_indexes,
    insert_many,
    table_of,
)
from tracker.importers.inputs import AssessmentInput
from tracker.importers.plan import (
    LINK_TABLES,
    STATES,
    Fingerprint,
    Plan,
    PlannedRec,
    PlannedReview,
)
from tracker.models import (
    AffectedGroup,
    Assessment,
    Recommendation,
    Review,
    Sdg,
    State,
    Theme,
    utcnow,
)
from tracker.states import reference_states

Progress = Callable[[float, str], None]

_REC = table_of(Recommendation)
_REVIEW = table_of(Review)
_ASSESSMENT = table_of(Assessment)


class PlanWriter:
    """Writes the plan a :class:`~tracker.importers.writer.BulkWriter` made (its base)."""

    # Filled by BulkWriter: what the database holds and what the plan adds.
    session: Session
    _state_ids: dict[str, int]
    _reviews: dict[tuple[str, int], PlannedReview]
    _theme_ids: dict[str, int]
    _sdg_ids: dict[str, int]
    _group_ids: dict[str, int]
    _theme_names: dict[str, str]
    _group_names: dict[str, str]
    _sdg_labels: dict[str, str | None]
    _recs: dict[str, PlannedRec]
    _plan: Plan | None
    _same_as: dict[tuple[int, str], int | tuple[int, Fingerprint]]

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
        bulk = self._first_bulk()
        # Every count kept by triggers (tracker.kept_counts) of a first bulk import: counted
        # once after the rows, links, assessments and current statuses (SQLite's row
        # triggers would move 156,000 new statuses one by one: 2 s of CPU more than the count).
        with kept_counts.suspended(self.session) if bulk else nullcontext():
            with self._indexes_deferred(bulk):
                self._write_new(run_ids, now)
                step(0.6)
                self._write_updates(run_ids, now)
                self._write_links()
            step(0.85)
            changed = self._write_assessments(actor, now)
        step(1.0)
        return changed

    def _first_bulk(self) -> bool:
        """True for the first large import into an empty database."""
        new = sum(1 for r in self._recs.values() if r.is_new)
        return new >= DEFER_INDEXES_MIN_ROWS and not self.session.scalar(
            select(Recommendation.id).limit(1)
        )

    def _indexes_deferred(self, bulk: bool) -> AbstractContextManager[None]:
        """The first large import into an empty database (``bulk``) builds the indexes of
        the recommendations and their links after writing them
        (bulk_sql.deferred_indexes)."""
        if not bulk:
            return nullcontext()
        return deferred_indexes(self.session, [_REC, *(table for table, _col in LINK_TABLES)])

    def _write_states(self) -> None:
        wanted = {k[0] for k in self._reviews}
        for r in self._recs.values():
            states = r.links[STATES]
            if states:
                wanted.update(states)
        missing = sorted(wanted - self._state_ids.keys())
        if not missing:
            return
        ref = reference_states()
        self.session.execute(
            insert(table_of(State)),
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
            s.execute(insert(table_of(Theme)), [{"name": self._theme_names[n]} for n in themes])
            self._theme_ids = {n.casefold(): i for i, n in s.execute(select(Theme.id, Theme.name))}
        groups = [n for n in self._group_names if n not in self._group_ids]
        if groups:
            s.execute(
                insert(table_of(AffectedGroup)), [{"name": self._group_names[n]} for n in groups]
            )
            self._group_ids = {
                n.casefold(): i for i, n in s.execute(select(AffectedGroup.id, AffectedGroup.name))
            }
        sdgs = [c for c in self._sdg_labels if c not in self._sdg_ids]
        if sdgs:
            s.execute(
                insert(table_of(Sdg)), [{"code": c, "label": self._sdg_labels[c]} for c in sdgs]
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
        # A generator: insert_many converts the rows without holding them twice.
        values = (
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
        )
        runs = list(run_ids)
        with deferred_fts_trigger(s) as index_new_rows:
            insert_many(s.connection(), _REC, columns, values)
            # Only the new rows carry this import's runs so far (updates come later).
            index_new_rows(Recommendation.import_run_id.in_(runs))
        mine = Recommendation.import_run_id.in_(runs)
        if s.get_bind().dialect.name == "sqlite":
            # SQLite gives each inserted row the largest id so far plus one: when the new
            # rows' ids are contiguous, they are in the order inserted, and fetching 60,000
            # identities to learn them is not needed.
            first, last, count = s.execute(
                select(
                    func.min(Recommendation.id), func.max(Recommendation.id), func.count()
                ).where(mine)
            ).one()
            if count == len(new) and last - first + 1 == count:
                for i, r in enumerate(new):
                    r.id = first + i
                return
        ids = dict(s.execute(select(Recommendation.identity, Recommendation.id).where(mine)).all())
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
        for kind, (table, col) in enumerate(LINK_TABLES):
            to_id = ids[kind]
            values = ((r.id, to_id[k]) for r in self._recs.values() for k in r.links[kind] or ())
            insert_many(conn, table, ["recommendation_id", col], values)

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
                "source_type": a.source_type,
                "confidence": a.confidence,
                "is_private": a.is_private,
                "is_draft": False,  # imported evidence is published (the file was reviewed)
            }

        # Retractions, and the assessments a retraction names, are written one by one to
        # learn their ids (they are few); all others at once.
        named = {(f, a.retracts) for f, a, _rid in todo if a.retracts is not None}
        for ref in self._same_as.values():
            if isinstance(ref, tuple):
                named |= {(f, a.local_id) for f, a, _rid in todo if f == ref[0] and a.local_id}
        # A generator: insert_many takes its rows a batch at a time (a later round's 300,000
        # assessments held as parameter dicts at once took 100 MB per 156,000).
        bulk = (
            tuple(values(a, rid, None).values())
            for f, a, rid in todo
            if a.retracts is None and (f, a.local_id) not in named
        )
        keys = list(values(todo[0][1], todo[0][2], None))
        insert_many(s.connection(), _ASSESSMENT, keys, bulk)
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
