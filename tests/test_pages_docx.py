"""The pages with OHCHR Word documents under AppTest: the Import page previews a .docx (and
asks for the review when the document does not name it); the Report page fills a matrix."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from tests.importer_support import (
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    new_engine,
    run_import,
    stats,
    write,
)
from tests.test_importers_docx import HEADER_A, HEADER_B, ROWS_A, matrix
from tracker import db
from tracker.assessments import add_assessment
from tracker.models import Recommendation
from tracker.settings import DATABASE_URL_ENV

ROOT = Path(__file__).resolve().parents[1]
# The Import page's file (renamed import_page.py by another change; either works here)
IMPORT_PAGE = next(
    str(p)
    for p in (ROOT / "pages" / "import_page.py", ROOT / "pages" / "import_data.py")
    if p.exists()
)
APP = str(ROOT / "app.py")

LAYOUT_B = matrix(
    HEADER_B,
    [
        ["Right or area: 2.1. Acceptance of international norms"] * 4,
        ["98.1 Ratify the Convention (Chile);", "Chile", "Supported/Noted", "2.1. Norms"],
        ["98.2 Do it (Atlantis);", "", "Noted", ""],
    ],
)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    e = new_engine(tmp_path)
    monkeypatch.setenv(DATABASE_URL_ENV, str(e.url))
    yield e
    e.dispose()
    db.dispose_engines()


def test_import_page_previews_a_word_matrix_once_its_review_is_given(engine: Engine) -> None:
    at = AppTest.from_file(IMPORT_PAGE, default_timeout=60)
    at.run()
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    at.file_uploader(key="import_upload").set_value(("matrix.docx", LAYOUT_B, mime)).run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "State under review" in errors
    assert "session N" in errors
    at.text_input(key="import_state").input("Kazakhstan")
    at.number_input(key="import_session").set_value(20).run()
    assert not at.exception, at.exception
    assert any("OHCHR thematic list of recommendations" in m.value for m in at.markdown)
    preview = at.dataframe[0].value
    assert list(preview["paragraph"]) == ["98.1"]
    assert list(preview["response"]) == ["Partly supported"]
    problems = at.dataframe[-1].value
    assert list(problems["row"]) == [4]  # the table's row (the header is row 1)
    assert "'Atlantis' is not a known state" in problems["message"][0]
    assert stats(engine)["recommendations"] == 0  # checking writes nothing


def test_report_page_fills_an_uploaded_matrix(engine: Engine, tmp_path: Path) -> None:
    data = matrix(HEADER_A, ROWS_A)
    f = write(tmp_path / "UPR34_Kazakhstan.docx", data)
    assert run_import(engine, [f]).ok
    with db.session_scope(engine) as s:
        rid = s.scalar(select(Recommendation.id).where(Recommendation.paragraph == "121.1"))
        assert rid is not None
        add_assessment(
            s,
            rid,
            status="partially_implemented",
            assessed_on="2025-05-01",
            source_org="Legal centre",
            evidence="Shelter opened in Almaty",
        )
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/report_page.py").run()
    assert not at.exception, at.exception
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    at.file_uploader(key="rp_matrix").set_value((f.name, data, mime)).run()
    assert not at.exception, at.exception
    assert any("Filled 1 of 2 recommendations" in m.value for m in at.markdown)
    button = next(
        b for b in at.get("download_button") if b.proto.label == "Download the filled matrix"
    )
    assert not button.disabled  # its bytes are tested in test_importers_docx
