"""The dashboard pages in headless Chromium: every page draws its charts without a Streamlit
exception, filters survive navigation and copied links, a row opens its detail, downloads
work, and a recommendation carrying a <script> payload shows literally and runs nothing.

Screenshots of every page go to test-artifacts/screenshots/ (dashboard-*.png).
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, start_server, stop_server, wait_for_app

pytestmark = pytest.mark.browser

# (name, path, plotly charts the page draws on the sample, for Kazakhstan)
PAGES = [
    ("overview", "/?state=KAZ", 2),
    ("progress", "/progress?state=KAZ", 6),
    ("flagged", "/flagged?state=KAZ", 0),
    ("explorer", "/explorer?state=KAZ", 0),
    ("recommending-states", "/recommending-states?state=KAZ", 4),
    ("recommendation", "/recommendation?id=4", 1),
]
XSS_TEXT = (
    "Ensure xss-probe <script>window.__xss=1</script> and "
    '<img src=x onerror="window.__xss=2"> **bold** [link](javascript:window.__xss=3) '
    "<b>not bold</b>"
)


def open_app(page, url: str, charts: int = 0) -> None:
    """Go to ``url`` and wait for the script run (and ``charts`` charts) to finish."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=30_000)  # the page's title
    wait_for_app(page, charts=charts)
    # Streamlit's first session on a fresh server answers a deep link with "Page not
    # found" (legacy pages/ discovery) and then redirects; wait for that to settle too.
    if page.locator('[role="dialog"]').count():
        page.keyboard.press("Escape")
        wait_for_app(page, charts=charts)


