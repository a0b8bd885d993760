"""OHCHR UHRI exports: the 16-column Excel export and the JSON dump (our own records)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests.importer_support import (
    UHRI_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    new_engine,
    recommendations,
    run_import,
    stats,
)
from tracker import db
from tracker.importers import Format, ImportSource
from tracker.importers.rows import ParseContext
from tracker.importers.uhri import strip_trailing_states
from tracker.models import AffectedGroup, Review, Sdg, Theme


@pytest.fixture
def engine(tmp_path: Path):
    e = new_engine(tmp_path)
    yield e
    e.dispose()


def uhri_row(**values: object) -> list[object]:
    base: dict[str, object] = {
        "Text": "145.2 Ratify the Optional Protocol to the Convention against Torture "
        "(France) (Chile);",
        "Countries Concerned": "- Kazakhstan",
        "Reccomending Body": "- UPR",
        "Document Symbol": "A/HRC/43/10",
        "Themes": "- Acceptance of international norms\n- Torture and other cruel treatment",
        "Affected Persons": "- Persons deprived of their liberty",
        "Sdgs": "- 16.3 - Promote the rule of law\n- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS",
        "Document Publication Date": 43833,  # an Excel serial: 2020-01-03
        "UPR Reccomending States": "- France\n- Chile",
        "UPR Position": "- Supported",
        "Type": "- Recommendations",
        "OHCHR Annotation Id": "0b7c4f0e-0000-4000-8000-000000000001",
        "UPR Session": "- 34 Session",
        "Regions Concerned": "- Asia-Pacific",
        "Recommending Regions": "- WEOG\n- GRULAC",
        "Date of publication on UHRI": 43900.52,
    }
    base.update(values)
    return [base[h] for h in UHRI_HEADER]


def xlsx_bytes(rows: list[list[object]], header: list[str] = UHRI_HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_export_reads_dashes_paragraph_states_session_and_sdgs(engine) -> None:
    report = run_import(engine, [ImportSource("uhri.xlsx", xlsx_bytes([uhri_row()]))])
    f = report.files[0]
    assert (f.format, f.kind, f.sheet) == (Format.UHRI, "xlsx", "Export")
    (rec,) = recommendations(engine)
    assert rec["paragraph"] == "145.2"
    assert rec["text"] == "Ratify the Optional Protocol to the Convention against Torture"
    assert rec["recommending_iso3"] == "CHL, FRA"
    assert (rec["state_iso3"], rec["session"], rec["response"]) == ("KAZ", 34, "supported")
    with db.session_scope(engine) as s:
        assert s.scalars(select(Review.report_symbol)).all() == ["A/HRC/43/10"]
        assert sorted(s.execute(select(Sdg.code, Sdg.label)).all()) == [
            ("16", "PEACE, JUSTICE AND STRONG INSTITUTIONS"),
            ("16.3", "Promote the rule of law"),
        ]
        assert sorted(s.scalars(select(Theme.name))) == [
            "Acceptance of international norms",
            "Torture and other cruel treatment",
        ]
        assert s.scalars(select(AffectedGroup.name)).all() == ["Persons deprived of their liberty"]
    assert stats(engine)["by_cycle"] == {"3": 1}
    assert f.preview[0]["published"] == "2020-01-03"


def test_only_rows_whose_body_is_the_upr_are_recommendations(engine) -> None:
    rows = [
        uhri_row(),
        uhri_row(**{"Reccomending Body": "- CEDAW", "UPR Session": "", "Text": "12. Concern"}),
        uhri_row(**{"Reccomending Body": "- Special Procedures", "UPR Session": ""}),
    ]
    report = run_import(engine, [ImportSource("mixed.xlsx", xlsx_bytes(rows))])
    f = report.files[0]
    assert (f.rows_read, f.rows_valid, f.rows_skipped, f.rows_rejected) == (3, 1, 2, 0)
    assert dict(f.skipped_reasons) == {"CEDAW": 1, "Special Procedures": 1}
    assert (
        "2 rows skipped: not UPR recommendations (CEDAW (1), Special Procedures (1))."
        in (report.summary_lines()[0])
    )


def test_names_with_parentheses_and_mixed_positions(engine) -> None:
    rows = [
        uhri_row(
            Text="145.3 Strengthen the independence of judges (Iran (Islamic Republic of));",
            **{
                "UPR Reccomending States": "- Iran (Islamic Republic of)",
                "UPR Position": "- Supported\n- Noted",
            },
        ),
    ]
    run_import(engine, [ImportSource("p.xlsx", xlsx_bytes(rows))])
    (rec,) = recommendations(engine)
    assert rec["text"] == "Strengthen the independence of judges"
    assert (rec["recommending_iso3"], rec["response"]) == ("IRN", "mixed")


def test_closing_parentheses_are_kept_unless_they_name_the_recommending_states() -> None:
    ctx = ParseContext()
    assert strip_trailing_states("Ratify it (France) (Chile);", ["FRA", "CHL"], ctx) == "Ratify it"
    assert strip_trailing_states("Ratify it (France, Chile).", ["FRA", "CHL"], ctx) == "Ratify it"
    # Not the row's states, or not states at all: part of the text.
    assert strip_trailing_states("Ratify it (France)", ["CHL"], ctx) == "Ratify it (France)"
    assert strip_trailing_states("Adopt a law (2019)", ["FRA"], ctx) == "Adopt a law (2019)"
    assert strip_trailing_states("A (Ukraine); B (Chile);", ["UKR", "CHL"], ctx) == "A (Ukraine); B"


def test_json_dump_records_import_and_match_the_excel_export(tmp_path: Path, engine) -> None:
    record = {
        "AffectedPersons": ["Persons deprived of their liberty"],
        "AnnotationId": "0b7c4f0e-0000-4000-8000-000000000001",
        "AnnotationType": "- Recommendations",
        "Body": "- UPR",
        "Countries": ["Kazakhstan"],
        "PublicationDate": "2020-01-03T00:00:00",
        "Regions": ["Asia-Pacific"],
        "Sdgs": ["16.3 - Promote the rule of law"],
        "Symbol": "A/HRC/43/10",
        "Text": "145.2 Ratify the Optional Protocol to the Convention against Torture "
        "(France) (Chile);",
        "Themes": ["Acceptance of international norms"],
        "UprCycle": "3rd cycle",
        "UprPositions": ["Supported"],
        "UprRecommendingCountry": ["France", "Chile"],
        "UprSession": ["34 Session"],
    }
    other = dict(record, Body="- CRC", UprSession=[], Text="4. The Committee recommends")
    path = tmp_path / "export-full-en.json"
    path.write_text(json.dumps([record, other]), encoding="utf-8")
    report = run_import(engine, [path])
    f = report.files[0]
    assert (f.format, f.kind, f.rows_valid, f.rows_skipped) == (Format.UHRI, "json", 1, 1)
    assert stats(engine)["recommendations"] == 1
    # The same recommendation from the workbook, which gives one more theme and SDG.
    again = run_import(engine, [ImportSource("uhri.xlsx", xlsx_bytes([uhri_row()]))])
    assert (again.added, again.updated, again.unchanged) == (0, 1, 0)
    assert stats(engine)["recommendations"] == 1


def test_invalid_uhri_rows_are_reported_by_column(engine) -> None:
    rows = [
        uhri_row(**{"Countries Concerned": "- Kazakhstan\n- Kyrgyzstan"}),
        uhri_row(**{"UPR Session": ""}),
        uhri_row(**{"UPR Reccomending States": "- Gondor"}),
        uhri_row(Sdgs="- Zero hunger"),
    ]
    report = run_import(engine, [ImportSource("bad.xlsx", xlsx_bytes(rows))])
    assert [str(p) for p in report.problems] == [
        "bad.xlsx:2: Countries Concerned: 'Kazakhstan, Kyrgyzstan' names 2 states; a UPR "
        "recommendation concerns one state under review",
        "bad.xlsx:3: UPR Session: empty — the UPR session number is required",
        "bad.xlsx:4: UPR Reccomending States: 'Gondor' is not a known state (a UN member or "
        "observer state, in any usual spelling)",
        "bad.xlsx:5: Sdgs: 'Zero hunger' is not an SDG goal or target (such as 16 or 16.2)",
    ]
    assert stats(engine)["recommendations"] == 0


def test_dates_as_spreadsheet_dates_text_or_serials_all_read(engine) -> None:
    rows = [
        uhri_row(**{"Document Publication Date": dt.datetime(2020, 1, 3)}),
        uhri_row(
            Text="145.4 Another one (France) (Chile)", **{"Document Publication Date": "2020-01-03"}
        ),
        uhri_row(Text="145.5 A third (France) (Chile)", **{"Document Publication Date": "- 43833"}),
    ]
    report = run_import(engine, [ImportSource("d.xlsx", xlsx_bytes(rows))])
    assert [p["published"] for p in report.files[0].preview] == ["2020-01-03"] * 3


# --- today's exports (issue #14): marks, paragraphs in words, joined states -------------------
LRM, RLM, BOM, NBSP = "\u200e", "\u200f", "\ufeff", "\u00a0"


def test_invisible_marks_and_no_break_spaces_are_removed_from_every_cell(engine) -> None:
    row = uhri_row(
        Text=f"{BOM}145.2{NBSP}Ratify the Optional{NBSP}Protocol (France){LRM} (Chile);",
        **{
            "Countries Concerned": f"- {LRM}Kazakhstan{RLM}",
            "Reccomending Body": f"- UPR{LRM}",
            "Document Symbol": f"{LRM}A/HRC/43/10",
            "Themes": f"- Torture{NBSP}and other cruel treatment{LRM}",
            "UPR Reccomending States": f"- {RLM}France\n- Chile{BOM}",
            "UPR Position": f"- Supported{LRM}",
            "UPR Session": f"- 34{NBSP}Session{LRM}",
            "Document Publication Date": f"{LRM}2020-01-03",
        },
    )
    report = run_import(engine, [ImportSource("marks.xlsx", xlsx_bytes([row]))])
    assert report.ok, [str(p) for p in report.problems]
    (rec,) = recommendations(engine)
    assert rec["paragraph"] == "145.2"
    assert rec["text"] == "Ratify the Optional Protocol"
    assert (rec["state_iso3"], rec["session"], rec["response"]) == ("KAZ", 34, "supported")
    assert rec["recommending_iso3"] == "CHL, FRA"
    assert rec["themes"] == "Torture and other cruel treatment"
    assert report.files[0].preview[0]["published"] == "2020-01-03"
    with db.session_scope(engine) as s:
        assert s.scalar(select(Review.report_symbol)) == "A/HRC/43/10"


@pytest.mark.parametrize(
    ("text", "paragraph"),
    [
        ("Recommendation No. 12 para. 145.2 Ratify the Convention (France) (Chile);", "145.2"),
        ("para. 145.2 Ratify the Convention (France) (Chile);", "145.2"),
        ("Para. 145.2: Ratify the Convention (France) (Chile);", "145.2"),
        ("Recommendation No. 12: Ratify the Convention (France) (Chile);", None),
    ],
)
def test_a_paragraph_named_in_words_is_the_paragraph(engine, text: str, paragraph: str) -> None:
    report = run_import(engine, [ImportSource("p.xlsx", xlsx_bytes([uhri_row(Text=text)]))])
    assert report.ok, [str(p) for p in report.problems]
    (rec,) = recommendations(engine)
    assert (rec["paragraph"], rec["text"]) == (paragraph, "Ratify the Convention")


def test_countries_concerned_joining_two_states_rejects_only_its_row(engine) -> None:
    rows = [
        uhri_row(**{"Countries Concerned": "- South Sudan - Sudan"}),
        uhri_row(Text="145.3 Another one (France) (Chile)"),
    ]
    report = run_import(engine, [ImportSource("joined.xlsx", xlsx_bytes(rows))], skip_invalid=True)
    assert [str(p) for p in report.problems] == [
        "joined.xlsx:2: Countries Concerned: 'South Sudan - Sudan' names 2 states (South Sudan, "
        "Sudan); a UPR recommendation concerns one state under review: give each its own row"
    ]
    assert (report.rows_read, report.added, report.rows_rejected) == (2, 1, 1)


def test_recommending_states_joined_on_one_line_are_each_a_state(engine) -> None:
    row = uhri_row(
        Text="145.2 Ratify the Convention (South Sudan) (Sudan);",
        **{"UPR Reccomending States": "- South Sudan - Sudan"},
    )
    report = run_import(engine, [ImportSource("rs.xlsx", xlsx_bytes([row]))])
    assert report.ok, [str(p) for p in report.problems]
    (rec,) = recommendations(engine)
    assert (rec["text"], rec["recommending_iso3"]) == ("Ratify the Convention", "SSD, SDN")


def test_one_text_under_two_paragraphs_is_two_recommendations_and_reimports(engine) -> None:
    rows = [
        uhri_row(Text="115.8 Ratify ICRMW (Egypt);", **{"UPR Reccomending States": "- Egypt"}),
        uhri_row(Text="115.10 Ratify ICRMW (Mexico);", **{"UPR Reccomending States": "- Mexico"}),
    ]
    source = ImportSource("twice.xlsx", xlsx_bytes(rows))
    assert run_import(engine, [source]).added == 2
    got = [(r["paragraph"], r["recommending_iso3"]) for r in recommendations(engine)]
    assert sorted(got) == [("115.10", "MEX"), ("115.8", "EGY")]
    again = run_import(engine, [source])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
