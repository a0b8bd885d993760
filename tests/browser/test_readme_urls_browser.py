"""Every URL of the README's page table opens its page in a real browser (issue #18: the
README said /overview, which showed Streamlit's "Page not found")."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.browser

# The page title (h1) each README URL must show; the README's table is the list tested.
TITLES = {
    "/overview": "Overview",
    "/progress": "Progress",
    "/flagged": "Flagged recommendations",
    "/explorer?q=...": "Explorer",
    "/recommendation?id=ID": "Recommendation",
    "/recommending-states": "Recommending states",
    "/meeting": "Coalition meeting",
    "/report": "Stakeholder report",
    "/snapshot": "Country snapshot",
    "/import": "Import",
    "/activity": "Activity",
    "/users": "Users",
}


def readme_urls() -> list[str]:
    """The URLs in the second column of the README's "The pages" table."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The pages", 1)[1].split("\n\n", 2)[1]
    urls: list[str] = []
    for line in section.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        urls += re.findall(r"`(/[^`]*)`", cells[1])
    return urls


def test_the_readme_lists_every_page_tested() -> None:
    assert readme_urls() == list(TITLES)


@pytest.mark.parametrize("url", [*TITLES, "/"])
def test_every_readme_url_opens_its_page(server: str, page, url: str) -> None:
    concrete = url.replace("ID", "1").replace("...", "women")
    page.goto(f"{server}{concrete}")
    wait_for_app(page)
    # Streamlit's "Page not found" is a modal drawn outside the app's root: read the body.
    assert "Page not found" not in page.locator("body").inner_text()
    title = page.locator('[data-testid="stMain"] h1').first.inner_text()
    assert title.startswith(TITLES.get(url, "Overview")), (url, title)
    if url == "/overview":
        screenshot(page, "readme-overview")
    if url == "/":  # a served app: no "Deploy" button (.streamlit/config.toml toolbarMode)
        assert "Deploy" not in page.locator("header").inner_text()


def test_overview_url_keeps_the_filters_and_language(server: str, page) -> None:
    page.goto(f"{server}/overview?state=KAZ&lang=ru")
    wait_for_app(page, charts=2)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().startswith("Обзор")
    assert "state=KAZ" in page.url
