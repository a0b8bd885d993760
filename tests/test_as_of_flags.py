"""``?as_of=DATE`` on the Explorer and the Flagged page: rows sorted by the status of that
day, flags counted as they were then, and the flags kept for today only said so."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pages.dashboard_support import open_page, texts
from tracker import db, explorer, flags, queries
from tracker.filters import Filters
from tracker.i18n import long_date
from tracker.sample import load_sample
from tracker.vocab import STATUS_ORDER

THEN = dt.date(2019, 3, 31)
KAZ_THEN = Filters(states=("KAZ",), as_of=THEN)
OPTS_THEN = flags.FlagOptions(today=THEN)


@pytest.fixture
def sample_any(any_db_url: str) -> str:
    with db.session_scope(db.get_engine(any_db_url)) as s:
        load_sample(s)
    return any_db_url


def _ranks(statuses: object) -> list[int]:
    return [STATUS_ORDER.index(s) for s in statuses]  # type: ignore[attr-defined]


def test_the_explorer_sorts_by_the_status_of_the_as_of_day(sample_any: str) -> None:
    with db.session_scope(db.get_engine(sample_any)) as s:
        rows = explorer.explorer_page(s, KAZ_THEN, "status", page_size=250)
        today = explorer.explorer_page(s, Filters(states=("KAZ",)), "status", page_size=250)
        backwards = explorer.explorer_page(s, KAZ_THEN, "status", True, page_size=250)
        total = queries.count(s, KAZ_THEN)
    assert len(rows) == len(today) == total
    assert _ranks(rows["status"]) == sorted(_ranks(rows["status"]))
    assert _ranks(backwards["status"]) == sorted(_ranks(backwards["status"]), reverse=True)
    # The statuses of that day are not today's: sorting by today's would mix them.
    then_by_id = dict(zip(rows["id"], rows["status"], strict=True))
    assert [then_by_id[i] for i in today["id"]] != list(rows["status"])


def test_flags_are_counted_as_they_were_on_the_as_of_day(sample_any: str) -> None:
    with db.session_scope(db.get_engine(sample_any)) as s:
        counts = flags.flag_counts(s, KAZ_THEN, OPTS_THEN)
        now = flags.flag_counts(s, Filters(states=("KAZ",)), flags.FlagOptions())
        by_status = queries.stats(s, KAZ_THEN)["by_status"]
        partial = flags.flagged_frame(s, KAZ_THEN, "partial", OPTS_THEN)
        never = flags.flagged_frame(s, KAZ_THEN, "never_assessed", OPTS_THEN)
        stale = flags.flagged_frame(s, KAZ_THEN, "stale", OPTS_THEN)
        view = flags.flagged_view(s, KAZ_THEN, "partial", OPTS_THEN)
        with pytest.raises(flags.PastFlagError, match="cannot be worked out for a past date"):
            flags.flagged_frame(s, KAZ_THEN, "regressed", OPTS_THEN)
    assert list(counts) == [fl.value for fl in flags.PAST_FLAGS]
    assert counts["partial"] == by_status.get("partially_implemented", 0) == len(partial)
    assert counts["partial"] != now["partial"]
    assert set(partial["status"]) <= {"partially_implemented"}
    assert (partial["assessed_on"].dropna() <= THEN).all()  # the assessment of that day
    assert view.total == counts["partial"]
    assert counts["never_assessed"] == len(never) > now["never_assessed"]
    assert set(never["response"]) == {"supported"}
    assert never["assessed_on"].isna().all()
    assert counts["stale"] == len(stale)
    # Stale on that day: older than 12 months before it (ages counted from that day).
    assert (stale["assessed_on"] < dt.date(2018, 3, 31)).all()
    assert (stale["age_months"] >= 12).all()


def test_the_flagged_page_follows_as_of_and_says_which_flags_it_cannot_show(sample_url) -> None:
    at = open_page("pages/flagged_page.py", state="KAZ", as_of=THEN.isoformat(), flag="regressed")
    said = texts(at)
    assert "cannot be worked out for a past date" in said
    # The date as the page's caption writes it, not ISO (which reads as code in a sentence).
    assert f"Status as of {long_date(THEN)}:" in said
    control = at.button_group(key="flag")
    shown = [o.rsplit(" (", 1)[0] for o in control.options]  # type: ignore[attr-defined]
    assert shown == [flags.flag_label(fl) for fl in flags.PAST_FLAGS]
    assert control.value == "partial"  # regressed is not shown for a past day
    rows = at.dataframe(key="flagged_table").value
    assert set(rows["status"]) == {"Partially implemented"}
    with db.session_scope(db.get_engine(sample_url)) as s:
        expected = flags.flagged_frame(s, KAZ_THEN, "partial", OPTS_THEN)
    assert set(rows["id"]) == set(expected["id"])
    at = open_page("pages/flagged_page.py", state="KAZ")
    assert "cannot be worked out" not in texts(at)
    assert len(at.button_group(key="flag").options) == len(flags.Flag)  # type: ignore[attr-defined]
