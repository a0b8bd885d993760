"""Low-level writes shared by the sample loader and the importers.

:class:`RecommendationStore` resolves states, reviews, themes, SDGs and affected groups with
caches (one query per kind, not per row), and applies the identity rule: a row whose identity
the database already holds adds only what is new (recommending states, themes, paragraph)
instead of a duplicate. All work happens in the caller's session and transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker.identity import clean_text, identity_key
from tracker.models import (
    AffectedGroup,
    Recommendation,
    Review,
    Sdg,
    State,
    Theme,
    recommendation_groups,
    recommendation_sdgs,
    recommendation_states,
    recommendation_themes,
)
from tracker.states import StateResolver
from tracker.vocab import cycle_for_session


@dataclass
class RecommendationInput:
    """One recommendation as a source row gives it (already validated and parsed)."""

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
    # Whether this row is illustrative sample data; None: as the store was told.
    is_sample: bool | None = None


@dataclass
class UpsertResult:
    recommendation_id: int
    added: bool  # a new recommendation
    updated: bool  # an existing one gained something (a state, a theme, a paragraph)


class RecommendationStore:
    """Identity-aware writer of recommendations into one session."""

    def __init__(
        self, session: Session, *, import_run_id: int | None = None, is_sample: bool = False
    ) -> None:
        self.session = session
        self.import_run_id = import_run_id
        self.is_sample = is_sample
        self.states = StateResolver(session)
        self._reviews: dict[tuple[int, int], Review] = {
            (r.state_id, r.cycle): r for r in session.scalars(select(Review))
        }
        self._themes = {t.name.casefold(): t.id for t in session.scalars(select(Theme))}
        self._sdgs = {s.code: s.id for s in session.scalars(select(Sdg))}
        self._groups = {g.name.casefold(): g.id for g in session.scalars(select(AffectedGroup))}
        self._identity: dict[str, int] = dict(
            session.execute(select(Recommendation.identity, Recommendation.id)).all()
        )
        self._links: dict[int, tuple[set[int], set[int], set[int], set[int]]] = {}

    # --- lookups ------------------------------------------------------------------------
    def review(
        self,
        state: State,
        session_no: int,
        review_date: dt.date | None = None,
        report_symbol: str | None = None,
    ) -> Review:
        cycle = cycle_for_session(session_no)
        rv = self._reviews.get((state.id, cycle))
        if rv is None:
            rv = Review(
                state_id=state.id,
                cycle=cycle,
                session=session_no,
                review_date=review_date,
                report_symbol=report_symbol,
                is_sample=self.is_sample,
            )
            self.session.add(rv)
            self.session.flush()
            self._reviews[(state.id, cycle)] = rv
        else:
            if review_date and rv.review_date is None:
                rv.review_date = review_date
            if report_symbol and not rv.report_symbol:
                rv.report_symbol = report_symbol
            if rv.is_sample and not self.is_sample:
                rv.is_sample = False  # a real source confirms the review
        return rv

    def _named(self, cache: dict[str, int], model: type, name: str) -> int:
        key = name.casefold()
        got = cache.get(key)
        if got is None:
            obj = model(name=name)
            self.session.add(obj)
            self.session.flush()
            got = cache[key] = obj.id
        return got

    def theme_id(self, name: str) -> int:
        return self._named(self._themes, Theme, name)

    def group_id(self, name: str) -> int:
        return self._named(self._groups, AffectedGroup, name)

    def sdg_id(self, code: str, label: str | None) -> int:
        got = self._sdgs.get(code)
        if got is None:
            obj = Sdg(code=code, label=label)
            self.session.add(obj)
            self.session.flush()
            got = self._sdgs[code] = obj.id
        return got

    def _existing_links(self, rec_id: int) -> tuple[set[int], set[int], set[int], set[int]]:
        got = self._links.get(rec_id)
        if got is None:
            s = self.session

            def ids(table, col):
                return set(s.scalars(select(col).where(table.c.recommendation_id == rec_id)).all())

            got = (
                ids(recommendation_states, recommendation_states.c.state_id),
                ids(recommendation_themes, recommendation_themes.c.theme_id),
                ids(recommendation_sdgs, recommendation_sdgs.c.sdg_id),
                ids(recommendation_groups, recommendation_groups.c.group_id),
            )
            self._links[rec_id] = got
        return got

    # --- the upsert ---------------------------------------------------------------------
    def upsert(self, row: RecommendationInput) -> UpsertResult:
        """Add ``row`` under the identity rule; return what happened."""
        if row.is_sample is not None and row.is_sample != self.is_sample:
            saved, self.is_sample = self.is_sample, row.is_sample
            try:
                return self.upsert(replace(row, is_sample=None))
            finally:
                self.is_sample = saved
        sur = self.states.get(row.state_under_review)
        review = self.review(sur, row.session, row.review_date, row.report_symbol)
        text = clean_text(row.text)
        key = identity_key(sur.iso3, row.session, text, row.response, row.action_category)
        rec_id = self._identity.get(key)
        added = rec_id is None
        updated = False
        if rec_id is None:
            rec = Recommendation(
                review_id=review.id,
                paragraph=row.paragraph,
                text=text,
                identity=key,
                response=row.response,
                action_category=row.action_category,
                import_run_id=self.import_run_id,
                source_row=row.source_row,
                is_sample=self.is_sample,
            )
            self.session.add(rec)
            self.session.flush()
            rec_id = self._identity[key] = rec.id
            self._links[rec_id] = (set(), set(), set(), set())
        elif row.paragraph or not self.is_sample:
            found = self.session.get(Recommendation, rec_id)
            assert found is not None
            rec = found
            if row.paragraph and not rec.paragraph:
                rec.paragraph = row.paragraph
                updated = True
            if rec.is_sample and not self.is_sample:
                rec.is_sample = False  # a real source now holds it: sample removal keeps it
                rec.import_run_id = self.import_run_id
                updated = True
        have_states, have_themes, have_sdgs, have_groups = self._existing_links(rec_id)
        new_links: list[tuple[object, dict[str, int]]] = []
        for name in row.recommending_states:
            sid = self.states.get(name).id
            if sid not in have_states:
                have_states.add(sid)
                new_links.append(
                    (recommendation_states, {"recommendation_id": rec_id, "state_id": sid})
                )
        for name in row.themes:
            tid = self.theme_id(name)
            if tid not in have_themes:
                have_themes.add(tid)
                new_links.append(
                    (recommendation_themes, {"recommendation_id": rec_id, "theme_id": tid})
                )
        for code, label in row.sdgs:
            gid = self.sdg_id(code, label)
            if gid not in have_sdgs:
                have_sdgs.add(gid)
                new_links.append(
                    (recommendation_sdgs, {"recommendation_id": rec_id, "sdg_id": gid})
                )
        for name in row.affected_groups:
            gid = self.group_id(name)
            if gid not in have_groups:
                have_groups.add(gid)
                new_links.append(
                    (recommendation_groups, {"recommendation_id": rec_id, "group_id": gid})
                )
        for table, values in new_links:
            self.session.execute(insert(table), [values])  # type: ignore[arg-type]
        if new_links and not added:
            updated = True
        return UpsertResult(rec_id, added, updated)
