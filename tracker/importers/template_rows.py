"""The project's own template (see tracker/template.py): CSV, or XLSX with an Assessments sheet.

A row carries one recommendation; ``recommending_states``, ``themes``, ``sdgs`` and
``affected_groups`` are ``;``-separated. The state may be given by name, by ISO code, or both
(then they must agree). In a CSV (or a workbook without an Assessments sheet) the ``status``
columns give one assessment, the current one; in a workbook the Assessments sheet gives every
assessment, with its author, entry time and retractions, and the status columns of the first
sheet (a copy of the current one) are not read. The ``id`` column only links the two sheets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.assessments import MAX_SOURCE_LENGTH
from tracker.i18n import _, ngettext
from tracker.importers.detect import ColumnMap
from tracker.importers.inputs import NO_ITEMS, AssessmentInput, RecommendationInput
from tracker.importers.outcome import FileReport, ParsedRow
from tracker.importers.rows import (
    Field,
    Fields,
    ParseContext,
    Progress,
    RowCheck,
    bounded_line,
    check_cycle,
    iter_fields,
)
from tracker.importers.sources import Row, RowStream
from tracker.importers.values import (
    CellError,
    as_text,
    check_length,
    clean_cell_text,
    parse_action_category,
    parse_date_cell,
    parse_flag,
    parse_local_id,
    parse_response_cell,
    parse_sdg,
    parse_session,
    quote,
    single_line,
    split_list,
)
from tracker.safe_output import UrlError, check_url
from tracker.states import clean_name
from tracker.vocab import (
    Confidence,
    SourceType,
    Status,
    parse_confidence,
    parse_source_type,
    parse_status,
)

MAX_PARAGRAPH = 20
MAX_SYMBOL = 40
MAX_NAME = 200
MAX_AUTHOR = 100
SEPARATORS = ";"  # LIST_SEPARATOR of tracker.template, without its space


def _status(value: Any) -> str:
    text = single_line(as_text(value))
    status = parse_status(text) if text else None
    if status is None:
        allowed = ", ".join(s.value for s in Status)
        if not text:
            raise CellError(
                _("empty — the status is required (one of {allowed})").format(allowed=allowed)
            )
        raise CellError(
            _("{value} is not a status (one of {allowed})").format(
                value=quote(text), allowed=allowed
            )
        )
    return status.value


def _assessed_on(value: Any) -> dt.date:
    day = parse_date_cell(value)
    if day is None:
        raise CellError(_("empty — the date of the assessment is required"))
    if day > dt.date.today():
        raise CellError(_("{value} is in the future").format(value=quote(day.isoformat())))
    return day


def _source(value: Any) -> str:
    text = single_line(as_text(value))
    if not text:
        raise CellError(_("empty — the organisation that made the assessment is required"))
    check_length(text, MAX_SOURCE_LENGTH)
    return text


def _url(value: Any) -> str | None:
    # The raw cell, not single_line(): a URL with a line break or a tab inside is refused.
    try:
        return check_url(as_text(value))
    except UrlError as exc:
        raise CellError(str(exc)) from None


def _created_at(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = single_line(as_text(value))
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise CellError(
            _("{value} is not a date and time (YYYY-MM-DD HH:MM:SS)").format(value=quote(text))
        ) from None


def _names(value: Any) -> list[str]:
    items = split_list(as_text(value), SEPARATORS)
    for item in items:
        check_length(item, MAX_NAME)
    return items


def _sdgs(value: Any) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for item in split_list(as_text(value), SEPARATORS):
        code, label = parse_sdg(item)
        if code not in {c for c, _label in out}:
            out.append((code, label))
    return out


def _text(value: Any) -> str:
    return clean_cell_text(as_text(value))


def _evidence(value: Any) -> str | None:
    return clean_cell_text(as_text(value)) or None


def _flag(value: Any) -> bool:
    return bool(parse_flag(value))


def table(ctx: ParseContext) -> tuple[Field, ...]:
    """The first sheet's columns but the state (name and code checked together), in the
    order their problems are listed. The values that repeat from row to row (a review's
    session, date and symbol; responses; lists of states, themes, groups, SDGs) are parsed
    once each and shared by the rows (read-only): a round file of a million rows holds one
    value each, not a million."""
    return (
        Field("id", parse_local_id),
        Field("session", parse_session, repeats=True),
        Field("recommendation", _text, required=_("empty — the recommendation text is required")),
        Field("review_date", parse_date_cell, repeats=True),
        Field("report_symbol", bounded_line(MAX_SYMBOL), repeats=True),
        Field("paragraph", bounded_line(MAX_PARAGRAPH)),
        Field(
            "recommending_states",
            lambda v: ctx.recommending_states(split_list(as_text(v), SEPARATORS)),
            repeats=True,
        ),
        Field("response", parse_response_cell, repeats=True),
        Field("action_category", parse_action_category, repeats=True),
        Field("themes", _names, repeats=True),
        Field("affected_groups", _names, repeats=True),
        Field("sdgs", _sdgs, repeats=True),
        Field("sample", _flag, repeats=True),
    )


# The order in which a row's problems are listed: the checks' order.
_ORDER = (
    "id",
    "state_iso3",
    "state_under_review",
    "session",
    "cycle",
    "recommendation",
    "review_date",
    "report_symbol",
    "paragraph",
    "recommending_states",
    "response",
    "action_category",
    "themes",
    "affected_groups",
    "sdgs",
    "sample",
)


def read_rows(
    report: FileReport,
    rows: RowStream | list[Row],
    cmap: ColumnMap,
    ctx: ParseContext,
    progress: Progress | None = None,
    *,
    status_columns: bool = True,
) -> dict[str, int]:
    """Validate template rows; return ``id -> row`` of the rejected rows that had an id (so
    that their assessments are rejected with a clear reason)."""
    idx = cmap.index
    col = cmap.name
    header = cmap.header
    order = [col(k) for k in _ORDER]
    seen_ids: dict[str, int] = {}  # every row's id, valid or not: ids must differ
    rejected_ids: dict[str, int] = {}
    # one object per distinct status, date, source, source type and confidence of the
    # assessments (each row of a round file has one): not one per row
    shared: dict[Any, Any] = {}

    def cell(cells: list[Any], key: str) -> Any:
        i = idx.get(key)
        return None if i is None else cells[i]

    fields = Fields(table(ctx), cmap)
    # JSON's list cells (themes as an array) are read as their text: a repeating column's
    # cells are looked up in its cache, and every parser reads a list as that text anyway.
    json = report.kind == "json"
    for row_no, cells, values, check in iter_fields(
        report, rows, fields, progress, text_cells=json
    ):
        (local_id, session, text, review_date, symbol, paragraph, states, response, action) = (
            values[:9]
        )
        themes, groups, sdgs, is_sample = values[9:]
        if local_id is not None:
            if local_id in seen_ids:
                check.add(
                    col("id"),
                    _("{value} is also the id of row {row}; ids must differ").format(
                        value=quote(local_id), row=seen_ids[local_id]
                    ),
                )
            else:
                seen_ids[local_id] = row_no

        sur = None
        name_raw = clean_name(as_text(cell(cells, "state_under_review")))
        iso_raw = single_line(as_text(cell(cells, "state_iso3")))
        if iso_raw:
            sur = check.parse(col("state_iso3"), ctx.state_under_review, iso_raw)
            if sur is not None and name_raw:
                by_name = check.parse(col("state_under_review"), ctx.state_under_review, name_raw)
                if by_name is not None and by_name != sur:
                    check.add(
                        col("state_iso3"),
                        _("{value} is not the code of {name} ({code})").format(
                            value=quote(iso_raw), name=quote(name_raw), code=by_name
                        ),
                    )
        else:
            sur = check.parse(col("state_under_review"), ctx.state_under_review, name_raw)
        if "cycle" in idx:
            check_cycle(check, col("cycle"), cell(cells, "cycle"), session)

        assessments: list[AssessmentInput] = []
        if status_columns:
            a = _status_columns(check, cells, cell, col, bool(is_sample), row_no, shared)
            if a is not None:
                assessments = [a]  # exactly one slot (an appended list keeps four)

        if not check.errors and sur is not None and session is not None:
            conflict = ctx.check_review(sur, session, row_no)
            if conflict:
                check.add(col("session"), conflict)

        if check.errors:
            check.order(order)
            if local_id is not None and seen_ids.get(local_id) == row_no:
                rejected_ids[local_id] = row_no
            check.reject(report, header, cells)
            continue
        report.parsed.append(
            ParsedRow(
                row_no,
                RecommendationInput(
                    state_under_review=sur,
                    session=session,
                    text=text,
                    response=response,
                    action_category=action,
                    recommending_states=states or NO_ITEMS,
                    themes=themes or NO_ITEMS,
                    sdgs=sdgs or NO_ITEMS,
                    affected_groups=groups or NO_ITEMS,
                    paragraph=paragraph,
                    review_date=review_date,
                    report_symbol=symbol,
                    source_row=row_no,
                    is_sample=bool(is_sample),
                ),
                local_id=local_id,
                assessments=assessments,
            )
        )
        report.rows_valid += 1
    return rejected_ids


def _status_columns(
    check: RowCheck,
    cells: list[Any],
    cell: Any,
    col: Any,
    is_sample: bool,
    row_no: int,
    shared: dict[Any, Any],
) -> AssessmentInput | None:
    """The current assessment given by the status columns of a row, if any; its repeating
    values are the equal ones of ``shared`` (added there when new)."""
    status_raw = single_line(as_text(cell(cells, "status")))
    others = [
        k
        for k in ("assessed_on", "assessment_source", "evidence", "evidence_url")
        if single_line(as_text(cell(cells, k)))
    ]
    if not status_raw:
        if others:
            check.add(
                col("status"),
                ngettext(
                    "empty, but {columns} is filled: give the status too, or clear it",
                    "empty, but {columns} are filled: give the status too, or clear them",
                    len(others),
                ).format(columns=", ".join(col(k) for k in others)),
            )
        return None
    status = check.parse(col("status"), _status, status_raw)
    day = check.parse(col("assessed_on"), _assessed_on, cell(cells, "assessed_on"))
    source = check.parse(col("assessment_source"), _source, cell(cells, "assessment_source"))
    url = check.parse(col("evidence_url"), _url, cell(cells, "evidence_url"))
    evidence = clean_cell_text(as_text(cell(cells, "evidence"))) or None
    kind = check.parse(col("source_type"), _source_type, cell(cells, "source_type"))
    sure = check.parse(col("confidence"), _confidence, cell(cells, "confidence"))
    if status is None or day is None or source is None:
        return None
    same = shared.setdefault
    return AssessmentInput(
        status=same(status, status),
        assessed_on=same(day, day),
        source_org=same(source, source),
        evidence=evidence,
        evidence_url=url,
        is_sample=is_sample,
        row=row_no,
        source_type=same(kind, kind) if kind else SourceType.OTHER.value,
        confidence=same(sure, sure) if sure else None,
    )


def _source_type(value: Any) -> str:
    """A source type cell (empty: other); raises CellError with the allowed values."""
    text = single_line(as_text(value))
    if not text:
        return SourceType.OTHER.value
    kind = parse_source_type(text)
    if kind is None:
        raise CellError(
            _("{value} is not one of {allowed}").format(
                value=quote(text), allowed=", ".join(t.value for t in SourceType)
            )
        )
    return kind.value


def _confidence(value: Any) -> str:
    """A confidence cell (empty: ""); raises CellError with the allowed values."""
    text = single_line(as_text(value))
    if not text:
        return ""
    sure = parse_confidence(text)
    if sure is None:
        raise CellError(
            _("{value} is not one of {allowed}").format(
                value=quote(text), allowed=", ".join(c.value for c in Confidence)
            )
        )
    return sure.value


ASSESSMENT_TABLE = (
    Field("assessment_id", parse_local_id),
    Field("status", _status),
    Field("assessed_on", _assessed_on),
    Field("source", _source),
    Field("evidence_url", _url),
    Field("evidence", _evidence),
    Field("author", bounded_line(MAX_AUTHOR)),
    Field("created_at", _created_at),
    Field("retracts", parse_local_id),
    Field("sample", _flag),
    Field("source_type", _source_type),
    Field("confidence", _confidence),
    Field("private", _flag),
)
# The order in which an assessment row's problems are listed.
_ASSESSMENT_ORDER = ("recommendation_id", "assessment_id", *(f.key for f in ASSESSMENT_TABLE))


def read_assessments(
    report: FileReport,
    sheet_label: str,
    rows: RowStream | list[Row],
    cmap: ColumnMap,
    rejected_ids: dict[str, int],
) -> None:
    """Validate the Assessments sheet; each valid row goes to its recommendation's list."""
    col = cmap.name
    header = cmap.header
    order = [col(k) for k in _ASSESSMENT_ORDER]
    by_id = {p.local_id: p for p in report.parsed if p.local_id is not None}
    seen: dict[str, int] = {}
    pending: list[tuple[int, list[Any], RowCheck, AssessmentInput | None, ParsedRow | None]] = []

    sheet_report = FileReport(sheet_label, kind=report.kind)
    fields = Fields(ASSESSMENT_TABLE, cmap)
    i_rec = cmap.index.get("recommendation_id")
    for row_no, cells, values, check in iter_fields(sheet_report, rows, fields):
        (local_id, status, day, source, url, evidence, author, created, retracts) = values[:9]
        is_sample, kind, sure, private = values[9:]
        rec_id = parse_local_id(None if i_rec is None else cells[i_rec])
        target = by_id.get(rec_id) if rec_id is not None else None
        if rec_id is None:
            check.add(col("recommendation_id"), _("empty — the recommendation's id is required"))
        elif target is None:
            if rec_id in rejected_ids:
                check.add(
                    col("recommendation_id"),
                    _("{value}: its recommendation (row {row}) was rejected").format(
                        value=quote(rec_id), row=rejected_ids[rec_id]
                    ),
                )
            else:
                check.add(
                    col("recommendation_id"),
                    _("{value} is not an id in the first sheet").format(value=quote(rec_id)),
                )
        if local_id is not None and local_id in seen:
            check.add(
                col("assessment_id"),
                _("{value} is also the id of row {row}; ids must differ").format(
                    value=quote(local_id), row=seen[local_id]
                ),
            )
        check.order(order)
        a = None
        if status is not None and day is not None and source is not None:
            a = AssessmentInput(
                status=status,
                assessed_on=day,
                source_org=source,
                evidence=evidence,
                evidence_url=url,
                author=author,
                created_at=created,
                is_sample=bool(is_sample),
                local_id=local_id,
                retracts=retracts,
                row=row_no,
                source_type=kind or SourceType.OTHER.value,
                confidence=sure or None,
                is_private=bool(private),
            )
        if local_id is not None and local_id not in seen:
            seen[local_id] = row_no
        pending.append((row_no, cells, check, a, target))
    # Retractions may name any assessment of the sheet, earlier or later.
    valid_ids = {a.local_id for _r, _c, chk, a, _t in pending if a and not chk.errors}
    for _row_no, cells, check, a, target in pending:
        if a is not None and a.retracts is not None and a.retracts not in valid_ids:
            check.add(
                col("retracts"),
                _("{value} is not the id of a valid assessment in this sheet").format(
                    value=quote(a.retracts)
                ),
            )
        if check.errors or a is None or target is None:
            if not check.errors:  # pragma: no cover - every None above recorded an error
                check.add(col("status"), _("the assessment is incomplete"))
            check.reject(sheet_report, header, cells)
            continue
        target.assessments.append(a)
    report.problems.extend(sheet_report.problems)
    report.rejected.extend(sheet_report.rejected)
