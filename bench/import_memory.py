"""Benchmark: the peak memory (RSS) of importing a file, against the file's size (issue #19.4).

Each file is imported into a new SQLite database by a child process (so that one file's
peak does not hide another's), with the repeat suggestions deferred as the CLI does; the
child reports its resident set before reading the file (Python, the app's modules) and its
peak (``ru_maxrss``). Prints one JSON object.

    .venv/bin/python bench/import_memory.py [FILE ...] [--xlsx-mb 50]

Without files: the real 61,014-row UPR Info export (CSV), and a UPR Info export written as
an ``.xlsx`` of ``--xlsx-mb`` MB (long, little-compressible synthetic texts; generated once
into the bench directory).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_WORKDIR,
    IMPORT_LIMITS_ENV,
    PYTHON,
    REAL_FILE,
    emit,
    load,
    require,
)

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from tracker import db, schema
from tracker.importers import import_files
import tracker.linking, openpyxl  # every module the import needs, loaded before the baseline
base = int(open("/proc/self/statm").read().split()[1]) * {page} // 1024
engine = db.create_engine_for("sqlite:///" + sys.argv[2])
schema.upgrade(engine)
start = time.perf_counter()
with db.session_scope(engine) as s:
    report = import_files(s, [sys.argv[1]], skip_invalid=True, defer_repeats=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"baseline_kb": base, "peak_kb": peak, "seconds": round(seconds, 2),
                  "rows_read": report.rows_read, "added": report.added,
                  "rows_rejected": report.rows_rejected, "fatal": report.fatal,
                  "problems": [str(p) for p in report.problems[:5]]}}))
"""


def write_big_xlsx(path: Path, megabytes: float, seed: int = 19) -> Path:
    """A UPR Info export as .xlsx of at least ``megabytes`` MB (kept when already there)."""
    if path.is_file() and path.stat().st_size >= megabytes * 1e6:
        return path
    import openpyxl

    from tests.importer_support import UPR_INFO_HEADER

    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 11))) for _ in range(60000)]
    states = ["Kazakhstan", "Chile", "France", "Norway", "Brazil", "Kenya", "Japan", "Peru"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    n = int(megabytes * 1e6 / 900) + 1  # ~900 compressed bytes a row (measured)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Recommendations")
    ws.append(UPR_INFO_HEADER)
    for i in range(n):
        text = " ".join(rng.choice(vocab) for _ in range(220)).capitalize() + "."
        ws.append(
            [
                states[i % len(states)], "Asia", "CIS", text, states[(i + 1) % len(states)],
                "WEOG", "EU", "Supported", "5", "Torture and other CID treatment",
                str(1 + i % 40),
            ]
        )  # fmt: skip
    wb.save(tmp)
    tmp.replace(path)
    return path


def measure(path: Path) -> dict[str, object]:
    """Peak RSS of importing ``path`` in a child process."""
    env = {**os.environ, **IMPORT_LIMITS_ENV}
    env.setdefault("UPR_TRACKER_BACKUP_DIR", tempfile.mkdtemp(prefix="upr-bench-mem-bk-"))
    with tempfile.TemporaryDirectory(prefix="upr-bench-mem-") as tmp:
        code = CHILD.format(root=str(ROOT), page=os.sysconf("SC_PAGE_SIZE"))
        done = subprocess.run(
            [PYTHON, "-c", code, str(path), str(Path(tmp) / "m.db")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    # A file that could not be read, or whose rows were all rejected, is imported in no time
    # and no memory: that figure would mean nothing.
    require(
        not got["fatal"] and got["added"] > 0,
        f"{path.name}: the import stored nothing ({got['rows_read']:,} rows read, "
        f"{got['rows_rejected']:,} rejected):\n" + "\n".join(got["problems"]),
    )
    size_mb = path.stat().st_size / 1e6
    peak_mb, base_mb = got["peak_kb"] / 1024, got["baseline_kb"] / 1024
    return {
        "file": path.name,
        "file_mb": round(size_mb, 1),
        "rows_read": got["rows_read"],
        "rows_rejected": got["rows_rejected"],
        "import_seconds": got["seconds"],
        "baseline_rss_mb": round(base_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "peak_over_baseline_mb": round(peak_mb - base_mb, 1),
        "over_baseline_per_file_mb": round((peak_mb - base_mb) / size_mb, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--xlsx-mb", type=float, default=50.0)
    args = parser.parse_args(argv)
    files = args.files or [
        REAL_FILE,
        write_big_xlsx(DEFAULT_WORKDIR / f"upr_info_{args.xlsx_mb:g}mb.xlsx", args.xlsx_mb),
    ]
    emit({"benchmark": "import_memory", "files": [measure(p) for p in files], "load": load()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
