"""The commands the app, the CLI and the README tell people to type work as written: typed in
the project folder in a fresh shell (no virtualenv activated, nothing on PYTHONPATH)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT_ROOT
from tracker import auth, db
from tracker.hints import CLI_COMMAND, cli_command
from tracker.queries import has_sample

SAMPLE_REMOVE = cli_command("sample remove")
ADD_ADMIN = cli_command("users add NAME --role admin")
INSTALLED = PROJECT_ROOT / CLI_COMMAND


def fresh_shell(command: str, db_url: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    """``command`` run by ``sh -c`` in the project folder with a bare environment: what a
    person gets by opening a terminal there and pasting the hint (the database URL aside,
    which keeps the test away from the project's own database)."""
    assert INSTALLED.exists(), (
        f"{CLI_COMMAND} is missing: `make run` and `make test` install it "
        "(`make .venv/bin/tracker` alone)"
    )
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "UPR_TRACKER_DATABASE_URL": db_url,
        **env,
    }
    return subprocess.run(
        ["sh", "-c", command],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_sample_banners_command_removes_the_sample_from_a_fresh_shell(
    sample_url: str, tmp_path: Path
) -> None:
    done = fresh_shell(SAMPLE_REMOVE, sample_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Removed the sample" in done.stdout
    with db.session_scope(db.get_engine(sample_url)) as s:
        assert not has_sample(s)


def test_the_local_mode_command_adds_an_admin_from_a_fresh_shell(
    sample_url: str, tmp_path: Path
) -> None:
    command = ADD_ADMIN.replace("NAME", "coordinator")
    done = fresh_shell(command, sample_url, tmp_path, UPR_TRACKER_PASSWORD="a long enough password")
    assert done.returncode == 0, done.stderr
    with db.session_scope(db.get_engine(sample_url)) as s:
        assert [(u.username, u.role) for u in auth.list_users(s)] == [("coordinator", "admin")]


def test_the_command_works_from_another_folder_and_ignores_a_local_tracker_folder(
    sample_url: str, tmp_path: Path
) -> None:
    # A folder named "tracker" where the command is typed must not be run instead.
    (tmp_path / "tracker").mkdir()
    (tmp_path / "tracker" / "__main__.py").write_text("raise SystemExit('the wrong tracker')\n")
    done = subprocess.run(
        ["sh", "-c", f"cd {tmp_path} && {INSTALLED} stats --json"],
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "UPR_TRACKER_DATABASE_URL": sample_url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"recommendations": 30' in done.stdout


def test_the_app_shows_the_same_commands(sample_url: str) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any(f"`{SAMPLE_REMOVE}`" in w.value for w in at.warning)  # the sample banner
    assert any(f"`{ADD_ADMIN}`" in i.value for i in at.sidebar.info)  # local single-user mode
    texts = [w.value for w in at.warning] + [i.value for i in at.sidebar.info]
    assert not any("python -m tracker" in t for t in texts)


def test_the_readme_and_the_cli_usage_spell_the_command_the_same_way(tmp_path: Path) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert SAMPLE_REMOVE in readme
    assert cli_command("users add coordinator --role admin") in readme
    assert "python -m tracker sample remove" not in readme
    done = fresh_shell(f"{CLI_COMMAND} --help", f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {CLI_COMMAND} ")