def tall_screenshot(page, name: str) -> Path:
    """A screenshot of the whole page (Streamlit scrolls inside the app, not the window)."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + 40)})
    page.wait_for_timeout(800)  # plotly redraws at the new size
    path = screenshot(page, name)
    page.set_viewport_size(size)
    return path


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


@pytest.fixture(scope="module")
def warm_server(server: str, chromium) -> str:
    """The shared server after one visit (its first session is special, see open_app)."""
    context = chromium.new_context()
    pg = context.new_page()
    open_app(pg, server)
    context.close()
    return server


@pytest.mark.parametrize(("name", "path", "charts"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_draws_without_exceptions(warm_server: str, page, name, path, charts) -> None:
    open_app(page, warm_server + path, charts)
    if name in ("flagged", "explorer"):
        page.wait_for_selector('[data-testid="stDataFrame"]')  # their tables, not charts
        wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".js-plotly-plot").count() >= charts
    if name == "recommending-states":
        # The offline world map drew the 34 recommending states and the outline of the
        # state under review (local topojson: without it nothing is drawn). The map's shapes
        # come after its file is fetched, a moment after the plot itself: wait for them.
        paths = ".js-plotly-plot .choroplethlayer path"
        with contextlib.suppress(Exception):
            page.wait_for_function(
                f"document.querySelectorAll('{paths}').length >= 35", timeout=30_000
            )
        assert page.locator(paths).count() >= 35
    if name != "recommendation":
        assert "Kazakhstan" in main_text(page)
    tall_screenshot(page, f"dashboard-{name}")


def test_filters_survive_navigation_and_copied_links(warm_server: str, page, chromium) -> None:
    open_app(page, f"{warm_server}/progress?state=KAZ&cycle=2", 6)
    for link, path, heading in (
        ("Explorer", "explorer", "Explorer"),
        ("Flagged", "flagged", "Flagged recommendations"),
        ("Overview", "", "Overview"),
    ):
        page.get_by_role("link", name=link, exact=True).click()
        page.wait_for_url(f"**/{path}?*")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        wait_for_app(page)
        assert "state=KAZ" in page.url, page.url
        assert "cycle=2" in page.url, page.url
        assert "Kazakhstan; cycle 2" in main_text(page)
    # A copied link opens the same view in a new browser session.
    page.get_by_role("link", name="Flagged", exact=True).click()
    page.wait_for_url("**/flagged?*")
    page.get_by_role("heading", name="Flagged recommendations", exact=True).wait_for()
    wait_for_app(page)
    page.get_by_role("radio", name="Regressed").click()
    page.wait_for_url("**flag=regressed*")
    wait_for_app(page)
    copied = page.url
    other = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_app(other, copied)
    assert "Kazakhstan; cycle 2" in main_text(other)
    assert other.get_by_role("radio", name="Regressed").get_attribute("aria-checked") == "true"
    other.context.close()


def test_a_flag_count_on_the_overview_opens_that_flag(warm_server: str, page) -> None:
    open_app(page, f"{warm_server}/?state=KAZ", 2)
    page.locator('[data-testid="stPageLink"] a', has_text="Stale").first.click()
    page.wait_for_url("**/flagged?*")
    page.get_by_role("heading", name="Flagged recommendations", exact=True).wait_for()
    wait_for_app(page)
    assert "flag=stale" in page.url
    assert page.get_by_role("radio", name="Stale").get_attribute("aria-checked") == "true"


def test_choosing_a_row_opens_its_detail_and_downloads_work(warm_server: str, page) -> None:
    open_app(page, f"{warm_server}/explorer?q=traffick")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert len(rows) == 5
    assert all("traffick" in r["recommendation"].lower() for r in rows)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    page.wait_for_url("**/recommendation?id=*")
    page.get_by_role("heading", name="Recommendation ").first.wait_for()
    wait_for_app(page, charts=1)
    assert "Recommendation " in main_text(page)


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A server on the sample plus one recommendation (and assessment, theme, source) made
    of a <script> payload; yields the base URL and the recommendation's id."""
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium is not installed")
    from tests.importer_support import add_recommendation
    from tracker import db, schema
    from tracker.assessments import add_assessment
    from tracker.importers.inputs import RecommendationInput
    from tracker.sample import load_sample

    path = tmp_path_factory.mktemp("xss") / "tracker.db"
    engine = db.create_engine_for(f"sqlite:///{path}")
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        load_sample(s)
        rid = add_recommendation(
            s,
            RecommendationInput(
                state_under_review="Kazakhstan",
                session=48,
                text=XSS_TEXT,
                response="supported",
                recommending_states=["Mexico"],
                themes=["<img src=x onerror=\"window.__xss='theme'\"> theme"],
            ),
        )
        add_assessment(
            s,
            rid,
            status="partially_implemented",
            assessed_on="2025-01-01",
            source_org="<script>window.__xss='source'</script>",
            evidence="<img src=x onerror=\"window.__xss='evidence'\"> **evidence**",
        )
    engine.dispose()
    proc, base = start_server(path)
    try:
        yield base, rid
    finally:
        stop_server(proc)


def test_a_script_payload_in_the_data_runs_nothing(xss_server, page) -> None:
    base, rid = xss_server
    open_app(page, base)
    for name, path, charts in (
        ("explorer", "/explorer?q=xss-probe", 0),
        ("recommendation", f"/recommendation?id={rid}", 1),
        ("flagged", "/flagged?q=xss-probe", 0),
        ("progress", "/progress?q=xss-probe", 6),
    ):
        open_app(page, base + path, charts)
        assert page.evaluate("typeof window.__xss") == "undefined", name
        assert page.locator('[data-testid="stMain"] script').count() == 0, name
        assert page.locator('[data-testid="stMain"] img[src="x"]').count() == 0, name
        if name == "explorer":
            # the grid is a canvas; its accessible table holds the cell texts
            page.wait_for_selector(
                '[data-testid="stDataFrame"] [role="gridcell"]', state="attached"
            )
            cells = page.locator('[data-testid="stDataFrame"] [role="gridcell"]').all_inner_texts()
            assert XSS_TEXT in cells
        if name == "recommendation":
            body = main_text(page)
            assert XSS_TEXT in body  # shown literally, Markdown and HTML included
            assert "<script>window.__xss='source'</script>" in body
            assert "**evidence**" in body
            tall_screenshot(page, "dashboard-script-payload")
        if name == "progress":
            svg = page.locator(".js-plotly-plot").nth(3).inner_text()
            assert "onerror" in svg  # the theme name is drawn as text
