"""OHCHR Word documents, built here with python-docx from the published layouts: the matrix
(layouts a, b, c; a table split across pages), the Working Group report, merging with what
is stored, bad documents, the command line, and ``matrix fill``."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine, select

from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    new_engine,
    run_import,
    snapshot,
    upr_row,
    write,
)
from tracker import cli, db
from tracker.assessments import add_assessment
from tracker.i18n import set_language
from tracker.importers import ImportSource, read_file
from tracker.matrix_fill import ASSESSMENT_HEADER, fill_matrix
from tracker.models import Recommendation, Review, State

HEADER_A = [
    "Recommendation",
    "Position",
    "Full list of themes",
    "Assessment/comments on level of implementation",
]
HEADER_B = [
    "Recommendation",
    "Recommending state/s",
    "Position",
    "Full list of rights/affected persons",
]
HEADER_C = [
    "Recommendation and recommending State",
    "Position of the State under review",
    "Human rights themes and groups of persons",
    "Relevant SDGs",
]

# Our own example recommendations (Kazakhstan, session 34; report A/HRC/43/11).
SOURCE = "\nSource of position: A/HRC/43/11/Add.1 - Para. 3"
ROWS_A = [
    ["Theme: A12 Acceptance of international norms"] * 4,
    [
        "121.1 Ratify the Optional Protocol to the Convention against Torture (France) "
        "(Lithuania);" + SOURCE,
        "Supported",
        "A12 Acceptance of international norms\nS16 SDG 16 - peace, justice\nAffected "
        "persons:\n- general",
        "",
    ],
    [
        "121.2 Abolish the death penalty in law (Iran (Islamic Republic of), Portugal);" + SOURCE,
        "Noted",
        "- Death penalty\nSDGs: \n- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS\nAffected "
        "persons: \n- persons deprived of their liberty",
        "",
    ],
]


def matrix(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, split_at: int | None = None
) -> bytes:
    """A matrix .docx; ``split_at``: the table is cut there into a second table that repeats
    the header (as a table broken across pages by its editor)."""
    d = docx.Document()
    d.add_paragraph("Thematic list of recommendations")
    parts = [rows] if split_at is None else [rows[:split_at], rows[split_at:]]
    for part in parts:
        t = d.add_table(rows=1, cols=len(header))
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = text
        for row in part:
            cells = t.add_row().cells
            if len(set(row)) == 1 and row[0].startswith(("Theme:", "Right or area:")):
                merged = cells[0].merge(cells[-1])
                merged.text = row[0]
                continue
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
        d.add_paragraph("")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def wg_report(paragraphs: Sequence[str], title: str = "Kazakhstan") -> bytes:
    d = docx.Document()
    d.add_paragraph("A/HRC/43/11")
    d.add_paragraph("Report of the Working Group on the Universal Periodic Review")
    d.add_paragraph(title)
    d.add_paragraph("121. The following recommendations will be examined by Kazakhstan:")
    for p in paragraphs:
        d.add_paragraph(p)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def read(name: str, data: bytes, **kwargs: object) -> object:
    return read_file(ImportSource(name, data), **kwargs)  # type: ignore[arg-type]


def recs(engine: Engine) -> list[dict[str, object]]:
    with db.session_scope(engine) as s:
        rows = s.scalars(select(Recommendation).order_by(Recommendation.paragraph)).all()
        return [
            {
                "paragraph": r.paragraph,
                "text": r.text,
                "response": r.response,
                "states": sorted(st.iso3 for st in r.recommending_states),
                "themes": sorted(t.name for t in r.themes),
                "sdgs": sorted(x.code for x in r.sdgs),
                "groups": sorted(g.name for g in r.affected_groups),
                "symbol": r.review.report_symbol,
                "session": r.review.session,
                "sur": r.review.state.iso3,
            }
            for r in rows
        ]


# --- reading ---------------------------------------------------------------------------------
def test_layout_a_coded_and_uncoded_themes_sdgs_groups_and_bracketed_states(
    tmp_path: Path,
) -> None:
    engine = new_engine(tmp_path)
    f = write(tmp_path / "UPR34_Kazakhstan_Thematic_list.docx", matrix(HEADER_A, ROWS_A))
    report = run_import(engine, [f])
    assert report.ok, report.problems
    assert report.added == 2
    assert report.files[0].format == "ohchr-matrix"
    got = recs(engine)
    assert got[0] == {
        "paragraph": "121.1",
        "text": "Ratify the Optional Protocol to the Convention against Torture",
        "response": "supported",
        "states": ["FRA", "LTU"],
        "themes": ["Acceptance of international norms"],
        "sdgs": ["16"],
        "groups": ["general"],
        "symbol": "A/HRC/43/11",
        "session": 34,
        "sur": "KAZ",
    }
    assert got[1]["states"] == ["IRN", "PRT"]  # "(Iran (Islamic Republic of), Portugal)"
    assert got[1]["response"] == "noted"
    assert got[1]["themes"] == ["Death penalty"]
    assert got[1]["groups"] == ["persons deprived of their liberty"]


def test_layout_b_mixed_response_and_states_one_per_line(tmp_path: Path) -> None:
    rows = [
        ["Right or area: 2.1. Acceptance of international norms"] * 4,
        [
            "98.1 Consider ratifying the Convention on migrant workers (Algeria); (Chile);",
            "Algeria\nChile\nSenegal",
            "Supported/Noted",
            "2.1. Acceptance of international norms\nAffected persons:\n- migrants",
        ],
        [
            "98.2 Strengthen the national human rights institution (Ghana);",
            "Ghana",
            "Supported / Noted",
            "4.2. National human rights institution",
        ],
    ]
    engine = new_engine(tmp_path)
    f = write(tmp_path / "matrix.docx", matrix(HEADER_B, rows))
    report = run_import(engine, [f], state="Kazakhstan", session_no=20)
    assert report.ok, report.problems
    assert report.added == 2
    got = recs(engine)
    assert [r["response"] for r in got] == ["mixed", "mixed"]
    assert got[0]["states"] == ["CHL", "DZA", "SEN"]  # the column's third line counts too
    assert got[0]["themes"] == ["Acceptance of international norms"]
    assert got[0]["groups"] == ["migrants"]
    assert got[1]["themes"] == ["National human rights institution"]
    assert {r["session"] for r in got} == {20}


def test_layout_c_split_across_pages_is_one_table_with_groups_and_sdgs(tmp_path: Path) -> None:
    def row(n: int) -> list[str]:
        return [
            f"140.{n} Adopt measure number {n} against trafficking (Maldives) (Portugal);\n"
            "Source of Position: A/HRC/59/15/Add.1 - Para.3",
            "Supported" if n % 2 else "Noted",
            "- Prohibition of slavery, trafficking\nGroups of Persons: \n- Women & girls",
            "- 5 - GENDER EQUALITY\n- 16 - PEACE, JUSTICE AND STRONG INSTITUTIONS",
        ]

    # a header row repeated inside the first table (Word's "repeat as header row" made real),
    # and the table split in two at row 4, the second table repeating the header
    rows = [["Theme: Trafficking"] * 4, row(1), list(HEADER_C)] + [row(n) for n in range(2, 7)]
    engine = new_engine(tmp_path)
    f = write(tmp_path / "upr48-kazakhstan-thematic-list.docx", matrix(HEADER_C, rows, split_at=5))
    report = run_import(engine, [f])
    assert report.ok, report.problems
    assert report.added == 6
    assert report.files[0].rows_read == 6  # not the section row nor the repeated header
    got = recs(engine)
    assert {r["symbol"] for r in got} == {"A/HRC/59/15"}
    assert got[0]["sdgs"] == ["16", "5"]
    assert got[0]["groups"] == ["Women & girls"]
    assert got[0]["states"] == ["MDV", "PRT"]
    assert [r["response"] for r in got].count("noted") == 3


def test_wg_report_paragraphs_are_pending_with_every_bracketed_state(tmp_path: Path) -> None:
    paras = [
        "121.1\tRatify the Optional Protocol to the Convention against Torture (France); "
        "(Lithuania);",
        "121.2\tAccede to the Convention on migrant workers (ICRMW) (Libya); Consider "
        "acceding to it (Chad);",
    ]
    engine = new_engine(tmp_path)
    f = write(tmp_path / "report.docx", wg_report(paras))
    report = run_import(engine, [f], session_no=34)
    assert report.ok, report.problems
    assert report.added == 2
    assert report.files[0].format == "wg-report"
    got = recs(engine)
    assert [r["response"] for r in got] == ["pending", "pending"]
    assert got[0]["sur"] == "KAZ"  # from the title
    assert got[0]["symbol"] == "A/HRC/43/11"  # from the document
    assert got[1]["states"] == ["LBY", "TCD"]
    assert got[1]["text"] == (
        "Accede to the Convention on migrant workers (ICRMW) (Libya); Consider acceding to it"
    )


# --- merging ---------------------------------------------------------------------------------
def test_wg_report_then_matrix_gives_one_recommendation_each_with_the_response(
    tmp_path: Path,
) -> None:
    engine = new_engine(tmp_path)
    report_file = write(
        tmp_path / "report.docx",
        wg_report(
            [
                "121.1\tRatify the Optional Protocol to the Convention against Torture "
                "(France); (Lithuania);",
                "121.2\tAbolish the death penalty in law (Portugal);",
            ]
        ),
    )
    assert run_import(engine, [report_file], session_no=34).added == 2
    f = write(tmp_path / "UPR34_Kazakhstan.docx", matrix(HEADER_A, ROWS_A))
    second = run_import(engine, [f])
    assert second.ok, second.problems
    assert (second.added, second.updated) == (0, 2)
    got = recs(engine)
    assert [(r["paragraph"], r["response"]) for r in got] == [
        ("121.1", "supported"),
        ("121.2", "noted"),
    ]
    assert got[1]["states"] == ["IRN", "PRT"]
    # The report again (pending): nothing changes.
    before = snapshot(engine)
    again = run_import(engine, [report_file], session_no=34)
    assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before


def test_matrix_fills_paragraphs_of_an_upr_info_import_and_reports_the_rest(
    tmp_path: Path,
) -> None:
    engine = new_engine(tmp_path)
    rows = [
        upr_row(
            text_="Ratify the Optional Protocol to the Convention against Torture.",
            rs="France",
            session="34",
        ),
        upr_row(text_="Something the matrix does not hold.", rs="Chile", session="34"),
    ]
    upr = write(tmp_path / "upr.csv", csv_bytes(UPR_INFO_HEADER, rows))
    assert run_import(engine, [upr]).added == 2
    f = write(tmp_path / "UPR34_Kazakhstan.docx", matrix(HEADER_A, ROWS_A))
    report = run_import(engine, [f])
    assert report.ok, report.problems
    assert (report.added, report.updated) == (1, 1)
    got = recs(engine)
    assert len(got) == 3  # no duplicate of the UPR Info recommendation
    opcat = next(r for r in got if r["paragraph"] == "121.1")
    assert opcat["states"] == ["FRA", "LTU"]
    assert opcat["symbol"] == "A/HRC/43/11"
    notes = report.files[0].notes
    assert len(notes) == 1
    assert "121.2" in notes[0]
    assert any("121.2" in line for line in report.summary_lines())
    before = snapshot(engine)
    again = run_import(engine, [f])
    assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before


# Slovenia's session 20 notes the same text twice (115.8 and 115.10): two recommendations.
TWICE = "Ratify the International Convention on the Rights of All Migrant Workers"


def test_the_same_text_under_two_paragraphs_is_two_recommendations(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    rows = [
        [f"121.8 {TWICE} (Egypt);" + SOURCE, "Noted", "- Migrants", ""],
        ["121.9 Abolish the death penalty (Portugal);" + SOURCE, "Supported", "- Death", ""],
        [f"121.10 {TWICE} (Mexico);" + SOURCE, "Noted", "- Migrants", ""],
    ]
    f = write(tmp_path / "UPR34_Kazakhstan.docx", matrix(HEADER_A, rows))
    report = run_import(engine, [f])
    assert report.ok, report.problems
    assert report.added == 3
    twice = [(r["paragraph"], r["states"]) for r in recs(engine) if r["text"] == TWICE]
    assert sorted(twice) == [("121.10", ["MEX"]), ("121.8", ["EGY"])]
    before = snapshot(engine)
    again = run_import(engine, [f])
    assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before


def test_report_then_matrix_with_one_text_under_two_paragraphs_fills_both(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    report_file = write(
        tmp_path / "report.docx",
        wg_report([f"121.8\t{TWICE} (Egypt);", f"121.10\t{TWICE} (Mexico);"]),
    )
    assert run_import(engine, [report_file], session_no=34).added == 2
    rows = [
        [f"121.8 {TWICE} (Egypt);" + SOURCE, "Noted", "- Migrants", ""],
        [f"121.10 {TWICE} (Mexico);" + SOURCE, "Noted", "- Migrants", ""],
    ]
    f = write(tmp_path / "UPR34_Kazakhstan.docx", matrix(HEADER_A, rows))
    second = run_import(engine, [f])
    assert second.ok, second.problems
    assert (second.added, second.updated) == (0, 2)
    assert sorted((r["paragraph"], r["response"], r["states"]) for r in recs(engine)) == [
        ("121.10", "noted", ["MEX"]),
        ("121.8", "noted", ["EGY"]),
    ]
    before = snapshot(engine)
    again = run_import(engine, [report_file, f], session_no=34)
    assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before


def test_upr_info_rows_of_one_text_stay_one_recommendation_a_matrix_numbers(
    tmp_path: Path,
) -> None:
    engine = new_engine(tmp_path)
    rows = [
        upr_row(text_=TWICE, rs="Egypt", session="34", response="Noted"),
        upr_row(text_=TWICE, rs="Mexico", session="34", response="Noted"),
    ]
    upr = write(tmp_path / "upr.csv", csv_bytes(UPR_INFO_HEADER, rows))
    assert run_import(engine, [upr]).added == 1  # no paragraph: one per text
    matrix_rows = [
        [f"121.8 {TWICE} (Egypt);" + SOURCE, "Noted", "- Migrants", ""],
        [f"121.10 {TWICE} (Mexico);" + SOURCE, "Noted", "- Migrants", ""],
    ]
    f = write(tmp_path / "UPR34_Kazakhstan.docx", matrix(HEADER_A, matrix_rows))
    report = run_import(engine, [f])
    assert report.ok, report.problems
    # the stored one takes the first paragraph, the second paragraph is a recommendation more
    assert (report.added, report.updated) == (1, 1)
    assert sorted(r["paragraph"] for r in recs(engine)) == ["121.10", "121.8"]
    before = snapshot(engine)
    again = run_import(engine, [upr, f])
    assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before


# --- bad input -------------------------------------------------------------------------------
def test_neither_matrix_nor_report_is_one_file_message(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Minutes of our meeting")
    buf = io.BytesIO()
    d.save(buf)
    report = read("notes.docx", buf.getvalue())
    assert report.fatal
    assert str(report.problems[0]).startswith("notes.docx: this Word document is neither")


def test_unknown_columns_with_format_forced(tmp_path: Path) -> None:
    data = matrix(["Text", "Country", "Notes"], [["a", "b", "c"]])
    report = read("m.docx", data, fmt="ohchr-matrix")
    assert report.fatal
    assert "'Text', 'Country', 'Notes'" in str(report.problems[0])


def test_paragraph_without_states_and_unknown_state_name_the_paragraph(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    paras = [
        "121.1\tRatify the Optional Protocol (France);",
        "121.2\tRatify the Convention;",
        "121.3\tRatify the Protocol (Atlantis);",
    ]
    f = write(tmp_path / "report.docx", wg_report(paras))
    before = snapshot(engine)
    report = run_import(engine, [f], session_no=34)
    assert not report.ok
    assert not report.written
    problems = [str(p) for p in report.problems]
    assert problems[0] == (
        f"{f}:121.2: Recommendation: no recommending state in brackets at the end"
    )
    assert problems[1].startswith(f"{f}:121.3: Recommendation: 'Atlantis' is not a known state")
    assert snapshot(engine) == before
    skipped = run_import(engine, [f], session_no=34, skip_invalid=True)
    assert skipped.added == 1
    assert skipped.rows_rejected == 2


def test_missing_state_and_session_name_the_options(tmp_path: Path) -> None:
    report = read("matrix.docx", matrix(HEADER_B, [["1.1 Do it (Chile);", "Chile", "Noted", ""]]))
    messages = [str(p) for p in report.problems]
    assert report.fatal
    assert any("--state NAME" in m and m.startswith("matrix.docx: ") for m in messages)
    assert any("--session N" in m for m in messages)


def test_forcing_a_word_format_on_a_csv_is_a_file_message(tmp_path: Path) -> None:
    data = csv_bytes(UPR_INFO_HEADER, [upr_row()])
    report = read("upr.csv", data, fmt="wg-report")
    assert report.fatal
    assert "is not a Word document" in str(report.problems[0])


def test_cli_imports_a_docx_with_state_and_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    new_engine(tmp_path, "cli.db").dispose()
    monkeypatch.setenv("UPR_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    f = write(tmp_path / "m.docx", matrix(HEADER_B, [["1.1 Do it (Chile);", "Chile", "Noted", ""]]))
    assert cli.main(["import", str(f)]) == 1
    assert "--state NAME" in capsys.readouterr().err
    code = cli.main(["import", str(f), "--state", "Kazakhstan", "--session", "34"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 added" in out
    db.dispose_engines()


# --- matrix fill -----------------------------------------------------------------------------
def _assess(engine: Engine, paragraph: str, status: str, day: str, evidence: str) -> None:
    with db.session_scope(engine) as s:
        rid = s.scalar(select(Recommendation.id).where(Recommendation.paragraph == paragraph))
        assert rid is not None
        add_assessment(
            s, rid, status=status, assessed_on=day, source_org="Legal centre", evidence=evidence
        )


def test_fill_writes_the_assessment_column_and_leaves_the_rest(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    data = matrix(HEADER_A, ROWS_A)
    f = write(tmp_path / "UPR34_Kazakhstan.docx", data)
    assert run_import(engine, [f]).ok
    _assess(engine, "121.1", "partially_implemented", "2025-05-01", "Shelter opened in Almaty")
    _assess(engine, "121.2", "not_implemented", "2025-06-01", "<w:t>=cmd|' /C calc'!A0\x07")
    with db.session_scope(engine) as s:
        result = fill_matrix(s, data, f.name, as_of=None)
        early = fill_matrix(s, data, f.name, as_of=dt.date(2025, 5, 15))
    out = docx.Document(io.BytesIO(result.data))
    source = docx.Document(io.BytesIO(data))
    t_out, t_src = out.tables[0], source.tables[0]
    assert len(t_out.rows) == len(t_src.rows)
    cells = [[c.text for c in r.cells] for r in t_out.rows]
    assert cells[2][3] == (
        "Partially implemented — Shelter opened in Almaty (Legal centre, 1 May 2025)"
    )
    assert cells[3][3] == "Not implemented — <w:t>=cmd|' /C calc'!A0 (Legal centre, 1 June 2025)"
    for r_out, r_src in zip(t_out.rows, t_src.rows, strict=True):
        assert [c.text for c in r_out.cells][:3] == [c.text for c in r_src.cells][:3]
    assert cells[1] == [c.text for c in t_src.rows[1].cells]  # the section row
    assert result.filled == ["121.1", "121.2"]
    assert not result.unmatched
    assert early.filled == ["121.1"]
    assert early.not_assessed == ["121.2"]


def test_fill_appends_the_column_and_lists_unmatched_rows(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    rows = [
        ["Theme: Trafficking"] * 4,
        ["140.1 Act (Chile);", "Supported", "- Trafficking", "- 5 - GENDER EQUALITY"],
        ["140.2 Act more (Chile);", "Noted", "- Trafficking", ""],
    ]
    data = matrix(HEADER_C, rows)
    f = write(tmp_path / "upr48-kazakhstan.docx", data)
    assert run_import(engine, [f]).ok
    _assess(engine, "140.1", "fully_implemented", "2025-05-01", "Done")
    other = matrix(HEADER_C, [*rows, ["140.9 Unknown here (Chile);", "Noted", "", ""]])
    with db.session_scope(engine) as s:
        result = fill_matrix(s, other, f.name)
    table = docx.Document(io.BytesIO(result.data)).tables[0]
    assert result.column_added
    assert len(table.columns) == 5
    assert table.rows[0].cells[4].text == ASSESSMENT_HEADER
    assert table.rows[2].cells[4].text.startswith("Fully implemented — Done (Legal centre")
    assert table.rows[3].cells[4].text == ""
    assert result.unmatched == ["140.9"]
    assert result.filled == ["140.1"]


def test_cli_matrix_fill_writes_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = new_engine(tmp_path, "cli.db")
    data = matrix(HEADER_A, ROWS_A)
    f = write(tmp_path / "UPR34_Kazakhstan.docx", data)
    assert run_import(engine, [f]).ok
    _assess(engine, "121.1", "partially_implemented", "2025-05-01", "Shelter")
    engine.dispose()
    monkeypatch.setenv("UPR_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    out = tmp_path / "filled.docx"
    code = cli.main(["matrix", "fill", str(f), "--out", str(out), "--lang", "ru"])
    set_language("en")  # the command line set Russian for the whole process
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (out.stat().st_mode & 0o777) == 0o600
    text = docx.Document(str(out)).tables[0].rows[2].cells[3].text
    assert text.startswith("Частично")
    assert "2025" in text
    db.dispose_engines()


def test_states_table_resolves_the_review(tmp_path: Path) -> None:
    """The state under review is stored as the states table names it."""
    engine = new_engine(tmp_path)
    f = write(tmp_path / "UPR34_Kazakhstan.docx", matrix(HEADER_A, ROWS_A))
    run_import(engine, [f])
    with db.session_scope(engine) as s:
        names = s.scalars(select(State.name).join(Review, Review.state_id == State.id)).all()
    assert names == ["Kazakhstan"]
