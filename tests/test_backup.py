"""Backups and restores: the portable format, its checks, automatic backups, the commands."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker import audit, auth, backup, db, queries, settings
from tracker.assessments import add_assessment, retract_assessment
from tracker.cli import main
from tracker.models import Assessment, AuditEvent, Recommendation, User
from tracker.sample import remove_sample

pytestmark = pytest.mark.usefixtures("fast_hashing")


def history(session) -> list[tuple]:
    """Everything a person would compare: assessments, current statuses, accounts."""
    return [
        session.execute(
            select(
                Assessment.id,
                Assessment.recommendation_id,
                Assessment.status,
                Assessment.assessed_on,
                Assessment.source_org,
                Assessment.evidence,
                Assessment.retracts_id,
                Assessment.created_at,
                Assessment.is_sample,
            ).order_by(Assessment.id)
        ).all(),
        session.execute(
            select(
                Recommendation.id, Recommendation.current_assessment_id, Recommendation.version
            ).order_by(Recommendation.id)
        ).all(),
        session.execute(select(User.username, User.role, User.password_hash)).all(),
    ]


@pytest.fixture
def worked_url(sample_url: str) -> str:
    """The sample plus what a coalition adds: accounts, an assessment and a retraction."""
    with db.session_scope(db.get_engine(sample_url)) as s:
        auth.create_user(s, "coordinator", "a long password", "admin")
        rid = s.scalar(select(func.min(Recommendation.id)))
        a = add_assessment(
            s,
            rid,
            status="fully_implemented",
            assessed_on="2025-05-05",
            source_org="Coalition <b>&</b> 'friends'",
            evidence="Law adopted; 100% of _regions_ covered\nsecond line",
        )
        retract_assessment(s, a.id, reason="premature")
    return sample_url


def test_a_restore_brings_back_exactly_what_was_backed_up(worked_url, tmp_path) -> None:
    engine = db.get_engine(worked_url)
    with db.session_scope(engine) as s:
        figures, before, version = queries.stats(s), history(s), audit.data_version(s)
    info = backup.write_backup(engine, tmp_path / "b.zip")
    assert info.stats == figures
    with db.session_scope(engine) as s:  # the data moves on after the backup
        remove_sample(s)
        auth.create_user(s, "later", "a long password", "editor")
    backup.restore(engine, tmp_path / "b.zip")
    with db.session_scope(engine) as s:
        assert queries.stats(s) == figures
        assert history(s) == before
        assert audit.data_version(s) > version  # every open page reloads
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None
        assert last.action == "database.restore"
        assert "b.zip" in (last.summary or "")
        # the replaced data was saved first, so the restore itself can be undone
        assert Path(last.after["replaced_data_backup"]).is_file()
        # new rows get new ids after the restored ones
        rid = s.scalar(select(func.min(Recommendation.id)))
        fresh = add_assessment(
            s, rid, status="no_information", assessed_on="2025-06-06", source_org="After"
        )
        assert fresh.id > max(row[0] for row in before[0])


def test_a_backup_is_a_zip_of_json_lines_with_a_checked_manifest(worked_url, tmp_path) -> None:
    info = backup.write_backup(db.get_engine(worked_url), tmp_path)  # a folder: a named file
    assert info.path.parent == tmp_path
    assert info.path.name.startswith("upr-tracker-")
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600  # holds password hashes
    with zipfile.ZipFile(info.path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "upr-tracker-backup"
        assert manifest["schema_revision"]
        assert manifest["source_dialect"] == "sqlite"
        entries = {e["name"]: e for e in manifest["tables"]}
        rec = entries["recommendation"]
        data = zf.read(rec["file"])
        assert hashlib.sha256(data).hexdigest() == rec["sha256"]
        rows = [json.loads(line) for line in data.decode().splitlines()]
        assert len(rows) == rec["rows"] == 30
        assessments = [json.loads(x) for x in zf.read("tables/assessment.jsonl").splitlines()]
    evidence = [a for a in assessments if a["evidence"] and "100%" in a["evidence"]]
    assert evidence[0]["evidence"] == "Law adopted; 100% of _regions_ covered\nsecond line"
    assert evidence[0]["assessed_on"] == "2025-05-05"
    assert isinstance(evidence[0]["is_sample"], bool)


def _rewrite(path: Path, name: str, data: bytes, *, fix_manifest: bool) -> None:
    """Replace one member of a backup (optionally keeping the manifest consistent)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = data
    if fix_manifest:
        manifest = json.loads(members["manifest.json"])
        for e in manifest["tables"]:
            if e["file"] == name:
                e["sha256"] = hashlib.sha256(data).hexdigest()
                e["rows"] = len(data.splitlines())
        members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def test_damaged_or_foreign_files_are_refused_and_nothing_changes(worked_url, tmp_path) -> None:
    engine = db.get_engine(worked_url)
    good = backup.write_backup(engine, tmp_path / "good.zip").path
    with db.session_scope(engine) as s:
        before = queries.stats(s), history(s)

    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(good.read_bytes())
    _rewrite(damaged, "tables/assessment.jsonl", b'{"id": 1}\n', fix_manifest=False)
    (tmp_path / "text.zip").write_text("not a zip")
    no_manifest = tmp_path / "no_manifest.zip"
    with zipfile.ZipFile(no_manifest, "w") as zf:
        zf.writestr("tables/state.jsonl", "")
    newer = tmp_path / "newer.zip"
    newer.write_bytes(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    manifest["schema_revision"] = "9999_from_the_future"
    _rewrite(newer, "manifest.json", json.dumps(manifest).encode(), fix_manifest=False)
    too_long = tmp_path / "too_long.zip"
    too_long.write_bytes(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        recs = [json.loads(x) for x in zf.read("tables/recommendation.jsonl").splitlines()]
    recs[-1]["paragraph"] = "1" * 25
    _rewrite(
        too_long,
        "tables/recommendation.jsonl",
        "".join(json.dumps(r) + "\n" for r in recs).encode(),
        fix_manifest=True,
    )

    expected = {
        "damaged.zip": "tables/assessment.jsonl is damaged (its sha256 does not match",
        "text.zip": "not a UPR Tracker backup (not a zip file)",
        "no_manifest.zip": "not a UPR Tracker backup (manifest.json is missing)",
        "newer.zip": "schema_revision '9999_from_the_future' is unknown",
        "too_long.zip": "row 30: paragraph has 25 characters; at most 20 fit",
        "missing.zip": "there is no such file",
    }
    for name, message in expected.items():
        with pytest.raises(
            backup.BackupError, match=message.replace("(", r"\(").replace(")", r"\)")
        ):
            backup.restore(engine, tmp_path / name)
        with db.session_scope(engine) as s:
            assert (queries.stats(s), history(s)) == before, name


def test_restoring_a_backup_without_accounts_keeps_the_servers_accounts(
    sample_url, tmp_path, monkeypatch
) -> None:
    laptop = db.get_engine(sample_url)
    file = backup.write_backup(laptop, tmp_path / "laptop.zip").path  # no accounts there
    server_url = f"sqlite:///{tmp_path / 'server.db'}"
    from tracker import schema

    server = db.get_engine(server_url)
    schema.upgrade(server)
    with db.session_scope(server) as s:
        auth.create_user(s, "coordinator", "a long password", "admin")
    backup.restore(server, file)
    with db.session_scope(server) as s:
        assert [u.username for u in auth.list_users(s)] == ["coordinator"]
        assert queries.stats(s)["recommendations"] == 30
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None
        assert "accounts kept" in (last.summary or "")


def test_automatic_backups_keep_the_newest_n_and_never_touch_manual_ones(
    sample_url, tmp_path, monkeypatch
) -> None:
    engine = db.get_engine(sample_url)
    folder = tmp_path / "auto"
    folder.mkdir()
    (folder / "before-the-move.zip").write_bytes(b"kept by hand")
    monkeypatch.setenv(settings.BACKUP_DIR.name, str(folder))
    monkeypatch.setenv(settings.BACKUP_KEEP.name, "2")
    made = [backup.auto_backup(engine) for _ in range(4)]
    assert all(p is not None for p in made)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["before-the-move.zip", made[2].name, made[3].name]
    )
    monkeypatch.setenv(settings.BACKUP_KEEP.name, "none")
    with pytest.raises(backup.BackupError, match="UPR_TRACKER_BACKUP_KEEP: 'none' is not a"):
        backup.auto_backup(engine)


def test_an_empty_database_needs_no_automatic_backup(engine, tmp_path) -> None:
    assert backup.auto_backup(engine, tmp_path / "auto") is None
    assert not (tmp_path / "auto").exists()


def test_every_import_is_preceded_by_an_automatic_backup(sample_url, tmp_path, monkeypatch) -> None:
    from tracker import template_format
    from tracker.importers import import_files

    engine = db.get_engine(sample_url)
    folder = tmp_path / "auto"
    monkeypatch.setenv(settings.BACKUP_DIR.name, str(folder))
    export = tmp_path / "export.csv"
    with db.session_scope(engine) as s:
        template_format.export(s, export)
        figures = queries.stats(s)
        remove_sample(s)
    with db.session_scope(engine) as s:
        report = import_files(s, [export])
        assert report.written
    made = list(folder.glob("auto-*.zip"))
    assert len(made) == 1
    assert backup.read_backup(made[0]).stats["recommendations"] == 0
    assert figures["recommendations"] == 30


# --- the commands ----------------------------------------------------------------------------
def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_backup_and_restore_commands(worked_url, tmp_path, capsys, monkeypatch) -> None:
    target = tmp_path / "coalition.zip"
    code, out, _ = run(capsys, "stats", "--json")
    figures = json.loads(out)
    code, out, _ = run(capsys, "backup", str(target))
    assert code == 0
    assert f"Wrote {target}: 30 recommendations" in out
    code, _, err = run(capsys, "backup", str(target))
    assert code == 1
    assert "already exists" in err
    run(capsys, "sample", "remove")
    removed = json.loads(run(capsys, "stats", "--json")[1])
    assert removed != figures

    # At a terminal, restore asks; anything but "yes" changes nothing.
    monkeypatch.setattr("sys.stdin", _Tty("no\n"))
    code, out, err = run(capsys, "restore", str(target))
    assert code == 1
    assert "This replaces ALL data" in err
    assert "Nothing was changed." in out
    assert json.loads(run(capsys, "stats", "--json")[1]) == removed

    monkeypatch.setattr("sys.stdin", _Tty("yes\n"))
    code, out, _ = run(capsys, "restore", str(target))
    assert code == 0
    assert json.loads(run(capsys, "stats", "--json")[1]) == figures

    # In a script (no terminal) it does not ask.
    run(capsys, "sample", "remove")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, _ = run(capsys, "restore", str(target))
    assert code == 0
    assert json.loads(run(capsys, "stats", "--json")[1]) == figures

    code, _, err = run(capsys, "restore", str(tmp_path / "nothing.zip"))
    assert code == 1
    assert "there is no such file" in err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


# Columns migration 0004 added: derived from the assessments, absent from older backups.
DERIVED_0004 = {
    "recommendation": {"current_status", "current_assessed_on", "regressed_from_id", "contested"},
    "assessment": {"previous_status"},
}


def _as_made_before_0004(source: Path, target: Path) -> None:
    """``source`` rewritten as a backup made before migration 0004 would be: without the
    derived columns, at revision 0003, checksums recomputed."""
    with zipfile.ZipFile(source) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        files = {name: zin.read(name) for name in zin.namelist() if name != "manifest.json"}
    manifest["schema_revision"] = "0003"
    for entry in manifest["tables"]:
        drop = DERIVED_0004.get(entry["name"])
        if not drop:
            continue
        rows = [json.loads(line) for line in files[entry["file"]].decode().splitlines() if line]
        data = "".join(
            json.dumps({k: v for k, v in row.items() if k not in drop}) + "\n" for row in rows
        ).encode()
        files[entry["file"]] = data
        entry["columns"] = [c for c in entry["columns"] if c not in drop]
        entry["sha256"] = hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(target, "w") as zout:
        zout.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            zout.writestr(name, data)


def test_a_backup_made_before_the_derived_columns_restores_them(worked_url, tmp_path) -> None:
    """The current status, flags and previous statuses are recomputed on restore."""
    engine = db.get_engine(worked_url)
    derived = (
        select(
            Recommendation.id,
            Recommendation.current_status,
            Recommendation.current_assessed_on,
            Recommendation.regressed_from_id,
            Recommendation.contested,
        ).order_by(Recommendation.id),
        select(Assessment.id, Assessment.previous_status).order_by(Assessment.id),
    )
    with db.session_scope(engine) as s:
        figures = queries.stats(s)
        expected = [s.execute(q).all() for q in derived]
    assert any(row[1] for row in expected[0])
    assert any(row[1] for row in expected[1])
    backup.write_backup(engine, tmp_path / "now.zip")
    _as_made_before_0004(tmp_path / "now.zip", tmp_path / "old.zip")
    with db.session_scope(engine) as s:  # the derived columns emptied, to be sure
        s.execute(Recommendation.__table__.update().values(current_status=None, contested=False))
        s.execute(Assessment.__table__.update().values(previous_status=None))
    backup.restore(engine, tmp_path / "old.zip")
    with db.session_scope(engine) as s:
        assert queries.stats(s) == figures
        assert [s.execute(q).all() for q in derived] == expected
