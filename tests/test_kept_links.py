"""The whole corpus' counts over the state and theme links, kept by database triggers
(migration 0011, tracker.kept_links): after every kind of write they equal a count from the
link tables, and the Progress and Recommending states pages show with them exactly what
counting the links shows (a filter matching everything takes the counting path)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    run_import,
    upr_row,
)
from tracker import backup, db, flags, kept_links, kept_partial, progress, queries, schema
from tracker.assessments import add_assessment, refresh_current_status
from tracker.editing import update_recommendation
from tracker.filters import Filters
from tracker.importers import plan_write
from tracker.models import (
    KEPT_LINK_TABLES,
    Recommendation,
    Review,
    State,
    Theme,
)
from tracker.sample import load_sample, remove_sample
from tracker.status_days import STATUS_DAY_LOCK_KEY
from tracker.template_format import TEMPLATE_COLUMNS

pytestmark = pytest.mark.usefixtures("fast_hashing")


def assert_exact(engine: Engine) -> None:
    """The kept counts equal a count from the link tables (and some are kept at all)."""
    with db.session_scope(engine) as s:
        kept, counted = kept_links.kept(s), kept_links.counted(s)
        # The partially implemented by theme and review (migration 0013), after the same
        # writes of links and statuses.
        assert kept_partial.kept(s) == kept_partial.counted(s)
    assert kept == counted
    assert all(n > 0 for rows in kept.values() for n in rows.values())


@pytest.fixture
def sample_engine(any_db_url: str) -> Engine:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        load_sample(s)  # ORM inserts of recommendations and their links
    assert_exact(engine)
    with db.session_scope(engine) as s:
        assert len(kept_links.kept(s)["kept_group_status"]) > 3
    return engine


def _rec_with(s: Session, *, states: int, themes: int) -> Recommendation:
    """A sample recommendation with at least that many states and themes."""
    for rec in s.scalars(select(Recommendation).order_by(Recommendation.id)):
        if len(rec.recommending_states) >= states and len(rec.themes) >= themes:
            return rec
    raise AssertionError("no such recommendation in the sample")


def test_status_changes_and_full_refreshes_keep_the_counts(sample_engine: Engine) -> None:
    with db.session_scope(sample_engine) as s:
        rec = _rec_with(s, states=2, themes=1)
        add_assessment(
            s, rec.id, status="not_implemented", assessed_on="2024-01-02", source_org="NGO"
        )
        add_assessment(
            s, rec.id, status="fully_implemented", assessed_on="2024-02-02", source_org="NGO"
        )
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:  # every status wiped, then one full refresh
        s.execute(text("UPDATE recommendation SET current_status = NULL"))
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:
        refresh_current_status(s)
    assert_exact(sample_engine)


def test_theme_edits_and_relationship_changes_keep_the_counts(sample_engine: Engine) -> None:
    with db.session_scope(sample_engine) as s:
        rec = _rec_with(s, states=1, themes=1)
        version = rec.version
        update_recommendation(s, rec.id, version, {"themes": ["Brand new theme", "Torture"]})
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:
        rec = s.get(Recommendation, rec.id)
        assert rec is not None
        update_recommendation(s, rec.id, rec.version, {"themes": []})  # no theme at all
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:  # ORM appends and removals
        rec = _rec_with(s, states=2, themes=2)
        others = [x for x in s.scalars(select(State)) if x not in rec.recommending_states]
        rec.recommending_states.append(others[0])
        rec.recommending_states.remove(rec.recommending_states[0])
        rec.themes.remove(rec.themes[0])
        rec.themes.append(Theme(name="Another new theme"))
    assert_exact(sample_engine)


def test_raw_sql_writes_keep_the_counts(sample_engine: Engine) -> None:
    with db.session_scope(sample_engine) as s:
        rec = _rec_with(s, states=2, themes=2)
        rid, sid, tid = rec.id, rec.recommending_states[0].id, rec.themes[0].id
        other = s.scalar(
            select(State.id).where(State.id.not_in([x.id for x in rec.recommending_states]))
        )
        # a recommendation linked to neither: the links can move to it
        dest = s.scalar(
            text(
                "SELECT min(id) FROM recommendation r WHERE id <> :rid AND NOT EXISTS "
                "(SELECT 1 FROM recommendation_state l WHERE l.recommendation_id = r.id "
                "AND l.state_id = :other) AND NOT EXISTS (SELECT 1 FROM recommendation_theme l "
                "WHERE l.recommendation_id = r.id AND l.theme_id = :tid)"
            ),
            {"rid": rid, "other": other, "tid": tid},
        )
    steps = [
        # a link moved to another state, another recommendation, and back
        f"UPDATE recommendation_state SET state_id = {other} WHERE recommendation_id = {rid} "
        f"AND state_id = {sid}",
        f"UPDATE recommendation_state SET recommendation_id = {dest} "
        f"WHERE recommendation_id = {rid} AND state_id = {other}",
        f"UPDATE recommendation_theme SET recommendation_id = {dest} "
        f"WHERE recommendation_id = {rid} AND theme_id = {tid}",
        # a state changes group; states, themes and a recommendation go
        f"UPDATE state SET regional_group = 'EEG' WHERE id = {sid}",
        "UPDATE state SET regional_group = NULL WHERE regional_group = 'WEOG'",
        f"DELETE FROM theme WHERE id = {tid}",
        f"DELETE FROM recommendation_state WHERE recommendation_id = {rid}",
        f"INSERT INTO recommendation_state (recommendation_id, state_id) VALUES ({rid}, {sid})",
        "UPDATE recommendation SET current_status = 'not_implemented' WHERE id % 3 = 0",
        f"DELETE FROM recommendation WHERE id = {dest}",
    ]
    for sql in steps:
        with sample_engine.begin() as conn:
            conn.execute(text(sql))
        assert_exact(sample_engine)


def test_deleting_a_review_and_the_sample_keep_the_counts(sample_engine: Engine) -> None:
    with db.session_scope(sample_engine) as s:
        review = s.scalar(select(Review.id).order_by(Review.id))
        s.execute(text(f"DELETE FROM recommendation WHERE review_id = {review}"))
        s.execute(text(f"DELETE FROM review WHERE id = {review}"))
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:
        remove_sample(s)
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:
        assert kept_links.kept(s) == {t: {} for t in KEPT_LINK_TABLES}


def _upr_file(tmp_path: Path, n: int, start: int = 0) -> Path:
    rows = [
        upr_row(
            text_=f"Guarantee the freedom of assembly, recommendation {i}.",
            rs=("France", "Chile; Peru", "France; Germany; Chile")[i % 3],
            issue=("Torture", "Justice, Women's rights", "")[i % 3],
            sur=("Kazakhstan", "Norway")[i % 2],
        )
        for i in range(start, start + n)
    ]
    path = tmp_path / f"u{start}.csv"
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, rows))
    return path


def test_imports_bulk_and_not_keep_the_counts(
    any_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first import takes the bulk path (triggers suspended, one recount), the second
    the triggers; the schema is the same after (the triggers are back)."""
    monkeypatch.setattr(plan_write, "DEFER_INDEXES_MIN_ROWS", 20)
    recounts: list[int] = []
    real = kept_links.recount
    monkeypatch.setattr(kept_links, "recount", lambda s: (recounts.append(1), real(s)))
    engine = db.get_engine(any_db_url)
    triggers = _triggers(engine)
    assert len(triggers) == 10
    run_import(engine, [_upr_file(tmp_path, 60)])
    assert _triggers(engine) == triggers
    assert recounts == [1]  # once, after the statuses too
    assert_exact(engine)
    run_import(engine, [_upr_file(tmp_path, 30, start=45)])
    assert recounts == [1]  # the triggers counted
    assert_exact(engine)
    with db.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Recommendation)) == 75


