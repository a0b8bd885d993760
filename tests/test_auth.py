"""Accounts, roles, login, lockout, remembered logins, and the write guard in tracker itself."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tracker import audit, auth, auth_tokens, backup, db, editing, queries, schema, settings
from tracker.assessments import add_assessment, retract_assessment
from tracker.cli import main
from tracker.models import Assessment, AuditEvent, Recommendation, User, utcnow
from tracker.sample import load_sample, remove_sample

pytestmark = pytest.mark.usefixtures("fast_hashing")

PASSWORD = "correct horse battery"


def make_users(session: Session, **roles: str) -> None:
    """Create accounts (the first one named must be an admin) and commit."""
    for name, role in roles.items():
        auth.create_user(session, name, PASSWORD, role)
    session.commit()


def first_rec(session: Session) -> int:
    return session.scalar(select(func.min(Recommendation.id))) or 0


def audit_dump(session: Session) -> str:
    rows = session.execute(
        select(AuditEvent.actor, AuditEvent.summary, AuditEvent.before, AuditEvent.after)
    ).all()
    return json.dumps([list(r) for r in rows], default=str)


# --- modes and the current actor -------------------------------------------------------------
def test_without_accounts_everything_is_allowed_as_the_os_user(sample_session, monkeypatch) -> None:
    monkeypatch.setenv(settings.ACTOR.name, "ngo-laptop")
    assert not auth.accounts_exist(sample_session)
    assert auth.current_actor() == auth.Actor("ngo-laptop", auth.Role.ADMIN, local=True)
    a = add_assessment(
        sample_session,
        first_rec(sample_session),
        status="not_implemented",
        assessed_on="2025-01-10",
        source_org="Legal centre",
    )
    sample_session.commit()
    assert a.author == "ngo-laptop"
    last = sample_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.actor, last.action) == ("ngo-laptop", "assessment.add")


def test_the_logged_in_user_is_recorded_as_author_and_in_the_audit_trail(sample_session) -> None:
    with auth.acting_as("aigerim", "editor"):
        a = add_assessment(
            sample_session,
            first_rec(sample_session),
            status="fully_implemented",
            assessed_on="2025-02-01",
            source_org="Kadyr Kasiet",
        )
    sample_session.commit()
    assert a.author == "aigerim"
    last = sample_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert last.actor == "aigerim"


# --- the write guard -------------------------------------------------------------------------
def _writes(tmp: Path) -> dict[str, Callable[[Session], object]]:
    """Every write path of tracker, as a viewer would try it."""

    def edit(s: Session) -> object:
        rec = s.get(Recommendation, first_rec(s))
        assert rec is not None
        return editing.update_recommendation(s, rec.id, rec.version, {"paragraph": "1.1"})

    def retract(s: Session) -> object:
        target = s.scalar(select(func.min(Assessment.id)))
        assert target is not None
        return retract_assessment(s, target, reason="wrong source")

    def restore(s: Session) -> object:
        return backup.restore(s.get_bind().engine, tmp / "any.zip")

    def link(s: Session) -> object:
        from tracker import linking

        return linking.decide_link(s, 1, True)

    def suggest_links(s: Session) -> object:
        from tracker import linking

        return linking.suggest(s)

    def reports_call(name: str) -> Callable[[Session], object]:
        def call(s: Session) -> object:
            from tracker import submission
            from tracker.organisation import set_organisation_name

            if name == "save_report":
                return submission.save_report(
                    s, "donor brief", submission.ReportSettings("KAZ"), []
                )
            if name == "delete_saved_report":
                return submission.delete_saved_report(s, "donor brief")
            return set_organisation_name(s, "Mallory Inc")

        return call

    def import_file(s: Session) -> object:
        from tracker.importers import import_files

        return import_files(s, [tmp / "template.csv"])

    return {
        "add_assessment": lambda s: add_assessment(
            s, first_rec(s), status="not_implemented", assessed_on="2025-01-01", source_org="X"
        ),
        "retract_assessment": retract,
        "update_recommendation": edit,
        "load_sample": lambda s: load_sample(s),
        "remove_sample": lambda s: remove_sample(s),
        "import_files": import_file,
        "decide_link": link,
        "suggest_links": suggest_links,
        "save_report": reports_call("save_report"),
        "delete_saved_report": reports_call("delete_saved_report"),
        "set_organisation_name": reports_call("set_organisation_name"),
        "create_user": lambda s: auth.create_user(s, "mallory", PASSWORD, "admin"),
        "set_role": lambda s: auth.set_role(s, "admin1", "viewer"),
        "set_password": lambda s: auth.set_password(s, "admin1", "another password"),
        "remove_user": lambda s: auth.remove_user(s, "admin1"),
        "unlock": lambda s: auth.unlock(s, "admin1"),
        "write_backup": lambda s: backup.write_backup(s.get_bind().engine, tmp / "b.zip"),
        "auto_backup": lambda s: backup.auto_backup(s.get_bind().engine, tmp),
        "restore": restore,
    }


WRITE_NAMES = list(_writes(Path()).keys())


@pytest.fixture(scope="module")
def shared_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One database for all the refused writes (they must leave it unchanged): the sample,
    an admin and a viewer."""
    engine = db.create_engine_for(f"sqlite:///{tmp_path_factory.mktemp('shared') / 't.db'}")
    schema.upgrade(engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
        with db.session_scope(engine) as s:
            load_sample(s)
            make_users(s, admin1="admin", donor="viewer")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("write", WRITE_NAMES)
def test_tracker_itself_refuses_a_viewer_every_write(shared_instance, tmp_path, write) -> None:
    (tmp_path / "template.csv").write_text("id,recommendation\n", encoding="utf-8")
    with db.session_scope(shared_instance) as s:
        before = queries.stats(s), audit_dump(s)
    s = db.session_factory(shared_instance)()
    try:
        with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied) as exc:
            _writes(tmp_path)[write](s)
    finally:
        s.rollback()
        s.close()
    assert "donor is a viewer" in str(exc.value)
    with db.session_scope(shared_instance) as s:
        assert (queries.stats(s), audit_dump(s)) == before
    assert not list(tmp_path.glob("*.zip"))


