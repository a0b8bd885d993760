"""UPR Info database exports: one row per recommendation and recommending state.

Variants read (see docs in UPR_REFERENCE.md, "Formats people will bring"):

* the 2018 export: ``SuR;Rgrp;Org;Recommendation;RS;Rgrp;Org;Response;Action;Issue;Session``
  (``;``, UTF-8 with BOM, CRLF, the names ``Rgrp``/``Org`` twice: only the first of a repeated
  name is read, and those two are not read at all: regional groups come from the state table);
* the older scrape: ``To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,
  Session`` (``,``, Mac Roman, bare CR, "Accepted" for supported);
* the newer web export: ``Recommendation, State under Review, Recommending State, Response,
  Issues, Cycle, Session, Action Category`` (any case; a Cycle column must agree with the
  session).

HTML entities in values are decoded (``&#40;Unknown&#41;``), and an "(Unknown)" recommending
state means a recommendation without a recommending state. Issues and recommending states
may be joined by ``,``, ``;`` or ``|``. Invisible marks (left-to-right marks, byte order
marks) are removed and no-break spaces made plain. Sessions may read ``20``, ``Session 20``,
``20 - October 2014`` or ``- 34 Session``, cycles ``2nd Cycle``. An export split into several
files (by session, under an export cap) imports in one go: rows two files share add nothing.
"""

from __future__ import annotations

from typing import Any

from tracker.i18n import _
from tracker.importers.detect import ColumnMap
from tracker.importers.inputs import NO_ITEMS, RecommendationInput
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
    as_text,
    check_length,
    clean_cell_text,
    decode_entities,
    parse_action_category,
    parse_response_cell,
    parse_session,
    split_list,
    strip_invisible,
)

MAX_PARAGRAPH = 20
MAX_SYMBOL = 40
MAX_THEME = 200


def _issues(raw: Any) -> list[str]:
    items = split_list(strip_invisible(decode_entities(as_text(raw))), ",;|")
    for item in items:
        check_length(item, MAX_THEME)
    return items


def _text(raw: Any) -> str:
    """The recommendation's text, on the fast path of the usual one-line ASCII text."""
    text = raw if raw.__class__ is str else as_text(raw)
    if "&" in text:
        text = decode_entities(text)
    if not text.isascii():  # a flag of the string: free for the usual ASCII text
        text = strip_invisible(text)
    # clean_cell_text, inlined for the usual one-line text
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())
    return clean_cell_text(text)


def _session(raw: Any) -> int:
    return parse_session(strip_invisible(raw) if isinstance(raw, str) else raw)


def table(ctx: ParseContext) -> tuple[Field, ...]:
    """The format's columns: how each is parsed; the values of the repeating ones (states,
    sessions, responses, issues) are parsed once each."""
    return (
        Field("sur", lambda v: ctx.state_under_review(strip_invisible(as_text(v))), repeats=True),
        Field("session", _session, repeats=True),
        Field(
            "rs",
            lambda v: ctx.recommending_states([strip_invisible(decode_entities(as_text(v)))]),
            repeats=True,
        ),
        Field("response", parse_response_cell, repeats=True),
        Field("action", parse_action_category, repeats=True),
        Field("issue", _issues, repeats=True),
        Field("text", _text, required=_("empty — the recommendation text is required")),
        Field("paragraph", bounded_line(MAX_PARAGRAPH)),
        Field("symbol", bounded_line(MAX_SYMBOL)),
    )


def read_rows(
    report: FileReport,
    rows: RowStream | list[Row],
    cmap: ColumnMap,
    ctx: ParseContext,
    progress: Progress | None = None,
) -> None:
    """Validate ``rows`` (after the header) into ``report.parsed`` / ``report.rejected``."""
    fields = Fields(table(ctx), cmap)
    i_cycle = cmap.index.get("cycle")
    col = cmap.name
    header = cmap.header
    # problems of a row in the order of the file's columns
    in_file = [col(k) for k in sorted(cmap.index, key=cmap.index.__getitem__)]
    reviews_seen: set[tuple[str, int]] = set()  # (state, session) pairs already checked
    parsed_rows = report.parsed
    n_valid = 0
    for row_no, cells, values, check in iter_fields(
        report, rows, fields, progress, telling=("text", "sur"), text_cells=report.kind == "json"
    ):
        sur, session, states, response, action, themes, text, paragraph, symbol = values
        if i_cycle is not None:
            check_cycle(check, col("cycle"), cells[i_cycle], session)
        if not check.errors and (sur, session) not in reviews_seen:
            conflict = ctx.check_review(sur, session, row_no)
            if conflict:
                check.add(col("session"), conflict)
            else:
                reviews_seen.add((sur, session))
        if check.errors:
            check.order(in_file)
            check.reject(report, header, cells)
            continue
        parsed_rows.append(
            ParsedRow(
                row_no,
                RecommendationInput(
                    state_under_review=sur,
                    session=session,
                    text=text,
                    response=response,
                    action_category=action,
                    recommending_states=states,
                    themes=themes,
                    sdgs=NO_ITEMS,
                    affected_groups=NO_ITEMS,
                    paragraph=paragraph,
                    report_symbol=symbol,
                    source_row=row_no,
                ),
            )
        )
        n_valid += 1
    report.rows_valid += n_valid
