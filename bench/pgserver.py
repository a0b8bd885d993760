"""A throwaway PostgreSQL server for the benchmarks (the recipe of tests/conftest.py).

``initdb`` into a temporary folder (as the ``postgres`` system user when run as root), start
it on a free port of 127.0.0.1 with PostgreSQL's default settings (durable commits: a
benchmark should see what a coalition server sees), and remove everything on exit::

    with PostgresServer() as pg:
        url = pg.create_database("bench")   # postgresql+psycopg://postgres@127.0.0.1:PORT/bench
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from bench.common import free_port

PG_BIN_ENV = "UPR_TRACKER_PGBIN"  # folder holding initdb/pg_ctl, if not /usr/lib/postgresql/*/bin


def pg_bindir() -> Path | None:
    """The newest PostgreSQL binaries folder with initdb and pg_ctl, or None."""
    wanted = os.environ.get(PG_BIN_ENV)
    candidates = [Path(wanted)] if wanted else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
        reverse=True,
    )
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class PostgresServer:
    """Start on ``__enter__``, stop and delete on ``__exit__``."""

    @classmethod
    def attach(cls, port: int) -> PostgresServer:
        """The server already listening on ``port`` (started by another process): its
        databases can be made and copied, nothing is started or stopped."""
        self = cls.__new__(cls)
        self.port = port
        self.base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        return self

    def __init__(self, data: Path | None = None, *, keep: bool = False) -> None:
        """A server in a new temporary folder, or in ``data`` (created if needed); with
        ``keep`` the cluster stays there after ``__exit__`` and is started again, not
        re-created, when ``data`` already holds one (a long benchmark can be resumed)."""
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bindir = bindir
        self.port = free_port()
        self.keep = keep
        if data is None:
            self.data = Path(tempfile.mkdtemp(prefix="upr-bench-pg-"))
        else:
            self.data = data
            self.data.mkdir(parents=True, exist_ok=True)
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.data, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.base = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, *cmd: str) -> None:
        done = subprocess.run([*self.prefix, *cmd], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def __enter__(self) -> PostgresServer:
        db = str(self.data / "db")
        if not (self.keep and (self.data / "db" / "PG_VERSION").is_file()):
            self._run(
                str(self.bindir / "initdb"), "-D", db, "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C",
            )  # fmt: skip
        self._run(
            str(self.bindir / "pg_ctl"), "-D", db, "-l", str(self.data / "log"), "-w",
            "-t", "60", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}",
            "start",
        )  # fmt: skip
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data / "db"),
             "-m", "fast", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        if not self.keep:
            shutil.rmtree(self.data, ignore_errors=True)

    def admin(self, sql: str) -> None:
        """Run ``sql`` on the maintenance database, outside a transaction."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        """A new, empty database (dropped first if it exists); its SQLAlchemy URL."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name}")
        return f"{self.base}/{name}"

    def copy_database(self, source: str, name: str) -> str:
        """A copy of database ``source`` (CREATE DATABASE ... TEMPLATE); its URL."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name} TEMPLATE {source}")
        return f"{self.base}/{name}"

    def dsn(self, name: str) -> str:
        """A psycopg connection string for database ``name``."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={name}"

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bindir / "postgres"), "--version"], capture_output=True, text=True
        )
        return out.stdout.strip()
