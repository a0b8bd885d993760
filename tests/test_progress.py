"""tracker.progress against straightforward reference computations.

A small hand-built database, on SQLite and PostgreSQL: recommendations made by several states
of one regional group, by a state without a group (the Holy See) and by none; with several
themes and with none; supported, noted and without a response; histories with same-day
assessments (the entry time decides, then the id), a retraction, a recommendation whose only
assessment was retracted, a day on which nothing but a retraction happened, and
never-assessed recommendations. Every breakdown, for each filter, equals what one gets by
walking the recommendations one by one in Python, and the status over time equals a replay
of each history at each date.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from tests.importer_support import add_recommendations
from tracker import db, progress
from tracker.assessments import refresh_current_status
from tracker.filters import Filters
from tracker.importers.inputs import RecommendationInput
from tracker.models import Assessment, Recommendation
from tracker.vocab import NOT_ASSESSED, REGIONAL_GROUPS, Status

# (state under review, session, text, response, recommending states, themes)
RECOMMENDATIONS = [
    ("Kazakhstan", 7, "Ratify the protocol", "supported", ["France", "Germany"], ["Education"]),
    ("Kazakhstan", 7, "Free the press", "noted", ["Mexico", "Holy See"], []),
    ("Kazakhstan", 20, "Shelters for women", None, ["Egypt"], ["Women's rights"]),
    ("Kenya", 8, "Abolish the death penalty", "supported", ["France", "Chile", "Germany"], []),
    ("Kenya", 21, "Train the police", "supported", [], ["Education", "Detention"]),
    ("Kenya", 21, "Protect journalists", "noted", ["Chile"], ["Women's rights", "Detention"]),
    ("Kenya", 21, "Open the archives", "supported", ["Angola"], ["Detention"]),
]
T0 = dt.datetime(2025, 1, 1, 9, 0)
FILTERS = [
    None,
    Filters(states=("KAZ",)),
    Filters(cycles=(2,)),
    Filters(themes=("Women's rights",)),
    Filters(themes=("Detention", "Education")),
    Filters(recommending=("FRA",)),
    Filters(recommending=("VAT", "CHL")),
    Filters(regional_groups=("WEOG",)),
    Filters(recommending=("EGY",), regional_groups=("GRULAC",)),
    Filters(responses=("noted",)),
    Filters(statuses=("partially_implemented", NOT_ASSESSED)),
    Filters(states=("KEN",), cycles=(2,), regional_groups=("GRULAC", "African")),
    Filters(states=("NOR",)),  # nothing matches
]


@pytest.fixture
def progress_session(any_db_url: str) -> Iterator[Session]:
    s = db.session_factory(db.get_engine(any_db_url))()
    ids = add_recommendations(
        s,
        [
            RecommendationInput(
                state_under_review=sur,
                session=session,
                text=text,
                response=response,
                recommending_states=rs,
                themes=themes,
            )
            for sur, session, text, response, rs, themes in RECOMMENDATIONS
        ],
    )
    s.commit()

    def assess(i: int, status: str, day: str, minutes: int, retracts: int | None = None) -> int:
        row = {
            "recommendation_id": ids[i],
            "status": status,
            "assessed_on": dt.date.fromisoformat(day),
            "source_org": "NGO",
            "created_at": T0 + dt.timedelta(minutes=minutes),
            "retracts_id": retracts,
        }
        return int(s.execute(insert(Assessment).returning(Assessment.id), [row]).scalar_one())

    assess(0, "not_implemented", "2019-05-01", 0)
    assess(0, "fully_implemented", "2022-03-01", 5)  # same day and entry time: the id decides
    assess(0, "partially_implemented", "2022-03-01", 5)
    assess(1, "partially_implemented", "2021-01-01", 0)
    wrong = assess(1, "fully_implemented", "2023-01-01", 0)
    assess(1, "fully_implemented", "2024-02-01", 9, retracts=wrong)
    assess(3, "no_information", "2020-06-01", 0)
    assess(3, "no_information", "2021-01-01", 0)  # a day without any change
    assess(3, "not_implemented", "2024-01-01", 0)
    gone = assess(4, "fully_implemented", "2024-01-01", 1)
    assess(4, "fully_implemented", "2024-05-01", 9, retracts=gone)  # only a retraction that day
    assess(5, "partially_implemented", "2022-03-01", 3)  # same day, entered later: it wins
    assess(5, "not_implemented", "2022-03-01", 2)
    assess(6, "no_information", "2019-05-01", 0)
    # "Shelters for women" is never assessed.
    refresh_current_status(s)
    s.commit()
    try:
        yield s
    finally:
        s.close()


# --- the reference: one recommendation at a time -----------------------------------------------
def _histories(session: Session) -> dict[int, list[Assessment]]:
    """Each recommendation's counting assessments (no retraction, not retracted), in the
    order of the current status: date, entry time, id."""
    every = list(session.scalars(select(Assessment)))
    retracted = {a.retracts_id for a in every if a.retracts_id is not None}
    out: dict[int, list[Assessment]] = {}
    for a in sorted(every, key=lambda a: (a.assessed_on, a.created_at, a.id)):
        if a.retracts_id is None and a.id not in retracted:
            out.setdefault(a.recommendation_id, []).append(a)
    return out


def _states_counted(rec: Recommendation, f: Filters | None) -> list:
    """The recommending states a recommendation counts under: all, or those filtered."""
    if f is None or not (f.recommending or f.regional_groups):
        return list(rec.recommending_states)
    return [
        st
        for st in rec.recommending_states
        if st.iso3 in f.recommending or st.regional_group in f.regional_groups
    ]


def _themes_counted(rec: Recommendation, f: Filters | None) -> list[str]:
    names = [t.name for t in rec.themes]
    return [n for n in names if n in f.themes] if f is not None and f.themes else names


def _selected(session: Session, f: Filters | None) -> list[tuple[Recommendation, str]]:
    """(recommendation, current status) of the recommendations matching ``f``."""
    histories = _histories(session)
    out = []
    for rec in session.scalars(select(Recommendation).order_by(Recommendation.id)):
        history = histories.get(rec.id)
        status = history[-1].status if history else NOT_ASSESSED
        if f is not None:
            if f.states and rec.review.state.iso3 not in f.states:
                continue
            if f.cycles and rec.review.cycle not in f.cycles:
                continue
            if f.responses and rec.response not in f.responses:
                continue
            if f.statuses and status not in f.statuses:
                continue
            if f.themes and not _themes_counted(rec, f):
                continue
            if (f.recommending or f.regional_groups) and not _states_counted(rec, f):
                continue
        out.append((rec, status))
    return out


def _records(counts: Counter, columns: list[str]) -> list[dict]:
    return [dict(zip(columns, (*key, n), strict=True)) for key, n in sorted(counts.items())]


def reference(session: Session, f: Filters | None) -> dict[str, list[dict]]:
    chosen = _selected(session, f)
    by_response = Counter((rec.response or "", st) for rec, st in chosen)
    per_response = Counter()
    for (response, _st), n in by_response.items():
        per_response[response] += n
    by_state = Counter(
        (s.iso3, s.name, s.regional_group, st)
        for rec, st in chosen
        for s in _states_counted(rec, f)
    )
    by_group = Counter(
        (g, st)
        for rec, st in chosen
        for g in {s.regional_group or "" for s in _states_counted(rec, f)}
    )
    group_order = {g: i for i, g in enumerate([*REGIONAL_GROUPS, ""])}
    totals = Counter()
    partial = Counter()
    for (iso3, name, group, st), n in by_state.items():
        totals[iso3, name, group or ""] += n
        partial[iso3, name, group or ""] += n if st == Status.PARTIALLY_IMPLEMENTED else 0
    return {
        "by_cycle": _records(
            Counter((rec.review.cycle, st) for rec, st in chosen), ["cycle", "status", "count"]
        ),
        "by_response": [
            {**r, "share": r["count"] / per_response[r["response"]]}
            for r in _records(by_response, ["response", "status", "count"])
        ],
        "by_theme": _records(
            Counter((t, st) for rec, st in chosen for t in _themes_counted(rec, f) or [""]),
            ["theme", "status", "count"],
        ),
        "by_state": _records(by_state, ["iso3", "name", "regional_group", "status", "count"]),
        "by_group": sorted(
            _records(by_group, ["regional_group", "status", "count"]),
            key=lambda r: group_order[r["regional_group"]],
        ),
        "totals": [
            {
                "iso3": iso3,
                "name": name,
                "regional_group": group,
                "recommendations": n,
                "partially_implemented": partial[iso3, name, group],
            }
            for (iso3, name, group), n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0][1]))
        ],
    }


def _plain(value: object) -> object:
    """A frame's value as plain Python (None for missing, shares to 12 places)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    value = value.item() if hasattr(value, "item") else value
    return round(value, 12) if isinstance(value, float) else value


