"""Login, logout, session expiry, local and public read-only modes, and the Users page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tracker import auth, db, settings, ui
from tracker.models import AuditEvent

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def accounts(sample_url: str) -> str:
    """The sample with an admin, an editor and a viewer."""
    with db.session_scope(db.get_engine(sample_url)) as s:
        for name, role in (("coordinator", "admin"), ("editor1", "editor"), ("donor", "viewer")):
            auth.create_user(s, name, PASSWORD, role)
    return sample_url


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30)


def logged_in(url: str, username: str, page: str | None = None) -> AppTest:
    """An app whose browser session has already logged in as ``username``."""
    with db.session_scope(db.get_engine(url)) as s:
        token = auth.issue_token(s, username)
    at = app()
    at.session_state[ui.LOGIN_KEY] = {
        "token": token,
        "issued": time.time(),
        "last_seen": time.time(),
    }
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    password_field(at).input(password)
    return button(at, "Log in").click().run()


def password_field(at: AppTest):
    return next(w for w in at.text_input if w.label == "Password")


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_without_accounts_the_app_opens_and_says_local_mode(sample_url) -> None:
    at = app().run()
    assert not at.exception
    assert metrics(at)["Recommendations"] == "30"
    assert any("Local single-user mode" in i.value for i in at.sidebar.info)


def test_with_accounts_nothing_is_shown_before_login(accounts) -> None:
    at = app().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Log in"]
    assert not at.metric
    assert not at.get("plotly_chart")
    assert password_field(at).proto.type == 1  # PASSWORD: typed without echo
    at.switch_page("pages/explorer_page.py").run()
    assert [t.value for t in at.title] == ["Log in"]


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_app(accounts) -> None:
    at = log_in(app().run(), "editor1", "not my password")
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert password_field(at).value == ""  # typed afresh
    assert at.text_input(key="login_username").value == "editor1"
    assert not at.metric
    at = log_in(at, "Editor1", PASSWORD)
    assert not at.exception
    assert metrics(at)["Recommendations"] == "30"
    assert any("Logged in as **editor1** (editor)" in c.value for c in at.sidebar.caption)


def test_logout_returns_to_the_login_form(accounts) -> None:
    at = logged_in(accounts, "editor1")
    assert metrics(at)
    at.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["Log in"]
    assert not at.metric


def test_a_session_idle_too_long_must_log_in_again(accounts, monkeypatch) -> None:
    monkeypatch.setenv(settings.SESSION_HOURS.name, "2")
    at = logged_in(accounts, "editor1")
    assert metrics(at)
    at.session_state[ui.LOGIN_KEY]["last_seen"] = time.time() - 2 * 3600 - 60
    at.run()
    assert [t.value for t in at.title] == ["Log in"]
    assert any("ended after 2 hours without activity" in i.value for i in at.info)


def test_repeated_failures_lock_the_account_in_the_form(accounts) -> None:
    at = app().run()
    for _ in range(auth.MAX_FAILED_LOGINS):
        at = log_in(at, "editor1", "guess")
    assert "locked until" in at.error[0].value
    at = log_in(at, "editor1", PASSWORD)
    assert "locked until" in at.error[0].value
    assert not at.metric


def test_public_read_only_mode_shows_data_without_login_as_a_viewer(accounts, monkeypatch) -> None:
    monkeypatch.setenv(settings.PUBLIC_READONLY.name, "1")
    at = app().run()
    assert not at.exception
    assert metrics(at)["Recommendations"] == "30"
    at.switch_page("pages/users_page.py").run()
    assert any("needs the admin role" in i.value for i in at.info)
    assert "ua_name" not in [w.key for w in at.text_input]  # no account form
    assert any("Log in to edit" in e.label for e in at.sidebar.expander)


def test_a_viewer_reaches_neither_the_users_nor_the_activity_page(accounts) -> None:
    at = logged_in(accounts, "donor", "pages/users_page.py")
    assert any("Managing accounts needs the admin role" in i.value for i in at.info)
    assert not at.get("form")
    at.switch_page("pages/activity_page.py").run()
    assert any("The activity log needs the editor role" in i.value for i in at.info)
    assert not at.dataframe


def test_an_admin_adds_an_account_on_the_users_page(accounts) -> None:
    at = logged_in(accounts, "coordinator", "pages/users_page.py")
    assert not at.exception
    at.text_input(key="ua_name").input("Field.Worker")
    at.selectbox(key="ua_role").select("editor")
    at.text_input(key="ua_pw").input(PASSWORD)
    at.text_input(key="ua_pw2").input(PASSWORD)
    button(at, "Add the account").click().run()
    assert not at.exception
    assert any("Added field.worker" in s.value.replace("\\", "") for s in at.success)
    table = at.dataframe[0].value
    assert "field.worker" in table["username"].tolist()
    with db.session_scope(db.get_engine(accounts)) as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert (event.actor, event.action) == ("coordinator", "user.add")


def test_the_users_page_explains_a_refused_change(accounts) -> None:
    at = logged_in(accounts, "coordinator", "pages/users_page.py")
    at.text_input(key="ua_name").input("shorty")
    at.text_input(key="ua_pw").input("short")
    at.text_input(key="ua_pw2").input("short")
    button(at, "Add the account").click().run()
    assert [e.value for e in at.error] == ["password: at least 8 characters are needed"]


def test_a_role_taken_away_applies_at_the_next_click(accounts) -> None:
    at = logged_in(accounts, "editor1", "pages/activity_page.py")
    assert at.dataframe
    with db.session_scope(db.get_engine(accounts)) as s:
        auth.set_role(s, "editor1", "viewer")
    at.run()
    assert any("needs the editor role" in i.value for i in at.info)


@pytest.fixture
def visitor_named_accounts(accounts: str) -> str:
    """Accounts that happen to carry the names the app gives visitors who have not logged
    in ("anonymous" on the login form, "public" in public read-only mode), with a language."""
    with db.session_scope(db.get_engine(accounts)) as s, auth.acting_as("coordinator", "admin"):
        auth.create_user(s, "anonymous", PASSWORD, "viewer", language="en")
        auth.create_user(s, "public", PASSWORD, "viewer", language="fr")
    return accounts


def stored_languages(url: str) -> dict[str, str | None]:
    with db.session_scope(db.get_engine(url)) as s:
        return {name: auth.user_language(s, name) for name in ("anonymous", "public")}


@pytest.mark.parametrize("public", [False, True], ids=["login-form", "public-read-only"])
def test_a_visitor_switching_language_changes_only_the_browser(
    visitor_named_accounts: str, monkeypatch: pytest.MonkeyPatch, public: bool
) -> None:
    if public:
        monkeypatch.setenv(settings.PUBLIC_READONLY.name, "1")
    at = app().run()
    # Not the language of the account called "public": a visitor has no account.
    assert at.title[0].value == ("Overview" if public else "Log in")
    at.segmented_control(key="lang_switch").set_value("ru").run()
    assert not at.exception
    assert at.title[0].value == ("Обзор" if public else "Войти")
    assert at.query_params["lang"] in ("ru", ["ru"])
    assert stored_languages(visitor_named_accounts) == {"anonymous": "en", "public": "fr"}
