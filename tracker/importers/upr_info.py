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

from collections.abc import Callable
from typing import Any

from tracker.i18n import _
from tracker.importers.detect import ColumnMap
from tracker.importers.inputs import RecommendationInput
from tracker.importers.outcome import FileReport, ParsedRow
from tracker.importers.rows import ParseContext, Progress, RowCheck, iter_rows
from tracker.importers.values import (
    CellError,
    as_text,
    check_length,
    clean_cell_text,
    decode_entities,
    parse_action_category,
    parse_cycle,
    parse_response_cell,
    parse_session,
    quote,
    single_line,
    split_list,
    strip_invisible,
)
from tracker.vocab import cycle_for_session

MAX_PARAGRAPH = 20
MAX_SYMBOL = 40
MAX_THEME = 200


_MISSING = object()


class _Cached:
    """A cell parser that parses each distinct value once (61,014 rows hold 193 states,
    27 sessions, 2 responses): value -> result, or the CellError it raised."""

    __slots__ = ("cache", "fn")

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.cache: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        got = self.cache.get(value, _MISSING)
        if got is _MISSING:
            try:
                got = self.fn(value)
            except CellError as exc:
                # Without its traceback: kept, the traceback would hold this import's frames
                # (every row read) alive in a cycle until the garbage collector runs.
                got = exc.with_traceback(None)
            self.cache[value] = got
        return got


def read_rows(
    report: FileReport,
    rows: list[tuple[int, list[Any]]],
    cmap: ColumnMap,
    ctx: ParseContext,
    progress: Progress | None = None,
) -> None:
    """Validate ``rows`` (after the header) into ``report.parsed`` / ``report.rejected``."""
    idx = cmap.index
    i_sur, i_text, i_session = idx["sur"], idx["text"], idx["session"]
    i_rs, i_resp, i_action = idx.get("rs"), idx.get("response"), idx.get("action")
    i_issue, i_cycle = idx.get("issue"), idx.get("cycle")
    i_para, i_symbol = idx.get("paragraph"), idx.get("symbol")
    col = cmap.name
    header = cmap.header
    width = len(header)
    hashable = report.kind != "json"  # JSON cells may be lists

    def issues(raw: Any) -> list[str]:
        items = split_list(strip_invisible(decode_entities(as_text(raw))), ",;|")
        for item in items:
            check_length(item, MAX_THEME)
        return items

    # The columns whose values repeat, each distinct value parsed once. A missing optional
    # column reads as an empty cell. The lists of states and themes are shared by the rows
    # that have the same cell: read-only, like everything a reader produces.
    p_sur = _Cached(lambda v: ctx.state_under_review(strip_invisible(as_text(v))))
    p_session = _Cached(lambda v: parse_session(strip_invisible(v) if isinstance(v, str) else v))
    p_rs = _Cached(
        lambda v: ctx.recommending_states([strip_invisible(decode_entities(as_text(v)))])
    )
    p_resp = _Cached(parse_response_cell)
    p_action = _Cached(parse_action_category)
    p_issue = _Cached(issues)
    c_sur, c_session, c_rs = p_sur.cache, p_session.cache, p_rs.cache
    c_resp, c_action, c_issue = p_resp.cache, p_action.cache, p_issue.cache
    named = [
        ("sur", p_sur),
        ("session", p_session),
        ("rs", p_rs),
        ("response", p_resp),
        ("action", p_action),
        ("issue", p_issue),
    ]
    empty_text = _("empty — the recommendation text is required")
    reviews_seen: set[tuple[str, int]] = set()  # (state, session) pairs already checked
    parsed_rows = report.parsed
    n_valid = 0
    for row_no, cells in iter_rows(
        report, rows, width, progress, telling=(i_text, i_sur), header=header
    ):
        if not hashable:
            cells = [as_text(c) if isinstance(c, list | dict) else c for c in cells]
        v = cells[i_sur]
        sur = c_sur.get(v, _MISSING)
        if sur is _MISSING:
            sur = p_sur(v)
        v = cells[i_session]
        session = c_session.get(v, _MISSING)
        if session is _MISSING:
            session = p_session(v)
        v = cells[i_rs] if i_rs is not None else None
        states = c_rs.get(v, _MISSING)
        if states is _MISSING:
            states = p_rs(v)
        v = cells[i_resp] if i_resp is not None else None
        response = c_resp.get(v, _MISSING)
        if response is _MISSING:
            response = p_resp(v)
        v = cells[i_action] if i_action is not None else None
        action = c_action.get(v, _MISSING)
        if action is _MISSING:
            action = p_action(v)
        v = cells[i_issue] if i_issue is not None else None
        themes = c_issue.get(v, _MISSING)
        if themes is _MISSING:
            themes = p_issue(v)
        errors: list[tuple[str, str]] | None = None
        if (
            sur.__class__ is CellError
            or session.__class__ is CellError
            or states.__class__ is CellError
            or response.__class__ is CellError
            or action.__class__ is CellError
            or themes.__class__ is CellError
        ):
            parsed = (sur, session, states, response, action, themes)
            errors = []
            for (field, _p), got in zip(named, parsed, strict=True):
                if type(got) is CellError:
                    errors.append((col(field), str(got)))
            sur, session, states, response, action, themes = (
                None if type(x) is CellError else x for x in parsed
            )
        paragraph = symbol = None
        text = cells[i_text]
        if text.__class__ is not str:
            text = as_text(text)
        if "&" in text:
            text = decode_entities(text)
        if not text.isascii():  # a flag of the string: free for the usual ASCII text
            text = strip_invisible(text)
        # clean_cell_text, inlined for the usual one-line text
        text = (
            " ".join(text.split())
            if "\n" not in text and "\r" not in text
            else clean_cell_text(text)
        )
        if not text:
            errors = errors or []
            errors.append((col("text"), empty_text))

        if i_cycle is not None or i_para is not None or i_symbol is not None:
            check = RowCheck(row_no)
            if i_cycle is not None and session is not None:
                cycle = check.parse(col("cycle"), parse_cycle, cells[i_cycle])
                if cycle is not None and cycle != cycle_for_session(session):
                    check.add(
                        col("cycle"),
                        _(
                            "{value} does not match session {session}, which is in cycle {cycle}"
                        ).format(
                            value=quote(as_text(cells[i_cycle])),
                            session=session,
                            cycle=cycle_for_session(session),
                        ),
                    )
            if i_para is not None:
                paragraph = single_line(as_text(cells[i_para])) or None
                check.parse(col("paragraph"), lambda v: check_length(v, MAX_PARAGRAPH), paragraph)
            if i_symbol is not None:
                symbol = single_line(as_text(cells[i_symbol])) or None
                check.parse(col("symbol"), lambda v: check_length(v, MAX_SYMBOL), symbol)
            if check.errors:
                errors = (errors or []) + check.errors

        if errors is None and (sur, session) not in reviews_seen:
            conflict = ctx.check_review(sur, session, row_no)
            if conflict:
                errors = [(col("session"), conflict)]
            else:
                reviews_seen.add((sur, session))

        if errors is not None:
            check = RowCheck(row_no)
            check.errors = sorted(errors, key=lambda e: _order(cmap, e[0]))
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
                    sdgs=[],
                    affected_groups=[],
                    paragraph=paragraph,
                    report_symbol=symbol,
                    source_row=row_no,
                ),
            )
        )
        n_valid += 1
    report.rows_valid += n_valid


def _order(cmap: ColumnMap, column: str) -> int:
    """Problems of a row in the order of the file's columns."""
    for key, i in cmap.index.items():
        if cmap.name(key) == column:
            return i
    return len(cmap.header)
