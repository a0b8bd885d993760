"""The recommendation tables at 1440x900 (a laptop beside the sidebar), in Chromium: every
column of a view is on screen without scrolling sideways, and the Explorer's Response and
Themes columns are among them (issue #18: they were pushed off screen).

Screenshots go to test-artifacts/screenshots/tables-*.png for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_browser import open_app

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 900}
# (screenshot name, path): the sample holds two states under review, so that the Explorer
# shows its State column too (its widest case).
VIEWS = [
    ("explorer", "/explorer"),
    ("explorer-ru", "/explorer?lang=ru"),
    ("explorer-kaz", "/explorer?state=KAZ"),
    ("flagged-partial", "/flagged"),
    ("flagged-stale", "/flagged?flag=stale"),
    ("flagged-regressed", "/flagged?flag=regressed"),
    ("recommending-states", "/recommending-states?state=KAZ&by=ESP"),
]
# Per table: its box, the width of its scrolled content and of its window, and the headings
# the grid draws (it draws the columns in view: one off screen is not in this list).
TABLES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
  .map(df => {
    const box = df.getBoundingClientRect();
    const scroller = df.querySelector('.dvn-scroller');
    return {
      left: box.left, right: box.right,
      scrollWidth: scroller ? scroller.scrollWidth : 0,
      clientWidth: scroller ? scroller.clientWidth : 0,
      headings: Array.from(df.querySelectorAll('th')).map(th => th.innerText.trim()),
    };
  })"""


@pytest.fixture
def laptop(chromium) -> Iterator[object]:
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield page
    context.close()


def tables(page, path: str) -> list[dict]:
    # The grid's headings are an off-screen table for screen readers: attached, not visible.
    page.wait_for_selector('[data-testid="stDataFrame"] th', state="attached", timeout=30_000)
    page.locator('[data-testid="stDataFrame"]').last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the grid lays its columns out after it is drawn
    return page.evaluate(TABLES_JS)


@pytest.mark.parametrize(("name", "path"), VIEWS, ids=[v[0] for v in VIEWS])
def test_every_column_of_a_table_is_on_screen_at_1440_px(server: str, laptop, name, path) -> None:
    open_app(laptop, server + path)
    found = tables(laptop, path)
    screenshot(laptop, f"tables-{name}")
    assert found, f"no table on {path}"
    for table in found:
        assert table["right"] <= VIEWPORT["width"], table
        # Nothing to scroll to sideways: every column is in the table's window.
        assert table["scrollWidth"] <= table["clientWidth"] + 1, (path, table)


def test_the_explorer_shows_response_and_themes_in_the_viewport(server: str, laptop) -> None:
    open_app(laptop, server + "/explorer")
    (table,) = tables(laptop, "/explorer")
    assert {"Response", "Themes", "Recommended by", "Current status"} <= set(table["headings"])
    assert table["scrollWidth"] <= table["clientWidth"] + 1


def test_the_stale_list_has_no_empty_details_column(server: str, laptop) -> None:
    open_app(laptop, server + "/flagged?flag=stale")
    (table,) = tables(laptop, "/flagged?flag=stale")
    assert "Details" not in table["headings"]
    assert {"Recommendation", "Age (months)", "Latest evidence"} <= set(table["headings"])
