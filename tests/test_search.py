"""Full-text search (SQLite FTS5, PostgreSQL tsvector) behind queries' text filter: word
prefixes, exact phrases, literal punctuation, and an index that follows every write."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from tests.importer_support import add_recommendation
from tracker import db, queries, search
from tracker.filters import Filters
from tracker.importers.inputs import RecommendationInput
from tracker.models import Recommendation

TEXTS = [
    "Combat trafficking in persons, especially women and children",
    "Criminalise domestic violence and ensure shelters for victims",
    "Ensure that violence in the domestic sphere is prosecuted",
    "Prevent torture and other cruel treatment in detention",
    "Ratify the Convention against Torture's Optional Protocol (OPCAT)",
    "Protéger les défenseurs des droits de l'homme en Côte d'Ivoire",
    "Обеспечить защиту ЖЕНЩИН от насилия",
    "Adopt a law on non-discrimination covering all grounds",
    "Guarantee 100% birth registration; report under A/HRC/14/10",
]


def _load(url: str) -> dict[str, int]:
    with db.session_scope(db.get_engine(url)) as s:
        ids = {
            t: add_recommendation(
                s, RecommendationInput(state_under_review="Kazakhstan", session=34, text=t)
            )
            for t in TEXTS
        }
    return ids


def _found(url: str, q: str) -> set[str]:
    """The texts found by ``q``, checked to be the same when one country is asked for too
    (another plan: that country's recommendations first, then the text test)."""
    with db.session_scope(db.get_engine(url)) as s:
        found = set(queries.recommendations_frame(s, Filters(q=q))["text"])
        one = set(queries.recommendations_frame(s, Filters(q=q, states=("KAZ",)))["text"])
        assert one == found, q
        return found


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("traffick", {TEXTS[0]}),  # a word finds longer words that start with it
        ("TRAFFICKING Women", {TEXTS[0]}),  # every word, any case
        ('"domestic violence"', {TEXTS[1]}),  # a phrase: adjacent, in order
        ("domestic violence", {TEXTS[1], TEXTS[2]}),  # words: anywhere
        ('"tortur"', set()),  # a quoted word is a whole word
        ('"torture"', {TEXTS[3], TEXTS[4]}),  # "Torture's" holds the word
        ("torture", {TEXTS[3], TEXTS[4]}),
        ("non-discrimination", {TEXTS[7]}),  # punctuation separates words
        ("A/HRC/14/10", {TEXTS[8]}),
        ("100%", {TEXTS[8]}),
        ("%", {TEXTS[8]}),  # only punctuation: looked for literally
        ('"unbalanced', set()),
        ("NEAR(women children)", set()),  # FTS5 syntax is plain words ("near" is not there)
        ("women* OR torture", set()),  # "or" is a word like any other
        ("'; DROP TABLE recommendation; --", set()),
    ],
)
def test_search_terms_on_both_databases(any_db_url: str, q: str, expected: set[str]) -> None:
    _load(any_db_url)
    assert _found(any_db_url, q) == expected
    with db.session_scope(db.get_engine(any_db_url)) as s:
        assert queries.count(s) == len(TEXTS)


def test_sqlite_search_folds_case_and_accents_in_every_script(db_url: str) -> None:
    _load(db_url)
    assert _found(db_url, "женщин") == {TEXTS[6]}
    assert _found(db_url, "cote defenseurs") == {TEXTS[5]}


def test_the_sqlite_index_follows_inserts_updates_and_deletes(db_url: str) -> None:
    ids = _load(db_url)
    rid = ids[TEXTS[3]]
    with db.session_scope(db.get_engine(db_url)) as s:
        s.execute(
            update(Recommendation)
            .where(Recommendation.id == rid)
            .values(text="Abolish the death penalty")
        )
    assert _found(db_url, "torture") == {TEXTS[4]}
    assert _found(db_url, "penalty") == {"Abolish the death penalty"}
    with db.session_scope(db.get_engine(db_url)) as s:
        s.execute(delete(Recommendation).where(Recommendation.id == rid))
    assert _found(db_url, "penalty") == set()
    with db.session_scope(db.get_engine(db_url)) as s:
        integrity = s.execute(
            text("INSERT INTO recommendation_fts(recommendation_fts) VALUES ('integrity-check')")
        )
        assert integrity is not None  # raises "database disk image is malformed" when out of sync


def test_search_combines_with_the_other_filters(sample_session) -> None:
    f = Filters(states=("KAZ",), cycles=(2,), q="traffick")
    df = queries.recommendations_frame(sample_session, f)
    assert len(df) >= 1
    assert set(df["cycle"]) == {2}
    assert all("traffick" in t.lower() for t in df["text"])


def test_parse_keeps_phrases_and_caps_terms() -> None:
    terms = search.parse('women "domestic  violence" traffick')
    assert [(t.text, t.phrase) for t in terms] == [
        ("women", False),
        ("domestic violence", True),
        ("traffick", False),
    ]
    assert len(search.parse(" ".join(f"w{i}" for i in range(50)))) == search.MAX_TERMS
    assert search.fts5_query(search.parse('a "b c"')) == '"a"* AND "b c"'
