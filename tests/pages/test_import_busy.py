"""The Import page when another write holds SQLite's one write lock (a colleague's large
import): the import waits up to the busy timeout, then says so in words and writes nothing;
importing again once the lock is free works."""

from __future__ import annotations

import sqlite3

import pytest
import streamlit

from tests.importer_support import UPR_INFO_HEADER, csv_bytes, upr_row
from tests.pages.dashboard_support import open_page, texts, unescape, widget
from tracker import db

PAGE = "pages/import_page.py"
TEXT = "Open a shelter for survivors of domestic violence in every region."


class _Upload:
    """What st.file_uploader returns for one chosen file (AppTest cannot choose files)."""

    name = "busy.csv"

    def __init__(self, data: bytes) -> None:
        self._data = data

    def getvalue(self) -> bytes:
        return self._data


def _count(url: str) -> int:
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return con.execute("SELECT count(*) FROM recommendation").fetchone()[0]
    finally:
        con.close()


def test_an_import_while_another_write_holds_the_database_says_so_and_works_after(
    sample_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    db.dispose_engines()  # the connections made from now on wait 0.2 s, not a minute
    upload = _Upload(csv_bytes(UPR_INFO_HEADER, [upr_row(text_=TEXT)]))
    monkeypatch.setattr(streamlit, "file_uploader", lambda *args, **kwargs: [upload])
    at = open_page(PAGE)
    before = _count(sample_url)
    holder = sqlite3.connect(sample_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another import's transaction
        widget(at.button, "Import").click().run()
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert any(e.startswith("The database is busy with another change") for e in errors), errors
        assert any("nothing was saved" in e for e in errors)
    finally:
        holder.rollback()
        holder.close()
    assert _count(sample_url) == before
    widget(at.button, "Import").click().run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error if "busy" in e.value]
    assert _count(sample_url) == before + 1
    said = " ".join(unescape(s.value) for s in at.success) + texts(at)
    assert "1 added" in said, said
