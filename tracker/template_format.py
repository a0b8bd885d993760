"""The project's own template: the format of ``export`` and of the template importer.

One row per recommendation. Multi-valued cells (recommending states, themes, SDGs, affected
groups) are separated by ``; ``. The XLSX file has a second sheet, ``Assessments``, with every
assessment (``recommendation_id`` refers to the ``id`` column of the first sheet), so that an
XLSX export imported into an empty database reproduces everything; a CSV carries each
recommendation's current status only.

Columns (sheet "Recommendations", and the CSV):

==================== =====================================================================
id                   the recommendation's id in the exporting database
state_under_review   short name of the state reviewed
state_iso3           its ISO 3166 alpha-3 code
cycle, session       UPR cycle and Working Group session
review_date          date of the review (YYYY-MM-DD), if known
report_symbol        Working Group report, e.g. A/HRC/14/10
paragraph            paragraph number in the report, e.g. 97.12
recommendation       the text
recommending_states  names, separated by "; "
response             supported / noted / mixed / pending / not_supported
action_category      1-5 (UPR Info)
themes, sdgs, affected_groups   separated by "; "
status               current status (fully_implemented / partially_implemented /
                     not_implemented / no_information; empty = not assessed)
assessed_on, assessment_source, evidence, evidence_url   of the current assessment
sample               "yes" for illustrative sample records
source_type          of the current assessment: government / nhri / civil_society / un /
                     media / other (empty: other)
confidence           of the current assessment: low / medium / high, or empty
==================== =====================================================================
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import private_files, queries
from tracker.evidence import check_include_private, private_notice
from tracker.filters import Filters
from tracker.models import (
    AffectedGroup,
    Assessment,
    Recommendation,
    Sdg,
    recommendation_groups,
    recommendation_sdgs,
)
from tracker.safe_output import neutralise_row
from tracker.spreadsheet import xlsx_row
from tracker.vocab import NOT_ASSESSED

Format = Literal["csv", "xlsx"]
LIST_SEPARATOR = "; "
SHEET_RECOMMENDATIONS = "Recommendations"
SHEET_ASSESSMENTS = "Assessments"
SHEET_PRIVATE = "PRIVATE"  # first sheet of an export that includes private evidence

TEMPLATE_COLUMNS = [
    "id",
    "state_under_review",
    "state_iso3",
    "cycle",
    "session",
    "review_date",
    "report_symbol",
    "paragraph",
    "recommendation",
    "recommending_states",
    "response",
    "action_category",
    "themes",
    "sdgs",
    "affected_groups",
    "status",
    "assessed_on",
    "assessment_source",
    "evidence",
    "evidence_url",
    "sample",
    "source_type",
    "confidence",
]
ASSESSMENT_COLUMNS = [
    "assessment_id",
    "recommendation_id",
    "status",
    "assessed_on",
    "source",
    "evidence",
    "evidence_url",
    "author",
    "created_at",
    "retracts",
    "sample",
    "source_type",
    "confidence",
    "private",
]


class ExportError(ValueError):
    pass


def _text(value: Any) -> Any:
    if value is None:
        return ""
    try:
        import pandas as pd

        if value is pd.NA or (isinstance(value, float) and value != value):
            return ""
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def template_rows(session: Session, f: Filters | None = None) -> list[list[Any]]:
    """The template's rows (without header) for the filter."""
    df = queries.recommendations_frame(session, f)
    ids = df["id"].tolist()
    sdgs: dict[int, list[str]] = {}
    groups: dict[int, list[str]] = {}
    for rid, code in session.execute(
        select(recommendation_sdgs.c.recommendation_id, Sdg.code)
        .join(Sdg, Sdg.id == recommendation_sdgs.c.sdg_id)
        .order_by(Sdg.code)
    ):
        sdgs.setdefault(rid, []).append(code)
    for rid, name in session.execute(
        select(recommendation_groups.c.recommendation_id, AffectedGroup.name)
        .join(AffectedGroup, AffectedGroup.id == recommendation_groups.c.group_id)
        .order_by(AffectedGroup.name)
    ):
        groups.setdefault(rid, []).append(name)
    # The current (public) assessment's source type and confidence.
    kinds: dict[int, tuple[str, str]] = {
        rid: (kind or "", sure or "")
        for rid, kind, sure in session.execute(
            select(Recommendation.id, Assessment.source_type, Assessment.confidence)
            .join(Assessment, Assessment.id == Recommendation.current_assessment_id)
            .where(Recommendation.id.in_(queries.filtered_ids(f)))
        )
    }
    rows = []
    for r, rid in zip(df.itertuples(index=False), ids, strict=True):
        status = "" if r.status == NOT_ASSESSED else r.status
        rows.append(
            [
                rid,
                r.state,
                r.state_iso3,
                r.cycle,
                r.session,
                _text(r.review_date),
                _text(r.report_symbol),
                _text(r.paragraph),
                r.text,
                r.recommending_states.replace(", ", LIST_SEPARATOR),
                _text(r.response),
                _text(r.action_category),
                r.themes.replace("; ", LIST_SEPARATOR),
                LIST_SEPARATOR.join(sdgs.get(rid, [])),
                LIST_SEPARATOR.join(groups.get(rid, [])),
                status,
                _text(r.assessed_on),
                _text(r.source_org),
                _text(r.evidence),
                _text(r.evidence_url),
                "yes" if r.is_sample else "",
                *kinds.get(rid, ("", "")),
            ]
        )
    return rows


