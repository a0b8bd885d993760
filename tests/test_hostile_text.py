"""Hostile stored text in every output: control characters, bidi overrides, zero-width
characters and very long strings give a valid file from every writer of the app (never a
traceback, never a corrupt file), and a backup keeps them exactly as they are."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from tests.importer_support import run_import, write
from tests.test_importers_docx import HEADER_A, ROWS_A, matrix
from tracker import (
    auth,
    backup,
    charts,
    db,
    exports,
    flags,
    images,
    meeting,
    plans,
    queries,
    snapshot,
    submission,
)
from tracker.assessments import add_assessment
from tracker.filters import Filters
from tracker.importers.outcome import RejectedRow, rejects_csv
from tracker.matrix_fill import fill_matrix
from tracker.models import Assessment, PlannedAction, Recommendation, State, Theme
from tracker.safe_output import CONTROL_CHARS, REPLACEMENT, printable, strip_controls

# Every kind of character that breaks a writer or reorders the text around it.
CONTROLS = CONTROL_CHARS
BIDI = "\u202egnp.exe\u202c \u202bembedded \u2067isolate \u202dunclosed \u2069\u2069 \u202c"
ZERO_WIDTH = "zero\u200bwidth\u200cjoiner\u200d\u2060\ufeff"
HOSTILE = f"=Bad {CONTROLS} text {BIDI} {ZERO_WIDTH} \ufffe\uffff end"
LONG = "Long evidence " + "x" * 20_000
MATRIX_NAME = "UPR34_Kazakhstan.docx"
MATRIX = matrix(HEADER_A, ROWS_A)
DAY = dt.date(2025, 5, 14)
OFF = Filters()


@pytest.fixture
def hostile(db_url: str, tmp_path: Path) -> Engine:
    """A database whose every stored text is hostile, as an old backup could bring it: the
    recommendation, the state's and the recommending state's names, a theme, the evidence,
    the source, the author, a meeting's agreed status, an action plan entry."""
    engine = db.get_engine(db_url)
    assert run_import(engine, [write(tmp_path / MATRIX_NAME, MATRIX)]).ok
    with db.session_scope(engine) as s:
        ids = list(s.scalars(select(Recommendation.id).order_by(Recommendation.id)))
        add_assessment(
            s, ids[0], status="partially_implemented", assessed_on="2024-01-01", source_org="Ngo"
        )
        add_assessment(
            s, ids[1], status="not_implemented", assessed_on="2024-02-01", source_org="X"
        )
        plans.add_action(s, ids[0], action="Plan", responsible="Ministry", due_on="2020-01-01")
        m = meeting.validate_meeting("Coalition", DAY)
        meeting.record_status(s, m, ids[1], "fully_implemented", evidence="Agreed")
    with db.session_scope(engine) as s:
        # Written past the entry checks, as a restore of an old backup would.
        s.execute(update(Recommendation).values(text=Recommendation.text + " " + HOSTILE))
        s.execute(update(State).values(name=HOSTILE + State.name))
        s.execute(update(Theme).values(name=Theme.name + HOSTILE))
        s.execute(update(Assessment).values(evidence=HOSTILE + LONG, author=HOSTILE[:90]))
        s.execute(
            update(Assessment)
            .where(Assessment.source_org != meeting.validate_meeting("Coalition", DAY).source)
            .values(source_org=Assessment.source_org + HOSTILE[:200])
        )
        s.execute(update(PlannedAction).values(action=HOSTILE + LONG, responsible=HOSTILE))
    return engine


def _report(s: Session, fmt: str) -> bytes:
    settings = submission.ReportSettings(
        state="KAZ", organisations=(HOSTILE, "Lone \ud800 surrogate"), evidence_format="table"
    )
    report = submission.build_report(s, settings, [HOSTILE + LONG])
    if fmt == "docx":
        return submission.to_docx(report)
    if fmt == "md":
        return submission.to_markdown(report).encode("utf-8")
    return submission.to_csv(report)


def _minutes(s: Session, fmt: str) -> bytes:
    m = meeting.validate_meeting("Coalition", DAY)
    changes = meeting.meeting_changes(s, m)
    assert changes, [(a.source_org, a.assessed_on) for a in s.scalars(select(Assessment))]
    if fmt == "docx":
        return meeting.minutes_docx(m, changes, scope=HOSTILE)
    return meeting.minutes_markdown(m, changes, scope=HOSTILE).encode("utf-8")


