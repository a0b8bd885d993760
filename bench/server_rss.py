"""Benchmark: the app server's memory after visiting every page in a browser.

Starts ``python -m tracker serve`` on the database (a coalition server's process), opens
every page in headless Chromium (the system /usr/bin/chromium through Playwright), once for
the whole corpus and once for one country, waits until each has finished drawing, and reads
the resident memory (VmRSS in /proc) of the server and of every process it started. The
floor, measured in the same run: the same server and visits on an empty database (what
Python, Streamlit and the app's modules hold whatever the data). Also printed: how long
each page took to be drawn in the browser, server cold (first visit) and warm (second).

Target (issue #7): at most 500 MB.

    .venv/bin/python bench/server_rss.py URL [--state KAZ]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ONE_STATE, emit, load, require, serve, summary  # noqa: E402
from tracker import db, schema  # noqa: E402
from tracker.models import Recommendation  # noqa: E402
from tracker.settings import DATABASE_URL_ENV  # noqa: E402

TARGET_MB = 500.0
CHROMIUM = os.environ.get("UPR_TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The url_path of every page in app.py (the recommendation page gets ?id=).
PAGES = [
    "overview",
    "progress",
    "flagged",
    "explorer",
    "recommending-states",
    "meeting",
    "recommendation",
    "report",
    "snapshot",
    "import",
    "activity",
    "users",
]
PAGE_TIMEOUT_MS = 180_000


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    return serve({**os.environ, DATABASE_URL_ENV: url})


def _wait(page) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=PAGE_TIMEOUT_MS
    )
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise RuntimeError(errors.first.inner_text())


def visit_all(url: str, state: str, rec_ids: dict[str, int]) -> dict[str, object]:
    """Start a server on ``url``, visit every page twice per scope; RSS and draw times."""
    from playwright.sync_api import sync_playwright

    proc, base = start_server(url)
    after_start = rss_mb(proc.pid)
    timings: dict[str, dict[str, dict[str, float]]] = {}
    peak = after_start
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for scope, query in (("all", ""), ("one_state", f"state={state}")):
                for name in PAGES:
                    params = [query] if query else []
                    if name == "recommendation":
                        params.append(f"id={rec_ids[scope]}")
                    target = f"{base}/{name}" + ("?" + "&".join(params) if params else "")
                    times = {}
                    for kind in ("cold", "warm"):
                        start = time.perf_counter()
                        page.goto(target)
                        _wait(page)
                        times[kind] = round(time.perf_counter() - start, 2)
                    times["rss_mb"] = rss_mb(proc.pid)
                    timings.setdefault(name, {})[scope] = times
                    peak = max(peak, times["rss_mb"])
            browser.close()
        time.sleep(1)
        final = rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "rss_mb_after_start": after_start,
        "rss_mb_after_every_page": final,
        "rss_mb_peak": max(peak, final),
        "browser_seconds": timings,
    }


def _ids(url: str, state: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from bench.page_times import some_recommendation

    with db.session_scope(db.get_engine(url)) as s:
        any_id = s.scalar(select(func.min(Recommendation.id)))
    # An empty database (a failed import) would measure the floor twice.
    require(any_id is not None, f"{url}: the database holds no recommendation")
    return {"all": int(any_id), "one_state": some_recommendation(url, state) or int(any_id)}


def benchmark(url: str, state: str = ONE_STATE, floor_url: str | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="upr-bench-rss-") as tmp:
        if floor_url is None:
            floor_url = f"sqlite:///{Path(tmp) / 'empty.db'}"
            schema.upgrade(db.create_engine_for(floor_url))
        floor = visit_all(floor_url, state, {"all": 1, "one_state": 1})
        full = visit_all(url, state, _ids(url, state))
    cold = [t[s]["cold"] for t in full["browser_seconds"].values() for s in t]
    warm = [t[s]["warm"] for t in full["browser_seconds"].values() for s in t]
    return {
        "benchmark": "server rss",
        "database": url.split(":", 1)[0].split("+", 1)[0],
        **full,
        "floor_rss_mb_after_every_page": floor["rss_mb_after_every_page"],
        "floor_rss_mb_after_start": floor["rss_mb_after_start"],
        "browser_cold_seconds": summary(cold, 2),
        "browser_warm_seconds": summary(warm, 2),
        "target_mb": TARGET_MB,
        "load": load(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--state", default=ONE_STATE)
    parser.add_argument("--floor-url", help="an empty database for the floor (default: SQLite)")
    args = parser.parse_args(argv)
    emit(benchmark(args.url, args.state, args.floor_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
