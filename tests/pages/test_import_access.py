"""Issue 13, point 8: the Import page parses uploads only for editors (viewers, and visitors
of the public read-only mode, get no upload widget; tracker.importers refuses them too)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tracker import auth, db, settings, ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/import_page.py"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def accounts(sample_url: str) -> str:
    with db.session_scope(db.get_engine(sample_url)) as s:
        for name, role in (("coordinator", "admin"), ("editor1", "editor"), ("donor", "viewer")):
            auth.create_user(s, name, PASSWORD, role)
    return sample_url


def _as(url: str, username: str) -> AppTest:
    with db.session_scope(db.get_engine(url)) as s:
        token = auth.issue_token(s, username)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[ui.LOGIN_KEY] = {
        "token": token,
        "issued": time.time(),
        "last_seen": time.time(),
    }
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_a_viewer_gets_no_upload_widget(accounts: str) -> None:
    at = _as(accounts, "donor")
    assert any("Importing files needs the editor role" in i.value for i in at.info)
    assert not at.get("file_uploader")


def test_a_public_visitor_gets_no_upload_widget(
    accounts: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.PUBLIC_READONLY.name, "1")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("Importing files needs the editor role" in i.value for i in at.info)
    assert not at.get("file_uploader")


def test_an_editor_gets_the_upload_widget(accounts: str) -> None:
    at = _as(accounts, "editor1")
    assert at.get("file_uploader")
