"""Hardening of issue #13: no login forged from a backup (3), private files (4), lockout
without enumeration or denial of service (6), failed logins that hold up no writer (7) and
restores that check what they read (11)."""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.importer_support import UPR_INFO_HEADER, csv_bytes, upr_row, write
from tracker import auth, auth_tokens, backup, backup_read, db, queries, schema
from tracker.assessments import add_assessment
from tracker.cli import main
from tracker.models import Meta, Recommendation, utcnow
from tracker.sample import load_sample

PASSWORD = "correct horse battery"
ATTACKER = "203.0.113.9"  # documentation addresses (RFC 5737)
ADMIN_DESK = "198.51.100.7"


@pytest.fixture(autouse=True)
def _fresh_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test reads its own key file (or none)."""
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    monkeypatch.delenv("UPR_TRACKER_SECRET_KEY_FILE", raising=False)
    auth.forget_secrets()
    yield
    auth.forget_secrets()


@pytest.fixture
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    monkeypatch.setattr(auth, "_dummy_hash", None)
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.0)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a login shell: new files would be world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def make_users(session: Session, **roles: str) -> None:
    for name, role in roles.items():
        auth.create_user(session, name, PASSWORD, role)
    session.commit()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _rewrite(path: Path, target: Path, changes: dict[str, bytes]) -> None:
    """``path`` with members replaced, the manifest's checksums and counts kept consistent
    (what a forger would do)."""
    members = _members(path)
    members.update(changes)
    manifest = json.loads(members["manifest.json"])
    for e in manifest["tables"]:
        data = members[e["file"]]
        e["sha256"] = hashlib.sha256(data).hexdigest()
        e["rows"] = len(data.splitlines())
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def _forge(secret: bytes, username: str, password_hash: str) -> str:
    payload = auth_tokens._b64(
        json.dumps(
            {
                "u": username,
                "i": int(time.time() * 1000),
                "f": auth_tokens._fingerprint(password_hash),
            },
            separators=(",", ":"),
        ).encode()
    )
    sig = auth_tokens._b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{sig}"


# --- 3. the signing secret is in no database and no backup ------------------------------------
@pytest.mark.usefixtures("_fast")
def test_a_backup_alone_cannot_forge_a_login(db_url, session, tmp_path) -> None:
    make_users(session, alice="admin")
    token = auth.issue_token(session, "alice")
    session.commit()
    assert auth.verify_token(session, token) is not None
    file = backup.write_backup(db.get_engine(db_url), tmp_path / "b.zip").path
    members = _members(file)
    meta = [json.loads(line) for line in members["tables/meta.jsonl"].splitlines()]
    assert "session_secret" not in {m["key"] for m in meta}
    alice = next(
        json.loads(line)
        for line in members["tables/app_user.jsonl"].splitlines()
        if json.loads(line)["username"] == "alice"
    )
    # Whatever the backup holds, nothing in it signs a login.
    for candidate in [m["value"] for m in meta] + [alice["password_hash"]]:
        forged = _forge(str(candidate).encode(), "alice", alice["password_hash"])
        assert auth.verify_token(session, forged) is None
    key_file = Path(str(db.get_engine(db_url).url.database) + ".key")
    assert key_file.exists()
    assert mode(key_file) == 0o600
    assert key_file.read_text().strip().encode() not in file.read_bytes()


@pytest.mark.usefixtures("_fast")
def test_the_secret_comes_from_the_environment_or_one_key_file(
    db_url, session, monkeypatch
) -> None:
    make_users(session, alice="admin")
    from_file = auth.issue_token(session, "alice")
    key_file = Path(str(db.get_engine(db_url).url.database) + ".key")
    secret = key_file.read_text().strip()
    auth.forget_secrets()  # a restart reads the same file: the login survives
    assert auth.verify_token(session, from_file) is not None
    assert _forge(secret.encode(), "alice", _hash(session, "alice")).count(".") == 1
    monkeypatch.setenv(auth.SECRET_ENV, "a secret set by the administrator")
    assert auth.verify_token(session, from_file) is None  # another secret signs now
    assert auth.verify_token(session, auth.issue_token(session, "alice")) is not None
    assert session.scalar(select(func.count()).where(Meta.key == "session_secret")) == 0


def _hash(session: Session, name: str) -> str:
    from tracker.models import User

    return session.scalar(select(User.password_hash).where(User.username == name)) or ""


def test_migration_0005_removes_a_stored_secret(tmp_path) -> None:
    engine = db.create_engine_for(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        cfg = schema._config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('session_secret', 'abc')"))
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('keep', '1')"))
        schema.upgrade(engine)
        with engine.connect() as conn:
            keys = set(conn.scalars(text("SELECT key FROM meta")))
        assert "session_secret" not in keys
        assert "keep" in keys
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()


@pytest.mark.usefixtures("_fast")
def test_a_restore_ends_every_login_and_brings_back_no_revoked_one(
    db_url, session, tmp_path
) -> None:
    engine = db.get_engine(db_url)
    make_users(session, alice="admin", bob="editor")
    now = time.time()
    revoked = auth.issue_token(session, "bob", now=now - 30)
    session.commit()
    file = backup.write_backup(engine, tmp_path / "before-logout.zip").path
    auth.end_remembered_logins(session, "bob", now=now - 20)  # e.g. a stolen laptop
    session.commit()
    assert auth.verify_token(session, revoked) is None
    live = auth.issue_token(session, "bob", now=now - 10)
    assert auth.verify_token(session, live) is not None
    session.close()
    backup.restore(engine, file)
    with db.session_scope(engine) as s:
        assert auth.verify_token(s, revoked) is None  # its logout is not undone
        assert auth.verify_token(s, live) is None  # every login ends at a restore
        assert auth.verify_token(s, auth.issue_token(s, "bob")) is not None
    # Restoring twice moves on twice: a token of the first restore ends at the second.
    with db.session_scope(engine) as s:
        after_first = auth.issue_token(s, "bob")
    backup.restore(engine, file)
    with db.session_scope(engine) as s:
        assert auth.verify_token(s, after_first) is None


@pytest.mark.usefixtures("_fast")
def test_a_restore_never_brings_a_secret(db_url, session, tmp_path) -> None:
    """An older backup that still holds ``session_secret`` (made before migration 0005)."""
    engine = db.get_engine(db_url)
    make_users(session, alice="admin")
    session.close()
    file = backup.write_backup(engine, tmp_path / "now.zip").path
    meta = _members(file)["tables/meta.jsonl"]
    old = tmp_path / "old.zip"
    _rewrite(
        file,
        old,
        {
            "tables/meta.jsonl": meta
            + b'{"key":"session_secret","value":"from-the-old-backup"}\n'
            + b'{"key":"login:a:0000","value":"999999999999999 0 999999999999999 0"}\n'
        },
    )
    backup.restore(engine, old)
    with db.session_scope(engine) as s:
        keys = set(s.scalars(select(Meta.key)))
        assert "session_secret" not in keys
        assert not any(k.startswith("login:") for k in keys)
        forged = _forge(b"from-the-old-backup", "alice", _hash(s, "alice"))
        assert auth.verify_token(s, forged) is None


# --- 4. files holding data are private ----------------------------------------------------------
@pytest.mark.usefixtures("umask_022", "_fast")
def test_database_wal_shm_backup_key_and_rejects_files_are_private(tmp_path, monkeypatch) -> None:
    path = tmp_path / "new.db"
    engine = db.create_engine_for(f"sqlite:///{path}")
    try:
        schema.upgrade(engine)
        with db.session_scope(engine) as s:
            load_sample(s)
            make_users(s, alice="admin")
            auth.issue_token(s, "alice")
        with engine.connect() as conn:  # an open connection keeps -wal and -shm
            conn.execute(text("SELECT 1"))
            for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.key")):
                assert f.exists(), f
                assert mode(f) == 0o600, f
        seen: list[int] = []
        stats = backup.queries.stats

        def stats_while_writing(s):
            # Called while the backup's *.tmp is being written.
            seen.extend(mode(p) for p in (tmp_path / "backups").glob("*.tmp"))
            return stats(s)

        monkeypatch.setattr(backup.queries, "stats", stats_while_writing)
        info = backup.write_backup(engine, tmp_path / "backups" / "b.zip")
        assert seen == [0o600]
        assert mode(info.path) == 0o600
        assert mode(tmp_path / "backups") == 0o700
    finally:
        engine.dispose()


@pytest.mark.usefixtures("umask_022")
def test_the_command_line_writes_private_files(db_url, tmp_path) -> None:
    f = write(
        tmp_path / "m.csv", csv_bytes(UPR_INFO_HEADER, [upr_row(), upr_row(session="", text_="x")])
    )
    rejects = tmp_path / "rejects.csv"
    assert main(["import", str(f), "--skip-invalid", "--rejects", str(rejects)]) == 0
    assert mode(rejects) == 0o600
    assert main(["export", str(tmp_path / "out.csv")]) == 0
    assert mode(tmp_path / "out.csv") == 0o600  # the process' umask (set by the CLI)


# --- 6. lockout: per address, and the same for unknown names --------------------------------
@pytest.mark.usefixtures("_fast")
def test_locked_says_nothing_about_whether_an_account_exists(session) -> None:
    make_users(session, alice="admin", bob="editor")
    now = utcnow()
    said: dict[str, list[str]] = {}
    for name in ("bob", "ghost"):
        said[name] = [
            auth.authenticate(session, name, "guess", client=ATTACKER, now=now).message
            for _ in range(auth.MAX_FAILED_LOGINS + 1)
        ]
    assert said["bob"] == said["ghost"]
    assert said["bob"][0] == "Wrong username or password."
    assert "locked until" in said["bob"][-1]
    # Even the right password gets the same answer while the name is locked at that address.
    right = auth.authenticate(session, "bob", PASSWORD, client=ATTACKER, now=now)
    assert right.message == said["ghost"][-1]


@pytest.mark.usefixtures("_fast")
def test_an_anonymous_visitor_cannot_lock_the_admin_out(session) -> None:
    make_users(session, alice="admin")
    now = utcnow()
    for _ in range(3 * auth.MAX_FAILED_LOGINS):  # and keeps going, lock after lock
        assert not auth.authenticate(session, "alice", "guess", client=ATTACKER, now=now).ok
    assert not auth.authenticate(session, "alice", PASSWORD, client=ATTACKER, now=now).ok
    # The admin, at her own desk, logs in.
    assert auth.authenticate(session, "alice", PASSWORD, client=ADMIN_DESK, now=now).ok
    session.commit()


@pytest.mark.usefixtures("_fast")
def test_one_address_trying_many_names_is_throttled(session) -> None:
    make_users(session, alice="admin", bob="editor")
    now = utcnow()
    for i in range(auth.MAX_FAILED_LOGINS_PER_ADDRESS):
        auth.authenticate(session, f"name{i}", "guess", client=ATTACKER, now=now)
    refused = auth.authenticate(session, "bob", PASSWORD, client=ATTACKER, now=now)
    assert not refused.ok
    assert "from your network address" in refused.message
    assert auth.authenticate(session, "bob", PASSWORD, client=ADMIN_DESK, now=now).ok
    later = now + auth.LOCKOUT + auth.LOCKOUT / 15
    assert auth.authenticate(session, "bob", PASSWORD, client=ATTACKER, now=later).ok


def test_unknown_names_cost_the_same_time(session, monkeypatch) -> None:
    import argon2

    make_users(session, alice="admin")
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.2)
    auth._dummy()  # made once per process, before any timing
    checked: list[argon2.Parameters] = []
    verify = auth._verify

    def recorded(password_hash: str, password: str) -> bool:
        checked.append(argon2.extract_parameters(password_hash))
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "_verify", recorded)
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    tries = auth.MAX_FAILED_LOGINS - 1
    for name in ("alice", "ghost") * tries:  # the least of 4 tries
        started, started_cpu = time.monotonic(), time.process_time()
        assert not auth.authenticate(session, name, "wrong password", client=ATTACKER).ok
        wall[name] = min(wall.get(name, 99.0), time.monotonic() - started)
        cpu[name] = min(cpu.get(name, 99.0), time.process_time() - started_cpu)
    assert min(wall.values()) >= 0.2  # the delay, for both
    # The same work for both: one argon2 check of the same cost per try (a dummy hash for an
    # unknown name), and the same CPU time for it (process time: a loaded machine stretches
    # wall-clock times, which made a comparison of those flaky).
    assert len(checked) == 2 * tries
    assert all(p == checked[0] for p in checked), checked
    assert abs(cpu["alice"] - cpu["ghost"]) < 0.02 + 0.5 * max(cpu.values()), cpu


# --- 7. a failed login holds no write lock while it hashes and waits -------------------------
def _write_now(url: str) -> None:
    """Take SQLite's write lock without waiting at all (raises if someone holds it)."""
    import sqlite3

    path = url.removeprefix("sqlite:///")
    con = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    finally:
        con.close()


