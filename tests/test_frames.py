"""queries.recommendations_frame against a straightforward reference computation.

A small hand-built database (several recommending states and themes per recommendation, one
with none, same-day assessments, a retraction, never-assessed recommendations), on SQLite and
PostgreSQL: every column of the frame equals what one gets by walking each recommendation's
rows in Python — for filters, id lists, pages, and whichever way the related lists are read
(IN lists in chunks, or one pass over the link tables).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.importer_support import add_recommendations
from tracker import db, explorer, queries
from tracker.assessments import add_assessment, retract_assessment
from tracker.filters import Filters
from tracker.importers.inputs import RecommendationInput
from tracker.models import Assessment, Recommendation
from tracker.vocab import NOT_ASSESSED

# (state under review, session, text, recommending states, themes), entered in this order:
# the recommending states and themes deliberately not in name order.
RECOMMENDATIONS = [
    ("Kazakhstan", 7, "Ratify the optional protocol", ["Uruguay", "Angola", "Portugal"], []),
    ("Kazakhstan", 7, "Free the press", ["Mexico"], ["Freedom of expression", "Detention"]),
    ("Kazakhstan", 20, "Criminalise domestic violence", ["Egypt", "Chile"], ["Women's rights"]),
    # In name order Denmark comes before Germany, in code order DEU before DNK.
    ("Kenya", 8, "Abolish the death penalty", ["Portugal", "Germany", "Brazil", "Denmark"], []),
    ("Kenya", 8, "Train the police", [], []),
    ("Kenya", 21, "Protect women journalists", ["Chile"], ["Women's rights", "Education"]),
]


@pytest.fixture
def frame_session(any_db_url: str) -> Iterator[Session]:
    """The hand-built database: RECOMMENDATIONS, and assessments covering the status rules."""
    s = db.session_factory(db.get_engine(any_db_url))()
    ids = add_recommendations(
        s,
        [
            RecommendationInput(
                state_under_review=state,
                session=session,
                text=text,
                response="supported" if i % 2 else "noted",
                action_category=(i % 5) + 1 if i != 4 else None,
                recommending_states=rs,
                themes=themes,
                paragraph=f"97.{i + 1}" if i != 2 else None,
            )
            for i, (state, session, text, rs, themes) in enumerate(RECOMMENDATIONS)
        ],
    )
    s.commit()

    def assess(i: int, status: str, day: str, source: str, **kw: Any) -> Assessment:
        a = add_assessment(s, ids[i], status=status, assessed_on=day, source_org=source, **kw)
        s.commit()
        return a

    assess(0, "not_implemented", "2019-05-01", "NGO")
    assess(0, "partially_implemented", "2022-03-01", "NGO", evidence="A law was drafted")
    assess(0, "fully_implemented", "2022-03-01", "Government")  # same day, entered later
    assess(1, "partially_implemented", "2021-01-01", "NGO", evidence_url="https://x.org/1")
    wrong = assess(1, "fully_implemented", "2023-01-01", "Government")
    retract_assessment(s, wrong.id, reason="entered on the wrong recommendation")
    s.commit()
    assess(3, "no_information", "2020-06-01", "Ombudsman")
    gone = assess(5, "fully_implemented", "2024-01-01", "Government")
    retract_assessment(s, gone.id, reason="a mistake")  # nothing left: not assessed
    s.commit()
    # 2 and 4 are never assessed.
    try:
        yield s
    finally:
        s.close()


def _current(rec: Recommendation, retracted: set[int]) -> Assessment | None:
    """The README's rule: the latest assessment by date, then entry time (then id), among
    those that count (neither a retraction nor retracted)."""
    counting = [a for a in rec.assessments if a.retracts_id is None and a.id not in retracted]
    return max(counting, key=lambda a: (a.assessed_on, a.created_at, a.id), default=None)


def reference(session: Session) -> pd.DataFrame:
    """The frame of every recommendation, computed row by row (default order)."""
    retracted = {
        a.retracts_id for a in session.scalars(select(Assessment)) if a.retracts_id is not None
    }
    rows = []
    for rec in session.scalars(select(Recommendation)):
        cur = _current(rec, retracted)
        states = sorted(rec.recommending_states, key=lambda st: st.name)
        rows.append(
            {
                "id": rec.id,
                "state": rec.review.state.name,
                "state_iso3": rec.review.state.iso3,
                "cycle": rec.review.cycle,
                "session": rec.review.session,
                "review_date": rec.review.review_date,
                "report_symbol": rec.review.report_symbol,
                "paragraph": rec.paragraph,
                "text": rec.text,
                "response": rec.response,
                "action_category": rec.action_category,
                "recommending_states": ", ".join(st.name for st in states),
                "recommending_iso3": ", ".join(st.iso3 for st in states),
                "themes": "; ".join(sorted(t.name for t in rec.themes)),
                "status": cur.status if cur else NOT_ASSESSED,
                "assessed_on": cur.assessed_on if cur else None,
                "source_org": cur.source_org if cur else None,
                "evidence": cur.evidence if cur else None,
                "evidence_url": cur.evidence_url if cur else None,
                "is_sample": rec.is_sample,
                "_theme_names": {t.name for t in rec.themes},
                "_rs": {st.iso3 for st in states},
            }
        )
    df = pd.DataFrame(rows)
    return df.sort_values(["state", "cycle", "id"]).reset_index(drop=True)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts, every kind of missing value as None (Int64's NA, NaN, None)."""
    plain = df[queries.RECOMMENDATION_COLUMNS].astype(object)
    return [
        {k: (None if v is None or v is pd.NA or v != v else v) for k, v in row.items()}
        for row in plain.to_dict("records")
    ]


