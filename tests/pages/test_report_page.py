"""The Report page under AppTest: build a submission, see the word count, save and reopen it."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tracker import db, submission
from tracker.models import SavedReport
from tracker.organisation import organisation_name

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/report_page.py"


def open_page(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def downloads(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_report_for_the_state_in_the_filter_with_word_count_and_downloads(sample_url) -> None:
    at = open_page(state="KAZ")
    assert at.selectbox(key="rp_state").value == "KAZ"
    m = metrics(at)
    assert m["Recommendations"] == "26"
    assert m["For session"] == "62"
    assert m["Words"].endswith("/ 2,815")
    assert any(
        "of 2,815 words (individual submission; footnotes not counted)" in s.value
        for s in at.success
    )
    assert any("sample data" in w.value for w in at.warning)
    assert downloads(at) == ["Word document", "Markdown", "CSV of the recommendations"]
    preview = "\n".join(md.value for md in at.markdown)
    assert "(Malaysia) — **partially implemented**" in preview
    assert "# Universal Periodic Review of Kazakhstan" in preview


def test_choosing_themes_statuses_and_a_joint_submission(sample_url) -> None:
    at = open_page(state="KAZ")
    at.multiselect(key="rp_themes").select("Trafficking")
    at.multiselect(key="rp_statuses").select("partially_implemented")
    at.text_area(key="rp_orgs").input("Legal centre\nCoalition for equality").run()
    assert not at.exception
    assert metrics(at)["Recommendations"] == "4"  # one trafficking item is not implemented
    assert metrics(at)["Words"].endswith("/ 5,630")  # joint submission
    preview = "\n".join(md.value for md in at.markdown)
    assert "Joint submission by Legal centre and Coalition for equality" in preview
    assert "## Trafficking" in preview


def test_over_the_word_limit_is_a_clear_warning(sample_url) -> None:
    at = open_page(state="KAZ")
    at.number_input(key="rp_limit").set_value(200).run()
    errors = [e.value for e in at.error]
    assert any("over the limit of 200" in e for e in errors), errors
    assert metrics(at)["Words"].endswith("/ 200")


def test_own_recommendations_are_saved_with_the_report_and_reopened(sample_url) -> None:
    at = open_page(state="KAZ")
    at.text_area(key="rp_orgs").input("Legal centre")
    at.multiselect(key="rp_cycles").select(2)
    at.text_area(key="rp_own").input("Open shelters to foreign victims\nCriminalise battery").run()
    assert metrics(at)["Your recommendations"] == "2"
    at.text_input(key="rp_name").input("KAZ 2026")
    button(at, "Save report").click().run()
    assert not at.exception
    assert any("Saved the report 'KAZ 2026'" in s.value for s in at.success)
    with db.session_scope(db.get_engine(sample_url)) as s:
        row = s.scalar(select(SavedReport).where(SavedReport.name == "KAZ 2026"))
        assert row is not None
        assert row.own_recommendations == [
            "Open shelters to foreign victims",
            "Criminalise battery",
        ]
        assert row.settings["cycles"] == [2]

    again = open_page()
    again.selectbox(key="rp_saved").select("KAZ 2026").run()
    assert not again.exception
    assert again.text_area(key="rp_own").value == (
        "Open shelters to foreign victims\nCriminalise battery"
    )
    assert metrics(again)["Recommendations"] == "8"  # cycle 2 only (26 in all cycles)
    assert metrics(again)["Your recommendations"] == "2"


def test_organisation_name_is_saved_for_images_and_reports(sample_url) -> None:
    at = open_page()
    org_input = next(t for t in at.text_input if t.label == "Organisation")
    org_input.input("Legal centre")
    button(at, "Save the name").click().run()
    assert not at.exception
    with db.session_scope(db.get_engine(sample_url)) as s:
        assert organisation_name(s) == "Legal centre"
    fresh = open_page()
    assert fresh.text_area(key="rp_orgs").value == "Legal centre"


def test_outline_edited_saved_and_reopened_with_the_as_of_date(sample_url) -> None:
    from tests.pages.dashboard_support import open_page as open_with_url
    from tests.test_report_outline import KAZ_OUTLINE

    # The URL read first (the sidebar's date), then the page, as a browser on a deep link.
    at = open_with_url(PAGE, state="KAZ", as_of="2019-03-31")
    assert at.date_input(key="f_as_of").value.isoformat() == "2019-03-31"
    at.text_area(key="rp_outline").input(KAZ_OUTLINE).run()
    assert not at.exception, at.exception
    preview = "\n".join(md.value for md in at.markdown)
    assert "## Executive summary" in preview
    assert "## Sexual exploitation" in preview
    assert "### National legal framework" in preview
    assert "status as of 31 March 2019" in preview
    assert "(Russian Federation)" in preview
    button(at, "Save the outline 'Kazakhstan: sexual exploitation of women and girls'").click()
    at.run()
    assert not at.exception, at.exception
    # A new visit: the saved outline is offered and fills the box.
    at = open_page(state="KAZ")
    at.selectbox(key="rp_outline_title").select(
        "Kazakhstan: sexual exploitation of women and girls"
    ).run()
    assert "[[section]]" in at.text_area(key="rp_outline").value
    preview = "\n".join(md.value for md in at.markdown)
    assert "## Sexual exploitation" in preview


def test_a_long_report_previews_its_start_and_the_rest_on_demand(sample_url) -> None:
    """The preview of a long report is the start of the document the downloads hold (the
    first 50 numbered paragraphs), and the rest comes on demand; the word count is the
    whole document's, as built for the same choices."""
    own = [f"Adopt measure {i} for the protection of victims of trafficking" for i in range(80)]
    at = open_page(state="KAZ")
    at.text_area(key="rp_own").input("\n".join(own)).run()
    assert not at.exception, at.exception
    with db.session_scope(db.get_engine(sample_url)) as s:
        whole = submission.build_report(s, submission.ReportSettings(state="KAZ"), own)
    assert whole.paragraph_count == 2 + 26 + 80  # the scope, the recommendations, our own

    def preview() -> str:  # the Markdown as shown (Streamlit strips the last line break)
        return next(md.value for md in at.markdown if md.value.startswith("# ")) + "\n"

    def captions() -> str:
        return "\n".join(c.value for c in at.caption)

    assert metrics(at)["Words"] == f"{whole.word_count:,} / 2,815"
    assert preview() == submission.to_markdown(whole, paragraphs=50)
    assert re.findall(r"^(\d+)\. ", preview(), flags=re.MULTILINE)[-1] == "50"
    assert "The first 50 of 108 numbered paragraphs" in captions()
    button(at, "Show 50 more paragraphs").click().run()
    assert preview() == submission.to_markdown(whole, paragraphs=100)
    assert "The first 100 of 108 numbered paragraphs" in captions()
    button(at, "Show 8 more paragraphs")  # what is left
    button(at, "Show the whole document").click().run()
    assert preview() == submission.to_markdown(whole)
    assert "of 108 numbered paragraphs" not in captions()
    assert not [b for b in at.button if b.label.startswith("Show")]
    # Another report (here: another word limit) previews from its start again.
    at.number_input(key="rp_limit").set_value(20000).run()
    assert preview() == submission.to_markdown(whole, paragraphs=50)
    assert "The first 50 of 108 numbered paragraphs" in captions()
    # The downloads are built from the same report when asked.
    assert downloads(at) == ["Word document", "Markdown", "CSV of the recommendations"]
