"""The stakeholder report: the .docx opened with python-docx as the NGO would open it in
Word, the Markdown and CSV of the same selection, saved reports, the organisation's name and
the ``report`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.importer_support import add_recommendation
from tracker import db, schema, settings, submission
from tracker.assessments import add_assessment, refresh_current_status
from tracker.cli import main
from tracker.errors import ValidationError
from tracker.importers.inputs import RecommendationInput
from tracker.models import Assessment, AuditEvent
from tracker.organisation import organisation_name, set_organisation_name
from tracker.sample import load_sample
from tracker.states import UnknownStateError
from tracker.submission import ReportSettings, build_report

ORG = "Women's rights legal centre"
OWN = [
    "Adopt a law that criminalises domestic violence as a separate offence",
    "Give foreign victims of trafficking access to state shelters",
]
SEEDS = {
    "Malaysia": "as well as the sexual abuse of women and girls.",
    "Mexico": "trafficking in persons in line with international standards.",
    "Egypt": "based on the relevant National Action Plan endorsed in 2012.",
}


@pytest.fixture(scope="module")
def kaz_sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One database with the sample for the tests that only read (building it costs ~1 s)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'sample.db'}"
    engine = db.create_engine_for(url)
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        load_sample(s)
    s = db.session_factory(engine)()
    try:
        yield s
    finally:
        s.close()
        engine.dispose()


def kaz(**changes: object) -> ReportSettings:
    return ReportSettings(state="Kazakhstan", organisations=(ORG,), **changes)


def open_docx(data: bytes):
    return Document(io.BytesIO(data))


def numbered(doc) -> list:
    """Body paragraphs that carry Word numbering (w:numPr), in order."""
    return [p for p in doc.paragraphs if p._p.find(qn("w:pPr") + "/" + qn("w:numPr")) is not None]


def test_docx_is_a_stakeholder_submission_with_the_three_seed_recommendations(
    kaz_sample: Session,
) -> None:
    # The evidence as tables (the option to keep them; footnotes are the default).
    report = build_report(kaz_sample, kaz(evidence_format="table"), OWN, today=dt.date(2026, 3, 1))
    doc = open_docx(submission.to_docx(report))
    texts = [p.text for p in doc.paragraphs]

    # Title block: organisation, country, the session it is for, date, key words.
    assert texts[0] == f"SUBMISSION BY {ORG.upper()}"
    assert "Universal Periodic Review of Kazakhstan" in texts
    assert "Cycle 5, session 62 of the UPR Working Group" in texts
    assert "1 March 2026" in texts
    keywords = next(t for t in texts if t.startswith("Key words:"))
    assert "Women's rights" in keywords
    assert "Trafficking" in keywords

    # The seed recommendations: quoted, recommending state in parentheses, status after a dash.
    for state, ending in SEEDS.items():
        line = next(t for t in texts if f"({state})" in t)
        assert line.endswith(f"{ending} ({state}) — partially implemented"), line
    # ... under a heading with the cycle and session, inside a theme section.
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Cycle 1, session 7 (February 2010, A/HRC/14/10)" in headings
    assert "Cycle 2, session 20 (October 2014, A/HRC/28/10)" in headings
    assert headings[0] == "Introduction"
    assert "Women's rights" in headings
    assert headings[-1] == "Recommendations"

    # Evidence: a compact table per assessed recommendation, with dates and sources.
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header == ["Date", "Source", "Status", "Evidence"]
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any("a shelter in Shymkent helped 44 trafficked Kazakh citizens" in c for c in cells)
    assert "2024-07-15" in cells

    # The organisation's own recommendations close the document, numbered too.
    assert [p.text for p in numbered(doc)[-2:]] == [t + "." for t in OWN]


def test_docx_paragraphs_use_real_word_numbering_and_the_footer_has_a_page_field(
    kaz_sample: Session,
) -> None:
    report = build_report(kaz_sample, kaz(), OWN)
    doc = open_docx(submission.to_docx(report))
    paras = numbered(doc)
    # Intro (2) + one per recommendation + own recommendations, and no typed "1." text.
    assert len(paras) == 2 + report.recommendation_count + len(OWN)
    assert not any(re.match(r"\d+\.\s", p.text) for p in doc.paragraphs)
    num_ids = {p._p.pPr.numPr.numId.val for p in paras}
    assert len(num_ids) == 1  # one list: the paragraphs are numbered consecutively
    numbering = doc.part.numbering_part.element
    num_id = num_ids.pop()
    num = next(n for n in numbering.findall(qn("w:num")) if n.numId == num_id)
    abstract_id = num.abstractNumId.val
    abstract = next(
        a
        for a in numbering.findall(qn("w:abstractNum"))
        if int(a.get(qn("w:abstractNumId"))) == abstract_id
    )
    lvl = abstract.find(qn("w:lvl"))
    assert lvl.find(qn("w:numFmt")).get(qn("w:val")) == "decimal"
    assert lvl.find(qn("w:lvlText")).get(qn("w:val")) == "%1."

    footer = doc.sections[0].footer._element
    instructions = [i.text.strip() for i in footer.iter(qn("w:instrText"))]
    assert "PAGE" in instructions
    assert "NUMPAGES" in instructions
    assert "Kazakhstan — UPR session 62" in footer.xml


def test_sample_data_is_watermarked(kaz_sample: Session) -> None:
    report = build_report(kaz_sample, kaz())
    header = open_docx(submission.to_docx(report)).sections[0].header._element.xml
    assert "Sample data: this document contains illustrative records" in header
    assert 'string="SAMPLE DATA"' in header  # Word's diagonal watermark (VML text path)
    assert "> **Sample data: this document contains illustrative records" in submission.to_markdown(
        report
    )


def test_real_data_is_not_watermarked(session: Session) -> None:
    real = _real_database(session)
    report = build_report(session, ReportSettings(state="Kazakhstan", organisations=(ORG,)))
    assert not report.is_sample
    assert "SAMPLE" not in open_docx(submission.to_docx(report)).sections[0].header._element.xml
    assert "Sample data" not in submission.to_markdown(report)
    assert real == report.recommendation_count


def _real_database(session: Session) -> int:
    """Two real recommendations to Kazakhstan, one assessed; returns how many."""
    a = add_recommendation(
        session,
        RecommendationInput(
            state_under_review="Kazakhstan",
            session=20,
            text="Ratify the Istanbul Convention",
            response="noted",
            recommending_states=["Spain", "France"],
            themes=["Women's rights"],
            paragraph="120.5",
        ),
    )
    add_recommendation(
        session,
        RecommendationInput(
            state_under_review="Kazakhstan",
            session=34,
            text="Decriminalise defamation",
            response="supported",
            recommending_states=["Sweden"],
            themes=["Freedom of opinion and expression"],
        ),
    )
    session.flush()
    add_assessment(
        session,
        a,
        status="not_implemented",
        assessed_on="2024-02-01",
        source_org="Legal centre",
        evidence="Not signed.",
        evidence_url="https://example.org/istanbul",
    )
    session.commit()
    return 2


def test_real_data_report_cites_paragraph_numbers_and_links_the_evidence(
    session: Session,
) -> None:
    _real_database(session)
    report = build_report(
        session,
        ReportSettings(state="KAZ", organisations=("A", "B", "C"), evidence_format="table"),
    )
    assert report.session == 48  # latest review 34 + one cycle
    assert report.cycles == (1, 2, 3)
    assert report.byline == "Joint submission by A, B and C"
    assert report.joint
    assert report.word_limit == submission.WORD_LIMIT_JOINT
    doc = open_docx(submission.to_docx(report))
    line = next(p.text for p in doc.paragraphs if "Istanbul" in p.text)
    assert line == "120.5 Ratify the Istanbul Convention. (France, Spain) — not implemented"
    assert "Response of Kazakhstan: noted." in [p.text for p in doc.paragraphs]
    rels = [r.target_ref for r in doc.part.rels.values() if r.is_external]
    assert "https://example.org/istanbul" in rels
    assert "[Legal centre](<https://example.org/istanbul>)" in submission.to_markdown(report)
    # Not assessed yet: said so, and no empty table.
    assert any("No assessment recorded yet." in p.text for p in doc.paragraphs)
    assert len(doc.tables) == 1


def test_next_session_and_default_cycles_follow_the_state_history(
    kaz_sample: Session,
) -> None:
    report = build_report(kaz_sample, kaz())
    assert (report.session, report.cycle, report.cycles) == (62, 5, (1, 2, 3, 4))
    assert set(report.frame["cycle"]) == {1, 2, 3, 4}
    # A report for the 4th cycle review covers cycles 1-3 only.
    earlier = build_report(kaz_sample, kaz(session=48))
    assert (earlier.cycle, earlier.cycles) == (4, (1, 2, 3))
    assert set(earlier.frame["cycle"]) == {1, 2, 3}
    # Cycle 1 reviews had 12 sessions: Kyrgyzstan (8, 21, 35) is next reviewed at 49.
    assert submission.next_review_session(kaz_sample, "KGZ") == 49


def test_each_recommendation_is_listed_once_under_the_first_chosen_theme(
    kaz_sample: Session,
) -> None:
    report = build_report(kaz_sample, kaz(themes=("Trafficking", "Women's rights")))
    frame = report.frame
    assert frame["id"].is_unique
    assert list(dict.fromkeys(frame["section"])) == ["Trafficking", "Women's rights"]
    # Malaysia's recommendation has both themes: it goes under Trafficking, chosen first.
    malaysia = frame[frame["recommending_states"] == "Malaysia"]
    assert list(malaysia["section"]) == ["Trafficking"]
    headings = [b.text for b in report.blocks if isinstance(b, submission.Heading) and b.level == 1]
    assert headings == ["Introduction", "Trafficking", "Women's rights"]


def test_status_filter_and_csv_and_markdown_hold_the_same_selection(
    kaz_sample: Session,
) -> None:
    report = build_report(
        kaz_sample, kaz(statuses=("partially_implemented",), evidence_format="table"), OWN
    )
    assert set(report.frame["status"]) == {"partially_implemented"}
    rows = list(csv.DictReader(io.StringIO(submission.to_csv(report).decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == list(report.frame["id"])
    assert list(rows[0]) == submission.CSV_COLUMNS
    egypt = next(r for r in rows if r["recommending_states"] == "Egypt")
    assert egypt["status"] == "partially_implemented"
    assert egypt["sample"] == ""
    md = submission.to_markdown(report)
    for state in SEEDS:
        assert f"({state}) — **partially implemented**" in md
    items = re.findall(r"^(\d+)\. ", md, flags=re.MULTILINE)
    assert [int(n) for n in items] == list(range(1, 3 + len(rows) + len(OWN)))
    assert md.count("| Date | Source | Status | Evidence |") == len(rows)


def split_notes(md: str) -> tuple[str, list[str]]:
    """A report's Markdown: its text and its footnote definitions ("[^3]: …"), in order."""
    lines = md.splitlines()
    notes = [line for line in lines if re.match(r"\[\^\d+\]: ", line)]
    return "\n".join(line for line in lines if line not in notes).rstrip(), notes


