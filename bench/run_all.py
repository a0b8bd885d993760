"""Every benchmark of issue #7, one command (``make bench``); prints one JSON document.

1. the synthetic corpus (bench/synth.py; kept in the work folder between runs);
2. on SQLite, then on a throwaway PostgreSQL server (bench/pgserver.py):
   * import of the real 61,014-row UPR Info export into an empty database
     (bench/import_bench.py), and of the synthetic corpus, whose database the next steps use;
   * ``stats --json`` as a process (bench/stats_bench.py);
   * text search (bench/search_bench.py);
   * every page's script run under AppTest, cold and warm (bench/page_times.py);
   * the server's memory after visiting every page in Chromium (bench/server_rss.py);
3. a summary: each figure beside its floor and its target.

Each step runs in its own process. Figures are the best and the median of ``--repeat``
runs; the load averages at the start and end of each step are recorded (the machine may be
shared: compare the best figures, and re-run when ``uptime`` shows a quiet machine).
``--quick`` is a smoke test (a 20,000-recommendation corpus, one run of each).

    .venv/bin/python bench/run_all.py [--repeat 3] [--skip-postgres] [--quick]
        [--only import memory stats search pages rss] [--workdir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synth  # noqa: E402
from bench.common import DEFAULT_WORKDIR, ONE_STATE, REAL_FILE, load, machine, run_json  # noqa: E402

STEPS = ("import", "memory", "stats", "search", "pages", "rss")


def _step(name: str, args: list[str]) -> dict[str, Any]:
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    start, before = time.perf_counter(), load()
    try:
        result = run_json(args)
    except Exception as exc:  # a step that fails is reported, the others still run
        result = {"error": str(exc)[-3000:]}
    result["step_seconds"] = round(time.perf_counter() - start, 1)
    result["load_before"] = before
    print(f"[bench] {name}: {result['step_seconds']} s", file=sys.stderr, flush=True)
    return result


def _database_holds(url: str, corpus_info: dict[str, Any]) -> str | None:
    """Why the database at ``url`` is not the whole synthetic corpus (None when it is): the
    steps after the import measure it, and an empty or partial one gives fast, false
    figures."""
    from sqlalchemy import func, select

    from tracker import db
    from tracker.models import Assessment, Recommendation

    engine = db.create_engine_for(url)
    try:
        with db.session_scope(engine) as s:
            recs = s.scalar(select(func.count()).select_from(Recommendation))
            assessments = s.scalar(select(func.count()).select_from(Assessment))
    except Exception as exc:  # no database, no schema: the import did not run or failed
        return f"{url} cannot be read: {exc}"
    finally:
        engine.dispose()
    want = (corpus_info["recommendations"], corpus_info["assessments"])
    if (recs, assessments) != want:
        return (
            f"the database holds {recs:,} recommendations and {assessments:,} assessments, "
            f"the corpus {want[0]:,} and {want[1]:,}: its import failed"
        )
    return None


def run_database(
    label: str,
    corpus: list[Path],
    workdir: Path,
    repeat: int,
    steps: set[str],
    pg_port: int | None = None,
    corpus_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """All steps on one kind of database; the synthetic corpus' database is the full one.
    When it does not hold the whole corpus (a failed import), the steps that measure it are
    not run: each records the error instead."""
    out: dict[str, Any] = {}
    pg = ["--pg-port", str(pg_port)] if pg_port else []
    full_db = workdir / "full.db"
    url = (
        f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/imported"
        if pg_port
        else (f"sqlite:///{full_db}")
    )
    if "import" in steps or not (pg_port or full_db.exists()):
        if not pg_port:  # never measure a previous run's database if this import fails
            for suffix in ("", "-wal", "-shm"):
                Path(f"{full_db}{suffix}").unlink(missing_ok=True)
        out["import_real"] = _step(
            f"{label} import of the 61k export",
            ["bench/import_bench.py", str(REAL_FILE), "--repeat", str(repeat), *pg],
        )
        keep = [] if pg_port else ["--keep", str(full_db)]
        out["import_synthetic"] = _step(
            f"{label} import of the synthetic corpus",
            ["bench/import_bench.py", *map(str, corpus), "--repeat", "1", "--strict", *keep, *pg],
        )
    if "memory" in steps and not pg_port:
        out["import_memory"] = _step(f"{label} peak memory of imports", ["bench/import_memory.py"])
    problem = _database_holds(url, corpus_info) if corpus_info else None
    if problem:
        print(f"[bench] {label}: {problem}", file=sys.stderr, flush=True)
        for step in ("stats", "search", "pages", "rss"):
            if step in steps:
                out[step] = {"error": f"not run: {problem}"}
        return out
    if "stats" in steps:
        out["stats"] = _step(
            f"{label} stats --json", ["bench/stats_bench.py", url, "--repeat", str(repeat + 2)]
        )
    if "search" in steps:
        out["search"] = _step(
            f"{label} search", ["bench/search_bench.py", url, "--repeat", str(repeat + 2)]
        )
    if "pages" in steps:
        out["pages"] = _step(
            f"{label} pages", ["bench/page_times.py", "--db", url, "--repeat", str(repeat)]
        )
    if "rss" in steps:
        floor = []
        if pg_port:
            from bench.pgserver import PostgresServer
            from tracker import db, schema

            empty = PostgresServer.attach(pg_port).create_database("empty")
            schema.upgrade(db.create_engine_for(empty))
            floor = ["--floor-url", empty]
        out["rss"] = _step(f"{label} server memory", ["bench/server_rss.py", url, *floor])
    return out


def failures(results: dict[str, Any]) -> list[str]:
    """Every step that failed, as ``database step: error`` (the run's exit status is
    non-zero when there is any)."""
    out = []
    for db_name in ("sqlite", "postgresql"):
        r = results.get(db_name) or {}
        if "error" in r:
            out.append(f"{db_name}: {r['error']}")
        for step, result in r.items():
            if isinstance(result, dict) and "error" in result:
                out.append(f"{db_name} {step}: {str(result['error']).splitlines()[0][:300]}")
    return out


def _ok(value: float | None, target: float | None) -> bool | None:
    if value is None or target is None:
        return None
    return value <= target


def summarise(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: what, database, scope, figure (best and median), floor, target."""
    rows: list[dict[str, Any]] = []

    def add(what: str, db: str, scope: str, fig: Any, floor: Any, target: Any, unit: str) -> None:
        best = fig.get("best") if isinstance(fig, dict) else fig
        rows.append(
            {
                "what": what,
                "database": db,
                "scope": scope,
                "best": best,
                "median": fig.get("median") if isinstance(fig, dict) else fig,
                "floor": floor.get("best") if isinstance(floor, dict) else floor,
                "target": target,
                "unit": unit,
                "ok": _ok(best, target if unit != "x floor" else None),
            }
        )

    for db in ("sqlite", "postgresql"):
        r = results.get(db) or {}
        for key, scope in (("import_real", "61,014 rows"), ("import_synthetic", "corpus")):
            imp = r.get(key) or {}
            if "import_seconds" in imp:
                target = imp["target_seconds"] if key == "import_real" else None
                add("import", db, scope, imp["import_seconds"], imp["floor_seconds"], target, "s")
                if key == "import_real":
                    rows[-1]["ratio_to_floor"] = imp["ratio_to_floor"]
                    rows[-1]["ok"] = rows[-1]["ok"] and imp["ratio_to_floor"] <= imp["target_ratio"]
        stats = r.get("stats") or {}
        for scope in ("all", "one_state"):
            if scope in stats:
                s = stats[scope]
                add("stats --json (process)", db, scope, s["seconds"], s["floor_seconds"],
                    stats["target_seconds"], "s")  # fmt: skip
        search = r.get("search") or {}
        for q in search.get("queries", []):
            for scope in ("all", "one_state"):
                add(f"search {q['q']}", db, scope, q[scope]["seconds"], q["floor_seconds"],
                    search["target_seconds"], "s")  # fmt: skip
        pages = r.get("pages") or {}
        for name, page in (pages.get("pages") or {}).items():
            for scope in ("all", "one_state"):
                target = pages["target_s"][scope]
                for kind in ("cold_s", "warm_s"):
                    add(f"page {name} ({kind[:-2]})", db, scope, page[scope][kind],
                        pages["floor_s"], target, "s")  # fmt: skip
        rss = r.get("rss") or {}
        if "rss_mb_after_every_page" in rss:
            add("server RSS after every page", db, "both", rss["rss_mb_after_every_page"],
                rss["floor_rss_mb_after_every_page"], rss["target_mb"], "MB")  # fmt: skip
            add("server RSS peak", db, "both", rss["rss_mb_peak"],
                rss["floor_rss_mb_after_every_page"], rss["target_mb"], "MB")  # fmt: skip
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    """The summary as a plain table on stderr (stdout holds the JSON)."""
    print(f"{'figure':42} {'db':10} {'scope':11} {'best':>8} {'median':>8} {'floor':>8} "
          f"{'target':>7}  ok", file=sys.stderr)  # fmt: skip
    for r in rows:
        fmt = lambda v: "" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
        print(
            f"{r['what'][:42]:42} {r['database']:10} {r['scope']:11} {fmt(r['best']):>8} "
            f"{fmt(r['median']):>8} {fmt(r['floor']):>8} {fmt(r['target']):>7}  "
            f"{'' if r['ok'] is None else 'yes' if r['ok'] else 'NO'}",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--recommendations", type=int, default=synth.DEFAULT_RECOMMENDATIONS)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a smoke test: small, one run")
    parser.add_argument("--only", nargs="*", choices=STEPS, help="only these steps")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.recommendations = 1, 20_000
    steps = set(args.only or STEPS)
    workdir = args.workdir / ("quick" if args.quick else "full")
    workdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: dict[str, Any] = {
        "started": started.isoformat(),
        "machine": machine(),
        "load_at_start": load(),
        "one_state": ONE_STATE,
    }
    print("[bench] synthetic corpus ...", file=sys.stderr, flush=True)
    corpus_info = synth.write_corpus(workdir / "corpus", args.recommendations)
    results["corpus"] = corpus_info
    corpus = [workdir / "corpus" / name for name in corpus_info["files"]]
    results["sqlite"] = run_database(
        "SQLite", corpus, workdir, args.repeat, steps, corpus_info=corpus_info
    )
    if not args.skip_postgres:
        from bench.pgserver import PostgresServer, pg_bindir

        if pg_bindir() is None:
            results["postgresql"] = {"error": "PostgreSQL is not installed"}
        else:
            with PostgresServer() as pg:
                results["postgres_version"] = pg.version()
                results["postgresql"] = run_database(
                    "PostgreSQL",
                    corpus,
                    workdir,
                    args.repeat,
                    steps | {"import"},
                    pg.port,
                    corpus_info=corpus_info,
                )
    results["load_at_end"] = load()
    results["summary"] = summarise(results)
    print_table(results["summary"])
    text = json.dumps(results, indent=2, default=str)
    out = args.out or ROOT / "bench" / "out" / f"results-{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"[bench] written to {out}", file=sys.stderr)
    failed = failures(results)
    for line in failed:
        print(f"[bench] FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
