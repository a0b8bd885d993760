"""A million recommendations on PostgreSQL (issue #19, point 3): ``make bench-million``.

The synthetic corpus at UHRI scale (bench/synth.py ``--recommendations 1000000 --cycles 5``:
~1,000,000 recommendations, ~3,300,000 dated assessments in four round files of up to a
million rows), imported into a throwaway PostgreSQL server whose cluster lives in the work
folder, then measured as a coalition would meet it:

1. ``import``: each round file imported with the CLI (``python -m tracker import FILE``), one
   file per import, as a coalition adds a round of assessments: one transaction of up to a
   million rows each (the app's row and size limits raised for the child: a coalition
   splits its files, or raises them the same way), the automatic backup before every import
   included; wall time, CPU time and peak RSS of each process;
2. ``stats``: ``python -m tracker stats --json`` as a process;
3. ``pages``: every page's script run cold and warm (bench/page_times.py);
4. ``rss``: the server's memory after every page in Chromium (bench/server_rss.py);
5. ``backup``: ``python -m tracker backup FILE`` of the whole database; ``restore``:
   ``python -m tracker restore FILE --yes`` into an empty database of the same server (a new
   server after a disaster); wall time, file size, peak RSS;
6. ``sqlite``: the same backup restored into a SQLite file (about 5 minutes), and its pages
   timed: where SQLite's line is.

Every step runs in its own process and fails loudly: a child that exits non-zero, or an
import that stores nothing, stops the run with the error in the JSON and a non-zero exit.
The JSON (``--out``, default WORKDIR/million.json) is rewritten after every step and every
imported file, so a long run that stops half-way keeps what it measured; ``--steps`` runs
some steps again on the database kept (the cluster stays in WORKDIR/pg unless ``--fresh``).
``--database sqlite`` runs the same steps on a SQLite file of the work folder. The server
logs its statements of 250 ms or more (WORKDIR/pg/log), to explain a missed target.

    .venv/bin/python bench/million.py [--workdir /work/bench-wd-million]
        [--recommendations 1000000] [--steps import stats pages rss backup restore sqlite]
        [--repeat 1] [--fresh] [--out FILE] [--database postgresql|sqlite] [--note TEXT]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synth  # noqa: E402
from bench.common import IMPORT_LIMITS_ENV, PYTHON, load, machine, run_json  # noqa: E402
from bench.pgserver import PostgresServer  # noqa: E402

DEFAULT_WORKDIR = Path(os.environ.get("UPR_BENCH_MILLION_DIR", "/work/bench-wd-million"))
STEPS = ("import", "stats", "pages", "rss", "backup", "restore", "sqlite")
DEFAULT_STEPS = STEPS  # the SQLite comparison included: where SQLite's line is
TARGET_PAGE_COLD_S = 1.0
TARGET_RSS_MB = 500.0


class StepFailed(RuntimeError):
    """A step whose child failed, or whose result says nothing was done."""


def run_rusage(
    args: Sequence[str], env: dict[str, str], workdir: Path, timeout: float = 4 * 3600
) -> dict[str, Any]:
    """Run ``python ARGS`` with ``env`` added: its wall time, its own CPU seconds and peak
    RSS (``wait4``: this child alone) and the end of its output (kept in ``workdir``). A
    non-zero exit raises StepFailed with the end of its output."""
    # Unbuffered: the time of the first line of output is recorded (an import prints its
    # summary when its first step is committed, before the suggestion of repeats).
    environment = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    out_path = workdir / ".child-out"
    err_path = workdir / ".child-err"
    start = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=environment, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        first_output: float | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if first_output is None and out_path.stat().st_size:
                first_output = time.perf_counter() - start
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise StepFailed(f"{' '.join(args)} did not end in {timeout:.0f} s")
            time.sleep(0.5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        raise StepFailed(
            f"{' '.join(args)} exited with {proc.returncode}:\n{stdout[-2000:]}\n{stderr[-3000:]}"
        )
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # Linux: kilobytes
        "first_output_s": None if first_output is None else round(first_output, 1),
        "stdout": stdout[-1500:],
        "stderr": stderr[-1500:],
    }


def _stats(url: str, workdir: Path) -> dict[str, Any]:
    """``stats --json`` of the database at ``url``, timed as a process."""
    done = run_rusage(
        ["-m", "tracker", "stats", "--json"], {"UPR_TRACKER_DATABASE_URL": url}, workdir
    )
    figures = json.loads(done.pop("stdout"))
    done.pop("stderr")
    return {"process": done, "figures": figures}


def step_import(
    corpus: list[Path], url: str, workdir: Path, progress: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Each round file with ``python -m tracker import FILE``, one after the other;
    ``progress`` gets the figures so far after each file (a long run keeps them)."""
    env = {
        "UPR_TRACKER_DATABASE_URL": url,
        "UPR_TRACKER_BACKUP_DIR": str(workdir / "auto-backups"),
        "UPR_TRACKER_BACKUP_KEEP": "1",
        # A round file holds a million rows, over the app's 500,000-row, 50 MB limits.
        **IMPORT_LIMITS_ENV,
    }
    files = []
    seen = 0
    for path in corpus:
        print(f"[million] import {path.name} ...", file=sys.stderr, flush=True)
        done = run_rusage(["-m", "tracker", "import", str(path)], env, workdir)
        stats = _stats(url, workdir)["figures"]
        rows = sum(1 for _ in path.open(encoding="utf-8")) - 1  # no newline inside a cell
        added = stats["assessments"] - seen
        seen = stats["assessments"]
        files.append(
            {
                "file": path.name,
                "bytes": path.stat().st_size,
                "rows": rows,
                "assessments_added": added,
                "recommendations_after": stats["recommendations"],
                "load": load(),
                **done,
            }
        )
        # The first output is the summary, printed once the import is committed (the data
        # is usable); the rest of the time is the suggestion of repeats, the second step.
        files[-1]["committed_s"] = done["first_output_s"]
        print(f"[million] {path.name}: {done['wall_s']} s", file=sys.stderr, flush=True)
        if added < rows:
            raise StepFailed(
                f"importing {path.name} added {added:,} assessments for {rows:,} rows:\n"
                f"{done['stdout']}\n{done['stderr']}"
            )
        progress(_import_totals(files, complete=path == corpus[-1]))
    return _import_totals(files, complete=True)


