"""The review calendar: the fixed order, past/next/planned, deadlines, overrides, the .ics."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import stat
from pathlib import Path

import pytest
from icalendar import Calendar

from tracker import review_calendar
from tracker.cli import main
from tracker.review_calendar import DATA_DIR, CalendarDataError, load_data, reviews
from tracker.states import reference_states

TODAY = "2026-12-04"


def calendar_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    code = main(["calendar", "--today", TODAY, "--json", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_kazakhstan_past_reviews_and_the_next_one(db_url, capsys) -> None:
    rows = calendar_json(capsys, "--state", "Kazakhstan")
    assert [(r["session"], r["cycle"], r["status"]) for r in rows] == [
        (7, 1, "past"),
        (20, 2, "past"),
        (34, 3, "past"),
        (48, 4, "past"),
        (62, 5, "next"),
    ]
    assert {r["iso3"] for r in rows} == {"KAZ"}
    assert {r["state"] for r in rows} == {"Kazakhstan"}
    required = {"state", "iso3", "cycle", "session", "month", "status"}
    assert all(required | {"submission_deadline", "symbol"} <= set(r) for r in rows)
    assert rows[0]["month"] == "2010-02"
    assert rows[0]["symbol"] == "A/HRC/14/10"  # known without an import
    assert rows[-1]["symbol"] is None  # a review to come has no report yet
    assert rows[-1]["projected"] is True  # session 62 is beyond the dated sessions


def test_france_held_session_43_in_may_2023_in_cycle_4(db_url, capsys) -> None:
    rows = {r["cycle"]: r for r in calendar_json(capsys, "--state", "FRA")}
    assert (rows[4]["session"], rows[4]["month"], rows[4]["status"]) == (43, "2023-05", "past")
    assert [rows[c]["session"] for c in (2, 3, 4, 5)] == [15, 29, 43, 57]
    assert rows[5]["status"] == "next"


def test_the_submission_deadline_is_an_estimate_six_months_before(db_url, capsys) -> None:
    kaz = calendar_json(capsys, "--state", "KAZ")
    by_session = {r["session"]: r for r in kaz}
    # Session 48 opened on 20 January 2025: submissions about July 2024.
    assert by_session[48]["submission_deadline"] == "2024-07-20"
    assert by_session[48]["submission_deadline_estimate"] is True
    # Mid-term report: about two and a half years after the review.
    assert by_session[48]["midterm_report"] == "2027-07"
    # Session 62 is projected to November 2029 (three sessions a year after session 54).
    assert by_session[62]["month"] == "2029-11"
    assert by_session[62]["submission_deadline"] == "2029-05-01"


def test_the_text_output_says_estimate_and_the_status(db_url, capsys) -> None:
    assert main(["calendar", "--today", TODAY, "--state", "Kazakhstan"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("Kazakhstan: cycle 5, session 62, November 2029 (next)")
    assert "submissions due about May 2029" in out[-1]


def test_the_status_follows_today(db_url, capsys) -> None:
    rows = json.loads(
        (
            main(["calendar", "--today", "2024-06-01", "--json", "--state", "KAZ"]),
            capsys.readouterr().out,
        )[1]
    )
    assert [r["status"] for r in rows] == ["past", "past", "past", "next", "planned"]


def test_every_member_state_has_reviews_in_five_cycles_in_the_fixed_order() -> None:
    data = load_data()
    assert len(data.order) == 193
    assert set(data.order) <= set(reference_states())
    items = reviews(None, today=dt.date(2026, 12, 4))
    by_state: dict[str, list[int]] = {}
    for r in items:
        by_state.setdefault(r.iso3, []).append(r.session)
    assert len(by_state["SSD"]) == 4  # South Sudan joined the UN after cycle 1
    for iso3, sessions in by_state.items():
        if iso3 == "ISR":
            continue
        assert sessions[-3:] == [sessions[-4] + 14, sessions[-4] + 28, sessions[-4] + 42], iso3
    # Israel's postponed cycle-2 review (15 -> 17) did not move its slot.
    assert by_state["ISR"] == [3, 17, 29, 43, 57]
    # The fixed order puts about 14 states in each session of cycles 3-5.
    per_session: dict[int, int] = {}
    for r in items:
        per_session[r.session] = per_session.get(r.session, 0) + 1
    assert all(per_session[s] <= 14 for s in range(27, 69))
    # Sessions after 54 are projected and marked so.
    assert all(r.projected for r in items if r.session > 54)


def test_a_postponement_entered_as_data_moves_the_review(tmp_path: Path) -> None:
    for name in ("review_order.csv", "upr_sessions.csv", "review_symbols.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    with (tmp_path / "review_overrides.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["iso3", "cycle", "session", "month", "start", "end", "submission_deadline", "note"]
        )
        w.writerow(["KAZ", "5", "63", "2030-02", "", "", "2029-09-15", "postponed"])
    data = load_data(tmp_path)
    kaz = reviews(None, ["Kazakhstan"], dt.date(2026, 12, 4), data)[-1]
    assert (kaz.session, kaz.month, kaz.status) == (63, "2030-02", "next")
    assert (kaz.submission_deadline, kaz.submission_deadline_estimate) == ("2029-09-15", False)
    assert kaz.note == "postponed"
    assert "submissions due 2029-09-15" in review_calendar.next_review_sentence(kaz)


def test_a_malformed_data_row_is_named_by_file_row_and_column(tmp_path: Path) -> None:
    for name in ("review_order.csv", "review_overrides.csv", "review_symbols.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    text = (DATA_DIR / "upr_sessions.csv").read_text().replace("2010-02-08", "8 Feb 2010")
    (tmp_path / "upr_sessions.csv").write_text(text)
    with pytest.raises(CalendarDataError, match=r"upr_sessions.csv:8: start: '8 Feb 2010'"):
        load_data(tmp_path)


def test_an_imported_review_gives_its_symbol_and_date(any_db_url, capsys) -> None:
    from sqlalchemy import select

    from tracker import db, schema
    from tracker.models import Review, State
    from tracker.sample import load_sample

    engine = db.get_engine(any_db_url)
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        load_sample(s)
    with db.session_scope(engine) as s:
        review = s.scalars(
            select(Review).join(Review.state).where(State.iso3 == "KAZ", Review.cycle == 2)
        ).one()
        review.report_symbol = "A/HRC/28/10-TEST"
        review.review_date = dt.date(2014, 10, 30)
    rows = {r["cycle"]: r for r in calendar_json(capsys, "--state", "KAZ")}
    assert rows[2]["symbol"] == "A/HRC/28/10-TEST"
    assert rows[2]["start"] == "2014-10-30"


def test_ics_has_one_event_per_future_review_and_per_deadline(db_url, capsys, tmp_path) -> None:
    target = tmp_path / "reviews.ics"
    code = main(
        ["calendar", "--today", TODAY, "--state", "KAZ", "--state", "France", "--ics", str(target)]
    )
    assert code == 0
    assert "Wrote 4 events" in capsys.readouterr().out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    cal = Calendar.from_ical(target.read_bytes())
    events = list(cal.walk("VEVENT"))
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == [
        "Stakeholder submissions due: UPR of France",
        "Stakeholder submissions due: UPR of Kazakhstan",
        "UPR review of France (session 57)",
        "UPR review of Kazakhstan (session 62)",
    ]
    kaz = next(e for e in events if str(e["SUMMARY"]).startswith("UPR review of Kazakhstan"))
    assert kaz.decoded("DTSTART") == dt.date(2029, 11, 1)
    deadline = next(e for e in events if "Kazakhstan" in str(e["SUMMARY"]) and e is not kaz)
    assert deadline.decoded("DTSTART") == dt.date(2029, 5, 1)
    assert "Estimate" in str(deadline["DESCRIPTION"])
    for e in events:
        alarms = list(e.walk("VALARM"))
        assert alarms, e["SUMMARY"]
        assert all(a.decoded("TRIGGER") < dt.timedelta(0) for a in alarms)
    assert len({str(e["UID"]) for e in events}) == 4


def test_ics_replaces_an_existing_file_and_makes_it_private(db_url, capsys, tmp_path) -> None:
    target = tmp_path / "reviews.ics"
    target.write_text("old")
    target.chmod(0o644)
    assert main(["calendar", "--today", TODAY, "--state", "KAZ", "--ics", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_unknown_state_is_a_clear_error(db_url, capsys) -> None:
    assert main(["calendar", "--state", "Atlantis"]) == 1
    assert "unknown state 'Atlantis'" in capsys.readouterr().err


def test_overview_sentence_in_russian() -> None:
    from tracker.i18n import set_language

    kaz = reviews(None, ["KAZ"], dt.date(2026, 12, 4))[-1]
    set_language("ru")
    try:
        sentence = review_calendar.next_review_sentence(kaz)
    finally:
        set_language("en")
    assert "62" in sentence
    assert "2029" in sentence
    assert "Next review" not in sentence


def test_the_committed_review_order_is_what_the_script_derives(shared_data: Path) -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "tools" / "derive_review_order.py"
    spec = importlib.util.spec_from_file_location("derive_review_order", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    export = shared_data / "upr_info_recommendations_sessions01-27_export2018-07-25.csv"
    with (DATA_DIR / "review_order.csv").open(encoding="utf-8", newline="") as f:
        committed = list(csv.DictReader(f))
    assert module.derive(export) == committed
