"""Action plans and bulk assessment on the pages (AppTest): the plan on the recommendation
page (editors edit it, viewers only read it), the overdue flag and the "due in the next 30
days" list on Flagged, and assessing the Explorer's selection."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.pages.dashboard_support import open_page, texts, unescape, widget
from tests.pages.test_login import logged_in
from tracker import auth, db, plans
from tracker.filters import Filters
from tracker.models import Assessment, AuditEvent
from tracker.queries import filtered_ids

DETAIL = "pages/recommendation_page.py"
FLAGGED = "pages/flagged_page.py"
EXPLORER = "pages/explorer_page.py"


def _frame(at, column: str):
    """The value of the one table with ``column`` (tables without row selection carry no
    key in AppTest)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def _plan(url: str, rec_id: int, **values: object) -> None:
    with auth.acting_as("aigerim", "editor"), db.session_scope(db.get_engine(url)) as s:
        plans.add_action(s, rec_id, **values)  # type: ignore[arg-type]


def test_an_editor_adds_and_updates_a_planned_action(sample_url) -> None:
    at = open_page(DETAIL, id="1")
    assert "No planned actions yet." in texts(at)
    widget(at.text_area, "Planned action").input("Open 5 **shelters** <b>now</b>")
    widget(at.text_input, "Responsible body").input("Ministry of Labour")
    widget(at.date_input, "Due date").set_value(dt.date.today() - dt.timedelta(days=3))
    widget(at.text_input, "Indicator").input("Shelters open")
    widget(at.button, "Add to the plan").click().run()
    assert not at.exception
    assert any("Added a planned action to recommendation 1" in s.value for s in at.success)
    table = _frame(at, "state_of_action")
    assert list(table["action"]) == ["Open 5 **shelters** <b>now</b>"]  # shown literally
    assert list(table["state_of_action"]) == ["Overdue"]
    assert any("1 planned action is past its due date" in w.value for w in at.warning)
    assert {b.key for b in at.get("download_button")} >= {"plan_download_1_csv"}
    # Completing it: the edit form holds the current values.
    widget(at.date_input, "Completed on").set_value(dt.date.today())
    widget(at.button, "Save the action").click().run()
    assert any("Saved the planned action" in s.value for s in at.success)
    assert list(_frame(at, "state_of_action")["state_of_action"]) == ["Completed"]
    with db.session_scope(db.get_engine(sample_url)) as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == 1)))
        assert actions[-2:] == ["plan.add", "plan.edit"]


@pytest.mark.usefixtures("fast_hashing")
def test_a_viewer_sees_the_plan_but_no_form(sample_url) -> None:
    with db.session_scope(db.get_engine(sample_url)) as s:
        auth.create_user(s, "coordinator", "correct horse battery", "admin")
        auth.create_user(s, "donor", "correct horse battery", "viewer")
    _plan(sample_url, 1, action="Publish the statistics", due_on="2030-01-01")
    at = logged_in(sample_url, "donor")
    at.query_params["id"] = "1"
    at.switch_page(DETAIL).run()
    assert list(_frame(at, "state_of_action")["action"]) == ["Publish the statistics"]
    assert not [b for b in at.button if b.label in ("Add to the plan", "Save the action")]


def test_flagged_lists_overdue_recommendations_and_actions_due_soon(sample_url) -> None:
    today = dt.date.today()
    _plan(sample_url, 1, action="Late", responsible="Ministry", due_on=today - dt.timedelta(1))
    _plan(sample_url, 2, action="Soon", responsible="NHRI", due_on=today + dt.timedelta(5))
    _plan(sample_url, 2, action="Later", due_on=today + dt.timedelta(45))
    at = open_page(FLAGGED, flag="overdue")
    assert "Overdue actions (1)" in at.segmented_control(key="flag").options[-1]
    rows = at.dataframe(key="flagged_table").value
    assert list(rows["id"]) == [1]
    assert f"Late (Ministry), due {(today - dt.timedelta(1)).isoformat()}" in rows["detail"][0]
    due = _frame(at, "days_left")
    assert list(due["action"]) == ["Soon"]
    assert list(due["days_left"]) == [5]
    assert any("Actions due in the next 30 days (1)" in e.label for e in at.expander)
    assert {b.key for b in at.get("download_button")} >= {"plan_download_csv", "plan_download_xlsx"}


def test_the_explorer_assesses_the_filtered_selection_after_confirmation(sample_url) -> None:
    engine = db.get_engine(sample_url)
    f = Filters(states=("KAZ",), cycles=(3,))
    with db.session_scope(engine) as s:
        ids = set(s.scalars(filtered_ids(f)))
        before = s.scalar(select(func.count()).select_from(Assessment))
    at = open_page(EXPLORER, state="KAZ", cycle="3")
    widget(at.selectbox, "Status").set_value("partially_implemented")
    widget(at.text_input, "Source organisation").input("Coalition")
    widget(at.button, "Assess the selection").click().run()
    assert any("Tick the confirmation first" in e.value for e in at.error)
    with db.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Assessment)) == before
    widget(at.checkbox, f"Yes, add this assessment to {len(ids)} recommendations").check()
    widget(at.button, "Assess the selection").click().run()
    assert not at.exception
    said = [unescape(s.value) for s in at.success]
    assert any(f"(Coalition) for {len(ids)} recommendations" in s for s in said), said
    with db.session_scope(engine) as s:
        added = s.scalars(select(Assessment.recommendation_id).where(Assessment.id > 0)).all()
        assert s.scalar(select(func.count()).select_from(Assessment)) == before + len(ids)
        assert ids <= set(added)
        events = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "assessment.add", AuditEvent.entity_id.in_(ids))
        )
        assert events == len(ids)


def test_editors_can_switch_the_table_to_ticking_rows(sample_url) -> None:
    at = open_page(EXPLORER, state="KAZ")
    at.toggle(key="ticking").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe(key="explorer_ticks").value) == 26
    assert not [d for d in at.dataframe if d.key == "explorer_table"]
    # Nothing ticked yet: the selection is every recommendation matching the filters.
    assert [r.options for r in at.radio if r.key == "bulk_scope"] == [
        ["All 26 recommendations matching the filters"]
    ]
