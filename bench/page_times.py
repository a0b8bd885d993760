"""Benchmark: the script run of every page, for one country and for the whole corpus.

Each page runs under Streamlit's AppTest in this (warm) process: the app is run once on
every page first, so that imports are paid before anything is measured. Then, ``--repeat``
times, for each page and scope ("one_state" = ``?state=KAZ``, "all" = no filter):

* **cold**: the data-version caches emptied first (``ui.forget_queries()``), as on the first
  view after any write (an assessment, an import): every query of the page and the sidebar
  runs;
* **warm**: the same page run again: what a user waits after a click that changes nothing
  in the data (a repeated view).

Printed beside them, the floor: a page that only shows a title (bench/floor_page.py), run
the same way: what Streamlit and AppTest cost per run whatever the page does.

Without ``--db`` a scratch SQLite database is built from the real 61,014-row UPR Info export,
and synthetic assessments are added to a share of it (``--assessed``). Targets (issue #19,
cold): every page at most 0.5 s on the full corpus and 0.2 s for one country.

    .venv/bin/python bench/page_times.py [--db URL] [--state KAZ] [--repeat 3] [--pages ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.common import (  # noqa: E402
    ONE_STATE,
    REAL_FILE,
    check_import,
    emit,
    load,
    require,
    summary,
)
from tracker import db, schema  # noqa: E402
from tracker.assessments import refresh_current_status  # noqa: E402
from tracker.models import Assessment, Recommendation, Review, State  # noqa: E402
from tracker.settings import DATABASE_URL_ENV  # noqa: E402
from tracker.vocab import Status  # noqa: E402

# Every page of app.py's PAGES (file, extra URL parameters).
PAGES = [
    "pages/overview_page.py",
    "pages/progress_page.py",
    "pages/flagged_page.py",
    "pages/explorer_page.py",
    "pages/recommending_states_page.py",
    "pages/meeting_page.py",
    "pages/recommendation_page.py",
    "pages/report_page.py",
    "pages/snapshot_page.py",
    "pages/import_page.py",
    "pages/activity_page.py",
    "pages/users_page.py",
]
FLOOR_PAGE = ROOT / "bench" / "floor_page.py"
SOURCES = ["Government (mid-term report)", "National human rights institution", "NGO coalition"]
STATUSES = [s.value for s in Status]
TARGET_ALL, TARGET_ONE = 0.5, 0.2  # issue #19: cold, whole corpus / one country


def build_database(path: Path) -> str:
    """A migrated SQLite database at ``path`` holding the real export."""
    from tracker.importers import import_files

    url = f"sqlite:///{path}"
    engine = db.get_engine(url)
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        report = import_files(s, [REAL_FILE], skip_invalid=True)
    check_import(report, REAL_FILE.name, strict=False)
    return url


def add_synthetic_assessments(url: str, share: float, seed: int = 4) -> int:
    """Give ``share`` of the recommendations 1-4 dated assessments from up to three sources
    (marked as sample data); return how many were added (none when some exist)."""
    rng = random.Random(seed)
    engine = db.get_engine(url)
    with db.session_scope(engine) as s:
        if s.scalar(select(func.count()).select_from(Assessment)):
            return 0
        ids = list(s.scalars(select(Recommendation.id)))
        chosen = rng.sample(ids, int(len(ids) * share))
        rows = []
        for rid in chosen:
            day = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 5600))
            for _ in range(rng.randint(1, 4)):
                rows.append(
                    {
                        "recommendation_id": rid,
                        "status": rng.choices(STATUSES, weights=[2, 4, 3, 1])[0],
                        "assessed_on": min(day, dt.date.today()),
                        "source_org": rng.choice(SOURCES),
                        "evidence": "Synthetic evidence for the benchmark.",
                        "author": "bench",
                        "is_sample": True,
                    }
                )
                day += dt.timedelta(days=rng.randrange(60, 900))
        for start in range(0, len(rows), 5000):
            s.execute(insert(Assessment), rows[start : start + 5000])
        refresh_current_status(s)
        return len(rows)


def some_recommendation(url: str, state: str | None) -> int:
    """The first recommendation of ``state`` (of the database when None)."""
    stmt = select(func.min(Recommendation.id))
    if state:
        stmt = (
            stmt.join(Review, Review.id == Recommendation.review_id)
            .join(State, State.id == Review.state_id)
            .where(State.iso3 == state)
        )
    with db.session_scope(db.get_engine(url)) as s:
        return int(s.scalar(stmt) or 0)


def _open(page: str, params: dict[str, str]):
    """An AppTest on ``page`` with ``params`` in the URL (run once)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()  # the first run reads the URL (AppTest drops it when switching before a run)
    at.switch_page(page).run()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    return at


