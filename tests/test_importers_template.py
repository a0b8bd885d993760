"""The project template: export -> import round trips (XLSX with every assessment, CSV with
the current status), re-import, and the template's own validation."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    new_engine,
    recommendations,
    run_import,
    snapshot,
    stats,
    upr_row,
    write,
)
from tracker import db, template_format
from tracker.assessments import add_assessment, retract_assessment
from tracker.importers import Format, ImportSource
from tracker.models import Assessment, Recommendation, Review
from tracker.sample import load_sample
from tracker.template_format import ASSESSMENT_COLUMNS, TEMPLATE_COLUMNS


def _assessments(engine) -> list[tuple]:
    """Every assessment as (recommendation text, status, date, source, evidence, url, author,
    created_at, retracted text or None), sorted; and each recommendation's current status."""
    with db.session_scope(engine) as s:
        text_of = dict(s.execute(select(Recommendation.id, Recommendation.text)).all())
        rows = s.scalars(select(Assessment)).all()
        by_id = {a.id: a for a in rows}
        out = sorted(
            (
                text_of[a.recommendation_id],
                a.status,
                a.assessed_on,
                a.source_org,
                a.evidence,
                a.evidence_url,
                a.author,
                a.created_at,
                by_id[a.retracts_id].created_at if a.retracts_id else None,
                a.is_sample,
            )
            for a in rows
        )
        current = sorted(
            (text_of[r.id], r.current_assessment.status if r.current_assessment else None)
            for r in s.scalars(select(Recommendation))
        )
    return [*out, ("current", current)]


