"""The set-based rewrites of issue #7 give what a plain replay of the history gives, and the
database reads what the fix intended (indexes, no whole-table reads for one country).

The replays below are the straightforward per-recommendation definitions of the flags and
of "status over time" (what the code did before it was made set-based); random histories
with same-day assessments, retractions and source names spelled differently must agree.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

import pandas.testing as pd_testing
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from tracker import evidence, flags, link_text, linking, progress, queries
from tracker.assessments import DAYS_PER_MONTH, refresh_current_status
from tracker.filters import Filters
from tracker.i18n import long_date
from tracker.models import Assessment, PlannedAction, Recommendation, StatusDay
from tracker.queries import has_sample
from tracker.vocab import STATUS_RANK, SourceType, status_label

TODAY = dt.date(2025, 10, 1)
SOURCES = ["NGO A", "ngo a", "NGO  A", "Ombudsman", "OMBUDSMAN", "Université", "UNIVERSITÉ"]
STATUSES = ["fully_implemented", "partially_implemented", "not_implemented", "no_information"]
SOURCE_TYPES = [t.value for t in SourceType]


def _random_history(session: Session, seed: int) -> None:
    """Replace the sample's assessments by random ones: ties on the same day and entry time,
    retractions, sources that differ only in case or spaces."""
    rng = random.Random(seed)
    ids = list(session.scalars(select(Recommendation.id)))
    session.execute(text("UPDATE recommendation SET current_assessment_id = NULL"))
    session.execute(text("DELETE FROM assessment"))
    for rid in rng.sample(ids, min(len(ids), 40)):
        made = []
        for _ in range(rng.randint(1, 6)):
            row = {
                "recommendation_id": rid,
                "status": rng.choice(STATUSES),
                "assessed_on": dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 700)),
                "source_org": rng.choice(SOURCES),
                "created_at": dt.datetime(2025, 1, 1, 0, rng.randrange(0, 3)),
                "author": "test",
            }
            made.append(
                session.execute(insert(Assessment).returning(Assessment.id), [row]).scalar()
            )
        if rng.random() < 0.3:
            session.execute(
                insert(Assessment),
                [
                    {
                        "recommendation_id": rid,
                        "status": "no_information",
                        "assessed_on": dt.date(2025, 2, 1),
                        "source_org": "Editor",
                        "retracts_id": rng.choice(made),
                        "created_at": dt.datetime(2025, 3, 1),
                        "author": "test",
                    }
                ],
            )
    # Planned actions around TODAY, some completed: the "overdue" flag of a few.
    session.execute(text("DELETE FROM planned_action"))
    for rid in rng.sample(ids, min(len(ids), 12)):
        due = TODAY + dt.timedelta(days=rng.randrange(-200, 200))
        session.execute(
            insert(PlannedAction),
            [
                {
                    "recommendation_id": rid,
                    "action": f"Action for {rid}",
                    "due_on": due,
                    "completed_on": due if rng.random() < 0.3 else None,
                    "author": "test",
                }
            ],
        )
    refresh_current_status(session)
    session.commit()


def _histories(session: Session, f: Filters | None) -> dict[int, list[tuple]]:
    """Every counting assessment of the filtered recommendations, oldest first."""
    df = queries.assessments_frame(session, f)
    retracted = set(df["retracts_id"].dropna().astype(int))
    df = df[df["retracts_id"].isna() & ~df["assessment_id"].isin(retracted)]
    # assessments_frame's order: recommendation, date, entry time, id (the current status')
    rows = df[["recommendation_id", "status", "assessed_on", "source_org"]].itertuples(
        index=False, name=None
    )
    return {rid: list(g) for rid, g in groupby(rows, key=itemgetter(0))}


def _replay_flags(histories: dict[int, list[tuple]], months: int) -> tuple[dict, dict]:
    """Regressed and contested, one recommendation at a time (the flags' definitions)."""
    window = dt.timedelta(days=round(months * DAYS_PER_MONTH))
    regressed, contested = {}, {}
    for rid, rows in histories.items():
        if len(rows) < 2:
            continue
        status, latest_on = rows[-1][1], rows[-1][2]
        if status in STATUS_RANK:
            before = [r for r in rows if r[2] < latest_on and r[1] in STATUS_RANK]
            if before and STATUS_RANK[status] < STATUS_RANK[before[-1][1]]:
                p = before[-1]
                regressed[rid] = (
                    f"{status_label(p[1])} ({long_date(p[2])}, {p[3]}) → {status_label(status)}"
                )
        by_source = {" ".join(r[3].split()).casefold(): r for r in rows}
        views = [
            r for r in by_source.values() if r[1] in STATUS_RANK and latest_on - r[2] <= window
        ]
        if len({r[1] for r in views}) > 1:
            contested[rid] = "; ".join(
                f"{r[3]}: {status_label(r[1])} ({r[2].isoformat()})"
                for r in sorted(views, key=itemgetter(2))
            )
    return regressed, contested


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flags_agree_with_a_replay_of_each_history(sample_session, seed: int) -> None:
    _random_history(sample_session, seed)
    for f in (None, Filters(states=("KAZ",)), Filters(cycles=(2,))):
        for months in (12, 3):
            opts = flags.FlagOptions(stale_months=months, today=TODAY)
            regressed, contested = _replay_flags(_histories(sample_session, f), months)
            details = flags.flag_details(sample_session, f, opts)
            assert details["regressed"] == regressed
            assert details["contested"] == contested
            counts = flags.flag_counts(sample_session, f, opts)
            assert counts == {k: len(v) for k, v in details.items()}


@pytest.mark.parametrize("seed", [4, 5])
def test_status_over_time_agrees_with_a_replay(sample_session, seed: int) -> None:
    _random_history(sample_session, seed)
    histories = _histories(sample_session, None)
    events = sorted((r for rows in histories.values() for r in rows), key=itemgetter(2))
    got = progress.status_over_time(sample_session, None, max_points=10_000)
    assert sorted(set(got["date"])) == sorted({r[2] for r in events})
    for day in sorted({r[2] for r in events}):
        latest = {}
        for rid, rows in histories.items():
            seen = [r for r in rows if r[2] <= day]
            if seen:
                latest[rid] = seen[-1][1]
        at_day = got[got["date"] == day].set_index("status")
        for status in STATUSES:
            assert at_day.loc[status, "count"] == sum(1 for s in latest.values() if s == status)
            assert at_day.loc[status, "assessed"] == len(latest)


def test_the_flagged_table_is_capped_and_the_total_kept(sample_session) -> None:
    opts = flags.FlagOptions(today=TODAY)
    everything = flags.flagged_view(sample_session, None, "partial", opts)
    capped = flags.flagged_view(sample_session, None, "partial", opts, shown=3)
    assert len(capped.rows) == 3 < capped.rows_total == everything.rows_total
    assert (
        capped.total == everything.total == flags.flag_counts(sample_session, None, opts)["partial"]
    )
    assert capped.rows.equals(everything.rows.head(3))
    assert capped.theme_cycle.equals(everything.theme_cycle)  # counted over every row


def _plan(session: Session, stmt) -> list[str]:
    sql = str(
        stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    return [row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql))]


