"""The detail page (/recommendation?id=ID) under AppTest, with the add-assessment form."""

from __future__ import annotations

import datetime as dt

from tests.pages.dashboard_support import chart_titles, open_page, texts, unescape, widget

PAGE = "pages/recommendation_page.py"


def _form(at, *, status=None, day=None, source="", url="") -> None:
    widget(at.selectbox, "Status").set_value(status)
    if day:
        widget(at.date_input, "Date of the assessment").set_value(day)
    widget(at.text_input, "Source organisation").input(source)
    widget(at.text_area, "Evidence").input("Shelters opened in 3 more regions (2024).")
    widget(at.text_input, "Link to the evidence").input(url)
    widget(at.button, "Add assessment").click().run()


def test_detail_shows_the_recommendation_and_its_timeline(sample_url) -> None:
    at = open_page(PAGE, id="1")
    said = texts(at)
    assert "Recommendation 1" in said
    assert "Further strengthen law enforcement" in said
    assert "Kazakhstan, cycle 1, session 7, 12 February 2010, report A/HRC/14/10" in said
    assert "Malaysia" in said
    assert "4 – General action" in said
    assert "Trafficking" in said
    assert chart_titles(at) == ["Assessment timeline of recommendation 1, by source"]
    assert "No earlier or later repeat" in said


def test_adding_an_assessment_validates_and_shows_at_once(sample_url) -> None:
    at = open_page(PAGE, id="1")
    _form(at, status="not_implemented", source="")
    # Each message names the field as the form labels it (not "source:", "url:").
    errors = [e.value for e in at.error]
    assert any(e.startswith("Source organisation: say which") for e in errors), errors
    _form(at, status="not_implemented", source="NGO", url="not a url")
    errors = [e.value for e in at.error]
    assert any(
        e.startswith("Link to the evidence: 'not a url' is not a web address") for e in errors
    ), errors
    _form(at, status=None, source="NGO")
    assert any(e.value.startswith("Status: choose a status") for e in at.error)
    _form(
        at,
        status="not_implemented",
        day=dt.date(2025, 9, 30),
        source="Our NGO",
        url="https://example.org/report",
    )
    assert not at.error
    assert any(
        "Assessment added: Not implemented as of 30 September 2025 (Our NGO)" in unescape(s.value)
        for s in at.success
    )
    assert ":red-badge[Current status: Not implemented]" in texts(at)  # the status badge
    assert "Shelters opened in 3 more regions" in texts(at)
    # The history and the evidence by source write the date out, as the message does.
    assert "**30 September 2025**" in texts(at)
    assert any(c.value.startswith("Our NGO, 30 September 2025") for c in at.caption)
    assert widget(at.text_input, "Source organisation").value == ""  # a fresh form


def test_unknown_or_missing_id_is_explained(sample_url) -> None:
    at = open_page(PAGE, id="999999")
    assert any("no recommendation with id 999999" in e.value for e in at.error)
    at = open_page(PAGE, id="<script>")
    assert any("&lt;script&gt;" in e.value for e in at.error)
    at = open_page(PAGE)
    assert "Choose a recommendation" in texts(at)


def asked(at) -> list[str]:
    """The "already assessed on that day" questions shown (the sample banner is a warning too)."""
    return [w.value for w in at.warning if "already assessed" in w.value]


def test_the_same_source_on_the_same_day_is_asked_before_saving(sample_url) -> None:
    at = open_page(PAGE, id="1")
    day = dt.date(2025, 9, 30)
    _form(at, status="not_implemented", day=day, source="Our NGO")
    assert not asked(at)
    assessments = texts(at).count("Shelters opened in 3 more regions")
    # The same source ("our  ngo": spelling aside) on the same day: asked, not saved.
    _form(at, status="partially_implemented", day=day, source="our  ngo")
    warning = asked(at)[0]
    assert "Our NGO already assessed this recommendation on 30 September 2025" in warning
    assert "Not implemented" in warning
    assert texts(at).count("Shelters opened in 3 more regions") == assessments
    widget(at.button, "Do not save it").click().run()
    assert not asked(at)
    assert texts(at).count("Shelters opened in 3 more regions") == assessments
    # Asked again, and saved on "Save it anyway".
    _form(at, status="partially_implemented", day=day, source="our  ngo")
    widget(at.button, "Save it anyway").click().run()
    assert not asked(at)
    assert any("Assessment added: Partially implemented" in unescape(s.value) for s in at.success)
    assert texts(at).count("Shelters opened in 3 more regions") == assessments + 1


def test_our_recommendation_taken_up_is_confirmed_on_the_page(sample_url, tmp_path) -> None:
    from tests.test_report_outline import KAZ_OUTLINE, SHELTER_OWN
    from tracker import db
    from tracker.models import Recommendation
    from tracker.submission import ReportSettings, drafts, read_toml

    with db.session_scope(db.get_engine(sample_url)) as s:
        drafts.save_outline(
            s, read_toml(KAZ_OUTLINE), ReportSettings(state="Kazakhstan", session=48)
        )
        rec_id = (
            s.query(Recommendation.id)
            .filter(Recommendation.text.like("Provide state shelter%"))
            .scalar()
        )
    at = open_page(PAGE, id=str(rec_id))
    said = texts(at)
    assert "Our own recommendations taken up" in said
    assert SHELTER_OWN in said
    widget(at.button, "Confirm: it took this up").click().run()
    said = texts(at)
    assert "taken up by 1 State (supported)" in said


def test_a_save_while_another_write_holds_the_database_says_so_and_works_after(
    sample_url, monkeypatch
) -> None:
    """SQLite takes one writer at a time, and a large import holds the lock for minutes: a
    save that waited past the busy timeout is told so in words (not a generic error), saves
    nothing, and saving again once the lock is free works."""
    import sqlite3

    from tracker import db

    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    db.dispose_engines()  # the connections made from now on wait 0.2 s, not a minute
    at = open_page(PAGE, id="1")
    holder = sqlite3.connect(sample_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # as an import's transaction does
        _form(at, status="partially_implemented", source="Busy NGO")
        assert not at.exception
        errors = [e.value for e in at.error]
        assert any(e.startswith("The database is busy with another change") for e in errors), errors
        assert "nothing was saved" in errors[0]
    finally:
        holder.rollback()
        holder.close()
    _form(at, status="partially_implemented", source="Busy NGO")
    assert not at.error
    assert any("Assessment added: Partially implemented" in unescape(s.value) for s in at.success)
