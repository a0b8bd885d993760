"""Benchmark: the script run of every dashboard page, for one country and the whole corpus.

Builds a scratch SQLite database from the real 61,014-row UPR Info export (or uses
``--db``), adds synthetic assessments to a share of the recommendations (``--assessed``,
so that the flags, the status history and the maps have work to do; the export holds no
assessment), then runs each page under Streamlit's AppTest and prints one JSON object:
for each page and scope ("one state" = ``--state``, "all" = no filter), the time of the
first run on an empty cache ("cold") and of a rerun ("warm", what a user waits after a
click elsewhere on the page), the best of ``--repeat``.

Target (issue #4): under 1 s per run for one country; usable (a few seconds at most, cold)
on the full corpus.

    .venv/bin/python bench/page_times.py [--db URL] [--assessed 0.3] [--state KAZ]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from tracker import db, schema  # noqa: E402
from tracker.assessments import refresh_current_status  # noqa: E402
from tracker.models import Assessment, Recommendation, Review, State  # noqa: E402
from tracker.settings import DATABASE_URL_ENV  # noqa: E402
from tracker.vocab import Status  # noqa: E402

REAL_FILE = (
    ROOT.parent
    / "shared"
    / "data"
    / "upr"
    / "upr_info_recommendations_sessions01-27_export2018-07-25.csv"
)
PAGES = [
    "pages/overview_page.py",
    "pages/progress_page.py",
    "pages/flagged_page.py",
    "pages/explorer_page.py",
    "pages/recommending_states_page.py",
    "pages/recommendation_page.py",
]
SOURCES = ["Government (mid-term report)", "National human rights institution", "NGO coalition"]
STATUSES = [s.value for s in Status]


def build_database(path: Path) -> str:
    """A migrated SQLite database at ``path`` holding the real export."""
    from tracker.importers import import_files

    url = f"sqlite:///{path}"
    engine = db.get_engine(url)
    schema.upgrade(engine)
    with db.session_scope(engine) as s:
        import_files(s, [REAL_FILE], skip_invalid=True)
    return url


def add_synthetic_assessments(url: str, share: float, seed: int = 4) -> int:
    """Give ``share`` of the recommendations 1-4 dated assessments from up to three sources
    (marked as sample data); return how many were added."""
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


def some_recommendation(url: str, state: str) -> int:
    with db.session_scope(db.get_engine(url)) as s:
        return int(
            s.scalar(
                select(func.min(Recommendation.id))
                .join(Review, Review.id == Recommendation.review_id)
                .join(State, State.id == Review.state_id)
                .where(State.iso3 == state)
            )
        )


def time_page(page: str, params: dict[str, str]) -> tuple[float, float]:
    """(cold, warm) seconds of the script run of ``page`` under AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()  # the first run reads the URL (AppTest drops it when switching before a run)
    at.switch_page(page)
    st.cache_data.clear()  # cold: every query of the page (and the sidebar) runs
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    t0 = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t0
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: a scratch copy of the export)")
    parser.add_argument("--assessed", type=float, default=0.3, help="share given assessments")
    parser.add_argument("--state", default="KAZ", help="ISO code of the 'one state' scope")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.db or build_database(Path(tmp.name) / "bench.db")
    added = add_synthetic_assessments(url, args.assessed) if args.assessed else 0
    os.environ[DATABASE_URL_ENV] = url
    rec_id = some_recommendation(url, args.state)
    with db.session_scope(db.get_engine(url)) as s:
        n_recs = s.scalar(select(func.count()).select_from(Recommendation))
        n_assessments = s.scalar(select(func.count()).select_from(Assessment))

    results: dict[str, dict[str, dict[str, float]]] = {}
    for page in PAGES:
        name = Path(page).stem.removesuffix("_page")
        results[name] = {}
        for scope, params in (("one_state", {"state": args.state}), ("all", {})):
            if name == "recommendation":
                params = {**params, "id": str(rec_id)}
            runs = [time_page(page, params) for _ in range(args.repeat)]
            results[name][scope] = {
                "cold_s": round(min(r[0] for r in runs), 3),
                "warm_s": round(min(r[1] for r in runs), 3),
            }
    print(
        json.dumps(
            {
                "recommendations": n_recs,
                "assessments": n_assessments,
                "synthetic_assessments_added": added,
                "state": args.state,
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