def _matrix(s: Session, fmt: str) -> bytes:
    with auth.acting_as("editor", "editor"):
        result = fill_matrix(s, MATRIX, MATRIX_NAME, include_private=True)
    assert result.filled, result
    return result.data


def _outline(s: Session, fmt: str) -> bytes:
    """Report's "Save the outline": an outline made of the hostile database's text (the
    state's name, its themes, a recommendation) and a lone surrogate."""
    from tracker.submission.outline import Outline, OutlineSection, to_toml

    state = s.scalars(select(State.name)).first() or ""
    text = s.scalars(select(Recommendation.text)).first() or ""
    section = OutlineSection(
        heading=state,
        themes=tuple(s.scalars(select(Theme.name))),
        text=f"{text}\n\nLone \ud800 surrogate\n{LONG}",
        own=(text, "Lone \ud800 surrogate"),
    )
    outline = Outline(
        title=state, organisation=HOSTILE, executive_summary=text, sections=(section,)
    )
    return to_toml(outline).encode("utf-8")


def _rejects(s: Session, fmt: str) -> bytes:
    row = RejectedRow(MATRIX_NAME, 3, [HOSTILE, "b"], [HOSTILE + LONG, "\ud800"], [HOSTILE])
    return rejects_csv([row])


WRITERS: dict[str, tuple[str, Callable[[Session, str], bytes]]] = {
    "report docx": ("docx", _report),
    "report markdown": ("md", _report),
    "report csv": ("csv", _report),
    "matrix fill": ("docx", _matrix),
    "minutes docx": ("docx", _minutes),
    "minutes markdown": ("md", _minutes),
    "template csv": ("csv", lambda s, fmt: exports.filtered_export(s, OFF, "csv")),
    "template xlsx": ("xlsx", lambda s, fmt: exports.filtered_export(s, OFF, "xlsx")),
    "flagged csv": ("csv", lambda s, fmt: _flagged(s, fmt)),
    "flagged xlsx": ("xlsx", lambda s, fmt: _flagged(s, fmt)),
    "action plan csv": ("csv", lambda s, fmt: plans.plan_export(s, OFF, "csv")),  # type: ignore[arg-type]
    "action plan xlsx": ("xlsx", lambda s, fmt: plans.plan_export(s, OFF, "xlsx")),  # type: ignore[arg-type]
    "rejects csv": ("csv", _rejects),
    "outline toml": ("toml", _outline),
}


def _flagged(s: Session, fmt: str) -> bytes:
    opts = flags.FlagOptions(include_unassessed=True)
    return exports.flagged_export(s, OFF, flags.Flag.PARTIAL.value, opts, fmt)  # type: ignore[arg-type]


def _texts(data: bytes, fmt: str) -> list[str]:
    """The text of every cell or paragraph, read back as the reader's program would."""
    if fmt == "docx":
        d = docx.Document(io.BytesIO(data))
        cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
        return [p.text for p in d.paragraphs] + cells
    if fmt == "xlsx":
        wb = load_workbook(io.BytesIO(data), read_only=True)
        return [str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r]
    text = data.decode("utf-8")
    if fmt == "toml":  # every string value, as read back
        outline = tomllib.loads(text)
        sections = outline.pop("section")
        values = [*outline.values(), *(v for sec in sections for v in sec.values())]
        return [t for v in values for t in (v if isinstance(v, list) else [v])]
    if fmt == "csv":
        return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]
    return text.splitlines()


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_makes_a_valid_file_of_hostile_text(hostile: Engine, writer: str) -> None:
    fmt, make = WRITERS[writer]
    with db.session_scope(hostile) as s:
        data = make(s, fmt)
    if fmt in ("docx", "xlsx"):
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    texts = _texts(data, fmt)
    joined = "\n".join(texts)
    assert "Bad" in joined  # the text is there...
    assert "end" in joined
    for char in CONTROLS:  # ...without the control characters
        assert char not in joined, (writer, hex(ord(char)))
    if writer != "matrix fill":  # (the matrix's note is the importers' cell_text)
        assert ZERO_WIDTH in joined  # joiners are kept: Persian and Indic text need them
    # Every bidi override is closed within its own cell, paragraph or line: it cannot
    # reorder the text after it (printable() leaves balanced text as it is).
    assert "\u202egnp.exe\u202c" in joined
    assert all(printable(t) == t for t in texts), writer
    if writer in ("report docx", "report markdown", "rejects csv", "outline toml"):
        assert REPLACEMENT in joined  # the lone surrogate, replaced
    if fmt != "xlsx" and writer != "matrix fill":  # (Excel's limit; the matrix's short note)
        assert "x" * 20_000 in joined  # long text whole


