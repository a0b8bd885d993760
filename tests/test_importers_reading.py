"""Reading files: encodings, delimiters, line endings, row numbers, headers and formats, cell
values, and the one clear message for anything that is not a table."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.importer_support import (
    TERMAN_HEADER,
    UHRI_HEADER,
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    upr_row,
)
from tracker.identity import clean_text
from tracker.importers import Format, ImportSource, read_file
from tracker.importers.detect import UPR_INFO_FIELDS, detect, header_score, map_columns
from tracker.importers.files import NotATableError, decode, parse_csv, read_workbook
from tracker.importers.values import (
    CellError,
    clean_cell_text,
    decode_entities,
    parse_action_category,
    parse_date_cell,
    parse_response_cell,
    parse_sdg,
    parse_session,
    split_dashed,
    split_paragraph,
)
from tracker.template_format import TEMPLATE_COLUMNS

TEXT = "Côte d’Ivoire – “quoted” Guaraní text, café, vis-à-vis, São Tomé, Türkiye"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.encode("mac_roman"), "mac_roman"),
        (TEXT.encode("utf-16"), "utf-16"),
        ("Protect the Guaraní language vis-à-vis the Autorité".encode("mac_roman"), "mac_roman"),
        ("Women’s rights – “all” of them".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected(data: bytes, encoding: str) -> None:
    text, found = decode(data)
    assert found == encoding
    assert "Guaran" in text or "Women" in text or "Protect" in text
    assert text.lstrip("\ufeff") in (TEXT, data.decode(found).lstrip("\ufeff"))


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8-sig"), (",", "mac_roman"), ("\t", "utf-8"), ("|", "cp1252")],
)
def test_every_delimiter_and_line_ending_reads_the_same_rows(
    line_end: str, delimiter: str, encoding: str
) -> None:
    rows = [upr_row(text_="Two\nlines, with; every | delimiter — Guaraní"), upr_row(text_="Next.")]
    data = csv_bytes(
        UPR_INFO_HEADER, rows, delimiter=delimiter, encoding=encoding, line_end=line_end
    )
    report = read_file(ImportSource("f.csv", data))
    assert (report.format, report.delimiter, report.encoding) == (
        Format.UPR_INFO,
        delimiter,
        encoding,
    )
    assert [p.row for p in report.parsed] == [2, 3]  # the quoted line break stays one row
    assert report.parsed[0].rec.text == "Two\nlines, with; every | delimiter — Guaraní"


def test_row_numbers_count_blank_lines_and_multi_line_values_as_a_spreadsheet_does() -> None:
    text = 'SuR;Recommendation;RS;Session\r\n\r\nKazakhstan;"a\r\nb\r\nc";France;20\r\n;;;\r\n'
    rows = parse_csv(text, ";")
    assert [n for n, _cells in rows] == [1, 2, 3, 4]
    report = read_file(ImportSource("f.csv", (text + "Kazakhstan;x;France;\r\n").encode()))
    assert [(p.row, p.column) for p in report.problems] == [(5, "Session")]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "e.csv", "the file is empty"),
        (b"\xef\xbb\xbf\r\n \r\n", "e.csv", "the file is empty"),
        (bytes(range(256)) * 8, "b.csv", "this is a binary file, not a table"),
        (b"PK\x03\x04not really a zip", "x.xlsx", "this Excel workbook cannot be opened"),
        (b"plain text", "y.xlsx", "the name ends in .xlsx but this is not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls", "this is an old Excel"),
        (b"%PDF-1.7 ...", "r.csv", "this is a PDF document"),
        (b'{"a": [1, 2', "d.json", "this is not valid JSON (line 1"),
        (b"[]", "d.json", "this JSON document holds no records"),
        (b"[" * 100_000, "deep.json", "this JSON document is nested too deeply"),
    ],
)
def test_files_that_are_not_tables_get_one_clear_message(
    data: bytes, name: str, message: str
) -> None:
    report = read_file(ImportSource(name, data))
    assert report.fatal is not None
    assert report.fatal.startswith(message), report.fatal
    assert [str(p) for p in report.problems] == [f"{name}: {report.fatal}"]


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, "x")
    return buf.getvalue()


def test_zip_archives_and_word_documents_are_named_as_such() -> None:
    with pytest.raises(NotATableError, match="Word document"):
        read_workbook(ImportSource("a.docx", _zip(["word/document.xml"])), header_score)
    with pytest.raises(NotATableError, match="zip archive"):
        read_workbook(ImportSource("a.zip", _zip(["a.txt"])), header_score)


def test_a_table_of_unknown_columns_is_explained_with_the_columns_found() -> None:
    report = read_file(ImportSource("f.csv", b"Name,Amount\nA,1\n"))
    assert str(report.problems[0]) == (
        "f.csv:1: the header row does not look like a UPR Info export, an OHCHR UHRI export or "
        "the UPR Tracker template (columns found: 'Name', 'Amount'); use --format to say which "
        "it is"
    )


def test_title_rows_above_the_header_are_skipped() -> None:
    data = csv_bytes(["UPR Info export, 25 July 2018"], [[], UPR_INFO_HEADER, upr_row()])
    report = read_file(ImportSource("f.csv", data))
    assert report.format is Format.UPR_INFO
    assert [p.row for p in report.parsed] == [4]


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (UPR_INFO_HEADER, Format.UPR_INFO),
        (TERMAN_HEADER, Format.UPR_INFO),
        (
            [
                "Recommendation",
                "State under Review",
                "Recommending State",
                "Response",
                "Issues",
                "Cycle",
                "Session",
                "Action Category",
            ],
            Format.UPR_INFO,
        ),
        (["  recommendation ", "State Under-Review", "session"], Format.UPR_INFO),
        (["state_under_review", "session", "recommendation", "themes"], Format.TEMPLATE),
        (UHRI_HEADER, Format.UHRI),
        (
            [
                "Text",
                "Countries",
                "Body",
                "UprSession",
                "UprRecommendingCountry",
                "UprPositions",
                "AnnotationId",
            ],
            Format.UHRI,
        ),
        (TEMPLATE_COLUMNS, Format.TEMPLATE),
        (["state_iso3", "session", "recommendation", "status"], Format.TEMPLATE),
        (["Name", "Amount"], None),
    ],
)
def test_formats_are_detected_from_the_header(header: list[str], fmt: Format | None) -> None:
    assert detect(header) is fmt


def test_the_first_of_a_repeated_column_name_is_read() -> None:
    cmap = map_columns(UPR_INFO_HEADER, UPR_INFO_FIELDS)
    assert cmap.index["sur"] == 0
    assert cmap.index["rs"] == 4
    assert cmap.name("rs") == "RS"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("27", 27),
        (" 27 ", 27),
        (27, 27),
        (27.0, 27),
        ("27th", 27),
        ("- 34 Session", 34),
        ("Session 5", 5),
        ("5.0", 5),
    ],
)
def test_session_numbers_in_their_usual_spellings(value: object, expected: int) -> None:
    assert parse_session(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty — the UPR session number is required"),
        ("abc", "'abc' is not a session number (a whole number such as 27)"),
        ("2.5", "'2.5' is not a session number (a whole number such as 27)"),
        ("-5", "'-5' is not a session number (a whole number such as 27)"),
        ("0", "'0' is not a session number (sessions are numbered from 1)"),
        ("20 or 21", "'20 or 21' is not a session number (a whole number such as 27)"),
    ],
)
def test_bad_session_numbers_are_quoted(value: str, message: str) -> None:
    with pytest.raises(CellError) as exc:
        parse_session(value)
    assert str(exc.value) == message


def test_action_categories_responses_dates_sdgs_and_paragraphs() -> None:
    assert [parse_action_category(v) for v in ("5", 4.0, "3 - Considering action", "", "1")] == [
        5,
        4,
        3,
        None,
        1,
    ]
    assert parse_action_category("Specific action") == 5
    for bad in ("6", "4.5", "1-5", "high"):
        with pytest.raises(CellError):
            parse_action_category(bad)
    assert [parse_response_cell(v) for v in ("Accepted", "- Noted", "Rejected", "")] == [
        "supported",
        "noted",
        "noted",
        None,
    ]
    assert parse_date_cell(43833) == dt.date(2020, 1, 3)
    assert parse_date_cell("43833.75") == dt.date(2020, 1, 3)
    assert parse_date_cell("2020-01-03T00:00:00") == dt.date(2020, 1, 3)
    assert parse_date_cell(dt.datetime(2020, 1, 3, 12)) == dt.date(2020, 1, 3)
    with pytest.raises(CellError):
        parse_date_cell(2019)  # a year, not an Excel serial
    assert parse_sdg("16.2 - Protect children from abuse") == (
        "16.2",
        "Protect children from abuse",
    )
    assert parse_sdg("1 - NO POVERTY") == ("1", "NO POVERTY")
    assert parse_sdg("16.a") == ("16.a", None)
    assert split_paragraph("145.2 Ratify it") == ("145.2", "Ratify it")
    assert split_paragraph("97.12. Ratify it") == ("97.12", "Ratify it")
    assert split_paragraph("4.The Committee") == (None, "4.The Committee")
    assert split_dashed("- a\n- b\n\n-  c ") == ["a", "b", "c"]
    assert split_dashed(["a", "- b"]) == ["a", "b"]
    assert decode_entities("&#40;Unknown&#41; R&D &amp; AT&T &copy") == "(Unknown) R&D & AT&T &copy"


@given(st.text())
def test_the_fast_text_cleaning_equals_the_identity_rules_cleaning(text: str) -> None:
    assert clean_cell_text(text) == clean_text(text)


def test_json_keys_in_camel_case_match_and_lists_are_values() -> None:
    record = {
        "Body": "- UPR",
        "Countries": ["Kazakhstan"],
        "Text": "1.1 Do it",
        "UprSession": "- 34 Session",
        "UprRecommendingCountry": ["Chile"],
        "UprPositions": ["Noted"],
    }
    report = read_file(ImportSource("u.json", json.dumps({"items": [record]}).encode()))
    assert report.format is Format.UHRI
    assert report.parsed[0].rec.response == "noted"


def test_reading_a_large_csv_holds_a_small_multiple_of_the_file() -> None:
    """Issue 19.4: a CSV is decoded and split into rows a piece at a time as its rows are
    read (no copy of its text, no list of its raw rows), so reading a file holds little more
    than the rows read from it, however large it is."""
    import random
    import tracemalloc

    rng = random.Random(19)
    words = [
        "".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 9))) for _ in range(500)
    ]
    rows = [
        upr_row(
            text_=" ".join(rng.choice(words) for _ in range(30)) + f" {i}.",
            session=("7", "20", "34", "41")[i % 4],  # one review per state
            sur=("Kazakhstan", "Chile", "France", "Norway")[i % 4],
        )
        for i in range(12_000)
    ]
    data = csv_bytes(UPR_INFO_HEADER, rows)
    source = ImportSource("big.csv", data)
    tracemalloc.start()
    try:
        report = read_file(source)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows_valid == 12_000
    # 3.1 times here (the rows read, each with its text); 4.6 when the text was decoded
    # whole and split into raw rows first, 8.5 before that (io.StringIO, raw rows kept)
    assert peak < 3.5 * len(data), f"peak {peak / len(data):.1f} times the file"


@pytest.mark.parametrize("chunk", [3, 40, 1 << 20])
def test_line_ends_inside_and_outside_quotes_read_as_before(chunk: int, monkeypatch) -> None:
    """The CSV's lines are split without io.StringIO: CRLF, LF and bare CR end a row, a
    form feed, U+2028 or U+0085 does not (in a quoted cell or not), a quoted line break
    stays inside its cell, whatever the line's place in the file."""
    header = "SuR;Recommendation;RS;Response;Session"
    lines = [
        "Chile;Ratify\x0cthe treaty;France;Supported;20",
        'Chile;"Two\r\nlines\u2028and\x85more";France;Supported;20',
        "Chile;Third\u2028one;France;Supported;20",
    ]
    text = header + "\r\n" + "\r".join(lines) + "\n"
    import tracker.importers.files as files_module

    monkeypatch.setattr(files_module, "_LINES_CHUNK", chunk)  # lines split a piece at a time
    rows = parse_csv(text, ";")
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert rows[1][1][1] == "Ratify\x0cthe treaty"
    assert rows[2][1][1] == "Two\r\nlines\u2028and\x85more"
    assert rows[3][1][1] == "Third\u2028one"
