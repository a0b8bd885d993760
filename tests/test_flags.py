"""Flags on the sample (a fixed "today") and on hand-made histories."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker import flags, queries
from tracker.assessments import add_assessment
from tracker.filters import Filters

TODAY = dt.date(2025, 10, 1)
KAZ = Filters(states=("KAZ",))


def opts(**kw: object) -> flags.FlagOptions:
    return flags.FlagOptions(today=TODAY, **kw)


def _id(session, q: str) -> int:
    df = queries.recommendations_frame(session, Filters(q=q))
    assert len(df) == 1, q
    return int(df.iloc[0]["id"])


def test_flag_counts_on_the_sample(sample_session) -> None:
    counts = flags.flag_counts(sample_session, KAZ, opts())
    assert counts == {
        "partial": 14,
        "stale": 15,
        "never_assessed": 2,
        "regressed": 2,
        "contested": 1,
        "overdue": 0,
    }
    assert list(counts) == [f.value for f in flags.Flag]


def test_partially_implemented_rows_carry_evidence_and_age(sample_session) -> None:
    df = flags.flagged_frame(sample_session, KAZ, "partial", opts())
    assert set(df["status"]) == {"partially_implemented"}
    assert list(df.columns) == flags.FLAGGED_COLUMNS
    malaysia = df[df["recommending_states"] == "Malaysia"].iloc[0]
    assert malaysia["assessed_on"] == dt.date(2024, 7, 15)
    assert malaysia["age_months"] == 14
    assert malaysia["evidence"]
    assert list(df["cycle"]) == sorted(df["cycle"])


def test_grouping_by_theme_and_cycle(sample_session) -> None:
    grouped = flags.by_theme_and_cycle(flags.flagged_frame(sample_session, KAZ, "partial", opts()))
    themes = list(dict.fromkeys(grouped["theme"]))
    assert themes == sorted(themes, key=str.casefold)
    women = grouped[grouped["theme"] == "Women's rights"]
    assert list(women["cycle"]) == sorted(women["cycle"])
    counts = flags.theme_cycle_counts(grouped)
    assert counts.iloc[0]["theme"] == "Women's rights"
    assert counts.iloc[0]["total"] == len(women)
    assert "Cycle 2" in counts.columns


def test_stale_is_configurable_and_can_include_the_never_assessed(sample_session) -> None:
    twelve = set(flags.flag_details(sample_session, KAZ, opts())["stale"])
    sixty = set(flags.flag_details(sample_session, KAZ, opts(stale_months=60))["stale"])
    assert sixty < twelve
    unassessed = set(
        flags.flag_details(sample_session, KAZ, opts(include_unassessed=True))["stale"]
    )
    assert twelve < unassessed
    stale = flags.flagged_frame(sample_session, KAZ, "stale", opts())
    assert set(stale["response"]) == {"supported"}
    assert "fully_implemented" not in set(stale["status"])
    assert (stale["age_months"] >= 12).all()


def test_supported_recommendations_never_assessed_are_flagged_with_the_reviews_age(
    sample_session,
) -> None:
    df = flags.flagged_frame(sample_session, KAZ, "never_assessed", opts())
    assert list(df["id"]) == [22, 24]
    assert set(df["response"]) == {"supported"}
    assert set(df["status"]) == {"not_assessed"}
    # The review of 2025-01-23 is eight months old on 2025-10-01.
    assert list(df["age_months"]) == [8, 8]
    assert df.iloc[0]["detail"] == "Reviewed on 23 January 2025, 8 months ago; never assessed"
    # They are the ones the "stale" toggle adds: now counted without it.
    stale = set(flags.flag_details(sample_session, KAZ, opts())["stale"])
    with_unassessed = set(
        flags.flag_details(sample_session, KAZ, opts(include_unassessed=True))["stale"]
    )
    assert with_unassessed - stale == {22, 24}


def test_an_assessment_takes_a_recommendation_off_the_never_assessed_list(
    sample_session,
) -> None:
    add_assessment(
        sample_session, 22, status="no_information", assessed_on="2025-06-01", source_org="NGO"
    )
    sample_session.commit()
    assert list(flags.flag_details(sample_session, KAZ, opts())["never_assessed"]) == [24]
    assert flags.flag_counts(sample_session, KAZ, opts())["never_assessed"] == 1


def test_regressed_compares_with_the_last_earlier_status(session) -> None:
    from tests.importer_support import add_recommendation
    from tracker.importers.inputs import RecommendationInput

    rid = add_recommendation(
        session,
        RecommendationInput(state_under_review="Kazakhstan", session=34, text="Free the press"),
    )
    for status, day, source in [
        ("fully_implemented", "2020-01-01", "Government"),
        ("no_information", "2021-01-01", "NGO"),  # no judgement: skipped
        ("partially_implemented", "2022-01-01", "NGO"),
    ]:
        add_assessment(session, rid, status=status, assessed_on=day, source_org=source)
    session.commit()
    details = flags.flag_details(session, None, opts())
    assert (
        "Fully implemented (1 January 2020, Government) → Partially implemented"
        in (details["regressed"][rid])
    )
    assert rid not in details["contested"]  # the sources' views are two years apart
    add_assessment(
        session, rid, status="fully_implemented", assessed_on="2022-03-01", source_org="Gov"
    )
    session.commit()
    details = flags.flag_details(session, None, opts())
    assert rid not in details["regressed"]
    assert "NGO: Partially implemented (2022-01-01)" in details["contested"][rid]


@pytest.mark.parametrize("flag", [f.value for f in flags.Flag])
def test_flags_honour_the_filters(sample_session, flag: str) -> None:
    everything = flags.flagged_frame(sample_session, None, flag, opts())
    cycle_two = flags.flagged_frame(sample_session, Filters(cycles=(2,)), flag, opts())
    assert set(cycle_two["id"]) <= set(everything["id"])
    assert set(cycle_two["cycle"]) <= {2}
    none = flags.flagged_frame(sample_session, Filters(q="no such words"), flag, opts())
    assert none.empty