@pytest.mark.parametrize("with_outline", [False, True])
def test_the_preview_is_the_start_of_the_whole_document(
    kaz_sample: Session, with_outline: bool
) -> None:
    """The Report page previews the first numbered paragraphs: the very text of the
    download up to there, numbered alike, with the footnotes it cites, never ending on a
    heading or a lead-in; at or past the last paragraph, the whole document."""
    from tests.test_report_outline import KAZ_OUTLINE

    outline = submission.read_toml(KAZ_OUTLINE, "outline") if with_outline else None
    report = build_report(kaz_sample, kaz(), OWN, outline=outline)
    whole = submission.to_markdown(report)
    text, notes = split_notes(whole)
    count = report.paragraph_count
    assert count == len(re.findall(r"^\d+\. ", whole, flags=re.MULTILINE)) > 15
    assert notes  # footnotes to keep in step
    for shown in range(count + 2):
        part = submission.to_markdown(report, paragraphs=shown)
        if shown >= count:
            assert part == whole
            continue
        part_text, part_notes = split_notes(part)
        assert text.startswith(part_text + "\n")
        items = re.findall(r"^(\d+)\. ", part, flags=re.MULTILINE)
        assert [int(n) for n in items] == list(range(1, shown + 1))
        # What follows in the document is the next paragraph, or the headings before it.
        rest = text[len(part_text) :].lstrip("\n")
        assert rest.startswith((f"{shown + 1}. ", "#")) or "recommend" in rest.split("\n")[0]
        last = part_text.rsplit("\n", 1)[-1]
        assert not last.startswith("#")
        assert "that the Government of" not in last  # "… recommends that the Government of …:"
        # The footnotes of the part: the document's first ones, each cited in the part.
        assert part_notes == notes[: len(part_notes)]
        assert set(re.findall(r"\[\^(\d+)\](?!:)", part_text)) == {
            str(i) for i in range(1, len(part_notes) + 1)
        }
        assert report.word_count_message() not in part


