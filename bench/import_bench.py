"""Benchmark: import the real 61,014-row UPR Info export into a fresh SQLite database.

Prints one JSON object: the import time (``import_files`` in one transaction, commit
included) and, measured in the same run on the same machine, a floor: the same file parsed
with the ``csv`` module and its rows inserted with one ``executemany`` into a bare table.
The ratio of the two says how much the importer's work (validation, state names, the
identity rule, links, the search index) costs over the least any importer must do.

Targets (issue #3): at most 15 s on a 2-core machine, at most 10 times the floor. Each figure
is the best of ``--repeat`` runs (the machine may be shared).

    .venv/bin/python bench/import_bench.py [FILE] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker import db, queries, schema  # noqa: E402
from tracker.importers import import_files  # noqa: E402

DEFAULT_FILE = (
    ROOT.parent
    / "shared"
    / "data"
    / "upr"
    / "upr_info_recommendations_sessions01-27_export2018-07-25.csv"
)
TARGET_SECONDS = 15.0
TARGET_RATIO = 10.0


def time_import(path: Path, workdir: Path, n: int) -> tuple[float, dict[str, object]]:
    """Seconds to import ``path`` into a new, migrated SQLite database (schema not timed)."""
    url = f"sqlite:///{workdir / f'bench_{n}.db'}"
    engine = db.create_engine_for(url)
    schema.upgrade(engine)
    start = time.perf_counter()
    with db.session_scope(engine) as session:
        report = import_files(session, [path], skip_invalid=True)
    elapsed = time.perf_counter() - start
    with db.session_scope(engine) as session:
        stats = queries.stats(session)
    engine.dispose()
    return elapsed, {
        "rows_read": report.rows_read,
        "rows_rejected": report.rows_rejected,
        "recommendations": stats["recommendations"],
        "recommendation_state_pairs": stats["recommendation_state_pairs"],
    }


def time_floor(path: Path, workdir: Path, n: int) -> float:
    """Seconds to parse ``path`` with csv and executemany its rows into a bare table."""
    con = sqlite3.connect(workdir / f"floor_{n}.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    columns = ", ".join(f"c{i} TEXT" for i in range(len(header)))
    con.execute(f"CREATE TABLE raw ({columns})")
    marks = ", ".join("?" for _ in header)
    con.execute("BEGIN")
    con.executemany(f"INSERT INTO raw VALUES ({marks})", body)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(json.dumps({"error": f"no such file: {args.file}"}))
        return 1
    imports: list[float] = []
    floors: list[float] = []
    with tempfile.TemporaryDirectory(prefix="upr-bench-") as tmp:
        workdir = Path(tmp)
        figures: dict[str, object] = {}
        for n in range(max(1, args.repeat)):
            floors.append(time_floor(args.file, workdir, n))
            seconds, figures = time_import(args.file, workdir, n)
            imports.append(seconds)
    best_import, best_floor = min(imports), min(floors)
    ratio = best_import / best_floor if best_floor else float("inf")
    result = {
        "benchmark": "import",
        "file": args.file.name,
        **figures,
        "import_seconds": round(best_import, 3),
        "floor_seconds": round(best_floor, 3),
        "ratio_to_floor": round(ratio, 2),
        "import_runs": [round(x, 3) for x in imports],
        "floor_runs": [round(x, 3) for x in floors],
        "target_seconds": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
        "ok": best_import <= TARGET_SECONDS and ratio <= TARGET_RATIO,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
