"""Static images of plotly figures (PNG, SVG, PDF), rendered on the server with kaleido.

Donors get charts that stand on their own: the title states the filter, a caption gives the
data source and the "as of" date, the organisation's name is added when it is set, and a
large diagonal "sample data" watermark marks any image built on sample records.

Rendering: kaleido 1.x drives a headless Chromium (``/usr/bin/chromium``, or the path in
``BROWSER_PATH`` / ``UPR_TRACKER_CHROMIUM``). Starting it costs ~2 s, so one renderer is
started per process on first use and kept: each image then costs ~0.2 s. The renderer runs
its own event loop in a daemon thread; calls from any thread (Streamlit runs every session
in its own) are serialised through that loop, with a timeout, and a renderer that failed is
replaced on the next call instead of blocking the app.

Maps render offline: when ``static/topojson/world_110m.json`` exists, kaleido is pointed at
that folder instead of plotly's CDN.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import os
import re
import threading
import unicodedata
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import plotly.graph_objects as go

from tracker import settings
from tracker.chart_layout import plain
from tracker.i18n import _
from tracker.safe_output import printable
from tracker.settings import PROJECT_ROOT

EXPORT_WIDTH = 1200  # layout pixels of an exported chart (2400 px wide at the 2x scale)
DEFAULT_HEIGHT = 480  # for figures that set no height
DEFAULT_SCALE = 2  # sharp in print and on high-density screens
RENDER_TIMEOUT_S = 60  # one image; far above the ~0.2 s a chart takes
START_TIMEOUT_S = 60  # Chromium start-up on a busy machine
ORG_LINE_SPACE = 22  # extra bottom margin (px) for the "Prepared by" line
TOPOJSON_DIR = PROJECT_ROOT / "static" / "topojson"
WATERMARK_COLOUR = "rgba(213, 94, 0, 0.16)"  # the status palette's vermilion, faint
FORMATS = ("png", "svg", "pdf")
MIME_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


class ImageExportError(RuntimeError):
    """An image could not be rendered; the message says why and what to do."""


def topojson_url() -> str | None:
    """``file://`` URL of the local topojson folder (for offline maps), if present."""
    if (TOPOJSON_DIR / "world_110m.json").is_file():
        return TOPOJSON_DIR.as_uri() + "/"
    return None


class _Renderer:
    """One kaleido (headless Chromium) per process, driven from a private event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None

    def _start(self) -> None:
        import kaleido  # imported on first use: the pages import this module on every run

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido", daemon=True)
        thread.start()
        kwargs: dict[str, Any] = {"n": 1, "mathjax": False}  # no CDN fetch for MathJax
        browser = settings.value(settings.CHROMIUM)
        if browser and not os.environ.get("BROWSER_PATH"):
            kwargs["path"] = browser
        try:
            k = kaleido.Kaleido(**kwargs)
            asyncio.run_coroutine_threadsafe(k.open(), loop).result(START_TIMEOUT_S)
        except Exception as exc:
            loop.call_soon_threadsafe(loop.stop)
            raise ImageExportError(
                _(
                    "Could not start Chromium to draw the image ({error}). Install it "
                    "(Debian: apt-get install chromium) or set BROWSER_PATH to its path."
                ).format(error=exc)
            ) from exc
        self._loop, self._kaleido = loop, k

    def _stop(self) -> None:
        loop, k = self._loop, self._kaleido
        self._loop = self._kaleido = None
        if loop is None:
            return
        # A renderer being replaced may already be broken: closing it may fail too.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

    def render(self, fig: dict[str, Any], opts: dict[str, Any]) -> bytes:
        with self._lock:  # one image at a time; kaleido's tab is not shared
            if self._kaleido is None:
                self._start()
            assert self._loop is not None
            future = asyncio.run_coroutine_threadsafe(
                self._kaleido.calc_fig(fig, opts=opts, topojson=topojson_url()), self._loop
            )
            try:
                return bytes(future.result(RENDER_TIMEOUT_S))
            except FutureTimeout as exc:
                future.cancel()
                self._stop()
                raise ImageExportError(
                    _("Drawing the image took longer than {n} s; try again.").format(
                        n=RENDER_TIMEOUT_S
                    )
                ) from exc
            except Exception as exc:
                self._stop()
                raise ImageExportError(
                    _("Could not draw the image: {error}").format(error=exc)
                ) from exc

    def close(self) -> None:
        with self._lock:
            self._stop()


_renderer = _Renderer()
atexit.register(_renderer.close)


def render(
    fig: go.Figure | dict[str, Any],
    fmt: str = "png",
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = DEFAULT_SCALE,
) -> bytes:
    """The figure as ``fmt`` (png, svg or pdf) bytes. Width and height are layout pixels
    (default: the figure's own, else :data:`EXPORT_WIDTH` × its height); PNG pixels are
    ``scale`` times more."""
    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    fig_dict = _printable(fig.to_plotly_json() if isinstance(fig, go.Figure) else fig)
    layout = fig_dict.get("layout", {})
    opts = {
        "format": fmt,
        "width": int(width or layout.get("width") or EXPORT_WIDTH),
        "height": int(height or layout.get("height") or DEFAULT_HEIGHT),
        "scale": scale,
    }
    return _renderer.render(fig_dict, opts)


def _printable(value: Any) -> Any:
    """Every string of a figure's JSON through safe_output.printable: stored text (a theme,
    a state's or organisation's name) with a control character makes plotly.js fail on a PNG
    and writes a corrupt SVG (XML cannot hold it). A copy; numbers and arrays are kept."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def figure_to_png(fig: go.Figure | dict[str, Any], scale: float = DEFAULT_SCALE) -> bytes:
    """PNG bytes of the figure, ``scale`` × its layout size (2400 px wide by default)."""
    return render(fig, "png", scale=scale)


