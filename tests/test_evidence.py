"""Evidence you can weigh and protect (issue #16): source types and the implementation index,
private evidence that never reaches a viewer or a public output, drafts published by a second
account. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.importer_support import add_recommendation
from tracker import auth, db, evidence, queries
from tracker.assessments import ValidationError, add_assessment
from tracker.cli import main
from tracker.detail import recommendation_detail
from tracker.i18n import set_language
from tracker.importers.inputs import RecommendationInput
from tracker.models import Assessment, AuditEvent

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _rec(session: Session, text: str = "Free the press") -> int:
    rid = add_recommendation(
        session, RecommendationInput(state_under_review="Kazakhstan", session=34, text=text)
    )
    session.commit()
    return rid


@pytest.fixture
def any_session(any_db_url: str):
    s = db.session_factory(db.get_engine(any_db_url))()
    try:
        yield s
    finally:
        s.close()


def test_government_fully_and_ngo_partially_give_an_index_of_0_75(any_session) -> None:
    s = any_session
    rid = _rec(s)
    add_assessment(
        s,
        rid,
        status="fully_implemented",
        assessed_on="2024-01-10",
        source_org="Ministry of Justice",
        source_type="government",
        confidence="high",
    )
    add_assessment(
        s,
        rid,
        status="partially_implemented",
        assessed_on="2024-02-10",
        source_org="Our NGO",
        source_type="civil_society",
    )
    s.commit()
    side = evidence.sources_side_by_side(s, rid)
    assert list(side["source_type"]) == ["government", "civil_society"]
    assert list(side["status"]) == ["fully_implemented", "partially_implemented"]
    index = evidence.implementation_index(side)
    assert index.value == 0.75
    assert index.label() == "0.75 (partially implemented)"
    set_language("ru")  # the language's decimal mark (issue #18: "0.75" in Russian)
    try:
        assert index.label() == "0,75 (частично выполнена)"
    finally:
        set_language("en")


def test_an_older_assessment_of_the_same_source_type_is_replaced_by_its_latest(session) -> None:
    rid = _rec(session)
    for status, day in [("not_implemented", "2023-01-01"), ("fully_implemented", "2024-01-01")]:
        add_assessment(
            session, rid, status=status, assessed_on=day, source_org="NHRI", source_type="nhri"
        )
    session.commit()
    index = evidence.implementation_index(evidence.sources_side_by_side(session, rid))
    assert (index.value, index.word) == (1.0, "fully implemented")


def test_existing_assessments_are_of_type_other_and_bad_types_are_refused(session) -> None:
    rid = _rec(session)
    a = add_assessment(
        session, rid, status="not_implemented", assessed_on="2024-01-01", source_org="X"
    )
    assert (a.source_type, a.confidence) == ("other", None)
    with pytest.raises(ValidationError, match="Source type: 'press' is not one of"):
        add_assessment(
            session,
            rid,
            status="not_implemented",
            assessed_on="2024-01-01",
            source_org="X",
            source_type="press",
        )
    with pytest.raises(ValidationError, match="Confidence: 'sure' is not one of"):
        add_assessment(
            session,
            rid,
            status="not_implemented",
            assessed_on="2024-01-01",
            source_org="X",
            confidence="sure",
        )


def _private_case(s: Session) -> int:
    """A recommendation publicly "not implemented" (government) with a newer private NGO
    assessment "partially implemented" whose evidence names a witness."""
    rid = _rec(s)
    add_assessment(
        s,
        rid,
        status="not_implemented",
        assessed_on="2024-01-01",
        source_org="Ministry",
        source_type="government",
    )
    add_assessment(
        s,
        rid,
        status="partially_implemented",
        assessed_on="2024-06-01",
        source_org="Shelter",
        source_type="civil_society",
        evidence="Witness WITNESS-SECRET at risk",
        private=True,
    )
    s.commit()
    return rid


def test_a_private_assessment_is_seen_by_editors_only_and_counts_only_in_their_view(
    any_session,
) -> None:
    s = any_session
    rid = _private_case(s)
    # Every count (every reader): the public status, the private one left out.
    assert queries.stats(s)["by_status"]["not_implemented"] == 1
    assert queries.stats(s)["by_status"].get("partially_implemented", 0) == 0
    with auth.acting_as("ed", "editor"):
        detail = recommendation_detail(s, rid)
        assert detail is not None
        assert "WITNESS-SECRET" in " ".join(detail.assessments["evidence"].dropna())
        assert detail.editors_status == "partially_implemented"
        assert evidence.implementation_index(evidence.sources_side_by_side(s, rid)).value == 0.25
    for viewer in (auth.Actor("donor", auth.Role.VIEWER), auth.public_viewer(), auth.anonymous()):
        with auth.acting_as(viewer):
            detail = recommendation_detail(s, rid)
            assert detail is not None
            assert "WITNESS-SECRET" not in " ".join(detail.assessments["evidence"].dropna())
            assert len(detail.assessments) == 1
            assert detail.status == "not_implemented"
            assert detail.editors_status is None
            side = evidence.sources_side_by_side(s, rid)
            assert list(side["source_type"]) == ["government"]


def test_private_evidence_stays_out_of_exports_unless_an_editor_asks(
    any_db_url, tmp_path, capsys
) -> None:
    with db.session_scope(db.get_engine(any_db_url)) as s:
        _private_case(s)
    out = tmp_path / "out.xlsx"
    assert main(["export", str(out)]) == 0
    from openpyxl import load_workbook

    def cells(path) -> str:
        wb = load_workbook(path)
        return " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row)

    assert "WITNESS-SECRET" not in cells(out)
    assert main(["export", str(out), "--include-private"]) == 0
    text = cells(out)
    assert "WITNESS-SECRET" in text
    first = load_workbook(out).worksheets[0]
    assert "PRIVATE" in str(first.cell(1, 1).value)
    csv = tmp_path / "out.csv"
    assert main(["export", str(csv)]) == 0
    assert "WITNESS-SECRET" not in csv.read_text(encoding="utf-8-sig")


def test_a_draft_changes_no_count_until_a_second_account_publishes_it(
    any_db_url, capsys, monkeypatch
) -> None:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        rid = _rec(s)
    assert main(["review", "on"]) == 0
    monkeypatch.setenv("UPR_TRACKER_ACTOR", "alice")
    assert (
        main(
            [
                "assess",
                "--id",
                str(rid),
                "--status",
                "fully_implemented",
                "--date",
                "2024-05-01",
                "--source",
                "Ministry",
                "--source-type",
                "government",
            ]
        )
        == 0
    )
    assert "Saved as draft" in capsys.readouterr().out
    with db.session_scope(engine) as s:
        assert queries.stats(s)["by_status"].get("fully_implemented", 0) == 0
        draft_id = s.scalar(select(Assessment.id).where(Assessment.is_draft.is_(True)))
    assert main(["drafts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["assessment_id"] for d in listed] == [draft_id]
    # Four eyes: the author cannot publish their own draft.
    assert main(["publish", "--id", str(draft_id)]) == 1
    assert "another editor or an admin publishes it" in capsys.readouterr().err
    with db.session_scope(engine) as s:
        assert queries.stats(s)["by_status"].get("fully_implemented", 0) == 0
    monkeypatch.setenv("UPR_TRACKER_ACTOR", "bob")
    assert main(["publish", "--id", str(draft_id)]) == 0
    assert "Published assessment" in capsys.readouterr().out
    with db.session_scope(engine) as s:
        assert queries.stats(s)["by_status"]["fully_implemented"] == 1
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[-2:] == ["assessment.draft", "assessment.publish"]
        a = s.get(Assessment, draft_id)
        assert a is not None
        assert a.published_by == "bob"
    assert main(["drafts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_viewer_cannot_publish_nor_list_drafts(session) -> None:
    with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied):
        evidence.drafts_frame(session)


def test_private_evidence_stays_out_of_reports_unless_an_editor_asks(
    any_db_url, tmp_path, capsys
) -> None:
    with db.session_scope(db.get_engine(any_db_url)) as s:
        _private_case(s)
    md = tmp_path / "r.md"
    args = ["report", "--state", "Kazakhstan", "--session", "48", "--out", str(md)]
    assert main(args) == 0
    text = md.read_text(encoding="utf-8")
    assert "WITNESS-SECRET" not in text
    assert "Shelter" not in text
    assert main([*args, "--include-private"]) == 0
    text = md.read_text(encoding="utf-8")
    assert "WITNESS-SECRET" in text
    first = text.index("PRIVATE")
    assert first < text.index("WITNESS-SECRET")


def test_a_viewer_cannot_ask_for_private_evidence(session) -> None:
    from tracker import template_format

    with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied):
        template_format.export(session, "x.xlsx", include_private=True)


def test_snapshot_and_status_history_leave_private_assessments_and_drafts_out(any_session) -> None:
    from tracker import progress, snapshot

    s = any_session
    rid = _rec(s)
    add_assessment(
        s,
        rid,
        status="not_implemented",
        assessed_on="2024-01-01",
        source_org="Ministry",
        source_type="government",
    )
    s.commit()
    before = snapshot.snapshot_data(s, "Kazakhstan")
    history_before = progress.status_over_time(s, None)
    add_assessment(
        s,
        rid,
        status="fully_implemented",
        assessed_on="2024-06-01",
        source_org="Shelter",
        private=True,
    )
    with auth.acting_as("admin", "admin"):
        evidence.set_review_required(s, True)
    add_assessment(s, rid, status="partially_implemented", assessed_on="2024-07-01", source_org="X")
    s.commit()
    after = snapshot.snapshot_data(s, "Kazakhstan")
    assert after.figures == before.figures
    assert after.as_of == before.as_of
    assert progress.status_over_time(s, None).equals(history_before)


def test_matrix_fill_leaves_private_assessments_out_unless_asked(any_db_url) -> None:
    import io

    import docx

    from tests.importer_support import run_import, write
    from tests.test_importers_docx import HEADER_A, ROWS_A, matrix
    from tracker.matrix_fill import fill_matrix
    from tracker.models import Recommendation

    engine = db.get_engine(any_db_url)
    data = matrix(HEADER_A, ROWS_A)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        f = write(Path(d) / "UPR34_Kazakhstan.docx", data)
        assert run_import(engine, [f]).ok
    with db.session_scope(engine) as s:
        rid = s.scalar(select(Recommendation.id).where(Recommendation.paragraph == "121.1"))
        assert rid is not None
        add_assessment(
            s,
            rid,
            status="partially_implemented",
            assessed_on="2025-05-01",
            source_org="Shelter",
            evidence="WITNESS-SECRET",
            private=True,
        )
    with db.session_scope(engine) as s:
        public = fill_matrix(s, data, "UPR34_Kazakhstan.docx")
        asked = fill_matrix(s, data, "UPR34_Kazakhstan.docx", include_private=True)

    def text(blob: bytes) -> str:
        d = docx.Document(io.BytesIO(blob))
        cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
        return " ".join([p.text for p in d.paragraphs] + cells)

    assert "WITNESS-SECRET" not in text(public.data)
    assert public.filled == []
    assert "WITNESS-SECRET" in text(asked.data)
    assert docx.Document(io.BytesIO(asked.data)).paragraphs[0].text.startswith("Includes PRIVATE")


def test_progress_by_source_type_counts_each_types_latest_public_view(any_session) -> None:
    s = any_session
    one, two = _rec(s, "Free the press"), _rec(s, "Close the camps")
    for rid, status, day, source, kind, private in [
        (one, "not_implemented", "2023-01-01", "Ministry", "government", False),
        (one, "fully_implemented", "2024-01-01", "Ministry", "government", False),
        (one, "partially_implemented", "2024-02-01", "Our NGO", "civil_society", False),
        (two, "fully_implemented", "2024-03-01", "Ministry", "government", False),
        (two, "not_implemented", "2024-04-01", "Shelter", "civil_society", True),
    ]:
        add_assessment(
            s,
            rid,
            status=status,
            assessed_on=day,
            source_org=source,
            source_type=kind,
            private=private,
        )
    s.commit()
    df = evidence.status_by_source_type(s)
    assert [tuple(r) for r in df.itertuples(index=False)] == [
        ("government", "fully_implemented", 2),
        ("civil_society", "partially_implemented", 1),
    ]


def test_contested_can_set_the_government_against_other_types_of_source(any_session) -> None:
    from tracker import flags

    s = any_session
    gov, ngos = _rec(s, "Free the press"), _rec(s, "Close the camps")
    for rid, status, day, source, kind in [
        (gov, "fully_implemented", "2024-01-01", "Ministry", "government"),
        (gov, "partially_implemented", "2024-02-01", "Our NGO", "civil_society"),
        (ngos, "fully_implemented", "2024-01-01", "NGO one", "civil_society"),
        (ngos, "not_implemented", "2024-02-01", "NGO two", "media"),
    ]:
        add_assessment(s, rid, status=status, assessed_on=day, source_org=source, source_type=kind)
    s.commit()
    by_name = flags.flag_details(s, None, flags.FlagOptions())["contested"]
    assert set(by_name) == {gov, ngos}
    versus = flags.flag_details(s, None, flags.FlagOptions(government_vs_others=True))
    assert set(versus["contested"]) == {gov}
    assert versus["contested"][gov] == (
        "Ministry (Government): Fully implemented (2024-01-01); "
        "Our NGO (Civil society): Partially implemented (2024-02-01)"
    )
    assert (
        flags.flag_counts(s, None, flags.FlagOptions(government_vs_others=True))["contested"] == 1
    )


def test_the_template_carries_source_type_and_confidence_and_rejects_unknown_ones(
    session, tmp_path
) -> None:
    from tracker.importers import import_files

    path = tmp_path / "in.csv"
    path.write_text(
        "state_under_review,session,recommendation,recommending_states,response,status,"
        "assessed_on,assessment_source,source_type,confidence\n"
        "Kazakhstan,34,Free the press,Chile,supported,partially_implemented,2024-01-01,"
        "Ombudsman,nhri,high\n"
        "Kazakhstan,34,Close the camps,Chile,supported,not_implemented,2024-01-01,"
        "Paper,press,\n",
        encoding="utf-8",
    )
    report = import_files(session, [path])
    assert any("in.csv:3: source_type: 'press' is not one of" in str(p) for p in report.problems), [
        str(p) for p in report.problems
    ]
    import_files(session, [path], skip_invalid=True)
    session.commit()
    a = session.scalars(select(Assessment)).one()
    assert (a.source_type, a.confidence, a.source_org) == ("nhri", "high", "Ombudsman")


def test_meeting_minutes_never_name_a_private_assessment_as_the_previous_status(session) -> None:
    import datetime as dt

    from tracker import meeting

    rid = _private_case(session)  # public: Ministry "not"; private: Shelter "partially"
    m = meeting.Meeting("Coalition", dt.date(2025, 1, 10))
    meeting.record_status(session, m, rid, "fully_implemented")
    session.commit()
    (change,) = meeting.meeting_changes(session, m)
    assert (change.previous_status, change.previous_source) == ("not_implemented", "Ministry")


def test_bulk_assessment_keeps_the_source_type_and_is_drafts_under_review(
    any_db_url, capsys, monkeypatch
) -> None:
    engine = db.get_engine(any_db_url)
    with db.session_scope(engine) as s:
        ids = [_rec(s, "Free the press"), _rec(s, "Protect journalists")]
    assert main(["review", "on"]) == 0
    monkeypatch.setenv("UPR_TRACKER_ACTOR", "alice")
    args = ["assess", "--state", "Kazakhstan", "--status", "fully_implemented"]
    args += ["--date", "2024-05-01", "--source", "NHRI", "--source-type", "nhri"]
    assert main([*args, "--confidence", "high", "--private"]) == 0
    assert "They are drafts" in capsys.readouterr().out
    with db.session_scope(engine) as s:
        # Review before publishing holds for a selection too: nothing counts yet.
        assert queries.stats(s)["by_status"].get("fully_implemented", 0) == 0
        rows = s.execute(
            select(
                Assessment.recommendation_id,
                Assessment.source_type,
                Assessment.confidence,
                Assessment.is_private,
                Assessment.is_draft,
            ).order_by(Assessment.recommendation_id)
        ).all()
        assert [tuple(r) for r in rows] == [(i, "nhri", "high", True, True) for i in ids]
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.entity_id.in_(ids))))
        assert actions == ["assessment.draft", "assessment.draft"]
    assert main([*args[:-1], "un", "--confidence", "sure"]) == 1
    assert "Confidence: 'sure' is not one of low, medium, high" in capsys.readouterr().err