def test_the_password_check_and_the_delay_hold_no_write_lock(db_url, session, monkeypatch) -> None:
    make_users(session, alice="admin")
    checks: list[str] = []
    verify, delay = auth._verify, auth._fail_delay

    def verify_and_write(password_hash: str, password: str) -> bool:
        _write_now(db_url)
        checks.append("verify")
        return verify(password_hash, password)

    def delay_and_write() -> None:
        _write_now(db_url)
        checks.append("delay")
        delay()

    monkeypatch.setattr(auth, "_verify", verify_and_write)
    monkeypatch.setattr(auth, "_fail_delay", delay_and_write)
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.0)
    for name in ("alice", "ghost"):
        for _ in range(auth.MAX_FAILED_LOGINS + 1):  # wrong, then locked
            assert not auth.authenticate(session, name, "wrong password").ok
    assert checks.count("verify") == 2 * auth.MAX_FAILED_LOGINS  # none while locked
    assert checks.count("delay") == 2 * (auth.MAX_FAILED_LOGINS + 1)


def _failed_login(url: str, barrier, i: int) -> None:
    engine = db.create_engine_for(url)  # a connection of its own, as another server worker
    barrier.wait()
    with db.session_scope(engine) as s:
        assert not auth.authenticate(s, "alice", f"guess {i}", client=f"192.0.2.{i}").ok
    engine.dispose()


