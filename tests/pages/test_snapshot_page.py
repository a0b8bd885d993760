"""The Snapshot page and the chart download buttons under AppTest: everything is offered, and
nothing is rendered until a button is clicked (the page runs stay fast)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tracker import images

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def download_labels(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_snapshot_page_previews_the_state_and_offers_png_and_pdf(sample_url) -> None:
    at = run("pages/snapshot_page.py", state="KAZ")
    assert at.selectbox(key="snap_state").value == "KAZ"
    (title,) = chart_titles(at)
    assert "Kazakhstan: implementation of UPR recommendations" in title
    assert "26 recommendations from 34 States in cycles 1–4" in title
    assert download_labels(at) == ["PNG image (1920 × 1080)", "PDF (one page)"]
    # The files are made on click (deferred), not during the page run.
    assert all(b.proto.deferred_file_id for b in at.get("download_button"))
    assert any("watermarked" in w.value for w in at.warning)


def test_snapshot_follows_the_chosen_state(sample_url) -> None:
    at = run("pages/snapshot_page.py")
    at.selectbox(key="snap_state").select("KGZ").run()
    assert not at.exception
    assert "Kyrgyzstan: implementation of UPR recommendations" in chart_titles(at)[0]


def test_every_chart_has_png_and_svg_buttons_and_nothing_is_rendered(sample_url) -> None:
    images.stop_renderer()  # no Chromium running before the page run ...
    at = run("pages/overview_page.py", state="KAZ")
    n_charts = len(at.get("plotly_chart"))
    assert n_charts >= 2
    labels = download_labels(at)
    assert labels.count("PNG image") == n_charts
    assert labels.count("SVG image") == n_charts
    assert images._renderer._kaleido is None  # ... nor after it
