"""Which columns each table shows (tracker.columns) and how wide they are
(tracker.ui.widgets): the columns a view is about fit the main area at 1440 px."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from tracker import columns, display_frames, explorer, flags
from tracker.filters import Filters
from tracker.ui.widgets import COLUMN_WIDTHS, TABLE_WIDTH, column_widths, fitting

KAZ = Filters(states=("KAZ",))


def test_the_sample_spans_two_states_and_a_state_filter_one(sample_session: Session) -> None:
    assert columns.several_states(sample_session, None)
    assert not columns.several_states(sample_session, KAZ)
    assert not columns.several_states(sample_session, Filters(states=("FRA",)))  # no rows


def test_empty_columns_and_a_single_state_are_left_out() -> None:
    rows = pd.DataFrame(
        {
            "link": ["recommendation?id=1", "recommendation?id=2"],
            "state": ["Kazakhstan", "Kazakhstan"],
            "paragraph": [None, " "],
            "text": ["Ratify", "Abolish"],
            "assessed_on": [pd.NaT, pd.NaT],
            "themes": ["Death penalty", None],
        }
    )
    wanted = ["link", "state", "paragraph", "text", "assessed_on", "themes", "not_a_column"]
    assert columns.shown(rows, wanted, several_states=False) == ["link", "text", "themes"]
    assert columns.shown(rows, wanted, several_states=True) == [
        "link",
        "state",
        "text",
        "themes",
    ]


def test_the_explorer_keeps_response_and_themes_on_the_sample(sample_session: Session) -> None:
    rows = display_frames.labelled(explorer.explorer_page(sample_session, None))
    shown = columns.shown(rows, columns.EXPLORER, several_states=True)
    assert {"response", "themes", "recommending_states", "status", "text"} <= set(shown)


def test_the_stale_list_shows_no_details_column(sample_session: Session) -> None:
    opts = flags.FlagOptions(today=dt.date(2026, 12, 4))
    view = flags.flagged_view(sample_session, None, "stale", opts)
    assert view.total > 0
    rows = display_frames.labelled(view.rows)
    assert (rows["detail"] == "").all()  # stale needs no explanation
    shown = columns.shown(rows, columns.flagged("stale"), several_states=True)
    assert "detail" not in shown
    assert "response" not in shown  # every stale recommendation was supported
    assert {"text", "age_months", "status"} <= set(shown)


def test_a_regressed_list_shows_its_explanation(sample_session: Session) -> None:
    view = flags.flagged_view(sample_session, None, "regressed")
    rows = display_frames.labelled(view.rows)
    assert "detail" in columns.shown(rows, columns.flagged("regressed"), several_states=True)


VIEWS = {
    "explorer": (columns.EXPLORER, columns.EXPLORER_OPTIONAL),
    "by recommending state": (columns.BY_RECOMMENDING_STATE, []),
    "flagged partial": (columns.FLAGGED_PARTIAL, []),
    "flagged stale": (columns.FLAGGED_STALE, []),
    "flagged other": (columns.FLAGGED_OTHER, []),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_fits_the_main_area_at_1440_px(view: str) -> None:
    wanted, optional = VIEWS[view]
    shown = fitting(wanted, optional)
    widths = column_widths(shown)
    assert set(shown) >= set(wanted) - set(optional)
    assert set(widths) == set(shown)
    assert sum(widths.values()) <= TABLE_WIDTH
    assert widths["text"] >= 200  # three lines of about 30 characters at the least


def test_the_explorer_leaves_out_the_paragraph_only_when_it_must() -> None:
    assert "paragraph" not in fitting(columns.EXPLORER, columns.EXPLORER_OPTIONAL)
    one_state = [c for c in columns.EXPLORER if c != "state"]
    assert fitting(one_state, columns.EXPLORER_OPTIONAL) == one_state


def test_the_recommendation_text_takes_what_hidden_columns_leave() -> None:
    several = column_widths(fitting(columns.EXPLORER, columns.EXPLORER_OPTIONAL))
    one_state = column_widths([c for c in columns.EXPLORER if c not in ("state", "paragraph")])
    assert one_state["text"] >= several["text"] + COLUMN_WIDTHS["state"]
    assert sum(one_state.values()) <= TABLE_WIDTH