@pytest.mark.usefixtures("_fast")
def test_a_storm_of_failed_logins_does_not_hold_up_an_editors_save(sample_url, monkeypatch) -> None:
    with db.session_scope() as s:
        make_users(s, alice="admin", ed="editor")
        rec = s.scalar(select(func.min(Recommendation.id)))
    started = time.monotonic()
    with auth.acting_as("ed", "editor"), db.session_scope() as s:
        add_assessment(s, rec, status="no_information", assessed_on="2024-04-01", source_org="NGO")
    baseline = time.monotonic() - started
    monkeypatch.setattr(auth, "FAILED_LOGIN_DELAY_S", 0.5)  # the real delay
    db.dispose_engines()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    n = 24
    barrier = ctx.Barrier(n + 1)
    procs = [ctx.Process(target=_failed_login, args=(sample_url, barrier, i)) for i in range(n)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=60)
        time.sleep(0.2)  # the logins are hashing, writing their failures and waiting
        started = time.monotonic()
        with auth.acting_as("ed", "editor"), db.session_scope() as s:
            add_assessment(
                s, rec, status="not_implemented", assessed_on="2024-05-01", source_org="NGO"
            )
        latency = time.monotonic() - started
    finally:
        for p in procs:
            p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * n
    print(f"editor's save: {baseline * 1000:.0f} ms alone, {latency * 1000:.0f} ms in the storm")
    # Held behind every login's check and delay, it waited up to 24 x 0.5 s (and failed with
    # "database is locked" under real hashing); now only behind their brief counter writes.
    # The bound is loose: on a loaded machine the 24 processes also compete for the CPU.
    assert latency < 8.0, latency  # the old code: 24 x 0.5 s behind the lock, 12 s and more