def selected(ref: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The reference rows that ``f`` selects (the filters this file uses)."""
    keep = pd.Series(True, index=ref.index)
    if f.states:
        keep &= ref["state_iso3"].isin(f.states)
    if f.recommending:
        keep &= ref["_rs"].map(lambda codes: bool(codes & set(f.recommending)))
    if f.themes:
        keep &= ref["_theme_names"].map(lambda names: bool(names & set(f.themes)))
    if f.statuses:
        keep &= ref["status"].isin(f.statuses)
    if f.q:
        keep &= ref["text"].str.lower().str.contains(f.q.lower(), regex=False)
    return ref[keep]


def test_the_hand_built_database_covers_the_cases(frame_session: Session) -> None:
    ref = reference(frame_session)
    by_text = ref.set_index("text")
    assert by_text.loc["Ratify the optional protocol", "status"] == "fully_implemented"
    assert by_text.loc["Free the press", "status"] == "partially_implemented"  # retraction
    assert by_text.loc["Protect women journalists", "status"] == NOT_ASSESSED
    assert by_text.loc["Ratify the optional protocol", "recommending_states"] == (
        "Angola, Portugal, Uruguay"
    )
    assert by_text.loc["Train the police", "themes"] == ""
    death = by_text.loc["Abolish the death penalty"]
    assert death["recommending_states"] == "Brazil, Denmark, Germany, Portugal"
    assert death["recommending_iso3"] == "BRA, DNK, DEU, PRT"


@pytest.mark.parametrize(
    "f",
    [
        None,
        Filters(),
        Filters(states=("KEN",)),
        Filters(recommending=("PRT",)),
        Filters(recommending=("CHL", "MEX")),
        Filters(themes=("Women's rights",)),
        Filters(statuses=(NOT_ASSESSED, "partially_implemented")),
        Filters(states=("KAZ",), statuses=("fully_implemented",)),
        Filters(q="press"),
        Filters(recommending=("AGO",), q="nothing like this"),
    ],
    ids=repr,
)
def test_frame_equals_the_reference(frame_session: Session, f: Filters | None) -> None:
    df = queries.recommendations_frame(frame_session, f)
    assert list(df.columns) == queries.RECOMMENDATION_COLUMNS
    assert str(df["action_category"].dtype) == "Int64"
    assert records(df) == records(selected(reference(frame_session), f or Filters()))


def test_frame_of_ids_and_pages_equals_the_reference(frame_session: Session) -> None:
    ref = reference(frame_session)
    some = ref["id"].tolist()[::2]
    assert records(queries.recommendations_frame(frame_session, ids=some[::-1])) == records(
        ref[ref["id"].isin(some)]
    )
    assert queries.recommendations_frame(frame_session, ids=[]).empty
    pages = [
        queries.recommendations_frame(frame_session, limit=4, offset=offset) for offset in (0, 4, 8)
    ]
    assert [len(p) for p in pages] == [4, 2, 0]
    assert records(pd.concat(pages[:2])) == records(ref)
    # The Explorer's pages, in another order, hold the same rows.
    by_id = explorer.explorer_page(frame_session, None, "id", True, 1, 10)
    assert records(by_id) == records(ref.sort_values("id", ascending=False))


@pytest.mark.parametrize(("chunk", "scan_from"), [(2, 10**9), (5000, 0), (1, 3)])
def test_related_lists_are_the_same_however_they_are_read(
    frame_session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int, scan_from: int
) -> None:
    """IN lists of ``chunk`` ids, or one pass over the link tables from ``scan_from`` ids."""
    monkeypatch.setattr(queries, "IN_LIST_LIMIT", chunk)
    monkeypatch.setattr(queries, "RELATED_SCAN_FROM", scan_from)
    ref = reference(frame_session)
    assert records(queries.recommendations_frame(frame_session)) == records(ref)
    one = ref["id"].tolist()[1:2]
    assert records(queries.recommendations_frame(frame_session, ids=one)) == records(
        ref[ref["id"].isin(one)]
    )


def test_a_new_assessment_shows_in_the_frame_of_the_same_session(
    frame_session: Session,
) -> None:
    """The frame's first query flushes the session, so its related lists and status see
    what the caller has just written (and not yet committed)."""
    rid = int(reference(frame_session).set_index("text").loc["Train the police", "id"])
    add_assessment(
        frame_session,
        rid,
        status="not_implemented",
        assessed_on=dt.date(2024, 2, 1),
        source_org="NGO",
    )
    row = queries.recommendations_frame(frame_session, ids=[rid]).iloc[0]
    assert (row["status"], row["assessed_on"]) == ("not_implemented", dt.date(2024, 2, 1))
    frame_session.rollback()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", list(explorer.SORT_LABELS))
def test_pages_are_slices_of_the_whole_frame(
    frame_session: Session, sort: str, descending: bool
) -> None:
    """A page chooses its ids first and reads their columns after: the pages, in order, are
    the whole sorted frame (ties included), for every sort of the Explorer."""
    order = explorer._order(sort, descending)
    whole = queries.recommendations_frame(frame_session, order_by=order)
    pages = [
        explorer.explorer_page(frame_session, None, sort, descending, page, 4) for page in (1, 2)
    ]
    assert records(pd.concat(pages)) == records(whole)
    kaz = Filters(states=("KAZ",))
    assert records(
        queries.recommendations_frame(frame_session, kaz, limit=2, offset=1, order_by=order)
    ) == records(queries.recommendations_frame(frame_session, kaz, order_by=order).iloc[1:3])