def test_a_search_reads_its_matches_and_one_country_reads_its_reviews(sample_session) -> None:
    everywhere = _plan(sample_session, queries.filtered_ids(Filters(q="torture")))
    assert everywhere[0].startswith("SEARCH recommendation USING INTEGER PRIMARY KEY")
    one_state = _plan(sample_session, queries.filtered_ids(Filters(q="torture", states=("KAZ",))))
    assert one_state[0].startswith("SEARCH sur USING")  # the state first, then its reviews
    assert not any(re.match(r"SCAN recommendation\b(?!_fts)", p) for p in everywhere + one_state)
    everyone = queries.recommendations_frame(sample_session, Filters(q="torture"))
    assert queries.count(sample_session, Filters(q="torture", states=("KAZ",))) == int(
        (everyone["state_iso3"] == "KAZ").sum()
    )  # both ways of reading find the same recommendations


def test_is_there_sample_data_is_one_index_look_up(sample_session) -> None:
    from sqlalchemy import exists

    plan = _plan(sample_session, select(exists().where(Recommendation.is_sample.is_(True))))
    assert any("ix_recommendation_is_sample" in p for p in plan)
    assert has_sample(sample_session)


def test_one_country_never_reads_the_whole_corpus(sample_session) -> None:
    kaz = Filters(states=("KAZ",), responses=("supported",))
    opts = flags.FlagOptions(today=TODAY)
    for condition in (flags._is_stale(opts), flags._is_partial(), flags._is_regressed()):
        stmt = flags._flagged(kaz, condition)
        plan = _plan(sample_session, stmt)
        assert plan[0].startswith("SEARCH sur USING"), plan
        assert not any(p.startswith("SCAN") for p in plan), plan


