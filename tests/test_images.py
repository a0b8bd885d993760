"""Images for donors: charts and the country snapshot rendered by kaleido with the system
Chromium, checked as files (PNG size, SVG text, one-page PDF), and a chart downloaded from
the running app."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image
from sqlalchemy.orm import Session

from tests.conftest import skip_or_fail
from tracker import charts, images, queries, snapshot
from tracker.filters import Filters

KAZ = Filters(states=("KAZ",))
CAPTION = "Source: UPR Tracker database; as of 2025-09-01"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def renderer() -> None:
    """Kaleido needs Chromium: skip without it (fail under CI)."""
    if not CHROMIUM.exists():
        skip_or_fail(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")


def status_chart(session: Session) -> go.Figure:
    return charts.status_bar(
        queries.status_counts(session, KAZ), "Current status — Kazakhstan", CAPTION
    )


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


# --- without Chromium: what goes on an image -------------------------------------------------
def test_prepare_for_export_adds_organisation_and_watermark_to_a_copy(
    sample_session: Session,
) -> None:
    fig = status_chart(sample_session)
    before = fig.to_plotly_json()
    out = images.prepare_for_export(fig, organisation="Legal <centre>", sample=True)
    assert fig.to_plotly_json() == before  # the page's figure is untouched
    names = {a.name: a.text for a in out.layout.annotations}
    assert names["organisation"] == "Prepared by Legal &lt;centre&gt;"
    assert names["watermark"] == "SAMPLE DATA"
    assert out.layout.width == images.EXPORT_WIDTH
    # The chart has a title and a caption: they are kept, not replaced.
    assert out.layout.title.text == "Current status — Kazakhstan"
    assert "caption" not in names


def test_prepare_for_export_gives_a_bare_figure_a_title_and_a_caption() -> None:
    bare = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    out = images.prepare_for_export(bare, title="Kazakhstan; cycle 2", caption=CAPTION)
    assert out.layout.title.text == "Kazakhstan; cycle 2"
    assert [a.text for a in out.layout.annotations if a.name == "caption"] == [CAPTION]
    assert images.has_caption(out)
    assert not images.has_caption(bare)


def test_file_stem_is_safe_and_readable() -> None:
    assert images.file_stem("Current status — Kazakhstan; cycle 2") == (
        "current-status-kazakhstan-cycle-2"
    )
    assert images.file_stem("Côte d'Ivoire / 2024") == "cote-d-ivoire-2024"
    assert images.file_stem("") == "chart"


# --- rendered with Chromium ----------------------------------------------------------------
def test_chart_png_is_drawn_at_twice_the_layout_size(
    renderer: None, sample_session: Session
) -> None:
    fig = images.prepare_for_export(status_chart(sample_session), organisation="Legal centre")
    t0 = time.perf_counter()
    png = images.figure_to_png(fig)
    first = time.perf_counter() - t0
    png_again = images.figure_to_png(fig)
    assert time.perf_counter() - t0 - first < 5  # later images reuse the running browser
    for data in (png, png_again):
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "PNG"
            assert img.size == (2 * images.EXPORT_WIDTH, 2 * int(fig.layout.height))


def test_chart_svg_carries_title_caption_organisation_and_watermark(
    renderer: None, sample_session: Session
) -> None:
    sample = queries.selection_has_sample(sample_session, KAZ)
    assert sample
    fig = images.prepare_for_export(
        status_chart(sample_session), organisation="Legal centre", sample=sample
    )
    svg = images.figure_to_svg(fig).decode("utf-8")
    assert svg.startswith("<svg")
    assert f'width="{images.EXPORT_WIDTH}"' in svg
    for text in ("Current status — Kazakhstan", "as of 2025-09-01", "Prepared by Legal centre"):
        assert text in svg
    assert "SAMPLE DATA" in svg
    assert "Partially implemented" in svg


def test_world_map_renders_offline_from_the_local_topojson(renderer: None) -> None:
    if images.topojson_url() is None:
        skip_or_fail(f"no offline map data in {images.TOPOJSON_DIR}")
    fig = go.Figure(
        go.Choropleth(locations=["KAZ", "MEX", "EGY", "MYS"], z=[1, 2, 3, 4], locationmode="ISO-3")
    )
    svg = images.figure_to_svg(fig).decode("utf-8")
    # Each country is drawn from the map data: an outline of many points, not an empty path
    # (without the topojson nothing is drawn, or kaleido waits for the CDN).
    outlines = re.findall(r'class="choroplethlocation"[^>]*\sd="([^"]*)"', svg)
    assert len(outlines) == 4
    assert all(len(d) > 500 for d in outlines)


def test_snapshot_is_a_1920x1080_png_and_a_one_page_pdf(
    renderer: None, sample_session: Session
) -> None:
    data = snapshot.snapshot_data(sample_session, "Kazakhstan", organisation="Legal centre")
    assert data.is_sample
    assert data.figures["recommendations"] == 26
    fig = snapshot.snapshot_figure(data)
    texts = [a.text for a in fig.layout.annotations]
    assert "26" in texts  # headline: recommendations
    assert "14" in texts  # headline: partially implemented
    assert "SAMPLE DATA" in texts
    assert "Prepared by <b>Legal centre</b>" in texts
    png = snapshot.snapshot_image(fig, "png")
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == (1920, 1080)
    pdf = snapshot.snapshot_image(fig, "pdf")
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1


def test_snapshot_command_writes_png_and_pdf(
    renderer: None, sample_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker.cli import main

    png, pdf = tmp_path / "kaz.png", tmp_path / "kaz.pdf"
    assert main(["snapshot", "--state", "KAZ", "--org", "Legal centre", "--out", str(png)]) == 0
    assert main(["snapshot", "--state", "Kazakhstan", "--out", str(pdf)]) == 0
    out, err = capsys.readouterr()
    assert f"Wrote the snapshot of Kazakhstan to {png}." in out
    assert "watermarked" in err
    with Image.open(png) as img:
        assert img.size[0] >= 1600
        assert img.size[0] * 9 == img.size[1] * 16
    assert pdf_pages(pdf.read_bytes()) == 1
    assert main(["snapshot", "--state", "France", "--out", str(pdf)]) == 1
    assert "holds no recommendation to 'France'" in capsys.readouterr().err
