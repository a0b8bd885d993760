"""The Markdown tables of docs/performance.md from a run_all.py (and million.py) result.

    .venv/bin/python bench/report.py bench/out/results-YYYYMMDDTHHMMSS.json
    .venv/bin/python bench/report.py RESULT.json --write docs/performance.md
    .venv/bin/python bench/report.py --million WORKDIR/million.json --write docs/performance.md

Without ``--write``: prints, per database, the targets table (each figure's best and median
beside its floor, its ratio to the floor and its target, and whether it is met), then the
page table (cold and warm, whole corpus and one country).

With ``--write``: replaces, in the Markdown file, the text between each marker pair
``<!-- bench:NAME -->`` ... ``<!-- /bench -->`` by the generated section NAME (``machine``:
the machine, the date and the load at start and end; ``sqlite``, ``postgresql``: the targets
tables; ``pages``: every page; ``million``: the million-recommendation run). Everything
outside the markers is hand-written and kept as it is; a section the results do not hold
(``million`` from a run_all result) is left as it was. A marker missing from the file is an
error: the file is not written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

MARKER = re.compile(r"(<!-- bench:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)
SECTIONS = ("machine", "sqlite", "postgresql", "pages", "million")


def _s(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _fig(fig: dict[str, Any], digits: int = 2) -> str:
    return f"{_s(fig['best'], digits)} / {_s(fig['median'], digits)}"


def _floor(best: float, floor: float | None, digits: int = 3) -> str:
    """The floor and the figure's ratio to it: ``0.230 s (× 2.7)``."""
    if floor is None:
        return "–"
    if not floor:
        return f"{_s(floor, digits)} s"
    return f"{_s(floor, digits)} s (× {best / floor:.1f})"


def _met(ok: bool | None) -> str:
    return "–" if ok is None else "yes" if ok else "**no**"


def _error_rows(r: dict[str, Any]) -> list[str]:
    """A row for every step that failed: a failure is shown, never left out."""
    return [
        f"| {step}: **failed** ({str(res['error']).splitlines()[0][:200]}) | – | – | – | **no** |"
        for step, res in r.items()
        if isinstance(res, dict) and "error" in res
    ]


def targets(db: str, r: dict[str, Any]) -> list[str]:
    """The issue's targets for one database."""
    out = [
        "| figure | best / median | floor (best) and ratio | target | met |",
        "|---|---|---|---|---|",
    ]
    imp = r.get("import_real") or {}
    if "import_seconds" in imp:
        # Issue #19: 3 s and 5× on SQLite; on PostgreSQL 5× its own floor (no absolute time).
        seconds = imp.get("target_seconds")
        ok = imp["ratio_to_floor"] <= imp["target_ratio"] and (
            seconds is None or imp["import_seconds"]["best"] <= seconds
        )
        target = f"≤ {imp['target_ratio']:g}×"
        if seconds is not None:
            target = f"≤ {seconds:g} s and {target}"
        out.append(
            f"| import of the 61,014-row export | {_fig(imp['import_seconds'])} s | "
            f"{_s(imp['floor_seconds']['best'])} s (× {_s(imp['ratio_to_floor'], 1)}) | "
            f"{target} | {_met(ok)} |"
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
                f"{_floor(s['seconds']['best'], s['floor_seconds']['best'], 2)} | "
                f"≤ {stats['target_seconds']:g} s | {_met(ok)} |"
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
                f"{_fig(worst[scope]['seconds'], 3)} s | "
                f"{_floor(worst[scope]['seconds']['best'], floor)} | "
                f"≤ {search['target_seconds']:g} s | {_met(ok)} |"
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
                    f"{_fig(worst[scope][kind])} s | "
                    f"{_floor(worst[scope][kind]['best'], pages['floor_s']['best'])} | "
                    f"≤ {target:g} s | {_met(ok)} |"
                )
    rss = r.get("rss") or {}
    if "rss_mb_after_every_page" in rss:
        ok = rss["rss_mb_peak"] <= rss["target_mb"]
        out.append(
            f"| server memory after every page (peak) | {_s(rss['rss_mb_after_every_page'], 0)} "
            f"MB ({_s(rss['rss_mb_peak'], 0)} MB) | {_s(rss['floor_rss_mb_after_every_page'], 0)}"
            f" MB | ≤ {rss['target_mb']:g} MB | {_met(ok)} |"
        )
    out += _error_rows(r)
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


def _load_text(load: list[float] | None) -> str:
    return "–" if not load else " / ".join(f"{x:g}" for x in load)


