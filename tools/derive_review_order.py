"""Derive ``tracker/data/review_order.csv`` from the UPR Info export of sessions 1-27.

Usage::

    .venv/bin/python tools/derive_review_order.py \
        ../shared/data/upr/upr_info_recommendations_sessions01-27_export2018-07-25.csv

The export (UPR Info, Database of UPR Recommendations, 2018-07-25; third-party data, not part
of this repository) has one row per recommendation with the state under review (``SuR``) and
the Working Group session. A state's cycle-1 session is the session (1-12) of its rows, its
cycle-2 session the session (13-26) of its rows (South Sudan: see ``NO_CYCLE_1``); names go
to ISO alpha-3 through ``tracker.states``. The script refuses a state with rows in two
sessions of one cycle, so a changed export cannot silently produce a wrong table.

``order_slot`` is the state's place in the fixed review order from cycle 2 on (cycle-2 session
S, then S + 14, S + 28, S + 42). It equals the cycle-2 session except for the corrections in
``SLOT_CORRECTIONS``: reviews held later than their slot, after which the state went back to
its slot.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.states import display_name, resolve_iso3  # noqa: E402
from tracker.vocab import cycle_for_session  # noqa: E402

OUT = ROOT / "tracker" / "data" / "review_order.csv"
LAST_CYCLE_2_SESSION = 26
SUR_COLUMN, SESSION_COLUMN = 0, 10  # the export repeats header names: read by position

# Israel's cycle-2 review was postponed from session 15 (January 2013) to session 17
# (October 2013); in cycle 3 it was reviewed in its slot again, session 29 (January 2018).
SLOT_CORRECTIONS = {
    "ISR": (15, "cycle-2 review postponed from session 15 to 17; back in slot 15 from cycle 3"),
}
# UPR Info files 33 recommendations of Sudan's cycle-1 review (session 11, May 2011, on the
# referendum and the Comprehensive Peace Agreement) under South Sudan, which only became a UN
# member in July 2011: South Sudan has no cycle-1 review.
NO_CYCLE_1 = {"SSD": "not a UN member in cycle 1 (joined July 2011); first reviewed in cycle 2"}


def derive(export: Path) -> list[dict[str, str]]:
    """One row per state: iso3, name, cycle1_session, cycle2_session, order_slot, note."""
    sessions: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    with export.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f, delimiter=";")
        next(rows)  # header
        for row in rows:
            value = row[SESSION_COLUMN].strip()
            if not value:  # one row of the export has no session
                continue
            session = int(value)
            if session > LAST_CYCLE_2_SESSION:
                continue
            iso3 = resolve_iso3(row[SUR_COLUMN].strip())
            sessions[iso3][cycle_for_session(session)].add(session)
    out = []
    for iso3 in sorted(sessions):
        by_cycle = sessions[iso3]
        for cycle in (1, 2):
            if len(by_cycle[cycle]) != 1:
                raise SystemExit(f"{iso3}: cycle {cycle} sessions {sorted(by_cycle[cycle])}")
        c1 = "" if iso3 in NO_CYCLE_1 else str(min(by_cycle[1]))
        c2 = min(by_cycle[2])
        slot, note = SLOT_CORRECTIONS.get(iso3, (c2, NO_CYCLE_1.get(iso3, "")))
        out.append(
            {
                "iso3": iso3,
                "name": display_name(iso3),
                "cycle1_session": c1,
                "cycle2_session": str(c2),
                "order_slot": str(slot),
                "note": note,
            }
        )
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    rows = derive(Path(argv[0]))
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} states to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
