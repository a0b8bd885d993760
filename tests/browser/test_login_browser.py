"""Logging in on a shared instance, in headless Chromium; and HTML typed into text fields is
shown as text, never run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import (
    _chromium_available,
    screenshot,
    start_server,
    stop_server,
    wait_for_app,
)
from tests.conftest import skip_or_fail
from tracker.ui.login import COOKIE

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
# What a careless or hostile paste could put into a text field.
PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
PARAGRAPH = "<b>9.9</b>"


def _prepare(db_path: Path) -> None:
    """The sample, an admin account, and the payload in a recommendation's text, paragraph and
    themes and in an assessment's source and evidence."""
    from tracker import auth, db, editing, schema
    from tracker.assessments import add_assessment
    from tracker.sample import load_sample

    engine = db.create_engine_for(f"sqlite:///{db_path}")
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        load_sample(s)
        auth.create_user(s, "coordinator", PASSWORD, "admin")
    with db.session_scope(engine) as s:
        add_assessment(
            s,
            1,
            status="partially_implemented",
            assessed_on="2025-01-15",
            source_org="NGO " + PAYLOAD,
            evidence="Seen: " + PAYLOAD,
        )
        meta = editing.get_metadata(s, 1)
        assert meta is not None
        editing.update_recommendation(
            s,
            1,
            meta.version,
            {"text": "Protect " + PAYLOAD, "paragraph": PARAGRAPH, "themes": [PAYLOAD]},
        )
    engine.dispose()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running app on a database with an account and hostile text in its text fields."""
    if not _chromium_available():
        skip_or_fail("chromium is not installed (apt-get install chromium)")
    db_path = tmp_path_factory.mktemp("shared") / "tracker.db"
    _prepare(db_path)
    proc, base = start_server(db_path, env={"UPR_TRACKER_BACKUP_DIR": str(db_path.parent)})
    yield base
    stop_server(proc)


def _log_in(page, url: str, password: str = PASSWORD) -> None:
    page.set_default_timeout(60_000)  # the machine may be busy with other test runs
    page.goto(url)
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def _wait_logged_in(page) -> None:
    """Wait for the login to show and for the browser to hold its cookie: the script that
    sets it runs just after the page shows "Logged in as", and a page opened before that
    starts a session without it (the login form again)."""
    page.wait_for_selector("text=Logged in as", timeout=60_000)
    page.wait_for_function(f"document.cookie.indexOf('{COOKIE}=') >= 0", timeout=60_000)


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_login_logout_and_reload_in_chromium(shared_server: str, page) -> None:
    page.set_default_timeout(60_000)
    page.goto(shared_server)
    page.wait_for_selector("text=Log in", timeout=60_000)
    wait_for_app(page, timeout_ms=60_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0  # no data before login
    screenshot(page, "login")

    _log_in(page, shared_server, "a wrong password")
    page.wait_for_selector("text=Wrong username or password.", timeout=60_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert page.get_by_label("Password", exact=True).input_value() == ""  # typed afresh

    _log_in(page, shared_server + "/activity")
    _wait_logged_in(page)
    # The login form stays on screen until the rerun after the login has drawn the page.
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("Activity")', timeout=60_000)
    wait_for_app(page, timeout_ms=60_000)
    assert "Activity" in _main_text(page)
    screenshot(page, "logged_in")

    page.reload()  # a new browser session: the signed cookie keeps the login
    page.wait_for_selector("text=Logged in as", timeout=60_000)
    page.wait_for_selector('[data-testid="stMain"] >> text=changes match', timeout=60_000)
    wait_for_app(page, timeout_ms=60_000)
    assert "changes match" in _main_text(page)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_selector('[data-testid="stForm"]', timeout=60_000)
    wait_for_app(page, timeout_ms=60_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.reload()
    page.wait_for_selector('[data-testid="stForm"]', timeout=60_000)
    wait_for_app(page, timeout_ms=60_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert "Logged in as" not in page.content()


def test_html_in_text_fields_is_shown_as_text_and_never_runs(shared_server: str, page) -> None:
    page.add_init_script("window.__xss = undefined;")
    _log_in(page, shared_server + "/activity")
    _wait_logged_in(page)
    for path, charts in (("/recommendation?id=1", 1), ("/activity", 0), ("/explorer", 0)):
        page.goto(shared_server + path)
        wait_for_app(page, charts=charts, timeout_ms=60_000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None, path
        assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0, path
        assert page.locator('[data-testid="stMain"] b:text-is("9.9")').count() == 0, path
        if path.startswith("/recommendation"):
            text = _main_text(page)
            assert "Protect " + PAYLOAD in text  # the text, character for character
            assert "Seen: " + PAYLOAD in text
            assert "NGO " + PAYLOAD in text
            assert PARAGRAPH in text
            screenshot(page, "html_shown_as_text")
