"""The read side of the dashboard pages: progress breakdowns, the detail of one
recommendation, the Explorer's pages and the downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from tracker import detail, display_frames, explorer, exports, flags, progress, queries
from tracker.assessments import add_assessment
from tracker.filters import Filters
from tracker.models import RecommendationLink
from tracker.vocab import STATUS_ORDER

KAZ = Filters(states=("KAZ",))


def test_status_by_cycle_adds_up_to_the_recommendations(sample_session) -> None:
    df = progress.status_by_cycle(sample_session, KAZ)
    assert int(df["count"].sum()) == queries.count(sample_session, KAZ)
    assert list(df["cycle"]) == sorted(df["cycle"])
    assert set(df["status"]) <= set(STATUS_ORDER)


def test_theme_counts_and_the_other_bucket(sample_session) -> None:
    df = progress.status_by_theme(sample_session, KAZ)
    top = progress.top_categories(df, "theme", 3)
    keys = list(dict.fromkeys(top["theme"]))
    assert keys[0] == "Women's rights"  # the most frequent theme first
    assert keys[-1] == progress.OTHER
    assert len(keys) == 4
    assert int(top["count"].sum()) == int(df["count"].sum())  # nothing lost in "other"


def test_recommending_states_and_groups(sample_session) -> None:
    totals = progress.recommending_state_totals(sample_session, KAZ)
    assert totals.iloc[0]["recommendations"] >= totals.iloc[-1]["recommendations"]
    malaysia = totals[totals["iso3"] == "MYS"].iloc[0]
    assert (malaysia["recommendations"], malaysia["partially_implemented"]) == (2, 1)
    groups = progress.status_by_regional_group(sample_session, KAZ)
    assert list(dict.fromkeys(groups["regional_group"])) == [
        "African",
        "Asia-Pacific",
        "EEG",
        "GRULAC",
        "WEOG",
    ]
    # a recommendation by two WEOG states counts once for WEOG
    weog = queries.count(sample_session, KAZ.with_(regional_groups=("WEOG",)))
    assert int(groups[groups["regional_group"] == "WEOG"]["count"].sum()) == weog
    choices = progress.state_choices(totals)
    assert choices["MYS"] == ("Malaysia", "Malaysia (2)")


def test_status_over_time_replays_the_history(sample_session) -> None:
    df = progress.status_over_time(sample_session, KAZ)
    assert list(df["date"]) == sorted(df["date"])
    last = df[df["date"] == df["date"].max()]
    current = queries.stats(sample_session, KAZ)["by_status"]
    for row in last.itertuples():
        assert row.count == current[row.status]
    assert last["share"].sum() == pytest.approx(1.0)
    # the first assessment on record (2012) said "not implemented"
    first = df[df["date"] == df["date"].min()]
    assert first.set_index("status").loc["not_implemented", "count"] == 1
    few = progress.status_over_time(sample_session, KAZ, max_points=15)
    assert df["date"].nunique() > 15 >= few["date"].nunique()  # by quarter or year
    assert few["date"].max() == df["date"].max()  # ends at the last assessment


def test_implementation_by_response_gives_shares(sample_session) -> None:
    df = progress.implementation_by_response(sample_session, KAZ)
    for _response, part in df.groupby("response"):
        assert part["share"].sum() == pytest.approx(1.0)


def test_detail_has_everything_about_a_recommendation(sample_session) -> None:
    rid = int(queries.recommendations_frame(sample_session, Filters(q="Ombudsman Paris"))["id"][0])
    later = int(queries.recommendations_frame(sample_session, Filters(q="Commissioner"))["id"][0])
    sample_session.execute(
        insert(RecommendationLink),
        [{"earlier_id": rid, "later_id": later, "score": 0.81, "status": "suggested"}],
    )
    sample_session.commit()
    d = detail.recommendation_detail(sample_session, rid)
    assert d is not None
    assert (d.state, d.cycle, d.session, d.report_symbol) == ("Kazakhstan", 2, 20, "A/HRC/28/10")
    assert [s["name"] for s in d.recommending_states] == ["Australia", "Germany"]
    assert len(d.assessments) == 2
    assert d.assessments["is_current"].sum() == 1
    assert list(d.links["direction"]) == ["later"]
    assert int(d.links["id"][0]) == later
    facts = dict(display_frames.detail_facts(d))
    assert facts["Recommended by"].startswith("Australia (Western European and other States)")
    assert facts["Response"] == "Supported"
    back = detail.recommendation_detail(sample_session, later)
    assert back is not None
    assert list(back.links["direction"]) == ["earlier"]
    assert detail.recommendation_detail(sample_session, 999_999) is None


def test_retracted_assessments_are_marked(sample_session) -> None:
    from tracker.assessments import retract_assessment

    rid = int(queries.recommendations_frame(sample_session, Filters(q="Paris Principles"))["id"][0])
    a = add_assessment(
        sample_session, rid, status="fully_implemented", assessed_on="2024-01-01", source_org="X"
    )
    sample_session.commit()
    retract_assessment(sample_session, a.id, reason="entered on the wrong recommendation")
    sample_session.commit()
    d = detail.recommendation_detail(sample_session, rid)
    assert d is not None
    rows = display_frames.assessment_rows(d.assessments)
    assert "retracted" in rows.set_index("assessment_id").loc[a.id, "note"]


@pytest.mark.parametrize("sort", list(explorer.SORT_LABELS))
def test_explorer_pages_cover_every_row_once(sample_session, sort: str) -> None:
    total = queries.count(sample_session)
    seen: list[int] = []
    for page in range(1, explorer.page_count(total, 7) + 1):
        seen += explorer.explorer_page(sample_session, None, sort, False, page, 7)["id"].tolist()
    assert sorted(seen) == sorted(queries.recommendations_frame(sample_session)["id"])
    assert len(seen) == total


def test_explorer_sorts_by_status_in_display_order(sample_session) -> None:
    df = explorer.explorer_page(sample_session, None, "status", False, 1, 100)
    ranks = [STATUS_ORDER.index(s) for s in df["status"]]
    assert ranks == sorted(ranks)
    desc = explorer.explorer_page(sample_session, None, "assessed_on", True, 1, 100)
    dates = [d for d in desc["assessed_on"] if d is not None]
    assert dates == sorted(dates, reverse=True)
    assert desc["assessed_on"].iloc[-1] is None  # never assessed: last


def test_filtered_export_is_the_template_with_every_row(sample_session) -> None:
    data = exports.filtered_export(sample_session, KAZ, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == queries.count(sample_session, KAZ)
    assert {r["state_iso3"] for r in rows} == {"KAZ"}
    book = load_workbook(io.BytesIO(exports.filtered_export(sample_session, KAZ, "xlsx")))
    assert book.sheetnames == ["Recommendations", "Assessments"]


def test_flagged_export_is_readable_and_never_a_formula(sample_session) -> None:
    o = flags.FlagOptions(today=dt.date(2025, 10, 1))
    data = exports.flagged_export(sample_session, KAZ, "partial", o, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 14
    assert rows[0]["Current status"] == "Partially implemented"
    frame = exports.flagged_table(flags.flagged_frame(sample_session, KAZ, "partial", o), "partial")
    frame.iloc[0, frame.columns.get_loc("Recommendation")] = '=HYPERLINK("http://x","y")'
    book = load_workbook(io.BytesIO(exports.frame_bytes(frame, "xlsx", "Flagged")))
    cell = book["Flagged"]["G2"]
    # Text, not a formula, and with the apostrophe of tracker.safe_output (issue 13).
    assert cell.value == '\'=HYPERLINK("http://x","y")'
    assert cell.data_type == "s"


def test_labelled_tables_show_labels_and_links(sample_session) -> None:
    df = display_frames.labelled(queries.recommendations_frame(sample_session, KAZ))
    assert set(df["status"]) <= {
        "Fully implemented",
        "Partially implemented",
        "Not implemented",
        "No information",
        "Not assessed",
    }
    assert set(df["response"]) == {"Supported", "Noted"}
    assert df["link"].iloc[0] == f"recommendation?id={df['id'].iloc[0]}"