def test_stats_without_filters_match_stats_of_every_state(sample_session) -> None:
    everything = queries.stats(sample_session)
    states = tuple(queries.states_under_review(sample_session)["iso3"])
    assert queries.stats(sample_session, Filters(states=states)) == everything
    assert everything["assessments"] == sample_session.scalar(
        select(func.count()).select_from(Assessment)
    )


# --- repeats across cycles ----------------------------------------------------------------------
def _normalise_trying_every_rule(text_: str) -> str:
    """normalise_for_matching as it was: every rule tried in turn on every text."""
    t = unicodedata.normalize("NFKC", text_).casefold().replace("\u2019", "'")
    for rule, replacement, prefixes in link_text._CANONICAL_RULES:
        if prefixes is None or any(p in t for p in prefixes):
            t = rule.sub(replacement, t)
    t = link_text._POSSESSIVE.sub("", t)
    t = " ".join(link_text._NON_WORD.sub(" ", t).split())
    t = link_text._LEADING_BOILERPLATE.sub("", t)
    return " ".join(
        w if w in link_text._CANONICAL_TOKENS else link_text._stem(w)
        for w in t.split()
        if not (w in link_text.STOP_WORDS or w.isdigit())
    )


def test_the_rule_index_changes_no_normalised_text(sample_session) -> None:
    texts = list(sample_session.scalars(select(Recommendation.text)))
    texts += [
        "Consider ratifying the Convention on the Rights of Persons with Disabilities",
        "Sign and ratify the Second Optional Protocol to the ICCPR, and OPCAT",
        "Strengthen the Ombudsman (national human rights institution) – Paris Principles",
        "Become a party to the Rome Statute; abolish the death penalty; decriminalize defamation",
        "Accede to ICRMW and CPED; combat trafficking in persons and domestic violence",
        "Investigate torture by judges' order; prevent discrimination against persons with "
        "disabilities; implement UPR recommendations on human rights defenders",
    ]
    rng = random.Random(7)
    words = re.findall(r"\w+|\W+", " ".join(texts))
    texts += ["".join(rng.choice(words) for _ in range(40)) for _ in range(300)]
    for t in texts:
        assert linking.normalise_for_matching(t) == _normalise_trying_every_rule(t), t


def test_scores_at_the_threshold_are_exact() -> None:
    rng = random.Random(3)
    vocabulary = "ratify crpd torture prevent nhri parisprinciples trafficking children women "
    vocabulary += "violence law police judiciary independent education health land water"
    pool = vocabulary.split()
    earlier = [" ".join(rng.sample(pool, rng.randint(2, 8))) for _ in range(60)]
    later = [" ".join(rng.sample(pool, rng.randint(2, 8))) for _ in range(50)]
    idf = linking.idf_weights(earlier + later)
    full = linking.similarity_matrix(earlier, later, idf)
    for threshold in (45.0, 70.0):
        fast = linking.similarity_matrix(earlier, later, idf, threshold)
        at = full >= threshold
        assert at.any()
        assert (fast[at] == full[at]).all()
        assert (fast[~at] < threshold).all()
        assert linking.select_pairs(fast, threshold) == linking.select_pairs(full, threshold)


# --- the fields kept on each recommendation (migration 0004) ---------------------------------
KEPT = (
    Recommendation.id,
    Recommendation.current_assessment_id,
    Recommendation.current_status,
    Recommendation.current_assessed_on,
    Recommendation.regressed_from_id,
    Recommendation.contested,
)


def _kept(session: Session) -> dict[object, tuple]:
    """The derived fields: per recommendation, and each assessment's previous status and
    whether it is its source type's latest (migration 0009)."""
    session.expire_all()
    kept: dict[object, tuple] = {r[0]: tuple(r[1:]) for r in session.execute(select(*KEPT))}
    for a_id, before, latest in session.execute(
        select(Assessment.id, Assessment.previous_status, Assessment.latest_of_type)
    ):
        kept[f"assessment {a_id}"] = (before, latest)
    # The whole corpus' status changes per day (migration 0010).
    kept["status_day"] = tuple(
        session.execute(
            select(StatusDay.day, StatusDay.status, StatusDay.change).order_by(
                StatusDay.day, StatusDay.status
            )
        )
    )
    return kept