def test_nobody_logged_in_is_told_to_log_in(sample_session) -> None:
    with auth.acting_as(auth.anonymous()), pytest.raises(auth.PermissionDenied) as exc:
        add_assessment(
            sample_session, 1, status="not_implemented", assessed_on="2025-01-01", source_org="X"
        )
    assert "log in to adding an assessment" in str(exc.value)


def test_an_editor_may_assess_but_not_manage_accounts(sample_session) -> None:
    make_users(sample_session, boss="admin", ed="editor")
    with auth.acting_as("ed", "editor"):
        add_assessment(
            sample_session,
            first_rec(sample_session),
            status="not_implemented",
            assessed_on="2025-01-01",
            source_org="Coalition",
        )
        with pytest.raises(auth.PermissionDenied, match="adding an account needs the admin role"):
            auth.create_user(sample_session, "friend", PASSWORD, "editor")


# --- accounts --------------------------------------------------------------------------------
def test_passwords_are_stored_as_argon2id_hashes_only(session) -> None:
    make_users(session, alice="admin")
    stored = session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_the_first_account_must_be_an_admin(session) -> None:
    with pytest.raises(auth.AccountError, match="first account must be an admin") as exc:
        auth.create_user(session, "donor", PASSWORD, "viewer")
    assert exc.value.field == "role"


def test_usernames_are_case_insensitive_and_checked(session) -> None:
    make_users(session, Alice="admin")
    assert [u.username for u in auth.list_users(session)] == ["alice"]
    with pytest.raises(auth.AccountError, match="an account 'alice' already exists"):
        auth.create_user(session, "ALICE", PASSWORD, "editor")
    with pytest.raises(auth.AccountError, match="username: 'bad name' is not allowed") as exc:
        auth.create_user(session, "bad name", PASSWORD, "editor")
    assert exc.value.field == "username"
    with pytest.raises(auth.AccountError, match="password: at least 8 characters"):
        auth.create_user(session, "bob", "short", "editor")
    with pytest.raises(auth.AccountError, match="role: 'owner' is not one of viewer, editor"):
        auth.create_user(session, "bob", PASSWORD, "owner")
    assert auth.authenticate(session, "ALICE", PASSWORD).ok


