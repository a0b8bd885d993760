"""The report in the form NGOs submit (issue 15): an outline with named sections, narrative
and own recommendations, evidence as real Word footnotes, formal UN names, "as of" a date,
and our own recommendations followed into the review that took them up."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import own_links, snapshot, submission
from tracker.assessments import add_assessment
from tracker.cli import main
from tracker.errors import ValidationError
from tracker.i18n import set_language
from tracker.models import AuditEvent, OwnRecommendation, Recommendation
from tracker.submission import ReportSettings, build_report, drafts
from tracker.submission.outline import read_toml, to_toml

ORG = "Women's rights legal centre"
SHELTER_OWN = (
    "Ensure access to state shelters and social services for all victims of trafficking, "
    "including foreign nationals"
)
# The outline of the Kazakh NGO report this project started from (README has the same).
KAZ_OUTLINE = f'''
title = "Kazakhstan: sexual exploitation of women and girls"
organisation = "{ORG}"
executive_summary = """
This submission reviews how Kazakhstan implemented the recommendations on trafficking and
sexual exploitation it received in earlier cycles.

Foreign victims still have no access to state shelters."""

[[section]]
heading = "Sexual exploitation"
themes = ["Trafficking"]
text = """
### National legal framework
The Criminal Code punishes trafficking in persons; the 2024 law on women's rights added
protection orders.