def test_printable_drops_controls_replaces_surrogates_and_closes_bidi() -> None:
    assert printable("plain text, عربى, \u200d") == "plain text, عربى, \u200d"
    assert printable("a\x00b\x1b[31mc\x7f\td\n") == "ab[31mc\td\n"
    assert printable("x\ud800y") == "x\ufffdy"
    # An override left open is closed; a closing mark with nothing to close goes.
    assert printable("\u202eevil") == "\u202eevil\u202c"
    assert printable("\u2069\u202c\u202eevil") == "\u202eevil\u202c"
    # A PDI closes the embeddings opened in its isolate, said explicitly.
    assert printable("\u2067a\u202bb\u2069c") == "\u2067a\u202bb\u202c\u2069c"
    assert printable("\u2066a\u202cb") == "\u2066ab\u2069"
    assert strip_controls("a\x00\tb\x1b") == ("a\tb", 2)


@pytest.mark.parametrize("body", ["plain ascii ", "Côte d'Ivoire ", "Қазақстан ", "\u202ebidi "])
def test_a_long_text_loses_every_control_character_wherever_it_is(body: str) -> None:
    """A file's megabyte pieces take a faster check than the regular expression (Latin-1
    text): every control character is still found, at the start, the middle and the end."""
    long = body * 2000
    assert strip_controls(long) == (long, 0)
    for char in (*CONTROLS, "\ufffe", "\uffff"):
        for at in (0, len(long) // 2, len(long)):
            dirty = long[:at] + char + long[at:]
            assert strip_controls(dirty) == (long, 1), (char, at)


def test_a_backup_keeps_hostile_text_exactly(hostile: Engine, tmp_path: Path) -> None:
    def texts() -> list[tuple[str | None, ...]]:
        with db.session_scope(hostile) as s:
            return [
                tuple(row)
                for stmt in (
                    select(Recommendation.text).order_by(Recommendation.id),
                    select(State.name).order_by(State.id),
                    select(Theme.name).order_by(Theme.id),
                    select(Assessment.evidence, Assessment.source_org, Assessment.author).order_by(
                        Assessment.id
                    ),
                    select(PlannedAction.action, PlannedAction.responsible),
                )
                for row in s.execute(stmt)
            ]

    before = texts()
    assert any(HOSTILE in (t or "") for row in before for t in row)
    info = backup.write_backup(hostile, tmp_path / "hostile.zip")
    with db.session_scope(hostile) as s:
        s.execute(update(Recommendation).values(text="changed"))
    backup.restore(hostile, info.path)
    assert texts() == before


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="kaleido needs chromium")
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_snapshot_and_chart_images_of_hostile_text_render(hostile: Engine, fmt: str) -> None:
    with db.session_scope(hostile) as s:
        data = snapshot.snapshot_data(s, "KAZ", organisation=HOSTILE)
        counts = queries.status_counts(s, Filters(states=("KAZ",)))
    assert any(HOSTILE in theme for theme in data.by_theme["theme"])
    chart = images.prepare_for_export(
        charts.status_bar(counts, HOSTILE, HOSTILE), organisation=HOSTILE, caption=HOSTILE
    )
    for fig in (snapshot.snapshot_figure(data), chart):
        image = images.render(fig, fmt, scale=1)
        if fmt == "png":
            with Image.open(io.BytesIO(image)) as img:
                img.verify()
        else:
            svg = image.decode("utf-8")
            assert "end" in svg
            assert not set(CONTROLS) & set(svg.replace("\n", "").replace("\t", "")), fmt