def _measured(data: dict[str, Any], script: str) -> str:
    """When (UTC), by what, and the load averages at the start and the end."""
    when = data.get("started", "–") + (f" – {data['ended']}" if data.get("ended") else "")
    return (
        f"Measured {when} (UTC) by `{script}`: load average (1 / 5 / 15 min) "
        f"{_load_text(data.get('load_at_start'))} at the start, "
        f"{_load_text(data.get('load_at_end'))} at the end"
    )


def _cores(m: dict[str, Any]) -> str:
    return f"{m.get('cores', '–')} cores ({m.get('cpu', '–')}), {m.get('memory_gb', '–')} GB RAM"


def machine_section(data: dict[str, Any]) -> list[str]:
    """What the figures were measured on, when, and how busy the machine was."""
    m = data.get("machine") or {}
    corpus = data.get("corpus") or {}
    lines = [
        f"* {_measured(data, 'bench/run_all.py')}. Compare the *best* figures (the least "
        "disturbed run); the median is the typical one.",
        f"* {_cores(m)}, {m.get('os', '–')}, Python {m.get('python', '–')}, SQLite "
        f"{m.get('sqlite', '–')}, {data.get('postgres_version', 'PostgreSQL: not run')} with "
        f"its default settings, SQLAlchemy {m.get('sqlalchemy', '–')}, pandas "
        f"{m.get('pandas', '–')}, Streamlit {m.get('streamlit', '–')}.",
    ]
    if corpus:
        lines.append(
            f"* Synthetic corpus (`bench/synth.py`, generator {corpus.get('generator')}, seed "
            f"{corpus.get('seed')}): {corpus.get('recommendations', 0):,} recommendations, "
            f"{corpus.get('recommendation_state_pairs', 0):,} recommendation–state pairs, "
            f"{corpus.get('assessments', 0):,} assessments in {len(corpus.get('files', []))} "
            "files."
        )
    return lines


def _million_row(what: str, figure: str, target: str, ok: bool | None) -> str:
    return f"| {what} | {figure} | {target} | {_met(ok)} |"


def million_section(data: dict[str, Any]) -> list[str]:
    """The million-recommendation run (bench/million.py): what was measured, beside the
    targets of issue #19, and the machine's load while it ran; the run's ``note`` (how it
    was taken, when not the usual way) before the table."""
    corpus = data.get("corpus") or {}
    m = data.get("machine") or {}
    lines = [
        f"{_measured(data, 'bench/million.py')}; on {_cores(m)}, "
        f"{data.get('postgres_version') or '–'}. Corpus: "
        f"{corpus.get('recommendations', 0):,} recommendations, "
        f"{corpus.get('assessments', 0):,} assessments, "
        f"{corpus.get('bytes', 0) / 1e6:,.0f} MB of CSV in {len(corpus.get('files', []))} files.",
        "",
        *([str(data["note"]), ""] if data.get("note") else []),
        "| figure | measured | target | met |",
        "|---|---|---|---|",
    ]
    imp = data.get("import") or {}
    for f in imp.get("files", []):
        committed = (
            f"committed after {f['committed_s'] / 60:.1f} min, " if f.get("committed_s") else ""
        )
        lines.append(
            _million_row(
                f"import {f['file']} ({f['rows']:,} rows, {f['bytes'] / 1e6:,.0f} MB; load "
                f"{_load_text(f.get('load'))} at its end)",
                f"{f['wall_s'] / 60:.1f} min ({committed}CPU {f['cpu_s'] / 60:.1f} min), "
                f"peak RSS {f['peak_rss_mb']:,} MB",
                "–",
                None,
            )
        )
    if imp.get("files"):
        n_files = len(corpus.get("files", [])) or len(imp["files"])
        done = imp.get("complete", True)
        lines.append(
            _million_row(
                "import, all files"
                if done
                else f"import, stopped after {len(imp['files'])} of {n_files} files",
                f"{imp['minutes']:.1f} min, peak RSS {imp['peak_rss_mb']:,} MB",
                "minutes, not hours",
                imp["minutes"] < 60 if done else None,
            )
        )
    pages = data.get("pages") or {}
    summ = pages.get("summary") or {}
    for scope, label in (("all", "whole corpus"), ("one_state", "one country")):
        for kind in ("cold", "warm"):
            fig = summ.get(f"{scope}_{kind}")
            if fig:
                target = summ["target_cold_s"] if kind == "cold" else None
                lines.append(
                    _million_row(
                        f"slowest page, {label}, {kind} ({fig['page']})",
                        f"{_fig(fig)} s",
                        "–" if target is None else f"≤ {target:g} s",
                        None if target is None else fig["best"] <= target,
                    )
                )
    rss = data.get("rss") or {}
    if "rss_mb_peak" in rss:
        lines.append(
            _million_row(
                "server memory after every page (peak)",
                f"{rss['rss_mb_after_every_page']:,.0f} MB ({rss['rss_mb_peak']:,.0f} MB); "
                f"empty database {rss['floor_rss_mb_after_every_page']:,.0f} MB",
                "≤ 500 MB",
                rss["rss_mb_peak"] <= 500,
            )
        )
    for step, label in (("backup", "`tracker backup`"), ("restore", "`tracker restore`")):
        b = data.get(step) or {}
        if "wall_s" in b:
            size = f", {b['mb']:,} MB file" if "mb" in b else ""
            lines.append(
                _million_row(
                    f"{label} of the whole database",
                    f"{b['wall_s'] / 60:.1f} min{size}, peak RSS {b['peak_rss_mb']:,} MB",
                    "measured",
                    None,
                )
            )
    sq = data.get("sqlite") or {}
    if "restore" in sq:
        lines.append(
            _million_row(
                "SQLite: the backup restored into a file",
                f"{sq['restore']['wall_s'] / 60:.1f} min, {sq.get('file_mb', 0):,} MB database",
                "–",
                None,
            )
        )
        ssum = (sq.get("pages") or {}).get("summary") or {}
        fig = ssum.get("all_cold")
        if fig:
            lines.append(
                _million_row(
                    f"SQLite: slowest page, whole corpus, cold ({fig['page']})",
                    f"{_fig(fig)} s",
                    f"≤ {ssum['target_cold_s']:g} s",
                    fig["best"] <= ssum["target_cold_s"],
                )
            )
    for step, res in data.items():
        if isinstance(res, dict) and "error" in res:
            lines.append(_million_row(f"{step}: **failed**", str(res["error"])[:200], "–", False))
    if "error" in data:
        lines.append(f"\nThe run stopped: {str(data['error']).splitlines()[0][:300]}")
    if pages.get("pages"):
        lines += ["", *page_table("PostgreSQL, a million recommendations", {"pages": pages})]
    return lines