### Progress and gaps
A shelter in Shymkent helped 44 Kazakh citizens and 138 foreign nationals, who are excluded
from state special social services."""
own = [
    "{SHELTER_OWN}",
    "Adopt a comprehensive law on combating trafficking in persons",
]

[[section]]
heading = "Ombudsman"
themes = ["National human rights institution"]
text = "The Commissioner for Human Rights still lacks a mandate to visit closed institutions."
own = []
'''
# An ampersand that must be escaped in the XML (angle brackets are refused at entry: check_url).
URL = "https://example.org/shymkent-shelter?year=2018&x=1"


def _headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def _numbered(p) -> bool:
    return p._p.find(qn("w:pPr") + "/" + qn("w:numPr")) is not None


def _malaysia_seed(s: Session) -> int:
    return int(
        s.scalar(
            select(Recommendation.id).where(
                Recommendation.text.like("Further strengthen law enforcement%")
            )
        )
    )


def test_kazakhstan_outline_docx(sample_session: Session) -> None:
    s = sample_session
    add_assessment(
        s,
        _malaysia_seed(s),
        status="partially_implemented",
        assessed_on="2023-01-10",
        source_org="Shelter network",
        evidence="The Shymkent shelter report.",
        evidence_url=URL,
    )
    s.commit()
    outline = read_toml(KAZ_OUTLINE, "kaz.toml")
    report = build_report(
        s, ReportSettings(state="Kazakhstan"), outline=outline, today=dt.date(2026, 3, 1)
    )
    data = submission.to_docx(report)
    doc = Document(io.BytesIO(data))  # python-docx re-opens it
    heads = _headings(doc)
    order = ["Executive summary", "Sexual exploitation", "National legal framework"]
    order += ["Progress and gaps", "Ombudsman"]
    positions = [heads.index(h) for h in order]
    assert positions == sorted(positions), heads
    assert "Trafficking" not in heads  # the NGO's own heading, not the database theme

    paras = doc.paragraphs
    idx = {p.text: i for i, p in enumerate(paras)}
    start = idx["Sexual exploitation"]
    framework = idx["National legal framework"]
    ombudsman = idx["Ombudsman"]
    for state in ("Malaysia", "Mexico", "Egypt"):
        hits = [
            i
            for i, p in enumerate(paras)
            if f"({state}) — partially implemented" in p.text and start < i < framework
        ]
        assert hits, state
    # Own recommendations: after the narrative of the same section, numbered, with the lead-in.
    lead = idx[f"{ORG} recommends that the Government of Kazakhstan:"]
    own_at = [i for i, p in enumerate(paras) if p.text.startswith(SHELTER_OWN)]
    assert own_at
    assert idx["Progress and gaps"] < lead < own_at[0] < ombudsman
    assert _numbered(paras[own_at[0]])
    assert not _numbered(paras[lead])
    narrative = next(i for i, p in enumerate(paras) if p.text.startswith("A shelter in Shymkent"))
    assert _numbered(paras[narrative])
    assert narrative < lead
    # Continuous numbering: one numbering definition for every numbered paragraph.
    num_ids = {p._p.pPr.numPr.numId.val for p in paras if _numbered(p)}
    assert len(num_ids) == 1
    # Formal UN names where a State is named.
    assert any("(Russian Federation) — partially implemented" in p.text for p in paras)
    assert not any("(Russia)" in p.text for p in paras)
    # Evidence as real footnotes: referenced in the body, the URL a link of the footnotes.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        notes = z.read("word/footnotes.xml").decode()
        rels = z.read("word/_rels/footnotes.xml.rels").decode()
        body = z.read("word/document.xml").decode()
        types = z.read("[Content_Types].xml").decode()
    assert "Shelter network" in notes
    assert "The Shymkent shelter report." in notes
    assert URL.replace("&", "&amp;") in rels
    assert body.count("<w:footnoteReference") >= 5
    assert "wordprocessingml.footnotes+xml" in types
    assert not doc.tables  # the tables gave way to footnotes
    # The outline's title heads the document; the executive summary is numbered too.
    assert heads[0] == outline.title
    # Markdown: footnotes too, the URL a link.
    md = submission.to_markdown(report)
    assert "[^1]" in md
    assert "\n[^1]: " in md


def test_outline_toml_round_trip_and_errors() -> None:
    outline = read_toml(KAZ_OUTLINE, "kaz.toml")
    assert read_toml(to_toml(outline)) == outline
    assert outline.sections[0].own[0] == SHELTER_OWN
    with pytest.raises(ValidationError, match=r"kaz.toml: section 1: unknown key 'theme'"):
        read_toml('title = "x"\n[[section]]\nheading = "A"\ntheme = ["Trafficking"]\n', "kaz.toml")
    with pytest.raises(ValidationError, match=r"kaz.toml: title: required"):
        read_toml('organisation = "x"\n', "kaz.toml")


def test_as_of_report_and_stats(
    sample_url: str, sample_session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def stats(*extra: str) -> dict:
        capsys.readouterr()
        assert main(["stats", "--json", "--state", "Kazakhstan", *extra]) == 0
        return json.loads(capsys.readouterr().out)["by_status"]

    before = stats("--as-of", "2019-03-31")
    s = sample_session
    rid = _malaysia_seed(s)
    add_assessment(
        s, rid, status="not_implemented", assessed_on="2018-05-01", source_org="Old NGO",
        evidence="Evidence of 2018: no change.",
    )  # fmt: skip
    add_assessment(
        s, rid, status="partially_implemented", assessed_on="2024-09-01", source_org="New NGO",
        evidence="Evidence of 2024 NEWFACT.",
    )  # fmt: skip
    s.commit()
    out = tmp_path / "kaz.md"
    code = main(["report", "--state", "Kazakhstan", "--as-of", "2019-03-31", "--out", str(out)])
    assert code == 0
    md = out.read_text(encoding="utf-8")
    line = next(x for x in md.splitlines() if "law enforcement" in x)
    assert "— **not implemented**" in line
    assert "NEWFACT" not in md
    assert "New NGO" not in md
    assert "Old NGO" in md  # the 2018 evidence is a footnote
    assert "status as of 31 March 2019" in md
    then = stats("--as-of", "2019-03-31")
    assert then["not_implemented"] == before["not_implemented"] + 1
    assert sum(then.values()) == sum(before.values())
    now = stats()
    assert now["partially_implemented"] > then["partially_implemented"]


def test_own_recommendation_taken_up_and_confirmed(
    sample_url: str, sample_session: Session, tmp_path: Path, capsys
) -> None:
    toml = tmp_path / "kaz.toml"
    toml.write_text(KAZ_OUTLINE, encoding="utf-8")
    out = tmp_path / "kaz.docx"
    # The report for the review of session 48, whose recommendations the sample holds.
    args = ["report", "--state", "KAZ", "--session", "48", "--outline", str(toml)]
    assert main([*args, "--out", str(out)]) == 0
    # Saved again under the same title: replaced, not doubled.
    assert main([*args, "--out", str(out)]) == 0
    s = sample_session
    assert drafts.outline_titles(s, "Kazakhstan") == [read_toml(KAZ_OUTLINE).title]
    assert s.scalar(select(AuditEvent).where(AuditEvent.action == "outline.save")) is not None
    capsys.readouterr()
    assert main(["link", "--own", "--json", "--state", "Kazakhstan"]) == 0
    listed = json.loads(capsys.readouterr().out)
    shelter = [x for x in listed if x["own_text"] == SHELTER_OWN]
    assert shelter, listed
    best = shelter[0]
    assert set(best) == {
        "own_id", "own_text", "recommendation_id", "recommendation_text", "score", "confirmed"
    }  # fmt: skip
    assert best["recommendation_text"].startswith("Provide state shelter and social services")
    assert best["confirmed"] is False
    # A person confirms; the recommendation says it took up our recommendation.
    view = next(
        v
        for v in own_links.links_for_recommendation(s, best["recommendation_id"])
        if v.own_id == best["own_id"]
    )
    own_links.decide_own_link(s, view.link_id, True, actor="tester")
    s.commit()
    said = own_links.taken_up(s, [best["own_id"]])
    assert said[best["own_id"]] == "taken up by 1 State (supported)"
    assert s.get(OwnRecommendation, best["own_id"]) is not None
    # The snapshot and the Report page list it too.
    assert own_links.state_take_ups(s, "KAZ") == [(SHELTER_OWN, said[best["own_id"]])]
    data = snapshot.snapshot_data(s, "Kazakhstan", organisation=ORG)
    assert data.taken_up == [f"{SHELTER_OWN} — taken up by 1 State (supported)"]
    assert data.state_name == "Kazakhstan"
    # The outline written back out is the one saved.
    back = tmp_path / "back.toml"
    assert main(["report", "--state", "Kazakhstan", "--save-outline", str(back)]) == 0
    assert read_toml(back.read_text(encoding="utf-8")) == read_toml(KAZ_OUTLINE)
    assert back.stat().st_mode & 0o777 == 0o600


def test_russian_output_keeps_the_ngo_texts(sample_url: str, tmp_path: Path) -> None:
    toml = tmp_path / "kaz.toml"
    toml.write_text(KAZ_OUTLINE, encoding="utf-8")
    out = tmp_path / "kaz.md"
    try:
        code = main(
            ["report", "--lang", "ru", "--state", "Kazakhstan", "--outline", str(toml),
             "--out", str(out)]
        )  # fmt: skip
    finally:
        set_language("en")
    assert code == 0
    md = out.read_text(encoding="utf-8")
    # The NGO's own texts, as written.
    for text in ("Sexual exploitation", "National legal framework", "Progress and gaps"):
        assert f"## {text}" in md or f"### {text}" in md
    assert SHELTER_OWN in md
    assert "Foreign victims still have no access to state shelters." in md
    # The frame, translated.
    assert "Executive summary" not in md
    assert "Резюме" in md
    assert f"{ORG} рекомендует правительству государства Казахстан:" in md.replace("\\'", "'")
    assert "(Российская Федерация) — **частично выполнена**" in md


def test_readme_example_is_the_kazakhstan_outline() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    assert read_toml(block) == read_toml(KAZ_OUTLINE)


def test_as_of_counts_and_rows_on_sqlite_and_postgresql(any_db_url: str) -> None:
    """The as-of status is grouped and filtered in SQL: PostgreSQL accepts the same query."""
    from tracker import db, queries
    from tracker.filters import Filters
    from tracker.sample import load_sample

    with db.session_scope(db.get_engine(any_db_url)) as s:
        load_sample(s)
    with db.session_scope(db.get_engine(any_db_url)) as s:
        f = Filters(states=("KAZ",), as_of=dt.date(2019, 3, 31))
        then = queries.stats(s, f)["by_status"]
        now = queries.stats(s, Filters(states=("KAZ",)))["by_status"]
        assert sum(then.values()) == sum(now.values())
        assert then["not_assessed"] > now["not_assessed"]
        rows = queries.recommendations_frame(s, f.with_(statuses=("not_assessed",)))
        assert len(rows) == then["not_assessed"]
        assert rows["assessed_on"].isna().all()  # no assessment on record then
        counts = queries.status_counts(s, f)
        assert dict(zip(counts["status"], counts["count"], strict=True)) == then
