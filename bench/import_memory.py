"""Benchmark: the peak memory (RSS) of importing a file, against the file's size (issue #19.4).

Each file is imported into a new SQLite database by a child process (so that one file's
peak does not hide another's), with the repeat suggestions deferred as the CLI does; the
child reports its resident set before reading the file (Python, the app's modules), its
peak (``ru_maxrss``) and the import's wall and CPU time. Prints one JSON object.

    .venv/bin/python bench/import_memory.py [FILE ...] [--xlsx-mb 50] [--onto BASE ...]

With ``--onto BASE`` (repeatable) each file is imported into a database that holds BASE
already (imported in order by another process, kept in the bench directory between runs and
copied for each measurement): a later round of the same recommendations, the usual import
of a coalition (issue #19.4). ``--tracemalloc N`` prints the N lines of the app that hold
the most memory at the import's peak (slow: for finding what holds it, not for figures).

Without files: the real 61,014-row UPR Info export (CSV), and a UPR Info export written as
an ``.xlsx`` of ``--xlsx-mb`` MB (long, little-compressible synthetic texts; generated once
into the bench directory).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
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
engine = db.create_engine_for("sqlite:///" + sys.argv[2])
schema.upgrade(engine)
top = int(sys.argv[3])
if top:
    import gc, tracemalloc
    import tracker.importers.writer as w
    tracemalloc.start(1)
    snaps = []
    plan = w.BulkWriter.plan
    def traced(self, *a, **k):  # the peak: the plan made, the rows and the plan both held
        got = plan(self, *a, **k)
        snaps.append(tracemalloc.take_snapshot())
        return got
    w.BulkWriter.plan = traced
base = int(open("/proc/self/statm").read().split()[1]) * {page} // 1024
start, cpu = time.perf_counter(), time.process_time()
with db.session_scope(engine) as s:
    report = import_files(s, [sys.argv[1]], skip_invalid=True, defer_repeats=True)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
lines = []
if top:
    for stat in snaps[0].statistics("lineno")[:top]:
        lines.append(f"{{stat.size / 1e6:9.1f}} MB {{stat.count:>10,}} {{stat.traceback}}")
print(json.dumps({{"baseline_kb": base, "peak_kb": peak, "seconds": round(seconds, 2),
                  "cpu_seconds": round(cpu, 2), "rows_read": report.rows_read,
                  "added": report.added, "updated": report.updated,
                  "assessments_added": report.assessments_added,
                  "rows_rejected": report.rows_rejected, "fatal": report.fatal,
                  "problems": [str(p) for p in report.problems[:5]], "top": lines}}))
"""

# Imports BASE files in order into a new database (the ``--onto`` starting point).
BUILD = r"""
import sys
sys.path.insert(0, {root!r})
from tracker import db, schema
from tracker.importers import import_files
engine = db.create_engine_for("sqlite:///" + sys.argv[1])
schema.upgrade(engine)
for path in sys.argv[2:]:
    with db.session_scope(engine) as s:
        report = import_files(s, [path], skip_invalid=True, defer_repeats=True)
    assert report.written and not report.rows_rejected, path
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


def _env() -> dict[str, str]:
    env = {**os.environ, **IMPORT_LIMITS_ENV}
    env.setdefault("UPR_TRACKER_BACKUP_DIR", tempfile.mkdtemp(prefix="upr-bench-mem-bk-"))
    return env


def base_database(files: list[Path], workdir: Path) -> Path:
    """A SQLite database holding ``files`` (imported in order), built once and kept in
    ``workdir``: its name depends on the files (path, size, time) and on the migrations."""
    migrations = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    tag = hashlib.sha256(
        repr(
            [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
            + [m.name for m in migrations]
        ).encode()
    ).hexdigest()[:12]
    path = workdir / f"onto-{'-'.join(p.stem for p in files)}-{tag}.db"
    if path.is_file():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.db")
    tmp.unlink(missing_ok=True)
    subprocess.run(
        [PYTHON, "-c", BUILD.format(root=str(ROOT)), str(tmp), *map(str, files)],
        env=_env(),
        check=True,
    )
    tmp.replace(path)
    return path


def measure(path: Path, onto: Path | None = None, top: int = 0) -> dict[str, object]:
    """Peak RSS of importing ``path`` in a child process, into a new database or into a
    copy of ``onto``."""
    with tempfile.TemporaryDirectory(prefix="upr-bench-mem-") as tmp:
        target = Path(tmp) / "m.db"
        if onto is not None:
            shutil.copyfile(onto, target)
        code = CHILD.format(root=str(ROOT), page=os.sysconf("SC_PAGE_SIZE"))
        done = subprocess.run(
            [PYTHON, "-c", code, str(path), str(target), str(top)],
            capture_output=True,
            text=True,
            env=_env(),
            check=True,
        )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    # A file that could not be read, or whose rows were all rejected, is imported in no time
    # and no memory: that figure would mean nothing.
    require(
        not got["fatal"] and (got["added"] or got["updated"] or got["assessments_added"]),
        f"{path.name}: the import stored nothing ({got['rows_read']:,} rows read, "
        f"{got['rows_rejected']:,} rejected):\n" + "\n".join(got["problems"]),
    )
    size_mb = path.stat().st_size / 1e6
    peak_mb, base_mb = got["peak_kb"] / 1024, got["baseline_kb"] / 1024
    return {
        "file": path.name,
        "onto": onto.name if onto is not None else None,
        "file_mb": round(size_mb, 1),
        "rows_read": got["rows_read"],
        "rows_rejected": got["rows_rejected"],
        "added": got["added"],
        "assessments_added": got["assessments_added"],
        "import_seconds": got["seconds"],
        "import_cpu_seconds": got["cpu_seconds"],
        "baseline_rss_mb": round(base_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "peak_over_baseline_mb": round(peak_mb - base_mb, 1),
        "over_baseline_per_file_mb": round((peak_mb - base_mb) / size_mb, 1),
        **({"tracemalloc_top": got["top"]} if top else {}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--xlsx-mb", type=float, default=50.0)
    parser.add_argument(
        "--onto",
        action="append",
        type=Path,
        default=[],
        metavar="BASE",
        help="import each file into a database holding BASE first (repeatable, in order)",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    onto = base_database(args.onto, args.workdir) if args.onto else None
    files = args.files or [
        REAL_FILE,
        write_big_xlsx(args.workdir / f"upr_info_{args.xlsx_mb:g}mb.xlsx", args.xlsx_mb),
    ]
    emit(
        {
            "benchmark": "import_memory",
            "files": [measure(p, onto, args.tracemalloc) for p in files],
            "load": load(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
