"""A chart image downloaded from the running app (rendered on the server by kaleido)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.conftest import wait_for_app
from tracker import images

pytestmark = pytest.mark.browser


def test_a_chart_downloads_as_a_2x_png_named_after_its_title(server, page) -> None:
    page.goto(f"{server}/?state=KAZ")
    wait_for_app(page, charts=2)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="PNG image").first.click()
    assert download.value.suggested_filename == "current-status-kazakhstan.png"
    data = download.value.path().read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG"
        assert img.size[0] == 2 * images.EXPORT_WIDTH


def test_the_snapshot_page_offers_png_and_pdf(server, page) -> None:
    page.goto(f"{server}/snapshot?state=KAZ")
    wait_for_app(page, charts=1)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="PDF (one page)").click()
    assert download.value.suggested_filename == "upr-snapshot-kaz.pdf"
    assert download.value.path().read_bytes().startswith(b"%PDF")