def _import_totals(files: list[dict[str, Any]], *, complete: bool) -> dict[str, Any]:
    return {
        "files": files,
        "complete": complete,
        "wall_s": round(sum(f["wall_s"] for f in files), 1),
        "minutes": round(sum(f["wall_s"] for f in files) / 60, 1),
        "peak_rss_mb": max(f["peak_rss_mb"] for f in files),
    }


def step_backup(url: str, target: Path, workdir: Path) -> dict[str, Any]:
    """``python -m tracker backup`` of the whole database into ``target``."""
    target.unlink(missing_ok=True)
    done = run_rusage(
        ["-m", "tracker", "backup", str(target)], {"UPR_TRACKER_DATABASE_URL": url}, workdir
    )
    if not target.is_file():
        raise StepFailed(f"the backup wrote no file:\n{done['stdout']}\n{done['stderr']}")
    return {**done, "bytes": target.stat().st_size, "mb": round(target.stat().st_size / 2**20)}


def step_restore(url: str, source: Path, expected: dict[str, Any], workdir: Path) -> dict:
    """``python -m tracker restore --yes`` of ``source`` into the empty database at ``url``;
    the restored database must give the same ``stats --json`` as the original."""
    env = {
        "UPR_TRACKER_DATABASE_URL": url,
        "UPR_TRACKER_BACKUP_DIR": str(workdir / "auto-backups"),
        # A restore refuses a backup expanding beyond 4 GiB (a hostile zip); this one is
        # ours, and a million recommendations expand beyond that.
        "UPR_TRACKER_RESTORE_MAX_BYTES": str(64 * 2**30),
    }
    done = run_rusage(["-m", "tracker", "restore", str(source), "--yes"], env, workdir)
    got = _stats(url, workdir)["figures"]
    for key in ("recommendations", "assessments"):
        if got[key] != expected[key]:
            raise StepFailed(f"restored {key}: {got[key]:,}, expected {expected[key]:,}")
    return {**done, "recommendations": got["recommendations"], "assessments": got["assessments"]}


