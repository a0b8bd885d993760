"""The Markdown tables of docs/performance.md from a run_all.py result.

    .venv/bin/python bench/report.py bench/out/results-YYYYMMDDTHHMMSS.json

Prints, per database, the targets table (each figure's best and median beside its floor and
its target), then the page table (cold and warm, whole corpus and one country).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _s(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _fig(fig: dict[str, Any], digits: int = 2) -> str:
    return f"{_s(fig['best'], digits)} / {_s(fig['median'], digits)}"


def targets(db: str, r: dict[str, Any]) -> list[str]:
    """The issue's targets for one database."""
    out = [
        "| figure | best / median | floor (best) | target | met |",
        "|---|---|---|---|---|",
    ]
    imp = r.get("import_real") or {}
    if "import_seconds" in imp:
        ok = (
            imp["import_seconds"]["best"] <= imp["target_seconds"]
            and imp["ratio_to_floor"] <= imp["target_ratio"]
        )
        out.append(
            f"| import of the 61,014-row export | {_fig(imp['import_seconds'])} s | "
            f"{_s(imp['floor_seconds']['best'])} s (× {_s(imp['ratio_to_floor'], 1)}) | "
            f"≤ {imp['target_seconds']:g} s and ≤ {imp['target_ratio']:g}× | "
            f"{'yes' if ok else 'no'} |"
        )
    if "repeats_step_seconds" in imp:
        out.append(
            f"| its second step, the repeat suggestions after the commit "
            f"({imp['links_suggested']:,}) | {_fig(imp['repeats_step_seconds'])} s | – | – | – |"
        )
    for f in (r.get("import_memory") or {}).get("files", []):
        out.append(
            f"| peak RSS importing {f['file']} ({f['file_mb']:g} MB, {f['rows_read']:,} rows) | "
            f"{f['peak_rss_mb']:g} MB ({f['peak_over_baseline_mb']:g} MB over the "
            f"{f['baseline_rss_mb']:g} MB before reading: × {f['over_baseline_per_file_mb']:g} "
            f"the file) | – | a small multiple of the file | – |"
        )
    syn = r.get("import_synthetic") or {}
    if "import_seconds" in syn:
        ratio = syn["import_seconds"]["best"] / syn["floor_seconds"]["best"]
        out.append(
            f"| import of the synthetic corpus ({syn['recommendations']:,} recommendations, "
            f"{syn['assessments']:,} assessments) | {_fig(syn['import_seconds'], 1)} s | "
            f"{_s(syn['floor_seconds']['best'])} s (× {ratio:.1f}) | – | – |"
        )
    stats = r.get("stats") or {}
    for scope, label in (("all", "whole corpus"), ("one_state", "one country")):
        if scope in stats:
            s = stats[scope]
            ok = s["seconds"]["best"] <= stats["target_seconds"]
            out.append(
                f"| `stats --json` as a process, {label} | {_fig(s['seconds'])} s | "
                f"{_s(s['floor_seconds']['best'])} s | ≤ {stats['target_seconds']:g} s | "
                f"{'yes' if ok else 'no'} |"
            )
    search = r.get("search") or {}
    if search.get("queries"):
        for scope, label in (("all", "whole corpus"), ("one_state", "one country")):
            worst = max(search["queries"], key=lambda q: q[scope]["seconds"]["median"])
            floor = worst["floor_seconds"]["best"]
            ok = all(
                q[scope]["seconds"]["best"] <= search["target_seconds"] for q in search["queries"]
            )
            out.append(
                f"| search, {label}: slowest of {len(search['queries'])} queries "
                f"(`{worst['q']}`, {worst[scope]['matches']:,} matches) | "
                f"{_fig(worst[scope]['seconds'], 3)} s | {_s(floor, 3)} s | "
                f"≤ {search['target_seconds']:g} s | {'yes' if ok else 'no'} |"
            )
    pages = r.get("pages") or {}
    if pages.get("pages"):
        for scope, label in (("all", "whole corpus"), ("one_state", "one country")):
            target = pages["target_s"][scope]
            for kind, kind_label in (("warm_s", "warm"), ("cold_s", "cold")):
                name, worst = max(
                    pages["pages"].items(), key=lambda kv: kv[1][scope][kind]["median"]
                )
                ok = all(p[scope][kind]["best"] <= target for p in pages["pages"].values())
                out.append(
                    f"| slowest page script run, {label}, {kind_label} cache ({name}) | "
                    f"{_fig(worst[scope][kind])} s | {_s(pages['floor_s']['best'], 3)} s | "
                    f"≤ {target:g} s | {'yes' if ok else 'no'} |"
                )
    rss = r.get("rss") or {}
    if "rss_mb_after_every_page" in rss:
        ok = rss["rss_mb_peak"] <= rss["target_mb"]
        out.append(
            f"| server memory after every page (peak) | {_s(rss['rss_mb_after_every_page'], 0)} "
            f"MB ({_s(rss['rss_mb_peak'], 0)} MB) | {_s(rss['floor_rss_mb_after_every_page'], 0)}"
            f" MB | ≤ {rss['target_mb']:g} MB | {'yes' if ok else 'no'} |"
        )
    return [f"**{db}**", "", *out, ""]


def page_table(db: str, r: dict[str, Any]) -> list[str]:
    """Every page: cold and warm medians (best in brackets), both scopes."""
    pages = (r.get("pages") or {}).get("pages") or {}
    if not pages:
        return []
    out = [
        f"**{db}**: script run in seconds, median (best); cold = first run after a write",
        "",
        "| page | whole corpus, cold | whole corpus, warm | one country, cold | "
        "one country, warm |",
        "|---|---|---|---|---|",
    ]
    for name, p in pages.items():
        cells = [
            f"{_s(p[scope][kind]['median'])} ({_s(p[scope][kind]['best'])})"
            for scope in ("all", "one_state")
            for kind in ("cold_s", "warm_s")
        ]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*out, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path)
    args = parser.parse_args(argv)
    data = json.loads(args.result.read_text())
    lines = []
    for db in ("sqlite", "postgresql"):
        if db in data and "error" not in data[db]:
            lines += targets("SQLite" if db == "sqlite" else "PostgreSQL", data[db])
    for db in ("sqlite", "postgresql"):
        if db in data and "error" not in data[db]:
            lines += page_table("SQLite" if db == "sqlite" else "PostgreSQL", data[db])
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
