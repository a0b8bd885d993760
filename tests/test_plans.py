"""Action plans (tracker.plans): planned actions per recommendation, audited and role-checked
writes on SQLite and PostgreSQL, the overdue flag, the "due in the next 30 days" list, the
CSV/XLSX download, and backups that keep them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker import auth, backup, db, flags, i18n, plans
from tracker.assessments import ValidationError
from tracker.filters import Filters
from tracker.models import AuditEvent, PlannedAction, Recommendation
from tracker.sample import load_sample

TODAY = dt.date(2026, 6, 15)
KAZ = Filters(states=("KAZ",))


@pytest.fixture
def loaded_url(any_db_url: str) -> str:
    """The sample in a fresh SQLite or PostgreSQL database."""
    with db.session_scope(db.get_engine(any_db_url)) as s:
        load_sample(s)
    return any_db_url


def _kaz_ids(s) -> list[int]:
    from tracker.bulk import selection_ids

    return selection_ids(s, KAZ)


def test_an_editor_adds_changes_and_removes_actions_each_audited(loaded_url) -> None:
    engine = db.get_engine(loaded_url)
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        rid = _kaz_ids(s)[0]
        item = plans.add_action(
            s,
            rid,
            action="Adopt a law criminalising domestic violence",
            responsible="  Ministry of   Justice ",
            due_on="2026-03-31",
            indicator="Law in force",
        )
        action_id = item.id
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        changed = plans.update_action(
            s, action_id, 1, {"progress": "Draft in parliament", "due_on": "2026-09-30"}
        )
        assert changed.version == 2
    with db.session_scope(engine) as s:
        df = plans.actions_frame(s, rid, TODAY)
        row = df.iloc[0]
        assert row["responsible"] == "Ministry of Justice"
        assert row["due_on"] == dt.date(2026, 9, 30)
        assert row["progress"] == "Draft in parliament"
        assert not row["overdue"]
        assert row["days_left"] == 107
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("plan.%")).order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.actor, e.entity_id) for e in events] == [
            ("plan.add", "aigerim", rid),
            ("plan.edit", "aigerim", rid),
        ]
        assert events[1].before == {
            "action_id": action_id,
            "progress": None,
            "due_on": "2026-03-31",
            "version": 1,
        }
        assert events[1].after["due_on"] == "2026-09-30"
    # An edit from the old version is refused, never overwrites.
    conflict = pytest.raises(plans.PlanConflictError, match="changed by someone else")
    with conflict, auth.acting_as("other", "editor"), db.session_scope(engine) as s:
        plans.update_action(s, action_id, 1, {"progress": "Stale view"})
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        plans.remove_action(s, action_id, 2)
    with db.session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(PlannedAction)) == 0
        gone = s.scalars(select(AuditEvent).where(AuditEvent.action == "plan.remove")).one()
        assert gone.before["action"] == "Adopt a law criminalising domestic violence"
        assert gone.before["progress"] == "Draft in parliament"


def test_viewers_are_refused_and_bad_values_are_explained(sample_session) -> None:
    rid = _kaz_ids(sample_session)[0]
    with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied):
        plans.add_action(sample_session, rid, action="Anything")
    sample_session.rollback()
    with auth.acting_as("aigerim", "editor"):
        for values, message in [
            ({"action": "  "}, "action: say what is to be done"),
            ({"action": "x", "due_on": "31/12/2026"}, "due_on: '31/12/2026' is not a date"),
            ({"action": "x", "responsible": "M" * 301}, "responsible: at most 300 characters"),
            (
                {"action": "x", "completed_on": dt.date.today() + dt.timedelta(days=1)},
                "completed_on: .* is in the future",
            ),
        ]:
            with pytest.raises(ValidationError, match=message):
                plans.add_action(sample_session, rid, **values)  # type: ignore[arg-type]
            sample_session.rollback()
        with pytest.raises(ValidationError, match="no recommendation with id 999999"):
            plans.add_action(sample_session, 999999, action="x")
        sample_session.rollback()
    assert sample_session.scalar(select(func.count()).select_from(PlannedAction)) == 0


def test_overdue_flag_and_the_due_soon_list(loaded_url) -> None:
    engine = db.get_engine(loaded_url)
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        a, b, c = _kaz_ids(s)[:3]
        plans.add_action(s, a, action="Late one", responsible="Ministry", due_on="2026-06-01")
        plans.add_action(s, b, action="Done late", due_on="2026-05-01", completed_on="2026-05-20")
        plans.add_action(s, b, action="Due in 10 days", responsible="NHRI", due_on="2026-06-25")
        plans.add_action(s, c, action="Due in 31 days", due_on="2026-07-16")
        plans.add_action(s, c, action="No date")
    opts = flags.FlagOptions(today=TODAY)
    with db.session_scope(engine) as s:
        counts = flags.flag_counts(s, KAZ, opts)
        assert counts["overdue"] == 1  # the completed one is not overdue
        assert flags.flag_counts(s, Filters(states=("FRA",)), opts)["overdue"] == 0
        overdue = flags.flagged_frame(s, KAZ, "overdue", opts)
        assert list(overdue["id"]) == [a]
        assert overdue.iloc[0]["detail"] == "Late one (Ministry), due 2026-06-01"
        due = plans.due_soon_frame(s, KAZ, TODAY)
        assert list(due["action"]) == ["Due in 10 days"]
        assert list(due["days_left"]) == [10]
        assert plans.due_soon_frame(s, Filters(states=("FRA",)), TODAY).empty
        assert plans.plan_count(s, KAZ) == 5
        # The whole plan: by due date, the undated last.
        assert list(plans.plan_frame(s, KAZ, TODAY)["action"]) == [
            "Done late",
            "Late one",
            "Due in 10 days",
            "Due in 31 days",
            "No date",
        ]


def test_each_action_says_where_it_stands(loaded_url) -> None:
    """Completed wins over a passed due date; an open action past its date is overdue; the
    words follow the interface language."""
    engine = db.get_engine(loaded_url)
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        a = _kaz_ids(s)[0]
        plans.add_action(s, a, action="Done late", due_on="2026-05-01", completed_on="2026-05-20")
        plans.add_action(s, a, action="Late one", due_on="2026-06-01")
        plans.add_action(s, a, action="Due later", due_on="2026-06-25")
        plans.add_action(s, a, action="No date")
    with db.session_scope(engine) as s:
        df = plans.actions_frame(s, a, TODAY)
        assert dict(zip(df["action"], plans.action_states(df), strict=True)) == {
            "Done late": "Completed",
            "Late one": "Overdue",
            "Due later": "Open",
            "No date": "Open",
        }
        i18n.set_language("ru")
        try:
            assert plans.action_states(df)[:2] == ["Выполнено", "Просрочено"]
        finally:
            i18n.set_language("en")


def test_the_plan_downloads_as_csv_and_xlsx(sample_session) -> None:
    rid = _kaz_ids(sample_session)[0]
    with auth.acting_as("aigerim", "editor"):
        plans.add_action(
            sample_session,
            rid,
            action="Train judges, prosecutors",
            responsible="Judicial academy",
            due_on="2026-01-31",
            indicator='Share of judges trained "in 2026"',
        )
    sample_session.commit()
    csv_text = plans.plan_export(sample_session, KAZ, "csv", today=TODAY).decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0] == (
        "Id,State under review,Cycle,Recommendation,Planned action,Responsible body,Due date,"
        "Indicator,Progress,Completed on,Overdue"
    )
    assert lines[1].startswith(f"{rid},Kazakhstan,")
    assert lines[1].endswith(
        '"Train judges, prosecutors",Judicial academy,2026-01-31,'
        '"Share of judges trained ""in 2026""",,,yes'
    )
    book = load_workbook(io.BytesIO(plans.plan_export(sample_session, None, "xlsx", today=TODAY)))
    sheet = book["Action plan"]
    assert sheet["E2"].value == "Train judges, prosecutors"
    assert sheet["K2"].value == "yes"
    one = plans.plan_export(sample_session, None, "csv", recommendation_id=rid, today=TODAY)
    assert one.decode("utf-8-sig").splitlines()[1:] == lines[1:]


def test_backup_and_restore_keep_the_plans(loaded_url, tmp_path) -> None:
    engine = db.get_engine(loaded_url)
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        rid = s.scalar(select(func.min(Recommendation.id)))
        plans.add_action(s, rid, action="Kept", responsible="Ministry", due_on="2026-01-01")
    with db.session_scope(engine) as s:
        before = plans.plan_frame(s, None, TODAY).to_dict("records")
    backup.write_backup(engine, tmp_path / "b.zip")
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        item = s.scalars(select(PlannedAction)).one()
        plans.remove_action(s, item.id, item.version)
        plans.add_action(s, rid, action="Added after the backup")
    backup.restore(engine, tmp_path / "b.zip")
    with db.session_scope(engine) as s:
        assert plans.plan_frame(s, None, TODAY).to_dict("records") == before
    # New actions get ids after the restored ones (PostgreSQL's sequence moved on).
    with auth.acting_as("aigerim", "editor"), db.session_scope(engine) as s:
        assert plans.add_action(s, rid, action="New").id > before[0]["action_id"]