# --- 11. a restore checks what it reads -------------------------------------------------------
def _replace_in(file: Path, target: Path, member: str, edit) -> None:
    rows = [json.loads(x) for x in _members(file)[member].splitlines()]
    data = edit(rows)
    if isinstance(data, list):
        data = "".join(json.dumps(r) + "\n" for r in data).encode()
    _rewrite(file, target, {member: data})


def _set(column: str, value: object, index: int = 0):
    def edit(rows: list[dict]) -> list[dict]:
        rows[index][column] = value
        return rows

    return edit


@pytest.mark.usefixtures("_fast")
def test_a_restore_refuses_what_an_import_would_refuse(sample_url, tmp_path, monkeypatch) -> None:
    engine = db.get_engine(sample_url)
    with db.session_scope(engine) as s:
        make_users(s, alice="admin")
    good = backup.write_backup(engine, tmp_path / "good.zip").path
    with db.session_scope(engine) as s:
        before = queries.stats(s), s.scalar(select(func.count()).select_from(Meta))
    cases = {
        "role.zip": (
            "tables/app_user.jsonl",
            _set("role", "superuser"),
            "row 1: role: 'superuser' is not one of viewer, editor, admin",
        ),
        "status.zip": (
            "tables/assessment.jsonl",
            _set("status", "done"),
            "row 1: status: 'done' is not one of",
        ),
        "url.zip": (
            "tables/assessment.jsonl",
            _set("evidence_url", "javascript:alert(1)"),
            "row 1: evidence_url: Link to the evidence: 'javascript:alert(1)' is not a web address",
        ),
        "date.zip": (
            "tables/assessment.jsonl",
            _set("assessed_on", "2024-13-45"),
            "row 1: assessed_on: month must be in 1..12",
        ),
        "future.zip": (
            "tables/assessment.jsonl",
            _set("assessed_on", "2999-01-01"),
            "row 1: assessed_on: 2999-01-01 is in the future",
        ),
        "type.zip": (
            "tables/recommendation.jsonl",
            _set("text", {"not": "text"}),
            "row 1: text: expected text",
        ),
        "huge_id.zip": (
            "tables/recommendation.jsonl",
            _set("id", 2**40),
            "row 1: id: 1099511627776 is out of range",
        ),
        "response.zip": (
            "tables/recommendation.jsonl",
            _set("response", "<b>yes</b>"),
            "row 1: response: '<b>yes</b>' is not one of",
        ),
        "json.zip": (
            "tables/assessment.jsonl",
            lambda rows: b'{"id": 1, "status": \n',
            "tables/assessment.jsonl, row 1: not valid JSON",
        ),
        "array.zip": (
            "tables/assessment.jsonl",
            lambda rows: b"[1, 2, 3]\n",
            "tables/assessment.jsonl, row 1: not a JSON object",
        ),
    }
    for name, (member, edit, _message) in cases.items():
        _replace_in(good, tmp_path / name, member, edit)
    manifest = json.loads(_members(good)["manifest.json"])
    manifest["tables"][0]["rows"] = "many"
    bad_manifest = tmp_path / "manifest.zip"
    with zipfile.ZipFile(bad_manifest, "w") as zf:
        for n, d in _members(good).items():
            zf.writestr(n, json.dumps(manifest) if n == "manifest.json" else d)
    cases["manifest.zip"] = ("", None, "the manifest's entry for table affected_group is malformed")

    tried = refused = 0
    for name, (_member, _edit, message) in cases.items():
        tried += 1
        with pytest.raises(backup.BackupError) as caught:
            backup.restore(engine, tmp_path / name)
        assert message in str(caught.value), (name, str(caught.value))
        refused += 1
        with db.session_scope(engine) as s:
            assert (queries.stats(s), s.scalar(select(func.count()).select_from(Meta))) == before
    assert tried == refused