@pytest.fixture
def source_db(tmp_path: Path):
    """The sample, a real import, assessments that disagree, and a retraction."""
    engine = new_engine(tmp_path, "source.db")
    with db.session_scope(engine) as s:
        load_sample(s)
    rows = [upr_row(), upr_row(rs="Chile"), upr_row(text_="Adopt a law.", action="")]
    run_import(engine, [write(tmp_path / "upr.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    with db.session_scope(engine) as s:
        ids = s.scalars(select(Recommendation.id).order_by(Recommendation.id)).all()
        add_assessment(
            s,
            ids[0],
            status="not_implemented",
            assessed_on="2023-01-10",
            source_org="NGO A",
            evidence="No law yet.\nSecond line.",
        )
        add_assessment(
            s,
            ids[0],
            status="partially_implemented",
            assessed_on="2024-05-01",
            source_org="NGO A",
            evidence_url="https://example.org/r",
        )
        wrong = add_assessment(
            s,
            ids[-1],
            status="fully_implemented",
            assessed_on="2024-06-01",
            source_org="Government",
        )
        s.flush()
        retract_assessment(s, wrong.id, reason="Entered for the wrong recommendation")
        add_assessment(
            s,
            ids[-1],
            status="fully_implemented",
            assessed_on="2024-06-01",
            source_org="Government",
        )
    yield engine
    engine.dispose()


def test_xlsx_round_trip_reproduces_stats_and_every_assessment(tmp_path: Path, source_db) -> None:
    out = tmp_path / "export.xlsx"
    with db.session_scope(source_db) as s:
        template_format.export(s, out)
    target = new_engine(tmp_path, "target.db")
    report = run_import(target, [out])
    assert report.ok
    assert report.files[0].format is Format.TEMPLATE
    assert not report.problems
    assert stats(target) == stats(source_db)
    assert recommendations(target) == recommendations(source_db)
    assert _assessments(target) == _assessments(source_db)
    with db.session_scope(target) as s, db.session_scope(source_db) as t:

        def reviews(session):
            return sorted(
                session.execute(
                    select(Review.cycle, Review.session, Review.review_date, Review.report_symbol)
                ).all()
            )

        assert reviews(s) == reviews(t)
    # And again: nothing changes.
    before = snapshot(target)
    again = run_import(target, [out])
    assert (again.added, again.updated, again.assessments_added) == (0, 0, 0)
    assert snapshot(target) == before


def test_csv_round_trip_reproduces_everything_but_older_assessments(
    tmp_path: Path, source_db
) -> None:
    out = tmp_path / "export.csv"
    with db.session_scope(source_db) as s:
        template_format.export(s, out)
    target = new_engine(tmp_path, "target.db")
    report = run_import(target, [out])
    assert report.ok
    assert not report.problems
    got, want = stats(target), stats(source_db)
    assessed = sum(n for k, n in want["by_status"].items() if k != "not_assessed")
    assert got["assessments"] == assessed  # one per recommendation with a current status
    assert {**got, "assessments": 0} == {**want, "assessments": 0}
    assert recommendations(target) == recommendations(source_db)
    again = run_import(target, [out])
    assert (again.added, again.updated, again.assessments_added) == (0, 0, 0)


def test_template_into_the_exporting_database_changes_nothing(tmp_path: Path, source_db) -> None:
    out = tmp_path / "export.xlsx"
    with db.session_scope(source_db) as s:
        template_format.export(s, out)
    before = snapshot(source_db)
    report = run_import(source_db, [out])
    assert report.ok
    assert not report.changed
    assert snapshot(source_db) == before


def _template_csv(rows: list[dict[str, object]]) -> bytes:
    return csv_bytes(
        TEMPLATE_COLUMNS, [[r.get(c, "") for c in TEMPLATE_COLUMNS] for r in rows], delimiter=","
    )


BASE = {
    "id": "1",
    "state_under_review": "Kazakhstan",
    "state_iso3": "KAZ",
    "cycle": "2",
    "session": "20",
    "recommendation": "Adopt a national action plan.",
    "recommending_states": "France; Chile",
    "response": "supported",
    "action_category": "5",
    "themes": "Rights related to name, identity & nationality; Justice",
    "sdgs": "16.9; 5",
}


def test_template_csv_reads_lists_codes_and_the_current_status(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    row = dict(
        BASE,
        status="partially implemented",
        assessed_on="2024-01-31",
        assessment_source="NGO B",
        evidence="Some progress.",
        review_date="2014-10-30",
        report_symbol="A/HRC/28/10",
        paragraph="122.5",
        affected_groups="Women & girls",
    )
    report = run_import(engine, [ImportSource("t.csv", _template_csv([row]))])
    assert report.files[0].format is Format.TEMPLATE
    assert report.ok
    (rec,) = recommendations(engine)
    assert (rec["recommending_iso3"], rec["paragraph"]) == ("CHL, FRA", "122.5")
    assert rec["themes"] == "Justice; Rights related to name, identity & nationality"
    s = stats(engine)
    assert (s["assessments"], s["by_status"]["partially_implemented"]) == (1, 1)


def test_template_rows_are_validated_column_by_column(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    rows = [
        dict(BASE, state_iso3="KGZ"),
        dict(BASE, id="2", status="done", assessed_on="31/02/2024", assessment_source="X"),
        dict(BASE, id="3", status="", assessed_on="2024-01-01", evidence="Orphan evidence"),
        dict(
            BASE,
            id="4",
            status="not_implemented",
            assessed_on=future,
            assessment_source="",
            evidence_url="ftp://x",
        ),
        dict(BASE, id="1", recommendation="Duplicate id."),
        dict(BASE, id="6", cycle="3", sample="maybe"),
    ]
    report = run_import(engine, [ImportSource("t.csv", _template_csv(rows))])
    assert [str(p) for p in report.problems] == [
        "t.csv:2: state_iso3: 'KGZ' is not the code of 'Kazakhstan' (KAZ)",
        "t.csv:3: status: 'done' is not a status (one of fully_implemented, "
        "partially_implemented, not_implemented, no_information)",
        "t.csv:3: assessed_on: '31/02/2024' is not a date (write it as YYYY-MM-DD, e.g. "
        "2019-11-07)",
        "t.csv:4: status: empty, but assessed_on, evidence are filled: give the status too, or "
        "clear them",
        f"t.csv:5: assessed_on: '{future}' is in the future",
        "t.csv:5: assessment_source: empty — the organisation that made the assessment is required",
        "t.csv:5: evidence_url: 'ftp://x' is not a web address (http:// or https://)",
        "t.csv:6: id: '1' is also the id of row 2; ids must differ",
        "t.csv:7: cycle: '3' does not match session 20, which is in cycle 2",
        "t.csv:7: sample: 'maybe' is not yes or no",
    ]
    assert stats(engine)["recommendations"] == 0


def _workbook(rec_rows: list[list[object]], assessment_rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Recommendations"
    ws.append(TEMPLATE_COLUMNS)
    for r in rec_rows:
        ws.append(r)
    ws2 = wb.create_sheet("Assessments")
    ws2.append(ASSESSMENT_COLUMNS)
    for r in assessment_rows:
        ws2.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_assessments_sheet_rows_are_checked_and_tied_to_their_recommendation(
    tmp_path: Path,
) -> None:
    engine = new_engine(tmp_path)
    rec = [BASE.get(c, "") for c in TEMPLATE_COLUMNS]
    bad = list(rec)
    bad[TEMPLATE_COLUMNS.index("id")] = 2
    bad[TEMPLATE_COLUMNS.index("session")] = "twenty"
    # id 1 valid, id 2 rejected; the sheet has a good row and three bad ones.
    sheet = [
        [10, 1, "not_implemented", dt.date(2024, 1, 1), "NGO", "", "", "ann", "", "", ""],
        [11, 2, "not_implemented", dt.date(2024, 1, 1), "NGO", "", "", "", "", "", ""],
        [12, 9, "not_implemented", dt.date(2024, 1, 1), "NGO", "", "", "", "", "", ""],
        [13, 1, "not_implemented", dt.date(2024, 1, 1), "NGO", "", "", "", "", 99, ""],
    ]
    report = run_import(engine, [ImportSource("w.xlsx", _workbook([rec, bad], sheet))])
    assert [str(p) for p in report.problems] == [
        "w.xlsx:3: session: 'twenty' is not a session number (a whole number such as 27)",
        "w.xlsx[Assessments]:3: recommendation_id: '2': its recommendation (row 3) was rejected",
        "w.xlsx[Assessments]:4: recommendation_id: '9' is not an id in the first sheet",
        "w.xlsx[Assessments]:5: retracts: '99' is not the id of a valid assessment in this sheet",
    ]
    report = run_import(
        engine, [ImportSource("w.xlsx", _workbook([rec, bad], sheet))], skip_invalid=True
    )
    assert report.ok
    assert (report.added, report.assessments_added, report.rows_rejected) == (1, 1, 4)
    with db.session_scope(engine) as s:
        assert s.scalars(select(Assessment.author)).all() == ["ann"]


def test_a_template_needs_its_core_columns_when_forced(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    data = csv_bytes(["id", "recommendation", "sample"], [["1", "x", ""]], delimiter=",")
    report = run_import(engine, [ImportSource("t.csv", data)], fmt="template")
    assert [str(p) for p in report.problems] == [
        "t.csv:1: read as a UPR Tracker template, the header lacks the columns "
        "state_under_review, session (found: 'id', 'recommendation', 'sample')"
    ]
    assert report.fatal
    assert not report.ok
