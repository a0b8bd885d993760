"""The identity rule, as the one writer (BulkWriter) applies it for imports and the sample."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.importer_support import (
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    new_engine,
)
from tracker import db
from tracker.importers.inputs import RecommendationInput
from tracker.importers.writer import SAMPLE_FORMAT, BulkWriter
from tracker.models import (
    AffectedGroup,
    ImportRun,
    Recommendation,
    Review,
    Sdg,
    State,
    Theme,
    recommendation_groups,
    recommendation_sdgs,
    recommendation_states,
    recommendation_themes,
)

rows_strategy = st.lists(
    st.builds(
        RecommendationInput,
        state_under_review=st.sampled_from(["Kazakhstan", "Turkey", "Türkiye", "KGZ"]),
        session=st.sampled_from([7, 20, 21]),
        text=st.sampled_from(["Ratify it.", " ratify  IT.", "Adopt a law", "Adopt a\nlaw "]),
        response=st.sampled_from([None, "supported", "noted"]),
        action_category=st.sampled_from([None, 1, 5]),
        recommending_states=st.lists(
            st.sampled_from(["France", "Chile", "Côte d'Ivoire", "Cote d'Ivoire"]), max_size=3
        ),
        themes=st.lists(st.sampled_from(["Justice", "justice", "Women's rights"]), max_size=2),
        sdgs=st.lists(st.sampled_from([("16", None), ("16.2", "Protect children")]), max_size=2),
        affected_groups=st.lists(st.sampled_from(["Women", "women", "Children"]), max_size=2),
        paragraph=st.sampled_from([None, None, "97.1", "98.2"]),
        review_date=st.sampled_from([None, dt.date(2014, 10, 30)]),
        report_symbol=st.sampled_from([None, "A/HRC/28/10"]),
        source_row=st.integers(1, 9),
        is_sample=st.sampled_from([None, True, False]),
    ),
    max_size=12,
)


def dump(engine: Engine) -> dict[str, Any]:
    """The database content the identity rule decides, without ids."""
    with db.session_scope(engine) as s:
        iso = dict(s.execute(select(State.id, State.iso3)).all())
        reviews = {
            r.id: (iso[r.state_id], r.cycle, r.session, r.review_date, r.report_symbol, r.is_sample)
            for r in s.scalars(select(Review))
        }

        def links(table: Any, col: str, names: dict[int, Any]) -> dict[int, list[Any]]:
            out: dict[int, list[Any]] = {}
            for rid, other in s.execute(select(table.c.recommendation_id, table.c[col])).all():
                out.setdefault(rid, []).append(names[other])
            return {k: sorted(v) for k, v in out.items()}

        themes = dict(s.execute(select(Theme.id, Theme.name)).all())
        sdgs = {i: (c, lab) for i, c, lab in s.execute(select(Sdg.id, Sdg.code, Sdg.label))}
        groups = dict(s.execute(select(AffectedGroup.id, AffectedGroup.name)).all())
        st_links = links(recommendation_states, "state_id", iso)
        th_links = links(recommendation_themes, "theme_id", themes)
        sd_links = links(recommendation_sdgs, "sdg_id", sdgs)
        gr_links = links(recommendation_groups, "group_id", groups)
        recs = sorted(
            (
                r.identity,
                r.text,
                r.paragraph,
                r.response,
                r.action_category,
                r.is_sample,
                r.source_row,
                reviews[r.review_id],
                tuple(st_links.get(r.id, [])),
                tuple(th_links.get(r.id, [])),
                tuple(sd_links.get(r.id, [])),
                tuple(gr_links.get(r.id, [])),
            )
            for r in s.scalars(select(Recommendation))
        )
        return {
            "recs": recs,
            "reviews": sorted(reviews.values(), key=repr),
            "states": sorted(iso.values()),
            "themes": sorted(themes.values()),
            "sdgs": sorted(sdgs.values(), key=repr),
            "groups": sorted(groups.values()),
        }


def by_writer(
    engine: Engine, rows: list[RecommendationInput], fmt: str = "test"
) -> tuple[int, int]:
    """One import of ``rows`` (an import run of format ``fmt``): (added, updated)."""
    with db.session_scope(engine) as s:
        run = ImportRun(filename="bulk", format=fmt)
        s.add(run)
        s.flush()
        writer = BulkWriter(s)
        plan = writer.plan([[(r, []) for r in rows]])
        writer.apply([run.id], actor="test")
    return plan.added, plan.updated


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=rows_strategy, second=rows_strategy)
def test_two_imports_give_what_one_import_of_both_gives(first, second) -> None:
    """The rule depends on what the rows say, not on how they are batched: two imports, one
    after the other, leave the database one import of all the rows leaves; importing the
    same rows again adds and changes nothing."""
    tmp = Path(tempfile.mkdtemp(prefix="upr-writer-"))
    a, b = new_engine(tmp, "two.db"), new_engine(tmp, "one.db")
    try:
        by_writer(a, first)
        by_writer(a, second)
        by_writer(b, first + second)
        assert dump(a) == dump(b)
        assert by_writer(a, first + second) == (0, 0)
        assert dump(a) == dump(b)
    finally:
        a.dispose()
        b.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def test_one_recommendation_per_identity(tmp_path: Path) -> None:
    """Same state (any spelling), session, text (spacing and case aside), response and action
    category: one recommendation, gaining the states and themes of each row."""
    engine = new_engine(tmp_path)
    rows = [
        RecommendationInput("Turkey", 7, "Ratify it.", "supported", 5, ["France"], ["Justice"]),
        RecommendationInput("Türkiye", 7, " ratify  IT.", "supported", 5, ["Chile"], ["justice"]),
        RecommendationInput("TUR", 7, "Ratify it.", "noted", 5, ["Chile"]),  # another response
        RecommendationInput(
            "Turkey", 7, "Ratify it.", "supported", 1, ["Chile"]
        ),  # another category
    ]
    assert by_writer(engine, rows) == (3, 0)
    recs = dump(engine)["recs"]
    assert len(recs) == 3
    merged = next(r for r in recs if r[3] == "supported" and r[4] == 5)
    assert merged[1] == "Ratify it."  # the first row's text
    assert merged[8] == ("CHL", "FRA")
    assert merged[9] == ("Justice",)
    # A later import of one of those rows with a paragraph updates, adds nothing.
    assert by_writer(engine, [dataclasses.replace(rows[1], paragraph="9.1")]) == (
        0,
        1,
    )


def test_a_real_row_confirms_a_sample_recommendation(tmp_path: Path) -> None:
    engine = new_engine(tmp_path)
    sample = RecommendationInput("Kazakhstan", 20, "Adopt a law.", "supported", 5, ["France"])
    by_writer(engine, [dataclasses.replace(sample, is_sample=True)])
    assert by_writer(engine, [sample]) == (0, 1)
    with db.session_scope(engine) as s:
        rec = s.scalars(select(Recommendation)).one()
        assert (rec.is_sample, rec.version) == (False, 2)
        assert s.get(ImportRun, rec.import_run_id).filename == "bulk"


def test_a_real_row_takes_over_a_real_recommendation_the_sample_brought(tmp_path: Path) -> None:
    """The sample's real seed records belong to the sample's load until a real import names
    them: then they belong to that import, unchanged and not counted as updated."""
    engine = new_engine(tmp_path)
    seed = RecommendationInput("Kazakhstan", 20, "Adopt a law.", "supported", 5, ["France"])
    by_writer(engine, [seed], fmt=SAMPLE_FORMAT)
    with db.session_scope(engine) as s:
        run = ImportRun(filename="real.csv", format="upr_info")
        s.add(run)
        s.flush()
        writer = BulkWriter(s)
        plan = writer.plan([[(seed, [])]])
        assert (plan.added, plan.updated, plan.unchanged, plan.adopted) == (0, 0, 1, 1)
        assert plan.changed
        writer.apply([run.id], actor="test")
    with db.session_scope(engine) as s:
        rec = s.scalars(select(Recommendation)).one()
        assert (rec.is_sample, rec.version) == (False, 1)
        assert s.get(ImportRun, rec.import_run_id).filename == "real.csv"
    assert by_writer(engine, [seed]) == (0, 0)  # held by a real import already