def test_the_last_admin_stays_while_others_exist(session) -> None:
    make_users(session, alice="admin", bob="editor")
    with pytest.raises(auth.AccountError, match="'alice' is the last admin"):
        auth.remove_user(session, "alice")
    with pytest.raises(auth.AccountError, match="'alice' is the last admin"):
        auth.set_role(session, "alice", "editor")
    auth.set_role(session, "bob", "admin")
    auth.set_role(session, "alice", "viewer")
    assert {u.username: u.role for u in auth.list_users(session)} == {
        "alice": "viewer",
        "bob": "admin",
    }


def test_removing_every_account_returns_to_local_mode(session) -> None:
    make_users(session, alice="admin")
    auth.remove_user(session, "alice")
    session.commit()
    assert not auth.accounts_exist(session)


def test_account_changes_are_audited_with_before_and_after_but_no_password(session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    make_users(session, alice="admin", bob="editor")
    auth.set_role(session, "bob", "viewer")
    auth.set_password(session, "bob", "a brand new secret")
    auth.authenticate(session, "bob", "a wrong secret guess")
    auth.remove_user(session, "bob")
    session.commit()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [
        "user.add",
        "user.add",
        "user.set_role",
        "user.set_password",
        "user.remove",
    ]
    role_change = events[2]
    assert (role_change.before, role_change.after) == ({"role": "editor"}, {"role": "viewer"})
    assert events[4].before == {"username": "bob", "role": "viewer"}
    dump = audit_dump(session) + caplog.text
    for secret in (PASSWORD, "a brand new secret", "a wrong secret guess", "$argon2"):
        assert secret not in dump


# --- login -----------------------------------------------------------------------------------
def test_login_accepts_the_right_password_only(session) -> None:
    make_users(session, alice="admin", bob="editor")
    ok = auth.authenticate(session, "bob", PASSWORD)
    assert ok.actor == auth.Actor("bob", auth.Role.EDITOR)
    wrong = auth.authenticate(session, "bob", "not the password")
    unknown = auth.authenticate(session, "nobody", PASSWORD)
    assert not wrong.ok
    assert not unknown.ok
    assert wrong.message == unknown.message == "Wrong username or password."


def test_five_failed_logins_lock_the_account_for_fifteen_minutes(session) -> None:
    make_users(session, alice="admin", bob="editor")
    now = utcnow()
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        assert auth.authenticate(session, "bob", "guess", now=now).message.startswith("Wrong")
    last = auth.authenticate(session, "bob", "guess", now=now)
    session.commit()
    assert "locked until" in last.message
    # Even the right password is refused while locked ...
    refused = auth.authenticate(session, "bob", PASSWORD, now=now + dt.timedelta(minutes=14))
    assert not refused.ok
    assert "locked until" in refused.message
    # ... and accepted once the lock has passed.
    assert auth.authenticate(session, "bob", PASSWORD, now=now + dt.timedelta(minutes=16)).ok
    lockout = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.lockout"))
    assert lockout is not None
    assert lockout.actor == "bob"


def test_an_admin_can_unlock_a_locked_account(session) -> None:
    make_users(session, alice="admin", bob="editor")
    for _ in range(auth.MAX_FAILED_LOGINS):
        auth.authenticate(session, "bob", "guess")
    assert not auth.authenticate(session, "bob", PASSWORD).ok
    auth.unlock(session, "bob")
    assert auth.authenticate(session, "bob", PASSWORD).ok


def test_every_failed_login_is_slowed_down(session, monkeypatch) -> None:
    make_users(session, alice="admin")
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.2)
    for name in ("alice", "nobody"):
        started = time.monotonic()
        assert not auth.authenticate(session, name, "wrong password").ok
        assert time.monotonic() - started >= 0.2


