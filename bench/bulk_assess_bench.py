"""Benchmark: bulk assessment of 500 recommendations on SQLite (issue #16, point 7).

Builds a fresh SQLite database with ``--n`` recommendations of one review (Kazakhstan,
session 48), then times :func:`tracker.bulk.assess_selection` on all of them, filtered by
state, as the Explorer's form and ``assess --state KAZ`` run it: one transaction that adds an
assessment to each, recomputes their current statuses and writes one audit event each, then
commits. Best and median of ``--repeat`` runs (each adds another assessment to every one).

Target: under 5 s for 500 recommendations.

    .venv/bin/python bench/bulk_assess_bench.py [--n 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import emit, summary  # noqa: E402
from tracker import auth, bulk, db, schema  # noqa: E402
from tracker.filters import Filters  # noqa: E402
from tracker.importers.inputs import RecommendationInput  # noqa: E402
from tracker.importers.writer import BulkWriter  # noqa: E402
from tracker.models import AuditEvent, ImportRun  # noqa: E402

TARGET_SECONDS = 5.0
STATE = "KAZ"


def add_recommendations(session: Session, n: int, state: str = "Kazakhstan") -> None:
    """``n`` distinct recommendations of one review (session 48), supported, never assessed
    (the caller commits). Also used by tests/test_bulk.py."""
    rows = [
        RecommendationInput(
            state_under_review=state,
            session=48,
            text=f"Recommendation number {i} on the rights of persons with disabilities",
            response="supported",
            recommending_states=["France"],
            themes=["Persons with disabilities"],
        )
        for i in range(n)
    ]
    run = ImportRun(filename="bench", format="bench")
    session.add(run)
    session.flush()
    writer = BulkWriter(session)  # the importers' writer: the one identity rule
    writer.plan([[(row, []) for row in rows]])
    writer.apply([run.id], actor="bench")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.get_engine(f"sqlite:///{Path(tmp) / 'bulk.db'}")
        schema.upgrade(engine)
        with auth.acting_as("bench", "editor"):
            with db.session_scope(engine) as s:
                add_recommendations(s, args.n)
            runs: list[float] = []
            for r in range(args.repeat):
                start = time.perf_counter()
                with db.session_scope(engine) as s:
                    result = bulk.assess_selection(
                        s,
                        Filters(states=(STATE,)),
                        status="partially_implemented" if r % 2 else "not_implemented",
                        assessed_on=dt.date.today() - dt.timedelta(days=args.repeat - r),
                        source_org="Benchmark NGO",
                        evidence="Same evidence for the whole selection.",
                    )
                runs.append(time.perf_counter() - start)
                assert result.count == args.n
            with db.session_scope(engine) as s:
                events = s.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "assessment.add")
                )
        db.dispose_engines()
    figures = summary(runs)
    emit(
        {
            "benchmark": "bulk_assess",
            "recommendations": args.n,
            "seconds": figures,
            "audit_events": events,
            "target_seconds": TARGET_SECONDS,
            "within_target": figures["best"] < TARGET_SECONDS,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