def test_an_import_strips_control_characters_and_says_where(tmp_path: Path) -> None:
    from tests.importer_support import UPR_INFO_HEADER, csv_bytes, new_engine, upr_row
    from tests.test_importers_template import BASE, _template_csv
    from tracker.importers import ImportSource

    engine = new_engine(tmp_path)
    rows = [
        dict(
            BASE,
            recommendation="Adopt\x00 a plan\x07 now",
            evidence="Draft\x1b law",
            status="partially implemented",
            assessed_on="2024-01-31",
            assessment_source="NGO",
        ),
        dict(BASE, id="2", recommendation="Repeal\x01 article 174", themes="Justice\x7f"),
    ]
    upr = csv_bytes(UPR_INFO_HEADER, [upr_row(text_="Ratify\x00 the Convention\t(OP)")])
    report = run_import(
        engine, [ImportSource("t.csv", _template_csv(rows)), ImportSource("u.csv", upr)]
    )
    assert report.ok
    lines = [str(p) for p in report.problems]
    removed = "control characters removed (invisible, they cannot be printed); the row is imported"
    assert [line.split(":", 3)[:3] for line in lines if removed in line] == [
        ["t.csv", "2", " recommendation"],  # once per column: row 3 is cleaned silently
        ["t.csv", "2", " evidence"],
        ["t.csv", "3", " themes"],
        ["u.csv", "2", " Recommendation"],
    ]
    with db.session_scope(engine) as s:
        texts = set(s.scalars(select(Recommendation.text)))
        assert texts == {"Adopt a plan now", "Repeal article 174", "Ratify the Convention (OP)"}
        assert list(s.scalars(select(Assessment.evidence))) == ["Draft law"]
        assert "Justice" in set(s.scalars(select(Theme.name)))


def test_the_form_and_the_command_line_store_text_without_control_characters(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.importer_support import add_recommendation
    from tracker.cli import main
    from tracker.editing import update_recommendation
    from tracker.importers.inputs import RecommendationInput
    from tracker.organisation import organisation_name, set_organisation_name

    rid = add_recommendation(
        session,
        RecommendationInput(
            state_under_review="Kazakhstan", session=34, text="Decriminalise defamation"
        ),
    )
    session.commit()
    a = add_assessment(
        session,
        rid,
        status="not_implemented",
        assessed_on="2024-01-01",
        source_org="Legal\x00 centre",
        evidence="Draft\x1b[31m law\x07\nsecond line",
    )
    action = plans.add_action(session, rid, action="Train\x00 judges", responsible="Min\x01istry")
    update_recommendation(
        session, rid, 1, {"text": "Decriminalise\x0b defamation\x7f", "themes": ["Jus\x00tice"]}
    )
    set_organisation_name(session, "Legal\x1b centre")
    m = meeting.validate_meeting("Coal\x00ition", DAY)
    session.commit()
    assert (organisation_name(session), m.coalition) == ("Legal centre", "Coalition")
    assert [t.name for t in session.scalars(select(Theme))] == ["Justice"]
    assert (a.source_org, a.evidence) == ("Legal centre", "Draft[31m law\nsecond line")
    assert (action.action, action.responsible) == ("Train judges", "Ministry")
    assert session.get(Recommendation, rid).text == "Decriminalise defamation"  # type: ignore[union-attr]
    assess = ["assess", "--id", str(rid), "--status", "partially_implemented"]
    code = main(
        [*assess, "--date", "2024-02-01", "--source", "Ombuds\x1bman", "--evidence", "Said\x00 so"]
    )
    assert code == 0, capsys.readouterr()
    session.rollback()  # a new transaction: it sees what the command wrote
    latest = session.scalars(select(Assessment).order_by(Assessment.id.desc())).first()
    assert latest is not None
    assert (latest.source_org, latest.evidence) == ("Ombudsman", "Said so")


def test_a_report_outline_file_reads_back_as_printed() -> None:
    """The outline file holds stored text as every writer prints it (printable: no control
    characters, balanced bidi), and reads back as written."""
    from tracker.submission.outline import Outline, OutlineSection, read_toml, to_toml

    outline = Outline(
        title=HOSTILE,
        organisation=HOSTILE,
        executive_summary=f"{HOSTILE}\n\nsecond paragraph\x7f\r",
        sections=(OutlineSection(heading=HOSTILE, text="a\nb\x7f", own=(HOSTILE, LONG)),),
    )
    data = tomllib.loads(to_toml(outline))  # a valid TOML file
    assert (data["title"], data["executive_summary"]) == (
        printable(HOSTILE),
        f"{printable(HOSTILE)}\n\nsecond paragraph\r",
    )
    assert data["section"][0]["own"] == [printable(HOSTILE), LONG]
    assert read_toml(to_toml(outline)).sections[0].text == "a\nb"