def _page_summary(pages: dict[str, Any]) -> dict[str, Any]:
    """The slowest page cold and warm, per scope, beside the target."""
    out: dict[str, Any] = {}
    for scope in ("all", "one_state"):
        for kind in ("cold_s", "warm_s"):
            name, fig = max(
                ((n, p[scope][kind]) for n, p in pages["pages"].items()),
                key=lambda item: item[1]["best"],
            )
            out[f"{scope}_{kind[:-2]}"] = {"page": name, **fig}
    out["target_cold_s"] = TARGET_PAGE_COLD_S
    out["met"] = all(
        p[scope]["cold_s"]["best"] <= TARGET_PAGE_COLD_S
        for p in pages["pages"].values()
        for scope in ("all", "one_state")
    )
    out["over_target"] = sorted(
        f"{n} ({scope}): {p[scope]['cold_s']['best']:.2f} s"
        for n, p in pages["pages"].items()
        for scope in ("all", "one_state")
        if p[scope]["cold_s"]["best"] > TARGET_PAGE_COLD_S
    )
    return out


class PostgresDatabases:
    """The steps' databases on the benchmark's PostgreSQL server, by name."""

    def __init__(self, pg: PostgresServer) -> None:
        self.pg = pg

    def fresh(self, name: str) -> str:
        """A new, empty database ``name`` (any earlier one dropped); its URL."""
        return self.pg.create_database(name)

    def drop(self, name: str) -> None:
        """Drop database ``name`` (the disk it holds)."""
        self.pg.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def url(self, name: str) -> str:
        """The URL of database ``name``, as it is."""
        return f"{self.pg.base}/{name}"


class SqliteDatabases:
    """The steps' databases as SQLite files of the work folder, by name."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def _file(self, name: str) -> Path:
        return self.workdir / f"{name}.db"

    def fresh(self, name: str) -> str:
        """A new, empty database ``name`` (any earlier file deleted); its URL."""
        self.drop(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        """Delete database ``name``'s files."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self._file(name)}{suffix}").unlink(missing_ok=True)

    def url(self, name: str) -> str:
        """The URL of database ``name``, as it is."""
        return f"sqlite:///{self._file(name)}"


def _pages(url: str, repeat: int) -> dict[str, Any]:
    pages = run_json(
        ["bench/page_times.py", "--db", url, "--repeat", str(repeat)], timeout=4 * 3600
    )
    return {**pages, "summary": _page_summary(pages)}


