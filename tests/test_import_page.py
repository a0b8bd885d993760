"""The Import page under AppTest: upload, detected format, preview, problems, dry run, commit."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    new_engine,
    stats,
    upr_row,
)
from tracker import db
from tracker.importers import ImportReport, ImportSource, read_file
from tracker.settings import DATABASE_URL_ENV

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "import_page.py")
APP = str(ROOT / "app.py")


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    e = new_engine(tmp_path)
    monkeypatch.setenv(DATABASE_URL_ENV, str(e.url))
    yield e
    e.dispose()
    db.dispose_engines()


def _page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="import_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_without_files_the_page_asks_for_them(engine) -> None:
    at = _page()
    assert at.title[0].value == "Import"
    assert [i.value for i in at.info] == ["Choose one or more files to see how they read."]
    assert not at.button


def test_an_upload_shows_the_format_a_preview_and_what_would_change(engine) -> None:
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(rs="Chile"), upr_row(text_="Other.")])
    at = _upload(_page(), "upr.csv", data)
    assert any("UPR Info database export" in m.value for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Valid"], metrics["Rejected"]) == ("3", "3", "0")
    preview = at.dataframe[0].value
    assert list(preview["state_under_review"]) == ["Kazakhstan"] * 3
    assert "Importing will give: Recommendations: 2 added, 0 updated" in at.info[0].value
    assert stats(engine)["recommendations"] == 0  # checking writes nothing
    assert not at.button(key="import_commit").disabled


def test_invalid_rows_block_the_import_until_skipped_and_can_be_downloaded(engine) -> None:
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(session="", text_="No session.")])
    at = _upload(_page(), "bad.csv", data)
    problems = at.dataframe[-1].value
    assert list(problems["message"]) == ["empty — the UPR session number is required"]
    assert list(problems["row"]) == [3]
    assert at.button(key="import_commit").disabled
    assert "Nothing can be imported: 1 row is invalid" in at.error[0].value
    download = at.get("download_button")[0]
    assert download.proto.label == "Download the rejected rows (CSV)"

    at.toggle(key="import_skip").set_value(True).run()
    assert not at.button(key="import_commit").disabled
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert "1 added, 0 updated, 0 unchanged; 1 row rejected" in at.success[0].value
    assert stats(engine)["recommendations"] == 1


def test_a_file_that_is_not_a_table_is_explained(engine) -> None:
    at = _upload(_page(), "empty.csv", b"")
    assert next(e.value for e in at.error) == "the file is empty"
    assert at.button(key="import_commit").disabled


def test_the_page_runs_inside_the_app(engine) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/import_page.py").run()
    assert not at.exception
    assert at.title[0].value == "Import"


def test_the_rejected_rows_download_is_the_rejects_csv(engine) -> None:
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(session="x")])
    report = ImportReport([read_file(ImportSource("bad.csv", data))])
    table = list(csv.reader(io.StringIO(report.rejects_csv().decode("utf-8-sig"))))
    assert table[0][:3] == ["file", "row", "reason"]
    assert table[1][:2] == ["bad.csv", "2"]


def test_checking_a_file_against_a_database_with_the_sample_says_so(engine) -> None:
    """Issue 13.1: the page tells that the sample is still there (and how to remove it)."""
    from tracker.sample import load_sample

    with db.session_scope(engine) as s:
        load_sample(s)
    at = _upload(_page(), "upr.csv", csv_bytes(UPR_INFO_HEADER, [upr_row()]))
    shown = at.info[0].value  # markdown, escaped: the message reads as text
    assert "This database still holds the sample data\\." in shown
    assert "tracker sample remove" in shown


def test_the_data_is_usable_while_the_repeats_are_suggested_after_the_import(
    engine, monkeypatch
) -> None:
    """Issue 19: the import commits first; the suggestion of repeats runs after it (in a
    thread the page polls) and the page says what it found when it ends."""
    import threading

    from tracker import linking
    from tracker.ui.import_steps import JOB_KEY

    release = threading.Event()
    suggest = linking.suggest

    def held(*args, **kwargs):  # the step waits until the test has looked at the data
        assert release.wait(30)
        return suggest(*args, **kwargs)

    monkeypatch.setattr(linking, "suggest", held)
    text = "Ratify the Optional Protocol to the Convention against Torture."
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(session="7", text_=text), upr_row(text_=text)])
    at = _upload(_page(), "upr.csv", data)
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert "2 added, 0 updated" in at.success[0].value
    # The import is committed and readable while the suggestion step still runs.
    assert stats(engine)["recommendations"] == 2
    assert [p.proto.text for p in at.get("progress")] == [
        "The import is saved. Suggesting repeats across cycles…"
    ]
    with db.session_scope(engine) as s:
        assert linking.links_list(s) == []
    release.set()
    at.session_state[JOB_KEY].thread.join(30)
    at.run()
    assert not at.exception
    assert at.success[0].value == "1 possible repeat across cycles suggested for review\\."
    assert not at.get("progress")
    with db.session_scope(engine) as s:
        assert [(x["earlier_text"], x["later_text"]) for x in linking.links_list(s)] == [
            (text, text)
        ]


def test_the_import_summary_stays_when_the_repeats_step_ends_at_once(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second step ends before the page's next run: its rerun used to wipe the import's
    # summary before anyone could read it (seen as a flaky "0 added, 1 unchanged").
    from tracker.ui import import_steps

    monkeypatch.setattr(import_steps, "suggest_repeats", lambda *a, **k: 3)
    monkeypatch.setattr(
        import_steps.RepeatsStep, "running", property(lambda s: bool(s.thread.join()))
    )
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(text_="Other.")])
    at = _upload(_page(), "two.csv", data)
    at.button(key="import_commit").click().run()
    assert not at.exception
    shown = at.success[0].value
    assert "2 added, 0 updated, 0 unchanged" in shown
    assert "3 possible repeats across cycles suggested for review" in shown
    assert stats(engine)["recommendations"] == 2
