"""Filters, search and statistics on the sample."""

from __future__ import annotations

import datetime as dt

from tracker import queries
from tracker.assessments import add_assessment
from tracker.filters import Filters, from_query_params, to_query_params


def test_filters_round_trip_through_query_params() -> None:
    f = Filters(
        states=("KAZ",),
        cycles=(1, 2),
        themes=("Women's rights",),
        recommending=("MYS",),
        regional_groups=("WEOG",),
        responses=("supported",),
        statuses=("partially_implemented",),
        q='"domestic violence"',
    )
    assert from_query_params(to_query_params(f)) == f


def test_query_params_accept_names_commas_and_drop_junk() -> None:
    f = from_query_params(
        {
            "state": ["Kazakhstan"],
            "cycle": ["1,2", "x"],
            "rs": "grulac,Egypt",
            "status": ["partially_implemented", "<script>"],
            "q": "  a  b ",
        }
    )
    assert f.states == ("KAZ",)
    assert f.cycles == (1, 2)
    assert f.regional_groups == ("GRULAC",)
    assert f.recommending == ("EGY",)
    assert f.statuses == ("partially_implemented",)


def test_filter_by_status_and_response(sample_session) -> None:
    f = Filters(states=("KAZ",), statuses=("partially_implemented",))
    df = queries.recommendations_frame(sample_session, f)
    assert len(df) == 14
    assert set(df["status"]) == {"partially_implemented"}
    noted = queries.recommendations_frame(sample_session, Filters(responses=("noted",)))
    assert set(noted["response"]) == {"noted"}


def test_filter_by_recommending_state_and_group(sample_session) -> None:
    by_malaysia = queries.recommendations_frame(sample_session, Filters(recommending=("MYS",)))
    assert all("Malaysia" in s for s in by_malaysia["recommending_states"])
    assert len(by_malaysia) == 2
    weog = queries.count(sample_session, Filters(regional_groups=("WEOG",)))
    assert 0 < weog < queries.count(sample_session)


def test_search_matches_words_and_phrases_case_insensitively(sample_session) -> None:
    assert queries.count(sample_session, Filters(q="TRAFFICKING")) >= 3
    phrase = queries.recommendations_frame(sample_session, Filters(q='"sexual abuse of women"'))
    assert len(phrase) == 1
    assert queries.count(sample_session, Filters(q='"abuse sexual"')) == 0


def test_search_treats_like_wildcards_literally(sample_session) -> None:
    assert queries.count(sample_session, Filters(q="%")) == 0
    assert queries.count(sample_session, Filters(q="_")) == 0
    assert queries.count(sample_session, Filters(q="'; DROP TABLE recommendation; --")) == 0
    assert queries.count(sample_session) == 30


def test_stats_counts_are_consistent(sample_session) -> None:
    s = queries.stats(sample_session)
    assert s["recommendations"] == 30
    assert sum(s["by_cycle"].values()) == 30
    assert sum(s["by_response"].values()) == 30
    assert sum(s["by_status"].values()) == 30
    assert s["assessments"] == 32


def test_current_status_prefers_latest_date_then_latest_entry(sample_session) -> None:
    rec_id = (
        int(queries.recommendations_frame(sample_session, Filters(q="Shymkent")).iloc[0]["id"])
        if queries.count(sample_session, Filters(q="Shymkent"))
        else None
    )
    assert rec_id is None  # evidence is not searched, only recommendation texts
    df = queries.recommendations_frame(sample_session, Filters(q="National Action Plan endorsed"))
    rid = int(df.iloc[0]["id"])
    same_day = dt.date(2024, 7, 15)
    add_assessment(
        sample_session,
        rid,
        status="fully_implemented",
        assessed_on=same_day,
        source_org="Government",
    )
    sample_session.commit()
    df = queries.recommendations_frame(sample_session, Filters(q="National Action Plan endorsed"))
    assert df.iloc[0]["status"] == "fully_implemented"  # same date, entered later
    add_assessment(
        sample_session,
        rid,
        status="not_implemented",
        assessed_on=dt.date(2020, 1, 1),
        source_org="Old",
    )
    sample_session.commit()
    df = queries.recommendations_frame(sample_session, Filters(q="National Action Plan endorsed"))
    assert df.iloc[0]["status"] == "fully_implemented"  # an older date never wins


def test_one_recommending_state_matches_what_a_list_of_them_matches(sample_session) -> None:
    """One recommending state is matched through its id (a scalar subquery, for PostgreSQL's
    plan); the same recommendations as a list naming it and a state that made none, in the
    Explorer's groups, the counts and the frame, for every state of the sample."""
    from tracker import explorer

    states = queries.recommending_state_options(sample_session)["iso3"].tolist()
    assert len(states) > 3
    for iso3 in [*states, "ZZZ"]:
        one, listed = Filters(recommending=(iso3,)), Filters(recommending=(iso3, "ZZZ"))
        assert queries.count(sample_session, one) == queries.count(sample_session, listed)
        assert explorer.match_groups(sample_session, one) == explorer.match_groups(
            sample_session, listed
        )
        frame = queries.recommendations_frame(sample_session, one)
        assert frame.equals(queries.recommendations_frame(sample_session, listed))
        assert all(iso3 in codes.split(", ") for codes in frame["recommending_iso3"])
    assert queries.count(sample_session, Filters(recommending=(states[0],))) > 0
