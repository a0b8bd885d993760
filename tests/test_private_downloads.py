"""The Explorer's and the Flagged page's downloads with private evidence: for editors who
ask, never by default, never for viewers or visitors; the file says so first."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.pages.dashboard_support import open_page
from tests.pages.test_login import accounts, logged_in
from tracker import auth, exports, flags, settings
from tracker.assessments import add_assessment
from tracker.evidence import private_notice
from tracker.models import Recommendation
from tracker.template_format import SHEET_PRIVATE

pytestmark = pytest.mark.usefixtures("fast_hashing")
__all__ = ["accounts"]  # the fixture of tests.pages.test_login: an admin, editor1, donor

SECRET = "Witness WITNESS-SECRET at risk"
PARTIAL = flags.Flag.PARTIAL.value
OPTS = flags.FlagOptions()


def _private_on_a_partial(session: Session) -> int:
    """A private assessment on a partially implemented recommendation (which stays
    partially implemented in public: the flag is the public one)."""
    rid = session.scalar(
        select(Recommendation.id)
        .where(Recommendation.current_status == "partially_implemented")
        .order_by(Recommendation.id)
    )
    assert rid is not None
    add_assessment(
        session,
        rid,
        status="fully_implemented",
        assessed_on="2025-11-01",
        source_org="Shelter network",
        evidence=SECRET,
        private=True,
    )
    session.commit()
    return rid


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_flagged_download_has_private_evidence_only_when_an_editor_asks(
    sample_session: Session,
) -> None:
    s = sample_session
    rid = _private_on_a_partial(s)
    public = exports.flagged_export(s, None, PARTIAL, OPTS, "csv")
    assert SECRET not in public.decode("utf-8-sig")
    assert private_notice() not in public.decode("utf-8-sig")
    with auth.acting_as("editor1", "editor"):
        asked = _rows(exports.flagged_export(s, None, PARTIAL, OPTS, "csv", include_private=True))
        xlsx = exports.flagged_export(s, None, PARTIAL, OPTS, "xlsx", include_private=True)
    assert asked[0] == [private_notice()]  # said first
    header, body = asked[1], asked[2:]
    assert len(body) == len(_rows(public)) - 1  # the same (public) list of flagged rows
    row = dict(zip(header, next(r for r in body if r[header.index("Id")] == str(rid)), strict=True))
    assert row["Current status"] == "Partially implemented"  # the public status stays
    assert row["Private assessment"] == "Fully implemented"
    assert row["Private assessment on"] == "2025-11-01"
    assert row["Private source"] == "Shelter network"
    assert row["Private evidence"] == SECRET
    others = [r for r in body if r[header.index("Id")] != str(rid)]
    assert all(r[header.index("Private evidence")] == "" for r in others)
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    assert wb.sheetnames[0] == SHEET_PRIVATE
    assert SECRET in [c for r in wb.worksheets[1].iter_rows(values_only=True) for c in r]
    for role in ("viewer", None):
        with auth.acting_as("donor", role), pytest.raises(auth.PermissionDenied):
            exports.flagged_export(s, None, PARTIAL, OPTS, "csv", include_private=True)


def test_the_explorer_download_lists_private_assessments_only_when_an_editor_asks(
    sample_session: Session,
) -> None:
    s = sample_session
    _private_on_a_partial(s)

    def cells(data: bytes) -> list[object]:
        wb = load_workbook(io.BytesIO(data), read_only=True)
        return [c for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r]

    assert SECRET not in cells(exports.filtered_export(s, None, "xlsx"))
    with auth.acting_as("editor1", "editor"):
        asked = exports.filtered_export(s, None, "xlsx", include_private=True)
        csv_file = exports.filtered_export(s, None, "csv", include_private=True)
    assert SECRET in cells(asked)
    assert load_workbook(io.BytesIO(asked), read_only=True).sheetnames[0] == SHEET_PRIVATE
    assert SECRET not in csv_file.decode("utf-8-sig")  # the template CSV: public status only
    with auth.acting_as("donor", "viewer"), pytest.raises(auth.PermissionDenied):
        exports.filtered_export(s, None, "xlsx", include_private=True)


# --- the pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("page", "key"),
    [("pages/explorer_page.py", "explorer_private"), ("pages/flagged_page.py", "flagged_private")],
)
def test_editors_may_ask_for_private_evidence_in_the_downloads_others_never(
    accounts: str, monkeypatch: pytest.MonkeyPatch, page: str, key: str
) -> None:
    at = logged_in(accounts, "editor1", page)
    assert not at.exception, at.exception[0].value
    box = at.checkbox(key=key)
    assert box.label == "Include private evidence in the downloads"
    assert box.value is False  # off by default
    assert len(at.get("download_button")) == 2
    box.check().run()
    assert not at.exception
    assert at.checkbox(key=key).value is True
    assert len(at.get("download_button")) == 2
    viewer = logged_in(accounts, "donor", page)
    monkeypatch.setenv(settings.PUBLIC_READONLY.name, "1")
    for at in (viewer, open_page(page)):  # a viewer; a visitor of a public instance
        assert not at.exception
        assert not [c for c in at.checkbox if c.key == key]
        assert len(at.get("download_button")) == 2
