"""The recommendation page with private evidence and drafts (issue #16): editors see a
private assessment, viewers and public visitors never; a draft is published by a second
account."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.dashboard_support import texts, widget
from tracker import auth, db, evidence, settings, ui
from tracker.assessments import add_assessment

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/recommendation_page.py"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def accounts(sample_url: str) -> str:
    """The sample with an admin, an editor and a viewer; recommendation 1 (assessed
    "partially" by sources of type other in the sample) gets a government "fully" and a newer
    private NGO "partially" whose evidence names a witness."""
    with db.session_scope(db.get_engine(sample_url)) as s:
        for name, role in (("coordinator", "admin"), ("editor1", "editor"), ("donor", "viewer")):
            auth.create_user(s, name, PASSWORD, role)
        add_assessment(
            s,
            1,
            status="fully_implemented",
            assessed_on="2025-10-01",
            source_org="Ministry",
            source_type="government",
        )
        add_assessment(
            s,
            1,
            status="partially_implemented",
            assessed_on="2025-10-02",
            source_org="Shelter network",
            source_type="civil_society",
            evidence="Witness WITNESS-SECRET at risk",
            private=True,
        )
    return sample_url


def page_as(url: str, username: str | None) -> AppTest:
    """The page of recommendation 1, logged in as ``username`` (None: not logged in)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["id"] = "1"
    if username:
        with db.session_scope(db.get_engine(url)) as s:
            token = auth.issue_token(s, username)
        now = time.time()
        at.session_state[ui.LOGIN_KEY] = {"token": token, "issued": now, "last_seen": now}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception[0].value
    return at


def test_an_editor_sees_private_evidence_and_the_index_that_counts_it(accounts) -> None:
    at = page_as(accounts, "editor1")
    said = texts(at)
    assert "WITNESS-SECRET" in said
    assert "Sources side by side" in said
    # government 1, civil society 0.5 (private), other 0.5
    assert {m.label: m.value for m in at.metric}["Implementation index"] == (
        "0.67 (partially implemented)"
    )
    assert "With private evidence: Partially implemented" in said


@pytest.mark.parametrize("who", ["donor", "public"])
def test_a_viewer_or_a_public_visitor_never_sees_private_evidence(
    accounts, monkeypatch, who
) -> None:
    if who == "public":
        monkeypatch.setenv(settings.PUBLIC_READONLY.name, "1")
    at = page_as(accounts, "donor" if who == "donor" else None)
    said = texts(at)
    assert "WITNESS-SECRET" not in said
    assert "Shelter network" not in said
    assert "With private evidence" not in said
    # government 1, other 0.5: the private civil society view is left out
    assert {m.label: m.value for m in at.metric}["Implementation index"] == (
        "0.75 (partially implemented)"
    )
    assert "Current status: Fully implemented" in said


def test_a_draft_is_published_by_a_second_account_only(accounts) -> None:
    with db.session_scope(db.get_engine(accounts)) as s, auth.acting_as("coordinator", "admin"):
        evidence.set_review_required(s, True)
    at = page_as(accounts, "editor1")
    widget(at.selectbox, "Status").set_value("not_implemented")
    widget(at.text_input, "Source organisation").input("Our NGO")
    widget(at.selectbox, "Type of source").set_value("civil_society")
    widget(at.button, "Add assessment").click().run()
    assert not at.error
    assert "Current status: Fully implemented" in texts(at)  # the draft changed nothing
    assert "draft awaiting review" in texts(at)
    widget(at.button, "Publish").click().run()
    assert any("another editor or an admin publishes it" in e.value for e in at.error)
    at = page_as(accounts, "coordinator")
    widget(at.button, "Publish").click().run()
    assert not at.error
    assert "Current status: Not implemented" in texts(at)


def test_an_admin_switches_review_on_and_the_activity_page_lists_the_drafts(accounts) -> None:
    at = page_as(accounts, "coordinator")
    at.switch_page("pages/activity_page.py").run()
    assert "No drafts await review." in [i.value for i in at.info]
    toggle = next(t for t in at.toggle if t.key == "review_before_publish")
    toggle.set_value(True).run()
    with db.session_scope(db.get_engine(accounts)) as s:
        assert evidence.review_required(s)
        with auth.acting_as("editor1", "editor"):
            add_assessment(
                s, 2, status="not_implemented", assessed_on="2025-10-03", source_org="Our NGO"
            )
    at = page_as(accounts, "coordinator")
    at.switch_page("pages/activity_page.py").run()
    assert "recommendation 2, by editor1" in texts(at)
    assert any(b.label == "Publish" for b in at.button)


def test_the_index_in_russian_has_a_decimal_comma_and_one_source_type_in_the_singular(
    sample_url: str,
) -> None:
    """Issue #18: "0.50" and "среднее по 1 типам источников" on the Russian page."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["id"] = "2"  # assessed by one type of source (other) in the sample
    at.query_params["lang"] = "ru"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception[0].value
    assert {m.label: m.value for m in at.metric}["Индекс выполнения"] == (
        "0,50 (частично выполнена)"
    )
    said = texts(at)
    assert "среднее по 1 типу источников." in said
    assert "0.5" not in said