def time_page(page: str, params: dict[str, str], repeat: int) -> dict[str, object]:
    """Cold and warm script runs of ``page``, ``repeat`` times each."""
    from tracker import ui

    at = _open(page, params)
    cold, warm = [], []
    for _ in range(max(1, repeat)):
        ui.forget_queries()  # cold: every query of the page (and the sidebar) runs
        t0 = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    return {"cold_s": summary(cold), "warm_s": summary(warm)}


def time_floor(repeat: int) -> dict[str, object]:
    """Script runs of the floor page (a title only), the same way."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(FLOOR_PAGE), default_timeout=60)
    at.run()
    runs = []
    for _ in range(max(3, repeat * 2)):
        t0 = time.perf_counter()
        at.run()
        runs.append(time.perf_counter() - t0)
    return summary(runs)


def benchmark(
    url: str, state: str = ONE_STATE, repeat: int = 3, pages: list[str] | None = None
) -> dict[str, object]:
    """Every page in both scopes against the database at ``url``."""
    os.environ[DATABASE_URL_ENV] = url
    pages = pages or PAGES
    ids = {"one_state": some_recommendation(url, state), "all": some_recommendation(url, None)}
    scopes = {"one_state": {"state": state}, "all": {}}
    with db.session_scope(db.get_engine(url)) as s:
        n_recs = s.scalar(select(func.count()).select_from(Recommendation))
        n_assessments = s.scalar(select(func.count()).select_from(Assessment))
    # Pages of an empty database (a failed import) draw in no time: not a figure.
    require(bool(n_recs), f"{url}: the database holds no recommendation")
    require(all(ids.values()), f"{url}: no recommendation of {state} for its page")
    for page in pages:  # warm the process: every page's imports, once
        _open(page, {"id": str(ids["all"])} if "recommendation_page" in page else {})
    floor = time_floor(repeat)
    results: dict[str, dict[str, object]] = {}
    for page in pages:
        name = Path(page).stem.removesuffix("_page")
        results[name] = {}
        for scope, params in scopes.items():
            if name == "recommendation":
                params = {**params, "id": str(ids[scope])}
            results[name][scope] = time_page(page, params, repeat)
    worst = {
        (scope, kind): max(r[scope][kind]["median"] for r in results.values())
        for scope in scopes
        for kind in ("cold_s", "warm_s")
    }
    return {
        "benchmark": "pages",
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "recommendations": n_recs,
        "assessments": n_assessments,
        "state": state,
        "floor_s": floor,
        "pages": results,
        "worst_median_s": {f"{s}_{k}": round(v, 3) for (s, k), v in worst.items()},
        "target_s": {"all": TARGET_ALL, "one_state": TARGET_ONE},
        "load": load(),
        "median_of_medians_all_cold": round(
            statistics.median(r["all"]["cold_s"]["median"] for r in results.values()),
            3,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: a scratch copy of the export)")
    parser.add_argument("--assessed", type=float, default=0.3, help="share given assessments")
    parser.add_argument("--state", default=ONE_STATE, help="ISO code of the 'one state' scope")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", nargs="*", help="page files (default: all)")
    args = parser.parse_args(argv)
    tmp = tempfile.TemporaryDirectory()
    url = args.db
    if not url:
        url = build_database(Path(tmp.name) / "bench.db")
        add_synthetic_assessments(url, args.assessed)
    emit(benchmark(url, args.state, args.repeat, args.pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