def test_a_first_bulk_import_with_statuses_keeps_the_counts(
    any_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statuses of a first bulk import are set after its links, triggers suspended."""
    monkeypatch.setattr(plan_write, "DEFER_INDEXES_MIN_ROWS", 20)
    statuses = ["not_implemented", "partially_implemented", "fully_implemented", ""]
    review = {"state_under_review": "Norway", "state_iso3": "NOR", "cycle": "2"}
    review |= {"session": "20", "review_date": "2014-04-28", "report_symbol": "A/HRC/27/15"}
    rows = []
    for i in range(40):
        status = statuses[i % 4]
        row = dict.fromkeys(TEMPLATE_COLUMNS, "") | review
        row |= {
            "paragraph": f"131.{i}",
            "recommendation": f"Ratify the convention, recommendation {i}.",
            "recommending_states": ("France", "Chile; Peru", "France; Germany; Chile")[i % 3],
            "response": "supported",
            "themes": ("Torture", "Justice; Women's rights", "")[i % 3],
            "status": status,
            "assessed_on": "2016-05-01" if status else "",
            "assessment_source": "NGO" if status else "",
        }
        rows.append([row[c] for c in TEMPLATE_COLUMNS])
    path = tmp_path / "template.csv"
    path.write_bytes(csv_bytes(TEMPLATE_COLUMNS, rows, delimiter=","))
    engine = db.get_engine(any_db_url)
    report = run_import(engine, [path])
    assert (report.added, report.assessments_added) == (40, 30), report
    assert_exact(engine)
    with db.session_scope(engine) as s:
        assert len({st for _k, st in kept_links.kept(s)["kept_state_status"]}) == 4


def _triggers(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kept%'"
        else:
            sql = (
                "SELECT pg_get_triggerdef(oid) || tgenabled::text FROM pg_trigger "
                "WHERE tgname LIKE 'kept%'"
            )
        return sorted(conn.execute(text(sql)).scalars())


def test_a_restore_counts_again_and_backups_leave_the_counts_out(
    sample_engine: Engine, tmp_path: Path
) -> None:
    info = backup.write_backup(sample_engine, tmp_path / "b.zip")
    assert not set(info.rows) & set(KEPT_LINK_TABLES)
    with db.session_scope(sample_engine) as s:
        expected = kept_links.kept(s)
        remove_sample(s)
    triggers = _triggers(sample_engine)
    backup.restore(sample_engine, tmp_path / "b.zip")
    assert _triggers(sample_engine) == triggers
    assert_exact(sample_engine)
    with db.session_scope(sample_engine) as s:
        assert kept_links.kept(s) == expected


def test_a_repair_recounts_what_was_lost(sample_engine: Engine) -> None:
    with db.session_scope(sample_engine) as s:
        expected = kept_links.kept(s)
        s.execute(text("DELETE FROM kept_state_status"))
        s.execute(text("UPDATE kept_group_status SET count = count + 7"))
        kept_links.recount(s)
    with db.session_scope(sample_engine) as s:
        assert kept_links.kept(s) == expected


# A filter that matches every recommendation but is not empty: the counting path.
EVERYTHING = Filters(cycles=(1, 2, 3, 4, 5))


def test_the_pages_show_the_same_with_and_without_the_kept_counts(sample_engine: Engine) -> None:
    with db.session_scope(sample_engine) as s:  # a few statuses and a group-less state
        for rid in s.scalars(select(Recommendation.id).order_by(Recommendation.id).limit(5)):
            add_assessment(
                s, rid, status="partially_implemented", assessed_on="2024-03-01", source_org="X"
            )
        s.execute(text("UPDATE state SET regional_group = NULL WHERE iso3 = 'FRA'"))
        s.execute(text("DELETE FROM recommendation_theme WHERE recommendation_id % 4 = 0"))
    with db.session_scope(sample_engine) as s:
        assert not EVERYTHING.is_empty()
        assert progress.current_breakdowns(s, EVERYTHING).recommendations == s.scalar(
            select(func.count()).select_from(Recommendation)
        )
        kept = progress.current_breakdowns(s)
        counted = progress.current_breakdowns(s, EVERYTHING)
        for name in ("by_theme", "by_state", "by_group"):
            pd.testing.assert_frame_equal(getattr(kept, name), getattr(counted, name))
        assert "" in set(kept.by_theme["theme"])  # recommendations without a theme
        assert "" in set(kept.by_group["regional_group"])
        states, states_counted = (
            progress.state_breakdowns(s),
            progress.state_breakdowns(s, EVERYTHING),
        )
        for name in ("by_state", "by_group", "totals"):
            pd.testing.assert_frame_equal(getattr(states, name), getattr(states_counted, name))
        for iso3 in states.totals["iso3"]:  # one recommending state's status counts
            one = Filters(recommending=(iso3,))
            pd.testing.assert_frame_equal(
                queries.status_counts(s, one),
                queries.status_counts(s, one.with_(cycles=EVERYTHING.cycles)),
            )
        # The Flagged page's partially implemented by theme and cycle (and its first rows)
        day = flags.FlagOptions(today=dt.date(2025, 1, 1))
        flagged, again = (
            flags.flagged_view(s, None, opts=day),
            flags.flagged_view(s, EVERYTHING, opts=day),
        )
        assert flagged.total == again.total > 5
        assert flagged.rows_total == again.rows_total
        assert "" in set(flagged.theme_cycle["theme"])  # partially implemented without a theme
        pd.testing.assert_frame_equal(flagged.theme_cycle, again.theme_cycle)
        pd.testing.assert_frame_equal(flagged.rows, again.rows)
        # and the kept path reads the kept tables (no link table) on the whole corpus
        s.execute(text("UPDATE kept_state_status SET count = count + 1000"))
        assert progress.status_by_recommending_state(s)[
            "count"
        ].sum() == progress.status_by_recommending_state(s, EVERYTHING)[
            "count"
        ].sum() + 1000 * s.scalar(text("SELECT count(*) FROM kept_state_status"))
        top = Filters(recommending=(states.totals["iso3"].iloc[0],))
        assert queries.status_counts(s, top)["count"].sum() >= 1000
        s.rollback()


def test_migration_0011_goes_down_and_up_counting_the_same(sample_engine: Engine) -> None:
    """Down: the tables, triggers (and PostgreSQL's functions) gone; up: the same counts."""
    with db.session_scope(sample_engine) as s:
        expected = kept_links.kept(s)
    cfg = schema._config()
    with sample_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    assert not set(sa_inspect(sample_engine).get_table_names()) & set(KEPT_LINK_TABLES)
    assert _triggers(sample_engine) == []
    if sample_engine.dialect.name == "postgresql":
        with sample_engine.connect() as conn:
            functions = conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'kept\\_links%'")
            ).scalar()
        assert functions == 0
    schema.upgrade(sample_engine)
    assert schema.is_up_to_date(sample_engine)
    with db.session_scope(sample_engine) as s:
        assert kept_links.kept(s) == expected
    assert_exact(sample_engine)


@pytest.mark.postgres
def test_postgresql_writers_of_links_and_statuses_take_turns(pg_url: str) -> None:
    """READ COMMITTED: a status change while another transaction's new link is uncommitted
    would count that link under the old status. The triggers take turns (the status days'
    advisory lock): the second writer waits for the first's commit, then counts exactly."""
    engine = db.get_engine(pg_url)
    with db.session_scope(engine) as s:
        load_sample(s)
    with db.session_scope(engine) as s:
        rec = _rec_with(s, states=1, themes=0)
        rid = rec.id
        sid = s.scalar(
            select(State.id).where(State.id.not_in([x.id for x in rec.recommending_states]))
        )
    first, second = engine.connect(), engine.connect()
    try:
        first.begin()
        first.execute(
            text("INSERT INTO recommendation_state VALUES (:r, :s)"), {"r": rid, "s": sid}
        )
        locks = first.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k"),
            {"k": STATUS_DAY_LOCK_KEY},
        ).scalar()
        assert locks == 1
        second.begin()
        second.execute(text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            second.execute(
                text("UPDATE recommendation SET current_status = 'not_implemented' WHERE id = :r"),
                {"r": rid},
            )
        second.rollback()
        first.commit()
        with second.begin():
            second.execute(
                text("UPDATE recommendation SET current_status = 'not_implemented' WHERE id = :r"),
                {"r": rid},
            )
    finally:
        first.close()
        second.close()
    assert_exact(engine)