def _recomputed(session: Session) -> dict[int, tuple]:
    """The kept fields as a refresh of every recommendation makes them (rolled back)."""
    nested = session.begin_nested()
    refresh_current_status(session)
    fresh = _kept(session)
    nested.rollback()
    return fresh


def _random_writes(s: Session, rng: random.Random, steps: int, private: float) -> Iterator[int]:
    """``steps`` random writes through the app's own functions (an assessment added, of a
    random source type, private with probability ``private``; or one retracted), each
    flushed; yields the step's number after each."""
    from tracker.assessments import add_assessment, retract_assessment, retractable

    ids = sorted(i for i in _kept(s) if isinstance(i, int))
    for step in range(steps):
        rid = rng.choice(ids)
        options = retractable(s, rid)
        if options and rng.random() < 0.3:
            retract_assessment(s, options[0][0], reason=f"step {step}")
        else:
            add_assessment(
                s,
                rid,
                status=rng.choice(STATUSES),
                assessed_on=dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 800)),
                source_org=rng.choice(SOURCES),
                source_type=rng.choice(SOURCE_TYPES),
                private=rng.random() < private,
            )
        s.flush()
        yield step


def test_each_write_keeps_the_derived_fields_as_a_full_refresh_would(sample_session) -> None:
    s = sample_session
    _random_history(s, 7)
    flagged_before = flags.flag_counts(s, None, flags.FlagOptions(today=TODAY))
    for step in _random_writes(s, random.Random(7), 30, private=0.15):
        assert _kept(s) == _recomputed(s), f"step {step}"
    s.commit()
    # ... and the flags read from them moved with the writes
    assert flags.flag_counts(s, None, flags.FlagOptions(today=TODAY)) != flagged_before


def test_migration_0004_fills_the_fields_of_an_existing_database(db_url) -> None:
    """A database made before 0004, with assessments, gets the fields filled on upgrade."""
    from alembic import command

    from tracker import db, schema

    engine = db.get_engine(db_url)
    with db.session_scope(engine) as s:  # the sample, then back to the schema before 0004
        from tracker.sample import load_sample

        load_sample(s)
        expected = _kept(s)
    assert any(isinstance(k, int) and v[1] for k, v in expected.items())  # some statuses
    assert any(isinstance(k, str) and v[0] for k, v in expected.items())  # previous statuses
    cfg = schema._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    with engine.connect() as conn:
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(recommendation)"))}
    assert "current_status" not in columns
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        assert _kept(s) == expected


@pytest.mark.parametrize("flag", [f.value for f in flags.Flag])
def test_the_flagged_view_shows_the_head_of_the_whole_list(sample_session, flag: str) -> None:
    """What the page shows (read light, then only its rows) is the head of the download."""
    _random_history(sample_session, 11)
    for months in (12, 3):
        opts = flags.FlagOptions(stale_months=months, today=TODAY)
        whole = flags.flagged_frame(sample_session, None, flag, opts)
        if flag == "partial":
            whole = flags.by_theme_and_cycle(whole)
        # The random history assesses all but a couple: show one of those never assessed.
        shown = 1 if flag == "never_assessed" else 2
        assert len(whole) > shown, "the random history flags a few"
        view = flags.flagged_view(sample_session, None, flag, opts, shown=shown)
        assert view.rows_total == len(whole)
        assert view.total == whole["id"].nunique()
        pd_testing.assert_frame_equal(view.rows, whole.head(shown), check_dtype=False)


def test_the_overview_counts_equal_the_separate_counts(sample_session) -> None:
    _random_history(sample_session, 3)
    for f in (None, Filters(states=("KAZ",)), Filters(responses=("noted",)), Filters(q="women")):
        got = queries.overview(sample_session, f)
        assert got.figures == queries.stats(sample_session, f)
        assert got.status_counts.equals(queries.status_counts(sample_session, f))
        pd_testing.assert_frame_equal(
            got.response_status.reset_index(drop=True),
            queries.response_status_counts(sample_session, f).reset_index(drop=True),
            check_dtype=False,
        )


