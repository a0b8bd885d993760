"""The running server in headless Chromium (Playwright with the system /usr/bin/chromium).

``server`` starts the app (``python -m tracker serve``) once per test session on a free
port, on its own temporary SQLite database holding the sample; ``page`` is a fresh browser
page. Screenshots go to ``test-artifacts/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bench.common import serve
from tests.conftest import PROJECT_ROOT, skip_or_fail

CHROMIUM = os.environ.get("UPR_TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # the closed network refuses Chromium's own traffic
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
SERVER_START_TIMEOUT_S = 60


def _chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


def start_server(
    db_path: Path,
    *,
    sample: bool = True,
    env: dict[str, str] | None = None,
    imports: Sequence[Path] = (),
) -> tuple[subprocess.Popen, str]:
    """Initialise ``db_path``, import ``imports`` into it with the app's own importer
    (``python -m tracker import``, as a user would) and start Streamlit on it; return the
    process and base URL."""
    environment = dict(os.environ)
    environment["UPR_TRACKER_DATABASE_URL"] = f"sqlite:///{db_path}"
    environment.update(env or {})
    run = [sys.executable, "-m", "tracker"]
    init = [*run, "init"] + ([] if sample else ["--no-sample"])
    subprocess.run(init, cwd=PROJECT_ROOT, env=environment, check=True, capture_output=True)
    for path in imports:
        subprocess.run(
            [*run, "import", str(path)],
            cwd=PROJECT_ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
    return serve(environment, timeout_s=SERVER_START_TIMEOUT_S)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running app on a temporary database holding the sample."""
    if not _chromium_available():
        skip_or_fail(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    proc, base = start_server(tmp_path_factory.mktemp("server") / "tracker.db")
    yield base
    stop_server(proc)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not _chromium_available():
        skip_or_fail(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_app(page, *, charts: int = 0, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished the script run (and drawn ``charts`` plotly charts);
    fail on any Streamlit exception block. On a timeout the page is saved as a screenshot
    (test-artifacts/screenshots/timeout-*.png) before the error is raised."""
    try:
        _wait_for_app(page, charts=charts, timeout_ms=timeout_ms)
    except Exception:
        name = "timeout-" + "".join(c if c.isalnum() else "_" for c in page.url)[-80:]
        with contextlib.suppress(Exception):  # the original error matters more
            screenshot(page, name)
        raise


def _wait_for_app(page, *, charts: int, timeout_ms: int) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    if charts:
        page.wait_for_function(
            # A drawn plot has its .main-svg layers (several per plot: count plots, not layers).
            "Array.from(document.querySelectorAll('.js-plotly-plot'))"
            f".filter(p => p.querySelector('.main-svg')).length >= {charts}",
            timeout=timeout_ms,
        )
    # Streamlit marks its root with the script state; "notRunning" once the run has finished.
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms
    )
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``) every browser test runs on one worker: one
    app server and one Chromium at a time, while the other workers take the rest of the
    suite. Two Chromiums and servers on a 2-core machine made timing-dependent waits flaky."""
    browser_dir = Path(__file__).resolve().parent
    for item in items:
        if browser_dir in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
