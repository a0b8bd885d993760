"""The Overview in a real browser: the sample's chart draws and the numbers are right."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_overview_draws_status_chart_for_kazakhstan(server: str, page) -> None:
    page.goto(f"{server}/?state=KAZ")
    wait_for_app(page, charts=2)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Overview" in body
    assert "Partially implemented" in body
    # The status chart is drawn with its bars (one per status).
    assert page.locator(".js-plotly-plot").first.locator("g.point").count() == 5
    # The state filter came from the URL and stays in it.
    assert "state=KAZ" in page.url
    screenshot(page, "overview")


def test_sample_banner_is_shown(server: str, page) -> None:
    page.goto(server)
    wait_for_app(page, charts=1)
    assert "sample data" in page.locator('[data-testid="stMain"]').inner_text()
