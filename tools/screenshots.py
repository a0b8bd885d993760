"""Screenshots of the main pages for the README (``make screenshots``).

Serves the app on a temporary copy of the sample database (and, with ``--import FILE``, a
real export imported on top, e.g. UPR Info's Kazakhstan file), opens each page at 1440×900
in headless Chromium (Playwright with the system ``/usr/bin/chromium``; nothing is
downloaded) and writes ``docs/screenshots/NAME.png`` (what a visitor sees without
scrolling) and ``docs/overview.png``. Run it after changing a page, look at the images, and
commit them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import serve  # noqa: E402 - after the path is set

CHROMIUM = os.environ.get("UPR_TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 900}
OUT = ROOT / "docs" / "screenshots"
# (file name, path and query, plotly charts to wait for). Progress and Snapshot are taken
# whole: their theme and state charts, the ones real data strains, are below the fold.
FULL_PAGE = {"progress", "progress-ru", "snapshot"}
TALL_PX = 4400
PAGES = [
    ("overview", "/?state=KAZ", 2),
    ("progress", "/progress?state=KAZ", 4),
    ("flagged", "/flagged?state=KAZ", 0),
    ("explorer", "/explorer?state=KAZ", 0),
    ("recommendation", "/recommendation?id=1", 1),
    ("recommending-states", "/recommending-states?state=KAZ", 1),
    ("meeting", "/meeting?state=KAZ&cycle=2", 0),
    ("report", "/report?state=KAZ", 0),
    ("snapshot", "/snapshot?state=KAZ", 0),
    ("overview-ru", "/?state=KAZ&lang=ru", 2),
    ("progress-ru", "/progress?state=KAZ&lang=ru", 4),
]
TIMEOUT_MS = 60_000


def wait_for_app(page, charts: int) -> None:
    """Until the script run has finished and ``charts`` plots are drawn."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    if charts:
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.js-plotly-plot'))"
            f".filter(p => p.querySelector('.main-svg')).length >= {charts}",
            timeout=TIMEOUT_MS,
        )
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )
    page.wait_for_timeout(800)  # plotly's transitions and the fonts settle


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import", dest="files", nargs="*", default=[], metavar="FILE")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["UPR_TRACKER_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'tracker.db'}"
        env["UPR_TRACKER_BACKUP_DIR"] = str(Path(tmp) / "backups")
        run = [sys.executable, "-m", "tracker"]
        subprocess.run([*run, "init"], cwd=ROOT, env=env, check=True, capture_output=True)
        for f in args.files:
            subprocess.run([*run, "import", f], cwd=ROOT, env=env, check=True)
        proc, base = serve(env)
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport=VIEWPORT)
                for name, path, charts in PAGES:
                    # Streamlit scrolls inside its main area (a full-page shot is the
                    # viewport): a whole page is taken with a viewport tall enough for it.
                    tall = {"width": VIEWPORT["width"], "height": TALL_PX}
                    page.set_viewport_size(tall if name in FULL_PAGE else VIEWPORT)
                    page.goto(base + path)
                    wait_for_app(page, charts)
                    target = args.out / f"{name}.png"
                    clip = None
                    if name in FULL_PAGE:  # down to the end of the page's content
                        bottom = page.evaluate(
                            "document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
                            ".getBoundingClientRect().bottom"
                        )
                        height = min(TALL_PX, max(VIEWPORT["height"], int(bottom) + 24))
                        clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
                    page.screenshot(path=str(target), clip=clip)
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    shutil.copyfile(args.out / "overview.png", ROOT / "docs" / "overview.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