# --- remembered logins -----------------------------------------------------------------------
def test_a_remembered_login_ends_with_logout_new_password_removal_or_idle_time(session) -> None:
    make_users(session, alice="admin", bob="editor")
    token = auth.issue_token(session, "bob", now=1_000_000.0)
    assert auth.verify_token(session, token, now=1_000_010.0) == auth.Actor("bob", auth.Role.EDITOR)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert auth.verify_token(session, tampered, now=1_000_010.0) is None
    forged_payload = (
        auth_tokens._b64(b'{"u":"alice","i":1000000000,"f":"0"}') + token[token.index(".") :]
    )
    assert auth.verify_token(session, forged_payload, now=1_000_010.0) is None
    hours = auth.session_hours()
    assert auth.verify_token(session, token, now=1_000_000.0 + hours * 3600 + 5) is None
    auth.end_remembered_logins(session, "bob", now=1_000_020.0)
    assert auth.verify_token(session, token, now=1_000_030.0) is None
    fresh = auth.issue_token(session, "bob", now=1_000_040.0)
    assert auth.verify_token(session, fresh, now=1_000_050.0) is not None
    auth.set_password(session, "bob", "a changed password")
    assert auth.verify_token(session, fresh, now=1_000_050.0) is None
    other = auth.issue_token(session, "alice", now=1_000_060.0)
    auth.set_role(session, "bob", "admin")
    auth.set_role(session, "alice", "viewer")  # the role is read at every check
    assert auth.verify_token(session, other, now=1_000_070.0) == auth.Actor(
        "alice", auth.Role.VIEWER
    )
    auth.remove_user(session, "alice")
    assert auth.verify_token(session, other, now=1_000_070.0) is None


# --- the command line ------------------------------------------------------------------------
def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_commands_take_the_password_from_the_environment_and_never_print_it(
    db_url, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(settings.PASSWORD.name, PASSWORD)
    code, out, err = run(capsys, "users", "add", "viewer1", "--role", "viewer")
    assert code == 1
    assert "the first account must be an admin" in err
    assert run(capsys, "users", "add", "Coordinator", "--role", "admin")[0] == 0
    assert run(capsys, "users", "add", "donor", "--role", "viewer")[0] == 0
    code, out, _ = run(capsys, "users", "list")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["coordinator", "admin"],
        ["donor", "viewer"],
    ]
    assert run(capsys, "users", "set-role", "donor", "editor")[0] == 0
    monkeypatch.delenv(settings.PASSWORD.name)
    monkeypatch.setattr("sys.stdin", io.StringIO("piped in password\n"))
    code, out, _ = run(capsys, "users", "set-password", "donor")
    assert code == 0
    assert "Password changed for donor" in out
    code, out, err = run(capsys, "users", "remove", "nobody")
    assert code == 1
    assert "there is no account 'nobody'" in err
    assert run(capsys, "users", "remove", "donor")[0] == 0
    with db.session_scope(db.get_engine(db_url)) as s:
        assert auth.authenticate(s, "coordinator", PASSWORD).ok
        dump = audit_dump(s)
    everything = dump + out + err
    assert PASSWORD not in everything
    assert "piped in password" not in everything


def test_removing_the_last_account_says_local_mode_again(db_url, capsys, monkeypatch) -> None:
    monkeypatch.setenv(settings.PASSWORD.name, PASSWORD)
    run(capsys, "users", "add", "solo", "--role", "admin")
    code, out, _ = run(capsys, "users", "remove", "solo")
    assert code == 0
    assert "local single-user mode" in out
    assert "local single-user mode" in run(capsys, "users", "list")[1]


def test_the_audit_trail_names_the_cli_user(db_url, capsys, monkeypatch) -> None:
    monkeypatch.setenv(settings.PASSWORD.name, PASSWORD)
    monkeypatch.setenv(settings.ACTOR.name, "it-volunteer")
    run(capsys, "users", "add", "coordinator", "--role", "admin")
    with db.session_scope(db.get_engine(db_url)) as s:
        assert audit.activity_frame(s)["actor"].tolist() == ["it-volunteer"]