def test_a_backup_that_would_expand_too_far_is_refused_before_reading(
    sample_url, tmp_path, monkeypatch
) -> None:
    engine = db.get_engine(sample_url)
    good = backup.write_backup(engine, tmp_path / "good.zip").path
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in _members(good).items():
            zf.writestr(n, d)
        zf.writestr("padding.bin", b"\0" * (50 * 1024 * 1024))  # 50 MB in ~50 KB
    assert bomb.stat().st_size < 1024 * 1024
    monkeypatch.setenv("UPR_TRACKER_RESTORE_MAX_BYTES", str(10 * 1024 * 1024))
    with pytest.raises(backup.BackupError, match="would expand to 52,4"):
        backup.read_backup(bomb)
    # One endless line is refused as such, not read into memory.
    monkeypatch.setattr(backup_read, "MAX_LINE_BYTES", 1000)
    long_line = tmp_path / "long.zip"
    _replace_in(
        good,
        long_line,
        "tables/recommendation.jsonl",
        lambda rows: (json.dumps(rows[0])[:-1] + ', "x": "' + "y" * 5000 + '"}\n').encode(),
    )
    with pytest.raises(backup.BackupError, match=r"row 1: longer than 1,000 bytes"):
        backup.read_backup(long_line)
    # The command line says so, without a traceback.
    assert main(["restore", str(bomb), "--yes"]) == 1