def figure_to_svg(fig: go.Figure | dict[str, Any]) -> bytes:
    """SVG bytes of the figure (vector: sharp at any size, editable in Inkscape)."""
    return render(fig, "svg", scale=1)


def figure_to_pdf(fig: go.Figure | dict[str, Any]) -> bytes:
    """A one-page PDF of the figure, the page the size of the figure."""
    return render(fig, "pdf", scale=1)


def stop_renderer() -> None:
    """Close the renderer's Chromium (it starts again on the next image)."""
    _renderer.close()


# --- what goes on an exported image ------------------------------------------------------------
def has_caption(fig: go.Figure) -> bool:
    """True when the figure carries a caption line under the plot (as charts.finish adds)."""
    return any(
        a.yref == "paper" and ((a.y is not None and a.y < 0) or (a.yshift or 0) < 0)
        for a in fig.layout.annotations
    )


def add_watermark(fig: go.Figure, text: str | None = None) -> go.Figure:
    """Add a large, faint, diagonal "sample data" across the figure (in place)."""
    width = fig.layout.width or EXPORT_WIDTH
    height = fig.layout.height or DEFAULT_HEIGHT
    fig.add_annotation(
        text=(text or _("sample data")).upper(),
        name="watermark",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        textangle=-25,
        font={"size": max(36, int(min(width / 11, height / 4))), "color": WATERMARK_COLOUR},
    )
    return fig


def add_organisation(fig: go.Figure, organisation: str) -> go.Figure:
    """Add "Prepared by ORGANISATION" at the bottom right of the figure (in place)."""
    margin_b = fig.layout.margin.b if fig.layout.margin.b is not None else 80
    fig.update_layout(margin={"b": margin_b + ORG_LINE_SPACE})
    if fig.layout.height:
        fig.update_layout(height=fig.layout.height + ORG_LINE_SPACE)
    fig.add_annotation(
        text=_("Prepared by {organisation}").format(organisation=plain(organisation)),
        name="organisation",
        xref="paper",
        yref="paper",
        x=1,
        y=0,
        yshift=-(margin_b + ORG_LINE_SPACE) + 6,
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        font={"size": 12, "color": "#333"},
    )
    return fig


def prepare_for_export(
    fig: go.Figure,
    *,
    title: str | None = None,
    caption: str | None = None,
    organisation: str | None = None,
    sample: bool = False,
    width: int = EXPORT_WIDTH,
) -> go.Figure:
    """A copy of ``fig`` ready to be sent as an image: a fixed width, a title (``title`` when
    the figure has none), a caption (``caption`` when it has none), the organisation's name
    and, for sample data, the watermark. Cheap: nothing is rendered."""
    out = go.Figure(copy.deepcopy(fig.to_plotly_json()))
    out.update_layout(width=width, height=out.layout.height or DEFAULT_HEIGHT, autosize=False)
    if title and not (out.layout.title and out.layout.title.text):
        out.update_layout(title={"text": plain(title), "x": 0.01, "xanchor": "left"})
        if (out.layout.margin.t or 0) < 80:
            out.update_layout(margin={"t": 80})
    if caption and not has_caption(out):
        margin_b = out.layout.margin.b if out.layout.margin.b is not None else 80
        out.update_layout(margin={"b": max(margin_b, 60) + 30})
        out.update_layout(height=out.layout.height + 30)
        out.add_annotation(
            text=plain(caption),
            name="caption",
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-(max(margin_b, 60) + 30) + 8,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11, "color": "#555"},
        )
    if organisation:
        add_organisation(out, organisation)
    if sample:
        add_watermark(out)
    return out


def file_stem(text: str, fallback: str = "chart", max_length: int = 60) -> str:
    """A safe, readable file name stem from a chart title ("Current status — Kazakhstan" ->
    "current-status-kazakhstan")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return stem[:max_length].rstrip("-") or fallback


def figure_title(fig: go.Figure) -> str:
    """The figure's title text without markup (empty when it has none)."""
    text = fig.layout.title.text if fig.layout.title and fig.layout.title.text else ""
    return re.sub(r"<[^>]+>", " ", text).strip()


__all__ = [
    "DEFAULT_SCALE",
    "EXPORT_WIDTH",
    "FORMATS",
    "MIME_TYPES",
    "ImageExportError",
    "add_organisation",
    "add_watermark",
    "figure_title",
    "figure_to_pdf",
    "figure_to_png",
    "figure_to_svg",
    "file_stem",
    "has_caption",
    "prepare_for_export",
    "render",
    "stop_renderer",
    "topojson_url",
]
