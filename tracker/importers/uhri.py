"""OHCHR Universal Human Rights Index (UHRI): "Export to Excel" workbooks and JSON dumps.

The Excel export has 16 columns, spelled as OHCHR spells them: ``Text | Countries Concerned |
Reccomending Body | Document Symbol | Themes | Affected Persons | Sdgs | Document Publication
Date | UPR Reccomending States | UPR Position | Type | OHCHR Annotation Id | UPR Session |
Regions Concerned | Recommending Regions | Date of publication on UHRI``. The JSON dump holds
the same facts under ``AffectedPersons, AnnotationId, Body, Countries, PublicationDate, Sdgs,
Symbol, Text, Themes, UprCycle, UprPositions, UprRecommendingCountry, UprSession, ...``
(lists where the workbook has newline-separated values).

* Single values carry a ``- `` prefix (``- Kazakhstan``); multi-values are newline-separated
  ``- x`` lines. Both are stripped.
* Only rows whose body is the UPR are recommendations; the rest (treaty bodies, special
  procedures) are counted as skipped, not as errors.
* ``Text`` starts with the paragraph number (``145.2``), which is kept as the paragraph; a
  closing parenthesised list of the recommending states (``... (France) (Lithuania);``)
  repeats ``UPR Reccomending States`` and is not part of the text.
* ``UPR Session`` reads ``- 34 Session``; SDGs read ``16.2 - Protect children ...``; dates may
  be Excel serial numbers. The document symbol becomes the review's report symbol.
* Recommendations supported in part come with two positions: they are "mixed".
* Invisible marks (left-to-right marks, byte order marks, zero-width spaces) are removed from
  every cell and no-break spaces made plain; a paragraph named in words (``Recommendation No.
  12 para. 145.2``, ``para. 145.2``) is understood; a ``Countries Concerned`` cell joining two
  states (``South Sudan - Sudan``) rejects its row with a message naming both.
"""

from __future__ import annotations

import re
from typing import Any

from tracker.i18n import _
from tracker.importers.detect import ColumnMap
from tracker.importers.inputs import RecommendationInput
from tracker.importers.outcome import FileReport, ParsedRow
from tracker.importers.rows import (
    Field,
    Fields,
    ParseContext,
    Progress,
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
    decode_entities,
    parse_date_cell,
    parse_response_cell,
    parse_sdg,
    parse_session,
    quote,
    split_dashed,
    split_paragraph,
    strip_dash,
    strip_invisible,
    unescape_xlsx,
)
from tracker.states import UnknownStateError, is_unknown_marker
from tracker.vocab import Response

MAX_PARAGRAPH = 20
MAX_SYMBOL = 40
MAX_NAME = 200
MAX_SDG_LABEL = 400
UPR_BODIES = ("upr", "universal periodic review", "upr working group")
_TRAILING_PUNCT = " \t\r\n;,."


def is_upr_body(values: list[str]) -> bool:
    """True when one of the body values names the Universal Periodic Review."""
    for v in values:
        folded = " ".join(v.casefold().replace("-", " ").split())
        if folded in UPR_BODIES or folded.startswith(("upr ", "universal periodic review")):
            return True
    return False


def strip_trailing_states(text: str, states: list[str], ctx: ParseContext) -> str:
    """Remove closing parentheses that only name recommending states of the row:
    ``"Ratify X (France) (Lithuania);"`` -> ``"Ratify X"``. Nested parentheses in a name
    (``(Iran (Islamic Republic of))``) are understood."""
    wanted = set(states)
    if not wanted:
        return text
    while True:
        end = len(text.rstrip(_TRAILING_PUNCT))
        if end == 0 or text[end - 1] != ")":
            return text
        depth = 0
        start = -1
        for i in range(end - 1, -1, -1):
            ch = text[i]
            if ch == ")":
                depth += 1
            elif ch == "(":
                depth -= 1
                if depth == 0:
                    start = i
                    break
        if start < 0:
            return text
        inner = text[start + 1 : end - 1]
        names = [n for n in re.split(r"\s*[,;]\s*", inner) if n.strip()]
        if not names:
            return text
        try:
            codes = {ctx.iso3(n) for n in names if not is_unknown_marker(n)}
        except UnknownStateError:
            return text
        if not codes or not codes <= wanted:
            return text
        text = text[:start].rstrip(" \t\r\n")


