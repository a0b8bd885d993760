"""The Explorer's pages read only their own rows (tracker.explorer.match_groups), and the
Flagged page's partially implemented table only the themes it shows; what the user sees is
the same as slicing the whole sorted list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from tracker import explorer, flags, queries
from tracker.filters import Filters
from tracker.models import Theme, recommendation_themes

T = TypeVar("T")
FILTERS = [
    None,
    Filters(states=("KAZ",)),
    Filters(cycles=(3,)),
    Filters(statuses=("partially_implemented", "not_assessed")),
    Filters(responses=("noted",)),
    Filters(q="women"),
    Filters(as_of=dt.date(2023, 6, 1)),
    Filters(states=("NOPE",)),
]


def _statements(session: Session, read: Callable[[], T]) -> tuple[list[str], T]:
    """The SQL statements ``read()`` runs on ``session``'s engine, and what it returns."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        return seen, read()
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _ids(session: Session, f: Filters | None, sort: str, descending: bool) -> list[int]:
    whole = queries.recommendations_frame(session, f, order_by=explorer._order(sort, descending, f))
    return [int(i) for i in whole["id"]]


@pytest.mark.parametrize("f", FILTERS, ids=repr)
def test_every_page_of_every_sort_is_a_slice_of_the_sorted_list(
    sample_session: Session, f: Filters | None
) -> None:
    total = queries.count(sample_session, f)
    assert queries.any_match(sample_session, f) is (total > 0)
    for sort in explorer.SORT_LABELS:
        groups = explorer.match_groups(sample_session, f, sort)
        assert explorer.total(groups) == total
        for descending in (False, True):
            whole = _ids(sample_session, f, sort, descending)
            pages = [
                explorer.explorer_page(sample_session, f, sort, descending, page, 4, groups)
                for page in range(1, explorer.page_count(total, 4) + 2)
            ]
            got = [int(i) for page in pages for i in page["id"]]
            assert got == whole, (sort, descending)
            assert pages[-1].empty  # past the last page: nothing, not an error


def test_a_page_reads_its_rows_without_sorting_every_match(sample_session: Session) -> None:
    """The default sort of the Explorer pages no statement ordered by the state's name
    (LIMIT/OFFSET over every match sorted): the page's groups are chosen from the counts,
    and only their ids are read, in id order; only the page's rows are then sorted."""
    groups = explorer.match_groups(sample_session, None)
    seen, page = _statements(
        sample_session,
        lambda: explorer.explorer_page(sample_session, None, "state", False, 2, 4, groups),
    )
    assert len(page) == 4
    sorted_by_name = [s for s in seen if "ORDER BY sur.name" in s]
    assert seen
    assert not any("LIMIT" in s or "OFFSET" in s for s in sorted_by_name)


@pytest.mark.parametrize("walk_from", [0, 10**9])
def test_the_partial_table_merges_themes_of_one_name_and_keeps_no_theme_last(
    sample_session: Session, monkeypatch: pytest.MonkeyPatch, walk_from: int
) -> None:
    """Two themes whose names differ only in case are one group of the table, in id order;
    recommendations without a theme come last, whatever the cap, whether the head is read
    theme by theme (a large table) or in one statement."""
    monkeypatch.setattr(flags, "PARTIAL_WALK_FROM", walk_from)
    opts = flags.FlagOptions(today=dt.date(2025, 1, 1))
    partial = flags.flagged_frame(sample_session, None, "partial", opts)
    assert len(partial) >= 2, "the sample has partially implemented recommendations"
    first, second = (int(i) for i in partial["id"][:2])
    theme_id = sample_session.execute(insert(Theme).values(name="AAA theme")).inserted_primary_key
    other = sample_session.execute(insert(Theme).values(name="aaa THEME")).inserted_primary_key
    sample_session.execute(
        insert(recommendation_themes),
        [
            {"recommendation_id": second, "theme_id": theme_id[0]},
            {"recommendation_id": first, "theme_id": other[0]},
        ],
    )
    sample_session.execute(
        recommendation_themes.delete().where(
            recommendation_themes.c.recommendation_id == int(partial["id"].iloc[-1]),
            recommendation_themes.c.theme_id != theme_id[0],
        )
    )
    whole = flags.by_theme_and_cycle(flags.flagged_frame(sample_session, None, "partial", opts))
    assert whole["theme"].iloc[-1] == flags.NO_THEME
    for shown in (1, 2, 3, len(whole)):
        view = flags.flagged_view(sample_session, None, "partial", opts, shown=shown)
        assert list(view.rows["id"]) == list(whole["id"].head(shown))
        assert list(view.rows["theme"]) == list(whole["theme"].head(shown))
    # The page hands over the count it has: the same total, not counted again.
    counted = flags.flag_counts(sample_session, None, opts)["partial"]
    given = flags.flagged_view(sample_session, None, "partial", opts, total=counted)
    assert given.total == counted == flags.flagged_view(sample_session, None, "partial", opts).total


def test_the_sidebar_lists_the_states_under_review_without_counting(
    sample_session: Session,
) -> None:
    """Every page's sidebar lists the states with a recommendation, by name: asked per
    review, not counted over every recommendation."""
    seen, listed = _statements(sample_session, lambda: queries.states_under_review(sample_session))
    assert list(listed.columns) == ["iso3", "name"]
    assert "KAZ" in set(listed["iso3"])
    assert list(listed["name"]) == sorted(listed["name"])
    assert not any("count(" in s.lower() for s in seen)
