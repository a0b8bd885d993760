"""Benchmark: a text search as the Explorer runs it, beside the bare index query.

A search is what the Explorer waits for when someone types words: the number of matching
recommendations (counted per review, as the page counts them) and the first page of 50
(sorted by state and cycle, with their recommending states and themes), through tracker's
queries (tracker.search on the index of migration 0002).
Each query is timed in a warm process, best and median of ``--repeat`` runs, for the whole
corpus and for one country. The floor, measured in the same run: the bare full-text query
(SQLite FTS5 ``MATCH``, PostgreSQL ``@@`` on the GIN index) counting the matches with the
bare driver.

Target (issue #19): at most 100 ms for the slowest query, whole corpus.

    .venv/bin/python bench/search_bench.py URL [--state KAZ] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ONE_STATE, emit, load, require, summary  # noqa: E402
from tracker import db, explorer, queries, search  # noqa: E402
from tracker.filters import Filters  # noqa: E402

TARGET_SECONDS = 0.1  # issue #19: the slowest query, whole corpus
# Rare and common words, a prefix, a phrase, several words, words in every text.
QUERIES = [
    "torture",
    "traffick",
    '"domestic violence"',
    "birth registration",
    "death penalty abolish",
    "kafala",
    "rights",
    "human rights",
]


def time_search(session: object, f: Filters, repeat: int) -> tuple[dict[str, object], int]:
    runs, total = [], 0
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        # As the Explorer page does: its total from the matches counted per review, and the
        # first page read from those groups (explorer.match_groups).
        groups = explorer.match_groups(session, f)
        total = explorer.total(groups)
        explorer.explorer_page(
            session, f, page=1, page_size=explorer.DEFAULT_PAGE_SIZE, groups=groups
        )
        runs.append(time.perf_counter() - start)
    return summary(runs), total


def floor_sqlite(path: str, q: str, repeat: int) -> dict[str, object]:
    con = sqlite3.connect(path)
    match = search.fts5_query([t for t in search.parse(q) if t.tokens])
    runs = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        con.execute(
            f"SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH ?", (match,)
        ).fetchone()
        runs.append(time.perf_counter() - start)
    con.close()
    return summary(runs)


def floor_postgres(dsn: str, q: str, repeat: int) -> dict[str, object]:
    import psycopg

    parts = []
    for t in search.parse(q):
        if not t.tokens:
            continue
        if not t.phrase and len(t.tokens) == 1:
            parts.append(("to_tsquery('simple', %s)", f"'{t.tokens[0]}':*"))
        else:
            parts.append(("phraseto_tsquery('simple', %s)", t.text))
    sql = (
        "SELECT count(*) FROM recommendation WHERE to_tsvector('simple', text) @@ ("
        + " && ".join(p for p, _v in parts)
        + ")"
    )
    runs = []
    with psycopg.connect(dsn) as con:
        for _ in range(max(1, repeat)):
            start = time.perf_counter()
            con.execute(sql, [v for _p, v in parts]).fetchone()
            runs.append(time.perf_counter() - start)
    return summary(runs)


def benchmark(url: str, state: str = ONE_STATE, repeat: int = 5) -> dict[str, object]:
    engine = db.create_engine_for(url)
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        from sqlalchemy.engine import make_url

        u = make_url(url)
        dsn = f"host={u.host} port={u.port} user={u.username} dbname={u.database}"
    results = []
    with db.session_scope(engine) as s:
        for q in QUERIES:  # warm: compiled statements, the index's pages in memory
            queries.count(s, Filters(q=q))
        for q in QUERIES:
            row: dict[str, object] = {"q": q}
            for scope, f in (("all", Filters(q=q)), ("one_state", Filters(q=q, states=(state,)))):
                timing, total = time_search(s, f, repeat)
                row[scope] = {"matches": total, "seconds": timing}
            # Every query matches in the corpora measured: no match means an empty
            # database or search index, whose searches take no time.
            require(row["all"]["matches"] > 0, f"{url}: the search {q} matches nothing")
            row["floor_seconds"] = (
                floor_postgres(dsn, q, repeat)
                if postgres
                else floor_sqlite(url.split("///", 1)[1], q, repeat)
            )
            results.append(row)
    engine.dispose()
    worst = {
        scope: max(r[scope]["seconds"]["median"] for r in results) for scope in ("all", "one_state")
    }
    return {
        "benchmark": "search",
        "database": engine.dialect.name,
        "queries": results,
        "worst_median_s": worst,
        "median_of_medians_s": {
            scope: round(
                statistics.median(r[scope]["seconds"]["median"] for r in results),
                4,
            )
            for scope in ("all", "one_state")
        },
        "target_seconds": TARGET_SECONDS,
        "load": load(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--state", default=ONE_STATE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    emit(benchmark(args.url, args.state, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
