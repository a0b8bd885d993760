"""UPR Info exports: both real byte formats, the web-export labels, the identity rule,
validation messages with spreadsheet row numbers, --skip-invalid, dry runs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.importer_support import (
    TERMAN_HEADER,
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    fts_count,
    new_engine,
    recommendations,
    run_import,
    snapshot,
    stats,
    upr_row,
    write,
)
from tracker import auth, db
from tracker.importers import Format, ImportSource
from tracker.models import AuditEvent, ImportRun, Recommendation, State
from tracker.sample import load_sample


@pytest.fixture
def engine(tmp_path: Path):
    e = new_engine(tmp_path)
    yield e
    e.dispose()


def test_semicolon_bom_crlf_export_with_repeated_header_names_imports_every_row(
    tmp_path: Path, engine
) -> None:
    data = csv_bytes(
        UPR_INFO_HEADER,
        [
            upr_row(),
            upr_row(text_="Adopt a law against domestic violence.", rs="Mexico", action="4"),
            upr_row(sur="Kyrgyzstan", session="21", rs="Egypt", response="Noted"),
        ],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    report = run_import(engine, [write(tmp_path / "upr.csv", data)])
    f = report.files[0]
    assert f.format is Format.UPR_INFO
    assert (f.encoding, f.delimiter) == ("utf-8-sig", ";")
    assert (report.rows_read, report.added, report.rows_rejected) == (3, 3, 0)
    s = stats(engine)
    assert s["recommendations"] == 3
    assert s["by_response"]["noted"] == 1
    assert s["by_cycle"] == {"2": 3}


def test_mac_roman_bare_cr_variant_reads_to_from_text_and_accepted(tmp_path: Path, engine) -> None:
    rows = [
        [
            "Paraguay",
            "GRULAC",
            "OAS",
            "Protect the Guaraní language ",
            "Spain",
            "WEOG",
            "EU",
            "Accepted",
            "4",
            "Minorities",
            "10",
        ],
        [
            "Paraguay",
            "GRULAC",
            "OAS",
            "Consider the vis-à-vis review",
            "Chile",
            "GRULAC",
            "OAS",
            "Noted",
            "3",
            "General",
            "10",
        ],
    ]
    data = csv_bytes(TERMAN_HEADER, rows, delimiter=",", encoding="mac_roman", line_end="\r")
    assert b"\n" not in data
    assert b"\x92" in data
    report = run_import(engine, [write(tmp_path / "old.csv", data)])
    f = report.files[0]
    assert (f.format, f.encoding, f.delimiter) == (Format.UPR_INFO, "mac_roman", ",")
    recs = recommendations(engine)
    assert [r["text"] for r in recs] == [
        "Consider the vis-à-vis review",
        "Protect the Guaraní language",
    ]
    assert stats(engine)["by_response"] == {"supported": 1, "noted": 1}


def test_web_export_labels_match_case_insensitively_and_cycle_is_checked(
    tmp_path: Path, engine
) -> None:
    header = [
        "Title",
        "RECOMMENDATION",
        "state under review",
        "Recommending State",
        "Response",
        "Issues",
        "Cycle",
        "Session",
        "Action Category",
    ]
    rows = [
        [
            "x",
            "Ratify the Convention.",
            "Kazakhstan",
            "France",
            "Supported",
            "Women's rights",
            "2",
            "20",
            "5 - Specific action",
        ],
        ["y", "Consider ratifying it.", "Kazakhstan", "Chile", "Noted", "", "3", "20", "3"],
    ]
    report = run_import(
        engine, [write(tmp_path / "web.csv", csv_bytes(header, rows, delimiter=","))]
    )
    assert report.files[0].format is Format.UPR_INFO
    assert [str(p) for p in report.problems] == [
        f"{tmp_path / 'web.csv'}:3: Cycle: '3' does not match session 20, which is in cycle 2"
    ]
    assert not report.ok
    assert stats(engine)["recommendations"] == 0


def test_html_entities_are_decoded_and_unknown_state_means_no_state(tmp_path: Path, engine) -> None:
    rows = [
        upr_row(text_="Protect women &amp; girls &#40;all of them&#41;", rs="&#40;Unknown&#41;"),
        upr_row(text_="Ensure R&D funding", rs="Sao Tome &amp; Principe"),
    ]
    run_import(engine, [write(tmp_path / "e.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    recs = {r["text"]: r for r in recommendations(engine)}
    assert recs["Protect women & girls (all of them)"]["recommending_iso3"] == ""
    assert recs["Ensure R&D funding"]["recommending_iso3"] == "STP"
    with db.session_scope(engine) as s:
        assert "(Unknown)" not in set(s.scalars(select(State.name)))
    assert stats(engine)["recommendation_state_pairs"] == 1


def test_rows_agreeing_on_identity_are_one_recommendation_with_each_state(
    tmp_path: Path, engine
) -> None:
    rows = [
        upr_row(text_="Ratify the  Convention.", rs="France"),
        upr_row(text_="ratify the convention. ", rs="Mexico"),
        upr_row(text_=" Ratify the\nConvention.", rs="Chile"),
        upr_row(text_="Ratify the Convention.", rs="France"),  # exact duplicate: adds nothing
        upr_row(text_="Ratify the Convention.", rs="Spain", response="Noted"),  # other response
        upr_row(text_="Ratify the Convention.", rs="Spain", action="4"),  # other category
        upr_row(text_="Ratify the Convention.", rs="Spain", session="34"),  # other session
    ]
    report = run_import(engine, [write(tmp_path / "i.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    assert (report.rows_read, report.added) == (7, 4)
    s = stats(engine)
    assert s["recommendations"] == 4
    assert s["recommendation_state_pairs"] == 6
    first = next(r for r in recommendations(engine) if r["recommending_iso3"].count(",") == 2)
    assert first["recommending_iso3"] == "CHL, FRA, MEX"


def test_reimporting_a_file_changes_nothing_and_says_so(tmp_path: Path, engine) -> None:
    path = write(
        tmp_path / "r.csv",
        csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(rs="Chile"), upr_row(text_="Other.")]),
    )
    run_import(engine, [path])
    before = snapshot(engine)
    report = run_import(engine, [path])
    assert snapshot(engine) == before  # not even an import run or an audit event
    assert (report.added, report.updated, report.unchanged) == (0, 0, 2)
    assert report.summary_lines()[-1] == (
        "Nothing changed: the database already holds everything in these files."
    )


def test_a_new_recommending_state_updates_an_existing_recommendation(
    tmp_path: Path, engine
) -> None:
    run_import(engine, [write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))])
    with db.session_scope(engine) as s:
        version = s.scalar(select(Recommendation.version))
    report = run_import(
        engine, [write(tmp_path / "b.csv", csv_bytes(UPR_INFO_HEADER, [upr_row(rs="Chile")]))]
    )
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    with db.session_scope(engine) as s:
        assert s.scalar(select(Recommendation.version)) == version + 1


def test_state_names_from_every_source_resolve_to_one_state(tmp_path: Path, engine) -> None:
    rows = [
        upr_row(sur="Turkey", rs="Cote d'Ivoire"),
        upr_row(sur="Türkiye", rs="Côte d'Ivoire", text_="Second."),
        upr_row(sur="Bosnia and Herzegovina\n", rs="United Kingdom", text_="Third."),
        upr_row(
            sur=" Bosnia & Herzegovina",
            rs="United Kingdom of Great Britain and Northern Ireland",
            text_="Fourth.",
        ),
    ]
    run_import(engine, [write(tmp_path / "s.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    s = stats(engine)
    assert (s["states_under_review"], s["recommending_states"], s["reviews"]) == (2, 2, 2)
    with db.session_scope(engine) as session:
        assert sorted(session.scalars(select(State.iso3))) == ["BIH", "CIV", "GBR", "TUR"]


def test_stray_whitespace_and_line_breaks_around_names_and_texts_are_removed(
    tmp_path: Path, engine
) -> None:
    rows = [
        upr_row(sur="  Kazakhstan \r\n", text_="\n  Ratify   the Convention.  \n", rs="France\n")
    ]
    run_import(engine, [write(tmp_path / "w.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    (rec,) = recommendations(engine)
    assert (rec["state_iso3"], rec["text"], rec["recommending_iso3"]) == (
        "KAZ",
        "Ratify the Convention.",
        "FRA",
    )


def test_issues_become_themes_and_a_cell_may_list_several_states(tmp_path: Path, engine) -> None:
    rows = [upr_row(issue="Women's rights,Justice", rs="France, Chile")]
    run_import(engine, [write(tmp_path / "t.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    (rec,) = recommendations(engine)
    assert rec["themes"] == "Justice; Women's rights"
    assert rec["recommending_iso3"] == "CHL, FRA"


def test_invalid_rows_are_reported_with_the_row_a_spreadsheet_shows_and_nothing_is_written(
    tmp_path: Path, engine
) -> None:
    rows = [
        upr_row(text_="A text over\nthree\nlines."),  # row 2: a quoted value with line breaks
        upr_row(session="", text_="No session."),  # row 3
        upr_row(sur="Atlantis", action="7", text_="Two problems."),  # row 4
        upr_row(response="Maybe", rs="Narnia", text_="Row five."),  # row 5
    ]
    path = write(tmp_path / "bad.csv", csv_bytes(UPR_INFO_HEADER, rows))
    before = snapshot(engine)
    report = run_import(engine, [path])
    assert [str(p) for p in report.problems] == [
        f"{path}:3: Session: empty — the UPR session number is required",
        f"{path}:4: SuR: 'Atlantis' is not a known state (a UN member or observer state, "
        "in any usual spelling)",
        f"{path}:4: Action: '7' is not an action category (a number from 1 to 5, or empty)",
        f"{path}:5: RS: 'Narnia' is not a known state (a UN member or observer state, in any "
        "usual spelling)",
        f"{path}:5: Response: 'Maybe' is not a response (one of supported, noted, mixed, "
        "pending, not_supported; Accepted counts as supported)",
    ]
    assert not report.ok
    assert report.blocked
    assert snapshot(engine) == before


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rejected_ones(
    tmp_path: Path, engine
) -> None:
    rows = [upr_row(), upr_row(session="x", text_="Bad session."), upr_row(text_="Fine too.")]
    path = write(tmp_path / "mixed.csv", csv_bytes(UPR_INFO_HEADER, rows))
    report = run_import(engine, [path], skip_invalid=True)
    assert report.ok
    assert (report.added, report.rows_rejected) == (2, 1)
    rejects = tmp_path / "rejects.csv"
    assert report.write_rejects(rejects) == 1
    lines = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert lines[0] == ["file", "row", "reason", *UPR_INFO_HEADER]
    assert lines[1][:3] == [
        str(path),
        "3",
        "Session: 'x' is not a session number (a whole number such as 27)",
    ]
    assert lines[1][3:] == rows[1]
    assert len(lines) == 2


def test_dry_run_reports_what_would_change_and_writes_nothing(tmp_path: Path, engine) -> None:
    path = write(tmp_path / "d.csv", csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(rs="Chile")]))
    before = snapshot(engine)
    report = run_import(engine, [path], dry_run=True)
    assert snapshot(engine) == before
    assert (report.added, report.written) == (1, False)
    assert report.summary_lines()[-1].startswith("Dry run, nothing was written. It would give:")
    assert run_import(engine, [path]).added == 1


def test_a_second_session_for_the_same_review_is_rejected(tmp_path: Path, engine) -> None:
    rows = [upr_row(session="20"), upr_row(session="21", text_="Another.")]
    path = write(tmp_path / "c.csv", csv_bytes(UPR_INFO_HEADER, rows))
    report = run_import(engine, [path])
    assert [str(p) for p in report.problems] == [
        f"{path}:3: Session: '21' — Kazakhstan's cycle 2 review is session 20 (row 2); a state "
        "is reviewed once per cycle"
    ]


def test_import_records_one_run_and_one_audit_event_per_file_and_indexes_the_text(
    tmp_path: Path, engine
) -> None:
    a = write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    b = write(tmp_path / "b.csv", csv_bytes(UPR_INFO_HEADER, [upr_row(rs="Chile")]))
    report = run_import(engine, [a, b])
    assert [(f.added, f.updated, f.unchanged) for f in report.files] == [(1, 0, 0), (0, 1, 0)]
    assert (report.added, report.updated) == (1, 0)  # in total: one new recommendation
    with db.session_scope(engine) as s:
        runs = s.scalars(select(ImportRun).order_by(ImportRun.id)).all()
        assert [(r.filename, r.format, r.added, r.updated) for r in runs] == [
            (str(a), "upr-info", 1, 0),
            (str(b), "upr-info", 0, 1),
        ]
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
        assert [e.entity_id for e in events] == [r.id for r in runs]
    assert fts_count(engine, "optional") == 1
    # The search trigger is back: a row added later is indexed as usual.
    run_import(
        engine,
        [
            write(
                tmp_path / "c.csv",
                csv_bytes(UPR_INFO_HEADER, [upr_row(text_="Optional protocols again.")]),
            )
        ],
    )
    assert fts_count(engine, "optional") == 2


def test_uploaded_bytes_import_like_a_file(engine) -> None:
    data = csv_bytes(UPR_INFO_HEADER, [upr_row()])
    report = run_import(engine, [ImportSource("upload.csv", data)])
    assert report.files[0].name == "upload.csv"
    assert report.added == 1


def test_a_viewer_may_check_a_file_but_not_import_it(tmp_path: Path, engine) -> None:
    path = write(tmp_path / "v.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    with auth.acting_as("donor", "viewer"):
        assert run_import(engine, [path], dry_run=True).added == 1
        with pytest.raises(auth.PermissionDenied, match="importing files needs the editor role"):
            run_import(engine, [path])
    assert stats(engine)["recommendations"] == 0


def test_progress_is_reported_from_zero_to_one(tmp_path: Path, engine) -> None:
    rows = [upr_row(text_=f"Recommendation {i}.") for i in range(5000)]
    path = write(tmp_path / "p.csv", csv_bytes(UPR_INFO_HEADER, rows))
    seen: list[tuple[float, str]] = []
    run_import(engine, [path], progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _m in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert seen[0][1] == f"Checking rows of {path}"


def test_the_samples_real_recommendations_are_found_again_not_duplicated(
    tmp_path: Path, engine
) -> None:
    with db.session_scope(engine) as s:
        load_sample(s)
    before = stats(engine)["recommendations"]
    # One of the real recommendations the sample holds, as the UPR Info export writes it.
    row = upr_row(
        sur="Kazakhstan",
        text_="Adopt legislative measures to criminalize torture, violence against women and "
        "trafficking in persons in line with international standards ",
        rs="Mexico",
        action="5",
        issue="Torture and other CID treatment,Trafficking,Women's rights",
        session="20",
    )
    report = run_import(engine, [write(tmp_path / "k.csv", csv_bytes(UPR_INFO_HEADER, [row]))])
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    assert stats(engine)["recommendations"] == before


# --- today's exports (issue #14) ------------------------------------------------------------
WEB_HEADER = [
    "Title",
    "Recommendation",
    "State under Review",
    "Recommending State",
    "Response",
    "Issues",
    "Cycle",
    "Session",
    "Action Category",
]


@pytest.mark.parametrize(
    "label", ["20", "Session 20", "20 - October 2014", "- 20 Session", "20th session (2014)"]
)
def test_session_labels_of_todays_exports_read_as_the_session(
    tmp_path: Path, engine, label: str
) -> None:
    rows = [
        [
            "t",
            "Ratify the Convention.",
            "Kazakhstan",
            "France",
            "Supported",
            "",
            "2nd Cycle",
            label,
            "5",
        ]
    ]
    path = write(tmp_path / "web.csv", csv_bytes(WEB_HEADER, rows, delimiter=","))
    report = run_import(engine, [path])
    assert report.ok, [str(p) for p in report.problems]
    (rec,) = recommendations(engine)
    assert (rec["state_iso3"], rec["session"]) == ("KAZ", 20)


def test_a_label_naming_two_sessions_is_still_refused(tmp_path: Path, engine) -> None:
    rows = [upr_row(session="20 - 21")]
    path = write(tmp_path / "two.csv", csv_bytes(UPR_INFO_HEADER, rows))
    report = run_import(engine, [path])
    assert [str(p) for p in report.problems] == [
        f"{path}:2: Session: '20 - 21' is not a session number (a whole number such as 27)"
    ]


@pytest.mark.parametrize("sep", [", ", "; ", " | ", "|"])
def test_multi_value_cells_split_on_comma_semicolon_and_bar(
    tmp_path: Path, engine, sep: str
) -> None:
    rows = [
        upr_row(
            issue=sep.join(["Women's rights", "Justice"]),
            rs=sep.join(["France", "Korea, Republic of", "Chile"]),
        )
    ]
    report = run_import(engine, [write(tmp_path / "m.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    assert report.ok, [str(p) for p in report.problems]
    (rec,) = recommendations(engine)
    assert rec["themes"] == "Justice; Women's rights"
    assert set(rec["recommending_iso3"].split(", ")) == {"CHL", "FRA", "KOR"}


def test_invisible_marks_in_a_upr_info_export_are_removed(tmp_path: Path, engine) -> None:
    rows = [
        upr_row(
            sur="\u200eKazakhstan",
            text_="Ratify\u00a0the Convention.\u200f",
            rs="France\u200e",
            session="\ufeff20",
        ),
        upr_row(text_="Ratify the Convention.", rs="Chile"),
    ]
    report = run_import(engine, [write(tmp_path / "i.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    assert report.ok, [str(p) for p in report.problems]
    (rec,) = recommendations(engine)  # the marks do not make a second recommendation
    assert (rec["text"], rec["recommending_iso3"]) == ("Ratify the Convention.", "CHL, FRA")


def test_an_export_split_by_session_imports_together_and_overlaps_add_nothing(
    tmp_path: Path, engine
) -> None:
    # A capped export taken in two parts: sessions 20-21, then 21-34, session 21 in both.
    first = [
        upr_row(session="20 - October 2014", rs="France"),
        upr_row(sur="Kyrgyzstan", session="Session 21", rs="Egypt", text_="Adopt a law."),
    ]
    second = [
        upr_row(sur="Kyrgyzstan", session="21", rs="Egypt", text_="Adopt a law."),  # overlap
        upr_row(sur="Kyrgyzstan", session="21", rs="Chile", text_="Adopt a law."),  # new state
        upr_row(sur="Kazakhstan", session="34", rs="Mexico", text_="Protect journalists."),
    ]
    a = write(tmp_path / "part1.csv", csv_bytes(UPR_INFO_HEADER, first))
    b = write(
        tmp_path / "part2.csv",
        csv_bytes(
            WEB_HEADER[1:],
            [[r[3], r[0], r[4], r[7], r[9], "", r[10], r[8]] for r in second],
            delimiter=",",
        ),
    )
    together = run_import(engine, [a, b])
    assert together.ok, [str(p) for p in together.problems]
    assert (together.rows_read, together.added) == (5, 3)
    s = stats(engine)
    assert (s["recommendations"], s["recommendation_state_pairs"], s["reviews"]) == (3, 4, 3)
    before = snapshot(engine)
    # each part again, alone or both: nothing more
    for parts in ([a], [b], [b, a]):
        again = run_import(engine, parts)
        assert (again.added, again.updated, again.written) == (0, 0, False)
    assert snapshot(engine) == before
