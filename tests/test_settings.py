"""Every UPR_TRACKER_* variable is read through one table (tracker.settings), and the README
documents exactly that table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker import settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_configuration_table_is_the_settings_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.markdown_table() in readme


def test_only_the_settings_module_reads_the_variables() -> None:
    """A variable name appears in code only in tracker/settings.py (docstrings and comments
    may mention it): no module reads os.environ for it on its own."""
    readers = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        if path.name == "settings.py" or "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""["']UPR_TRACKER_\w+["']""", line):
                readers.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert readers == []


def test_the_names_and_defaults_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names are a contract with deployments (new ones may be added, none removed or
    renamed); unset variables give the old defaults."""
    names = [s.name for s in settings.SETTINGS]
    kept = [
        "UPR_TRACKER_DATABASE_URL",
        "UPR_TRACKER_LANG",
        "UPR_TRACKER_ACTOR",
        "UPR_TRACKER_ORG",
        "UPR_TRACKER_PASSWORD",
        "UPR_TRACKER_SESSION_HOURS",
        "UPR_TRACKER_PUBLIC_READONLY",
        "UPR_TRACKER_SECRET_KEY",
        "UPR_TRACKER_BACKUP_DIR",
        "UPR_TRACKER_BACKUP_KEEP",
        "UPR_TRACKER_CHROMIUM",
        "UPR_TRACKER_FOOTNOTES_COUNTED",
    ]
    assert [n for n in names if n in kept] == kept
    for s in settings.SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    got = {s.name: settings.value(s) for s in settings.SETTINGS}
    assert got == {
        "UPR_TRACKER_DATABASE_URL": f"sqlite:///{ROOT / 'data' / 'tracker.db'}",
        "UPR_TRACKER_LANG": None,
        "UPR_TRACKER_MIN_TRANSLATED": 95.0,
        "UPR_TRACKER_ACTOR": None,
        "UPR_TRACKER_ORG": None,
        "UPR_TRACKER_PASSWORD": None,
        "UPR_TRACKER_SESSION_HOURS": 8.0,
        "UPR_TRACKER_PUBLIC_READONLY": False,
        "UPR_TRACKER_SECRET_KEY": None,
        "UPR_TRACKER_BACKUP_DIR": ROOT / "backups",
        "UPR_TRACKER_BACKUP_KEEP": 10,
        "UPR_TRACKER_CHROMIUM": None,
        "UPR_TRACKER_SECRET_KEY_FILE": None,
        "UPR_TRACKER_RESTORE_MAX_BYTES": 4 * 1024**3,
        "UPR_TRACKER_MAX_UPLOAD_MB": 50.0,
        "UPR_TRACKER_MAX_ROWS": 500_000,
        "UPR_TRACKER_MAX_CELL_CHARS": 20_000,
        "UPR_TRACKER_FOOTNOTES_COUNTED": False,
    }


@pytest.mark.parametrize(
    ("setting", "raw", "expected"),
    [
        (settings.SESSION_HOURS, "2.5", 2.5),
        (settings.SESSION_HOURS, "-1", 8.0),  # a typo must not end or freeze every login
        (settings.SESSION_HOURS, "soon", 8.0),
        (settings.PUBLIC_READONLY, " Yes ", True),
        (settings.PUBLIC_READONLY, "0", False),
        (settings.ORGANISATION, "  Env \n  Org ", "Env Org"),
        (settings.SECRET_KEY, "  ", None),
        (settings.DATABASE_URL, " postgresql+psycopg://u@h/upr ", "postgresql+psycopg://u@h/upr"),
    ],
)
def test_values_are_parsed_as_before(
    monkeypatch: pytest.MonkeyPatch, setting: settings.Setting, raw: str, expected: object
) -> None:
    monkeypatch.setenv(setting.name, raw)
    assert settings.value(setting) == expected