def test_markdown_shows_database_text_literally(session: Session) -> None:
    add_recommendation(
        session,
        RecommendationInput(
            state_under_review="Kazakhstan",
            session=34,
            text="Repeal *article* 174 <b>now</b> [x](javascript:alert(1))",
            response="supported",
            recommending_states=["Sweden"],
        ),
    )
    session.commit()
    md = submission.to_markdown(
        build_report(session, ReportSettings(state="KAZ", organisations=("A_B",)))
    )
    # Raw HTML as entities (issue 13): inert in every Markdown renderer, not only CommonMark.
    assert r"Repeal \*article\* 174 &lt;b&gt;now&lt;/b&gt; \[x\](javascript:alert(1))" in md
    assert r"Submission by A\_B" in md


def test_word_count_against_the_limit(kaz_sample: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    report = build_report(kaz_sample, kaz(), OWN)
    assert report.word_limit == submission.WORD_LIMIT_INDIVIDUAL
    assert 500 < report.word_count < report.word_limit
    assert not report.over_limit
    assert report.word_count_message().endswith(
        "of 2,815 words (individual submission; footnotes not counted)."
    )
    tight = build_report(kaz_sample, kaz(word_limit=300), OWN)
    assert tight.over_limit
    message = tight.word_count_message()
    assert f"{tight.word_count - 300:,} over the limit of 300" in message
    # Evidence choices change the count of tables: the latest assessment only is shorter.
    table = build_report(kaz_sample, kaz(evidence_format="table"), OWN)
    latest = build_report(kaz_sample, kaz(evidence="latest", evidence_format="table"), OWN)
    none = build_report(kaz_sample, kaz(evidence="none", evidence_format="table"), OWN)
    assert none.word_count < latest.word_count < table.word_count
    # Footnotes do not count by default; the setting makes them count, and the count says so.
    assert none.word_count < report.word_count < table.word_count
    monkeypatch.setenv(settings.FOOTNOTES_COUNTED.name, "1")
    counted = build_report(kaz_sample, kaz(), OWN)
    assert counted.word_count > report.word_count + 100
    assert counted.word_count_message().endswith(
        "of 2,815 words (individual submission; footnotes counted)."
    )


def test_count_words_ignores_dashes_and_bullets() -> None:
    assert submission.count_words("Adopt a law — now. (Malaysia) – 2016-2018: 44 • x") == 8


def test_invalid_settings_name_the_field_and_quote_the_value(kaz_sample: Session) -> None:
    with pytest.raises(ValidationError, match=r"theme: 'Nutrition' is not a theme"):
        build_report(kaz_sample, kaz(themes=("Nutrition",)))
    with pytest.raises(ValidationError, match=r"status: 'done' is not one of"):
        build_report(kaz_sample, kaz(statuses=("done",)))
    with pytest.raises(ValidationError, match=r"evidence: 'some' is not one of all, latest"):
        build_report(kaz_sample, kaz(evidence="some"))
    with pytest.raises(UnknownStateError, match="Narnia"):
        build_report(kaz_sample, ReportSettings(state="Narnia"))
    with pytest.raises(ValidationError, match="holds no review of France"):
        build_report(kaz_sample, ReportSettings(state="France"))
    empty = build_report(kaz_sample, ReportSettings(state="France", session=55))
    assert empty.recommendation_count == 0
    assert "holds no recommendation to France" in submission.to_markdown(empty)


def test_retracted_assessments_are_not_cited(session: Session) -> None:
    _real_database(session)
    first = session.scalar(select(Assessment))
    assert first is not None
    session.add(
        Assessment(
            recommendation_id=first.recommendation_id,
            status="fully_implemented",
            assessed_on=dt.date(2024, 3, 1),
            source_org="Wrong source",
            evidence="Entered by mistake.",
        )
    )
    session.flush()
    wrong = session.scalar(select(Assessment).where(Assessment.source_org == "Wrong source"))
    session.add(
        Assessment(
            recommendation_id=first.recommendation_id,
            status="fully_implemented",
            assessed_on=dt.date(2024, 3, 2),
            source_org="Legal centre",
            retracts_id=wrong.id,
        )
    )
    session.flush()
    refresh_current_status(session)
    session.commit()
    md = submission.to_markdown(build_report(session, ReportSettings(state="KAZ")))
    assert "Entered by mistake" not in md
    assert "Wrong source" not in md
    assert "(France, Spain) — **not implemented**" in md


def test_saved_report_round_trip_is_audited(sample_session: Session) -> None:
    settings = kaz(themes=("Trafficking",), cycles=(2,), introduction="We are a centre.")
    submission.save_report(sample_session, "  KAZ   2026 ", settings, [*OWN, "  "])
    sample_session.commit()
    assert submission.saved_report_names(sample_session) == ["KAZ 2026"]
    loaded, own = submission.load_saved_report(sample_session, "KAZ 2026")
    assert loaded.state == "KAZ"
    assert loaded.themes == ("Trafficking",)
    assert loaded.cycles == (2,)
    assert own == OWN
    again = build_report(sample_session, loaded, own)
    assert again.recommendation_count == 2  # Mexico's and Egypt's, cycle 2
    submission.save_report(sample_session, "KAZ 2026", loaded, OWN[:1])
    submission.delete_saved_report(sample_session, "KAZ 2026")
    sample_session.commit()
    actions = list(
        sample_session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "saved_report")
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["report.save", "report.save", "report.delete"]
    with pytest.raises(ValidationError, match="no saved report named 'KAZ 2026'"):
        submission.load_saved_report(sample_session, "KAZ 2026")
    with pytest.raises(ValidationError, match="name: a saved report needs a name"):
        submission.save_report(sample_session, " ", settings, [])


def test_organisation_name_from_the_environment_or_the_app(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert organisation_name(session) is None
    monkeypatch.setenv(settings.ORGANISATION.name, "  Env   Org ")
    assert organisation_name(session) == "Env Org"
    set_organisation_name(session, "Legal centre")
    session.commit()
    assert organisation_name(session) == "Legal centre"
    set_organisation_name(session, "")
    session.commit()
    assert organisation_name(session) == "Env Org"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "settings.organisation")
    ).all()
    assert [e.after for e in events] == [{"organisation": "Legal centre"}, {"organisation": None}]
    with pytest.raises(ValidationError, match="organisation: at most 200 characters"):
        set_organisation_name(session, "x" * 201)


