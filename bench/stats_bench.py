"""Benchmark: ``python -m tracker stats --json`` as a whole process, beside its floor.

The figure is the wall time of the command a script would run (interpreter start, imports,
the queries, the JSON), for the whole database and for one country. The floor, measured in
the same run: a fresh Python process that connects with the bare driver (sqlite3 or
psycopg) and runs one SQL ``GROUP BY`` of the recommendations by cycle, response and current
status, the least a statistics command must do. Best and median of ``--repeat`` runs.

Target (issue #7): at most 1.5 s as a process.

    .venv/bin/python bench/stats_bench.py URL [--state KAZ] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ONE_STATE, PYTHON, emit, load, require, summary  # noqa: E402
from tracker.settings import DATABASE_URL_ENV  # noqa: E402

TARGET_SECONDS = 1.5

# The floor's statistics: one GROUP BY with the joins every figure needs.
GROUP_BY = (
    "SELECT v.cycle, r.response, coalesce(c.status, 'not_assessed'), count(*) "
    "FROM recommendation r JOIN review v ON v.id = r.review_id "
    "JOIN state s ON s.id = v.state_id "
    "LEFT JOIN assessment c ON c.id = r.current_assessment_id {where} "
    "GROUP BY v.cycle, r.response, coalesce(c.status, 'not_assessed')"
)
FLOOR_SQLITE = """
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(json.dumps(con.execute(sys.argv[2], sys.argv[3:]).fetchall()))
"""
FLOOR_POSTGRES = """
import json, sys, psycopg
with psycopg.connect(sys.argv[1]) as con:
    print(json.dumps(con.execute(sys.argv[2], sys.argv[3:]).fetchall()))
"""


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def stats_process(url: str, state: str | None) -> tuple[float, dict[str, object]]:
    env = dict(os.environ)
    env[DATABASE_URL_ENV] = url
    args = [PYTHON, "-m", "tracker", "stats", "--json"] + (["--state", state] if state else [])
    elapsed, out = _run(args, env)
    return elapsed, json.loads(out)


def floor_process(url: str, state: str | None) -> float:
    """A bare-driver process running the one GROUP BY."""
    postgres = url.startswith("postgresql")
    mark = "%s" if postgres else "?"
    where = f"WHERE s.iso3 = {mark}" if state else ""
    sql = GROUP_BY.format(where=where)
    if postgres:
        from sqlalchemy.engine import make_url

        u = make_url(url)
        target = f"host={u.host} port={u.port} user={u.username} dbname={u.database}"
        code = FLOOR_POSTGRES
    else:
        target = url.split("///", 1)[1]
        code = FLOOR_SQLITE
    elapsed, _out = _run([PYTHON, "-c", code, target, sql, *([state] if state else [])])
    return elapsed


def benchmark(url: str, state: str = ONE_STATE, repeat: int = 5) -> dict[str, object]:
    """The process and its floor, alternated, for the whole database and for ``state``."""
    out: dict[str, object] = {"benchmark": "stats --json", "target_seconds": TARGET_SECONDS}
    for scope, st in (("all", None), ("one_state", state)):
        runs, floors = [], []
        figures: dict[str, object] = {}
        for _ in range(max(1, repeat)):
            floors.append(floor_process(url, st))
            seconds, figures = stats_process(url, st)
            runs.append(seconds)
        # An empty database (a failed import) answers in no time: not a figure.
        require(bool(figures.get("recommendations")), f"{url}: no recommendation ({scope})")
        out[scope] = {
            "state": st,
            "recommendations": figures.get("recommendations"),
            "seconds": summary(runs),
            "floor_seconds": summary(floors),
        }
    out["load"] = load()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--state", default=ONE_STATE, help="ISO code of the one-country scope")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    emit(benchmark(args.url, args.state, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