def sections(data: dict[str, Any] | None, million: dict[str, Any] | None) -> dict[str, str]:
    """The generated sections, by marker name (only those the results hold)."""
    out: dict[str, list[str]] = {}
    if data:
        out["machine"] = machine_section(data)
        for db, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            r = data.get(db)
            if isinstance(r, dict) and "error" in r:
                out[db] = [f"**{label}**: not measured ({r['error']})", ""]
            elif r:
                out[db] = targets(label, r)
        pages = []
        for db, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            r = data.get(db)
            if isinstance(r, dict) and "error" not in r:
                pages += page_table(label, r)
        if pages:
            out["pages"] = pages
    if million:
        out["million"] = million_section(million)
    return {name: "\n".join(lines).rstrip("\n") + "\n" for name, lines in out.items()}


def write_sections(text: str, generated: dict[str, str]) -> str:
    """``text`` with the body of every marker pair whose name is in ``generated`` replaced;
    the rest (hand-written) unchanged. A generated section without its markers in ``text``
    raises ValueError."""
    found = {m.group("name") for m in MARKER.finditer(text)}
    missing = sorted(set(generated) - found)
    if missing:
        raise ValueError(
            "no marker for " + ", ".join(f"<!-- bench:{n} -->...<!-- /bench -->" for n in missing)
        )

    def replace(m: re.Match[str]) -> str:
        body = generated.get(m.group("name"))
        return m.group(0) if body is None else m.group(1) + body + m.group(4)

    return MARKER.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path, nargs="?", help="run_all.py's JSON")
    parser.add_argument("--million", type=Path, help="bench/million.py's JSON")
    parser.add_argument("--write", type=Path, help="the Markdown file to update between markers")
    args = parser.parse_args(argv)
    if args.result is None and args.million is None:
        parser.error("give a run_all.py result, --million, or both")
    data = json.loads(args.result.read_text()) if args.result else None
    million = json.loads(args.million.read_text()) if args.million else None
    generated = sections(data, million)
    if args.write:
        try:
            text = write_sections(args.write.read_text(encoding="utf-8"), generated)
        except ValueError as exc:
            print(f"{args.write}: {exc}", file=sys.stderr)
            return 1
        args.write.write_text(text, encoding="utf-8")
        print(f"{args.write}: {', '.join(generated)} regenerated", file=sys.stderr)
        return 0
    print("\n".join(generated[name] for name in SECTIONS if name in generated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
