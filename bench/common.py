"""Shared helpers of the benchmarks: paths, repeated timings, the machine, subprocesses."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
REAL_FILE = (
    ROOT.parent
    / "shared"
    / "data"
    / "upr"
    / "upr_info_recommendations_sessions01-27_export2018-07-25.csv"
)
# Generated corpora and databases are kept here between runs (rebuilt when they change).
DEFAULT_WORKDIR = Path(os.environ.get("UPR_BENCH_DIR", Path(tempfile.gettempdir()) / "upr-bench"))
ONE_STATE = "KAZ"  # the "one country" scope: Kazakhstan, the project's first user's country


# The app's limits on one import (``UPR_TRACKER_MAX_ROWS``, 500,000 rows;
# ``UPR_TRACKER_MAX_UPLOAD_MB``) protect a server from a hostile upload. The benchmarks'
# own files are larger (the synthetic corpus is 624,000 rows in one import, the million
# corpus a million rows a file): their processes raise the limits for themselves.
IMPORT_LIMITS_ENV = {"UPR_TRACKER_MAX_ROWS": "10000000", "UPR_TRACKER_MAX_UPLOAD_MB": "5000"}


class BenchFailure(RuntimeError):
    """A benchmark that measured nothing (an import that stored nothing or rejected rows,
    an empty database): the run must stop with an error, not print a fast figure."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`BenchFailure` with ``message`` unless ``condition``."""
    if not condition:
        raise BenchFailure(message)


def raise_import_limits() -> None:
    """Raise the app's import limits for this process (see ``IMPORT_LIMITS_ENV``)."""
    os.environ.update(IMPORT_LIMITS_ENV)


def check_import(report: Any, what: str, *, strict: bool) -> None:
    """Fail loudly when an import (a ``tracker.importers.ImportReport``) could not read a
    file, stored nothing, or (``strict``: files known to be valid, like the synthetic
    corpus) rejected any row. The problems' first lines are in the message."""
    problems = "\n".join(str(p) for p in report.problems[:5])
    require(not report.fatal, f"{what}: a file could not be read:\n{problems}")
    require(report.rows_read > 0, f"{what}: no row was read")
    require(
        bool(report.added or report.updated or report.assessments_added),
        f"{what}: nothing was stored ({report.rows_rejected:,} rows rejected):\n{problems}",
    )
    require(
        not (strict and report.rows_rejected),
        f"{what}: {report.rows_rejected:,} rows rejected:\n{problems}",
    )


def summary(runs: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """Best and median of repeated timings (the machine may be shared: the best is the
    least disturbed run, the median the typical one)."""
    return {
        "best": round(min(runs), digits),
        "median": round(statistics.median(runs), digits),
        "runs": [round(r, digits) for r in runs],
    }


def timed(fn: Callable[[], Any], repeat: int) -> tuple[dict[str, Any], Any]:
    """Run ``fn`` ``repeat`` times; the summary of the timings and the last result."""
    runs, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return summary(runs), result


def load() -> list[float]:
    """The load averages (1, 5, 15 minutes): how busy the machine was."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    import sqlite3

    import pandas
    import sqlalchemy
    import streamlit

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "pandas": pandas.__version__,
        "streamlit": streamlit.__version__,
    }


def run_json(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 3600) -> Any:
    """Run a benchmark script in its own process; its stdout is one JSON document."""
    environment = dict(os.environ)
    environment.update(env or {})
    done = subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout)


def emit(result: Any) -> None:
    """Print a benchmark's result as JSON (the only thing on stdout)."""
    print(json.dumps(result, indent=2, default=str))


# --- a running app server (the benchmarks and the browser tests) ---------------------------------
def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], *, timeout_s: float = 60) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m tracker serve`` with ``env`` on a free port of 127.0.0.1 and wait
    until it answers its health check; return the process and its base URL. Its output goes
    to a temporary file, quoted in the error when it exits early."""
    import urllib.request

    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the server runs
    proc = subprocess.Popen(
        [
            PYTHON, "-m", "tracker", "serve",  # streamlit run app.py, routed by st.navigation
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server exited early:\n{log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not become healthy in time")