def _replay_by_source_type(session: Session, f: Filters | None) -> dict[tuple[str, str], int]:
    """(source type, status) -> recommendations whose latest counting public assessment of
    that type has that status, one history at a time (the definition)."""
    df = queries.assessments_frame(session, f)
    retracted = set(df["retracts_id"].dropna().astype(int))
    df = df[df["retracts_id"].isna() & ~df["assessment_id"].isin(retracted)]
    latest: dict[tuple[int, str], str] = {}
    for rid, kind, status in df[["recommendation_id", "source_type", "status"]].itertuples(
        index=False, name=None
    ):  # oldest first: the last one of each (recommendation, type) stays
        latest[(rid, kind)] = status
    counts: dict[tuple[str, str], int] = {}
    for (_rid, kind), status in latest.items():
        counts[(kind, status)] = counts.get((kind, status), 0) + 1
    return counts


@pytest.mark.parametrize("seed", [6, 8])
def test_status_by_source_type_agrees_with_a_replay_after_writes(sample_session, seed) -> None:
    """The "by source type" counts read from the kept flag equal a replay of the histories,
    with private assessments (never counted), retractions and later writes."""
    s = sample_session
    _random_history(s, seed)
    rng = random.Random(seed)
    # Several types, a few private assessments (never a private retraction), then a refresh.
    for a_id, retraction in s.execute(select(Assessment.id, Assessment.retracts_id)).all():
        s.execute(
            update(Assessment)
            .where(Assessment.id == a_id)
            .values(
                source_type=rng.choice(SOURCE_TYPES),
                is_private=retraction is None and rng.random() < 0.1,
            )
        )
    refresh_current_status(s)
    for step in _random_writes(s, rng, 12, private=0.3):
        for f in (None, Filters(states=("KAZ",))):
            got = evidence.status_by_source_type(s, f)
            counts = {(k, st): n for k, st, n in got.itertuples(index=False, name=None)}
            assert counts == _replay_by_source_type(s, f), f"step {step}"
    assert len({k for k, _st in counts}) > 2  # several types were counted


def test_a_refresh_binds_a_bounded_number_of_parameters_per_statement(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million recommendations had 136,000 contested ones, and the refresh's NOT IN of all
    of them passed PostgreSQL's 65,535 parameters: an import of a round of assessments
    failed. Here with the chunk made small: every statement binds at most a chunk's ids,
    and the flags still come out right, set and cleared."""
    from sqlalchemy import event

    from tracker import assessments, status_days

    monkeypatch.setattr(assessments, "REFRESH_CHUNK", 20)
    monkeypatch.setattr(status_days, "CHUNK", 20)
    from tests.importer_support import add_recommendations
    from tracker.importers.inputs import RecommendationInput

    s = session
    rows = [RecommendationInput("Chile", 5, f"Recommendation {i}.") for i in range(300)]
    ids = sorted(add_recommendations(s, rows))
    # A statement binds a few copies of a chunk of ids, and its own constants: not all 300.
    bound = 5 * 20 + 30
    assert len(ids) > bound
    s.execute(text("UPDATE recommendation SET current_assessment_id = NULL"))
    s.execute(text("DELETE FROM assessment"))
    for rid in ids:  # two sources a day apart that disagree: contested
        for org, status, day in (
            ("NGO A", "fully_implemented", 1),
            ("Ombudsman", "not_implemented", 2),
        ):
            s.execute(
                insert(Assessment),
                [
                    {
                        "recommendation_id": rid,
                        "status": status,
                        "assessed_on": dt.date(2025, 3, day),
                        "source_org": org,
                        "created_at": dt.datetime(2025, 3, day),
                        "author": "test",
                    }
                ],
            )
    most: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        rows = parameters if executemany else [parameters]
        most.append(max((len(r) for r in rows if r is not None), default=0))

    engine = s.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        refresh_current_status(s)
        contested = set(s.scalars(select(Recommendation.id).where(Recommendation.contested)))
        assert contested == set(ids)
        # The sources agree again for half of them: their flags are cleared.
        s.execute(
            update(Assessment)
            .where(Assessment.recommendation_id.in_(ids[:60]))
            .where(Assessment.source_org == "NGO A")
            .values(status="not_implemented")
        )
        refresh_current_status(s)
        contested = set(s.scalars(select(Recommendation.id).where(Recommendation.contested)))
        assert contested == set(ids[60:])
        refresh_current_status(s, ids)  # by ids too
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert most
    assert max(most) <= bound, max(most)