def write(
    session: Session,
    out: BinaryIO,
    fmt: Format,
    f: Filters | None = None,
    *,
    include_private: bool = False,
) -> int:
    """Write the template for the filter to the binary stream ``out`` as ``fmt`` ("csv":
    UTF-8 with a BOM, for Excel; "xlsx": with the Assessments sheet); return the row count.

    Private assessments (tracker.evidence) are left out unless ``include_private`` (editors
    only): the XLSX file then lists them in its Assessments sheet and opens on a first sheet
    that says it includes private evidence. The CSV carries the public current status only,
    so it never holds private evidence."""
    include_private = check_include_private(include_private)
    rows = template_rows(session, f)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        w = csv.writer(text)
        w.writerow(TEMPLATE_COLUMNS)
        # Text starting like a formula gets an apostrophe; the importer takes it off.
        w.writerows(neutralise_row(row) for row in rows)
        text.flush()
        text.detach()  # leave ``out`` open for the caller
        return len(rows)
    wb = Workbook(write_only=True)
    if include_private:
        # A sheet of its own, first: the importer finds the Recommendations sheet by its
        # header, so the file still imports.
        notice = wb.create_sheet(SHEET_PRIVATE)
        notice.append(xlsx_row(notice, [private_notice()]))
    ws = wb.create_sheet(SHEET_RECOMMENDATIONS)
    ws.append(TEMPLATE_COLUMNS)
    for row in rows:
        ws.append(xlsx_row(ws, row))  # text stays text: never a formula
    ws2 = wb.create_sheet(SHEET_ASSESSMENTS)
    ws2.append(ASSESSMENT_COLUMNS)
    adf = queries.assessments_frame(session, f, include_private=include_private)
    for a in adf.itertuples(index=False):
        ws2.append(
            xlsx_row(
                ws2,
                [
                    a.assessment_id,
                    a.recommendation_id,
                    a.status,
                    _text(a.assessed_on),
                    a.source_org,
                    _text(a.evidence),
                    _text(a.evidence_url),
                    _text(a.author),
                    _text(a.created_at),
                    _text(a.retracts_id),
                    "yes" if a.is_sample else "",
                    a.source_type,
                    _text(a.confidence),
                    "yes" if a.is_private else "",
                ],
            )
        )
    wb.save(out)
    return len(rows)


def export(
    session: Session,
    path: str | Path,
    f: Filters | None = None,
    *,
    include_private: bool = False,
) -> int:
    """Write the template for the filter to ``path`` (.csv or .xlsx); return the row count.

    ``include_private`` as in :func:`write`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ExportError(f"{path}: the file name must end in .csv or .xlsx")
    include_private = check_include_private(include_private)  # before a file is made
    tmp = path.with_name(path.name + ".part")
    try:
        with os.fdopen(private_files.create_private(tmp), "wb") as fh:
            n = write(
                session,
                fh,
                "csv" if suffix == ".csv" else "xlsx",
                f,
                include_private=include_private,
            )
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written file left behind
        raise
    tmp.replace(path)  # never leave a half-written export under the real name
    return n