def test_report_command_writes_docx_md_csv_and_regenerates_a_saved_report(
    sample_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "own.txt"
    own.write_text("\n".join(OWN) + "\n", encoding="utf-8")
    out = tmp_path / "kaz.docx"
    code = main(
        [
            "report",
            "--state",
            "Kazakhstan",
            "--org",
            ORG,
            "--theme",
            "Trafficking",
            "--own",
            str(own),
            "--save",
            "KAZ",
            "--out",
            str(out),
        ]
    )
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "5 recommendations of Kazakhstan for session 62, 2 own recommendations" in stdout
    assert "of 2,815 words (individual submission; footnotes not counted)." in stdout
    assert "sample data" in stderr
    doc = open_docx(out.read_bytes())
    assert any("(Egypt) — partially implemented" in p.text for p in doc.paragraphs)

    md = tmp_path / "kaz.md"
    assert main(["report", "--saved", "KAZ", "--word-limit", "100", "--out", str(md)]) == 0
    stdout, stderr = capsys.readouterr()
    assert "over the limit of 100" in stderr
    text = md.read_text(encoding="utf-8")
    assert "## Trafficking" in text
    assert OWN[1] in text
    assert main(["report", "--saved", "KAZ", "--out", str(tmp_path / "kaz.csv")]) == 0
    assert len((tmp_path / "kaz.csv").read_text(encoding="utf-8-sig").splitlines()) == 6


def test_report_command_without_an_organisation_warns_as_the_page_does(
    sample_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--state", "KAZ", "--out", str(tmp_path / "kaz.md")]) == 0
    assert "warning: name the submitting organisation(s) with --org" in capsys.readouterr().err
    args = ["report", "--state", "KAZ", "--org", ORG, "--out", str(tmp_path / "kaz.md")]
    assert main(args) == 0
    assert "submitting organisation" not in capsys.readouterr().err


def test_report_command_errors_are_clear(
    sample_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        (["--state", "KAZ", "--out", "x.pdf"], "--out: 'x.pdf' must end in .docx, .md, .csv"),
        (["--state", "KAZ", "--theme", "Nope", "--out", "x.md"], "theme: 'Nope' is not a theme"),
        (["--out", "x.md"], "--state is required"),
        (["--saved", "Nope", "--out", "x.md"], "no saved report named 'Nope'"),
        (["--state", "KAZ", "--own", "missing.txt", "--out", "x.md"], "--own: cannot read"),
    ):
        assert main(["report", *args]) == 1
        assert message in capsys.readouterr().err


def test_count_words_counts_as_a_token_by_token_reading_would() -> None:
    """The regex counts exactly the whitespace-separated tokens holding a letter or digit."""
    import random

    def by_token(text: str) -> int:
        return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))

    rng = random.Random(5)
    alphabet = [*"aБé1²_-—•.,() \n\t", "\u0654", "\u0663", "\u00a0"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert submission.count_words(text) == by_token(text), repr(text)
