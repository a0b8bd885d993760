"""ui.query_shared: a large result pages only read (a country's built report) is one object
kept per process, not copied on every run as ui.query's results are, and a write is seen at
once, as by ui.query."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tracker import audit, queries, ui

CALLS: list[str] = []  # not an argument: the caches hash their arguments


def _count(session: Session, tag: str) -> dict[str, int]:
    CALLS.append(tag)
    return {"recommendations": queries.stats(session)["recommendations"]}


def test_a_shared_query_is_one_object_until_a_write_and_forgotten_on_demand(
    sample_url: str,
) -> None:
    ui.forget_queries()
    CALLS.clear()
    first = ui.query_shared(_count, "a")
    again = ui.query_shared(_count, "a")
    assert again is first  # not a copy: nothing to unpickle on the next run
    assert CALLS == ["a"]
    assert ui.query(_count, "a") is not ui.query(_count, "a")  # copies
    ui.write(audit.bump_data_version)  # any write
    after = ui.query_shared(_count, "a")
    assert after is not first  # built again, from the new version
    assert after == first
    ui.forget_queries()  # what a benchmark's cold run does
    ui.query_shared(_count, "a")
    assert CALLS.count("a") == 4  # first, ui.query's one, after the write, after forgetting