def _rows(rows: pd.DataFrame | list[dict]) -> list[dict]:
    """Rows (of a frame, in its order, or reference rows) made comparable."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    return [{k: _plain(v) for k, v in r.items()} for r in records]


def test_every_breakdown_equals_a_recommendation_by_recommendation_count(progress_session) -> None:
    s = progress_session
    for f in FILTERS:
        want = reference(s, f)
        got = progress.current_breakdowns(s, f)
        assert got.recommendations == sum(r["count"] for r in want["by_cycle"]), f
        for name in ("by_cycle", "by_response", "by_theme", "by_state", "by_group"):
            assert _rows(getattr(got, name)) == _rows(want[name]), (f, name)
        # the functions of the other pages give the same frames
        pd.testing.assert_frame_equal(progress.status_by_cycle(s, f), got.by_cycle)
        pd.testing.assert_frame_equal(progress.implementation_by_response(s, f), got.by_response)
        pd.testing.assert_frame_equal(progress.status_by_theme(s, f), got.by_theme)
        pd.testing.assert_frame_equal(progress.status_by_recommending_state(s, f), got.by_state)
        pd.testing.assert_frame_equal(progress.status_by_regional_group(s, f), got.by_group)
        totals = progress.recommending_state_totals(s, f)
        assert _rows(totals) == want["totals"], f
        pd.testing.assert_frame_equal(progress.state_totals(got.by_state), totals)
        states = progress.state_breakdowns(s, f)
        pd.testing.assert_frame_equal(states.by_state, got.by_state)
        pd.testing.assert_frame_equal(states.by_group, got.by_group)
        pd.testing.assert_frame_equal(states.totals, totals)


def test_breakdown_frames_keep_their_columns_when_nothing_matches(progress_session) -> None:
    got = progress.current_breakdowns(progress_session, Filters(states=("NOR",)))
    assert got.recommendations == 0
    assert list(got.by_cycle.columns) == ["cycle", "status", "count"]
    assert list(got.by_response.columns) == ["response", "status", "count", "share"]
    assert list(got.by_theme.columns) == ["theme", "status", "count"]
    assert list(got.by_state.columns) == ["iso3", "name", "regional_group", "status", "count"]
    assert list(got.by_group.columns) == ["regional_group", "status", "count"]
    assert all(df.empty for df in vars(got).values())


def _replay(session: Session, f: Filters | None, dates: list[dt.date]) -> list[dict]:
    """Status over time by definition: at each date, each chosen recommendation's latest
    counting assessment up to that date."""
    histories = _histories(session)
    chosen = [rec.id for rec, _st in _selected(session, f)]
    rows = []
    for day in dates:
        latest = {}
        for rid in chosen:
            seen = [a for a in histories.get(rid, []) if a.assessed_on <= day]
            if seen:
                latest[rid] = seen[-1].status
        counts = Counter(latest.values())
        for st in (s.value for s in Status):
            n = counts[st]
            rows.append(
                {
                    "date": day,
                    "status": st,
                    "count": n,
                    "assessed": len(latest),
                    "share": n / len(latest) if latest else 0.0,
                }
            )
    return rows


def test_status_over_time_equals_a_replay_of_each_history(progress_session) -> None:
    s = progress_session
    histories = _histories(s)
    for f in FILTERS:
        chosen = {rec.id for rec, _st in _selected(s, f)}
        days = sorted({a.assessed_on for rid in chosen for a in histories.get(rid, [])})
        got = progress.status_over_time(s, f)
        assert _rows(got) == _rows(_replay(s, f, days)), f
        if not days:
            assert got.empty
            assert list(got.columns) == ["date", "status", "count", "assessed", "share"]
    # every date of the history: a retraction's own date (2024-05-01) is none
    dates = sorted(set(progress.status_over_time(s)["date"]))
    assert dt.date(2024, 5, 1) not in dates
    assert dt.date(2021, 1, 1) in dates  # no status changed that day
    # fewer points: the ends of the years in which assessments fall, the last one the last
    # assessment's date
    yearly = progress.status_over_time(s, None, max_points=4)
    grid = [dt.date(2019, 12, 31), dt.date(2020, 12, 31), dt.date(2021, 12, 31)]
    grid += [dt.date(2022, 12, 31), dt.date(2024, 1, 1)]
    assert len(grid) > 4  # by year is as coarse as it gets
    assert _rows(yearly) == _rows(_replay(s, None, grid))


def _period_grid(dates: list[dt.date], max_points: int) -> list[dt.date]:
    """The time grid as pandas periods give it (what _time_grid computed before)."""
    unique = sorted(set(dates))
    if len(unique) <= max_points:
        return unique
    for freq in ("M", "Q", "Y"):
        periods = sorted({pd.Period(d, freq=freq) for d in unique})
        if len(periods) <= max_points:
            break
    ends = [p.end_time.date() for p in periods]
    ends[-1] = min(ends[-1], unique[-1])
    return ends


@pytest.mark.parametrize("seed", range(6))
def test_the_time_grid_is_every_date_or_month_quarter_year_ends(seed: int) -> None:
    rng = random.Random(seed)
    start = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(0, 3000))
    span = rng.choice([40, 400, 2000, 7000])
    dates = [start + dt.timedelta(days=rng.randrange(0, span)) for _ in range(rng.randint(1, 300))]
    for max_points in (1, 5, 12, 48, 1000):
        assert progress._time_grid(dates, max_points) == _period_grid(dates, max_points)


def _plans(session: Session, fn, f: Filters | None) -> list[str]:
    """The SQLite query plan lines of every statement ``fn(session, f)`` runs."""
    statements: list[tuple[str, tuple]] = []
    engine = session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        fn(session, f)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    conn = session.connection()
    return [
        row[-1]
        for statement, parameters in statements
        for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    ]


def test_one_country_reads_its_own_rows_and_everything_reads_in_order(sample_session) -> None:
    """What the rewrite is for: for one state under review no table is read whole; for the
    whole corpus the recommendations are read in their own order (never through a link
    table's index by state, which read them at random)."""
    kaz = Filters(states=("KAZ",))
    for fn in (progress.current_breakdowns, progress.status_over_time):
        plan = _plans(sample_session, fn, kaz)
        scans = [p for p in plan if p.startswith("SCAN") and not p.startswith("SCAN (sub")]
        assert scans == [p for p in scans if p.startswith("SCAN anon_")], plan
    plan = _plans(sample_session, progress.current_breakdowns, None)
    assert not any("ix_recommendation_state_state_id" in p for p in plan), plan
    assert not any("ix_recommendation_theme_theme_id" in p for p in plan), plan


def test_the_whole_corpus_is_counted_from_the_recommendations_alone(sample_session) -> None:
    """Without a filter no count joins the reviews or states under review (every
    recommendation has one of each: two look-ups per row for nothing), and the status over
    time reads the kept changes per day, not the assessments."""
    plan = _plans(sample_session, progress.current_breakdowns, None)
    assert not any(p.startswith(("SEARCH review", "SEARCH sur")) for p in plan), plan
    plan = _plans(sample_session, progress.status_over_time, None)
    assert not any("assessment" in p for p in plan), plan
    assert any("status_day" in p for p in plan), plan


def test_the_progress_page_under_a_theme_filter(sample_url) -> None:
    """Under a theme filter the bars by theme show the themes asked for (as a recommending
    state filter picks the states shown); the by-theme query once failed to compile then."""
    from tests.pages.dashboard_support import chart_titles, charts, open_page

    at = open_page("pages/progress_page.py", state="KAZ", theme="Women's rights")
    titles = chart_titles(at)
    assert any(t.startswith("Current status by theme") for t in titles), titles
    by_theme = charts(at)[titles.index(next(t for t in titles if "by theme" in t))]
    assert {x for trace in by_theme["data"] for x in trace["y"]} == {"Women's rights"}