def run_step(
    step: str, dbs: PostgresDatabases | SqliteDatabases, corpus: list[Path], workdir: Path,
    repeat: int, progress: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:  # fmt: skip
    """One step on the database ``million`` of ``dbs``; its result (``progress`` gets a
    long step's figures so far)."""
    url = dbs.url("million")
    backup_file = workdir / "million-backup.zip"
    if step == "import":
        return step_import(corpus, dbs.fresh("million"), workdir, progress)
    if step == "stats":
        return _stats(url, workdir)
    if step == "pages":
        return _pages(url, repeat)
    if step == "rss":
        empty = dbs.fresh("empty")
        result = run_json(["bench/server_rss.py", url, "--floor-url", empty], timeout=4 * 3600)
        result["met"] = result["rss_mb_peak"] <= TARGET_RSS_MB
        return result
    if step == "backup":
        return step_backup(url, backup_file, workdir)
    if step == "restore":
        expected = _stats(url, workdir)["figures"]
        result = step_restore(dbs.fresh("restored"), backup_file, expected, workdir)
        dbs.drop("restored")  # the disk it holds
        return result
    # sqlite: the PostgreSQL data restored into a SQLite file, then its pages
    sqlite = SqliteDatabases(workdir)
    expected = _stats(url, workdir)["figures"]
    result = {"restore": step_restore(sqlite.fresh("million"), backup_file, expected, workdir)}
    result["file_mb"] = round(sqlite._file("million").stat().st_size / 2**20)
    result["pages"] = _pages(sqlite.url("million"), repeat)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--recommendations", type=int, default=synth.MILLION_RECOMMENDATIONS)
    parser.add_argument("--cycles", type=int, default=synth.MILLION_CYCLES)
    parser.add_argument("--steps", nargs="*", choices=STEPS, default=list(DEFAULT_STEPS))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each page")
    parser.add_argument("--fresh", action="store_true", help="a new cluster, data re-imported")
    parser.add_argument(
        "--out", type=Path, help="the JSON (default WORKDIR/million.json, million-sqlite.json)"
    )
    parser.add_argument("--note", help="how this run was taken, shown above its table")
    parser.add_argument(
        "--database",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="sqlite: the same steps on a SQLite file (where SQLite's line is)",
    )
    args = parser.parse_args(argv)
    if args.database == "sqlite":
        # The comparison restores PostgreSQL's backup into the SQLite file these steps use.
        if "sqlite" in args.steps and args.steps != list(DEFAULT_STEPS):
            parser.error("--steps sqlite compares with PostgreSQL: not with --database sqlite")
        args.steps = [step for step in args.steps if step != "sqlite"]
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    out_path: Path = args.out or workdir / (
        "million.json" if args.database == "postgresql" else "million-sqlite.json"
    )
    results: dict[str, Any] = {}
    if out_path.is_file() and not args.fresh:
        results = json.loads(out_path.read_text())  # a resumed run keeps what it measured
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results.update(
        {
            "benchmark": "million",
            "database": args.database,
            **({"note": args.note} if args.note else {}),
            "started": results.get("started", started.isoformat()),
            "machine": machine(),
            "load_at_start": results.get("load_at_start", load()),
        }
    )

    def save() -> None:
        out_path.write_text(json.dumps(results, indent=2, default=str))

    def progress(step: str, so_far: dict[str, Any]) -> None:
        results[step] = so_far
        save()

    print("[million] synthetic corpus ...", file=sys.stderr, flush=True)
    info = synth.write_corpus(workdir / "corpus", args.recommendations, cycles=args.cycles)
    results["corpus"] = info
    corpus = [workdir / "corpus" / name for name in info["files"]]
    save()
    if args.fresh:
        shutil.rmtree(workdir / "pg", ignore_errors=True)
    status = 0
    with contextlib.ExitStack() as stack:
        if args.database == "postgresql":
            pg = stack.enter_context(PostgresServer(workdir / "pg", keep=True))
            results["postgres_version"] = pg.version()
            # Statements of 250 ms or more go to WORKDIR/pg/log: where a page misses its
            # target, the slow query is there to be explained (logging only; the defaults
            # otherwise).
            pg.admin("ALTER SYSTEM SET log_min_duration_statement = 250")
            pg.admin("SELECT pg_reload_conf()")
            dbs: PostgresDatabases | SqliteDatabases = PostgresDatabases(pg)
        else:
            dbs = SqliteDatabases(workdir)
        step = ""
        try:
            for step in args.steps:
                print(f"[million] {step} ...", file=sys.stderr, flush=True)
                before = load()
                result = run_step(step, dbs, corpus, workdir, args.repeat, partial(progress, step))
                result["load_before"] = before
                result["load_after"] = load()
                results[step] = result
                save()
                print(f"[million] {step} done", file=sys.stderr, flush=True)
        except Exception as exc:  # recorded, then the run fails loudly
            results["error"] = f"{step}: {exc}"[-5000:]
            status = 1
    results["load_at_end"] = load()
    results["ended"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    save()
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, default=str)[:3000])
    print(f"[million] written to {out_path}", file=sys.stderr)
    if status:
        print(f"[million] FAILED: {results['error']}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