def table(ctx: ParseContext, xlsx: bool) -> tuple[Field, ...]:
    """The export's columns but the body (which decides whether a row is read at all) and
    the cycle (checked against the session), in the order their problems are listed.
    ``xlsx``: the cells hold Excel's ``_x000D_`` escapes."""

    def text_of(value: Any) -> str:
        text = as_text(value)
        if xlsx:
            text = unescape_xlsx(text)
        return strip_invisible(decode_entities(text))

    def dashed(value: Any) -> list[str]:
        return split_dashed(text_of(value))

    def state(value: Any) -> str:
        countries = dashed(value)
        if len(countries) > 1:
            raise CellError(
                _(
                    "{value} names {n} states; a UPR recommendation concerns one state under review"
                ).format(value=quote(", ".join(countries)), n=len(countries))
            )
        return ctx.state_under_review_of_one(countries)

    def session(value: Any) -> int:
        sessions = dashed(value)
        if len(sessions) > 1:
            raise CellError(
                _("{value} names more than one session").format(value=quote(", ".join(sessions)))
            )
        return parse_session(sessions[0] if sessions else "")

    def sdg(item: str) -> tuple[str, str | None]:
        got = parse_sdg(item)
        check_length(got[1], MAX_SDG_LABEL)
        return got

    return (
        Field("countries", state),
        Field("rs", lambda v: ctx.recommending_states(dashed(v))),
        Field("text", lambda v: split_paragraph(clean_cell_text(text_of(v)))),
        Field("session", session),
        Field("position", parse_response_cell, split=dashed),
        Field("symbol", lambda v: bounded_symbol(strip_dash(text_of(v)))),
        Field("themes", bounded_name, split=dashed),
        Field("affected", bounded_name, split=dashed),
        Field("sdgs", sdg, split=dashed),
        Field("body", dashed),
        Field("cycle", dashed),
    )


bounded_symbol = bounded_line(MAX_SYMBOL)
bounded_name = bounded_line(MAX_NAME)


def read_rows(
    report: FileReport,
    rows: RowStream | list[Row],
    cmap: ColumnMap,
    ctx: ParseContext,
    progress: Progress | None = None,
) -> None:
    """Validate UHRI rows into ``report.parsed`` / ``report.rejected``."""
    idx = cmap.index
    col = cmap.name
    header = cmap.header
    order = [col(k) for k in ("countries", "rs", "text", "session", "position", "cycle")]
    fields = Fields(table(ctx, report.kind == "xlsx"), cmap)
    for row_no, cells, values, check in iter_fields(report, rows, fields, progress):
        sur, states, text, session, positions, symbol, themes, groups, sdg_items = values[:9]
        bodies, cycles = values[9:]
        if not is_upr_body(bodies):
            report.rows_skipped += 1
            report.skipped_reasons[", ".join(bodies) or _("no body")] += 1
            continue
        states = states or []
        paragraph, body_text = text if text is not None else (None, "")
        body_text = strip_trailing_states(body_text, states, ctx)
        if not body_text:
            check.add(col("text"), _("empty — the recommendation text is required"))
        if paragraph is not None:
            check.parse(col("text"), lambda v: check_length(v, MAX_PARAGRAPH), paragraph)

        response = None
        distinct = {p for p in positions if p}
        if len(distinct) == 1:
            response = distinct.pop()
        elif len(distinct) > 1:
            response = Response.MIXED.value

        if "cycle" in idx:
            check_cycle(
                check, col("cycle"), cycles[0] if cycles else "", session, ", ".join(cycles)
            )
        check.order(order)

        sdgs: list[tuple[str, str | None]] = []
        for got_sdg in sdg_items:
            if got_sdg[0] not in {code for code, _label in sdgs}:
                sdgs.append(got_sdg)

        # The report's publication date is shown in the preview but not stored (a review's
        # date is not its report's), so a date that cannot be read rejects nothing.
        raw_date = None if "pubdate" not in idx else cells[idx["pubdate"]]
        try:
            published = parse_date_cell(
                strip_dash(strip_invisible(raw_date)) if isinstance(raw_date, str) else raw_date
            )
        except CellError:
            published = None

        if not check.errors and sur is not None and session is not None:
            conflict = ctx.check_review(sur, session, row_no)
            if conflict:
                check.add(col("session"), conflict)

        if check.errors or sur is None or session is None:
            check.reject(report, header, cells)
            continue
        report.parsed.append(
            ParsedRow(
                row_no,
                RecommendationInput(
                    state_under_review=sur,
                    session=session,
                    text=body_text,
                    response=response,
                    recommending_states=states,
                    themes=themes,
                    sdgs=sdgs,
                    affected_groups=groups,
                    paragraph=paragraph,
                    report_symbol=symbol,
                    source_row=row_no,
                ),
                extra={"published": published},
            )
        )
        report.rows_valid += 1
