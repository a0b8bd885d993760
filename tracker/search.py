"""Text search over recommendation texts, indexed on SQLite and PostgreSQL.

A query ``q`` is a list of words and "quoted phrases"; a recommendation matches when it
holds every one of them (case-insensitive; on SQLite accents are ignored too):

* an unquoted word matches words that start with it (``traffick`` finds "trafficking");
* a "quoted phrase" matches those exact words, adjacent and in that order (``"domestic
  violence"``); a quoted single word matches that word only (``"torture"`` does not find
  "tortured");
* punctuation inside a term separates words (``non-discrimination`` is the phrase
  "non discrimination"); a term made only of punctuation (``%``, ``**``) is looked for
  literally in the text;
* nothing in ``q`` is syntax: ``%``, ``_``, quotes, ``*``, ``AND``/``OR``/``NEAR``, SQL or
  tsquery operators are plain characters. An unbalanced quote counts as punctuation.

:func:`text_condition` returns one SQL construct that compiles per database:

* SQLite: ``recommendation.id IN (SELECT rowid FROM recommendation_fts WHERE
  recommendation_fts MATCH ...)`` on the FTS5 external-content table of migration 0002
  (kept in sync with ``recommendation.text`` by triggers);
* PostgreSQL: ``to_tsvector('simple', text) @@ (...)``, served by the GIN expression index
  of migration 0002 (the ``simple`` configuration: no stemming, no stop words, so that every
  word of a UN text can be found);
* any other database: a portable ``LIKE`` (slow on large tables, same terms).

Why full-text and not ``LIKE``: ``LIKE '%x%'`` reads every row (about 0.1 s per term on the
61k-row corpus, more on the 100k+ whole), and SQLite's ``lower()`` folds ASCII only, so
Cyrillic searches were case-sensitive. The index answers in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import column, table

from tracker.models import Recommendation

MAX_TERMS = 12  # more terms than this is a pasted paragraph, not a search
FTS_TABLE = "recommendation_fts"  # SQLite FTS5 table (migration 0002)
PG_TS_CONFIG = "simple"  # must equal the configuration of the GIN index (migration 0002)

_TERM_RE = re.compile(r'"([^"]*)"|(\S+)')
_TOKEN_RE = re.compile(r"[^\W_]+")  # letters and digits of any script: a word to the index


@dataclass(frozen=True)
class Term:
    """One search term: a word (matched as a word prefix) or a quoted phrase (exact words)."""

    text: str
    phrase: bool

    @property
    def tokens(self) -> list[str]:
        """The words of the term as the index sees them (punctuation separates words)."""
        return _TOKEN_RE.findall(self.text)


def parse(q: str) -> list[Term]:
    """The terms of a query, in order, at most :data:`MAX_TERMS`."""
    out: list[Term] = []
    for m in _TERM_RE.finditer(q or ""):
        if m.group(1) is not None:
            text = " ".join(m.group(1).split())
            if text:
                out.append(Term(text, phrase=True))
        else:
            out.append(Term(m.group(2), phrase=False))
    return out[:MAX_TERMS]


def terms(q: str) -> list[str]:
    """Words and quoted phrases of a query, as plain strings."""
    return [t.text for t in parse(q)]


def fts5_query(ts: list[Term]) -> str:
    """The FTS5 MATCH expression for terms that have words: every token double-quoted (so
    nothing is FTS5 syntax), ``*`` for a word prefix, terms joined by AND."""
    parts = []
    for t in ts:
        phrase = '"' + " ".join(t.tokens) + '"'
        parts.append(phrase if t.phrase else phrase + "*")
    return " AND ".join(parts)


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(t: Term) -> ColumnElement[bool]:
    return func.lower(Recommendation.text).like(f"%{_escape_like(t.text.lower())}%", escape="\\")


class TextMatch(ColumnElement[bool]):
    """``recommendation.text`` matches every term; compiled per database (see module doc)."""

    type = Boolean()
    inherit_cache = False  # the SQL's shape depends on the terms: never reuse a compiled form
    # A predicate as it stands: without this, SQLite got "... IN (SELECT rowid ...) = 1",
    # which its planner cannot use as an index look-up, and read the whole table (0.07 s per
    # search on 156,000 recommendations instead of 1 ms; docs/performance.md).
    _is_implicitly_boolean = True

    def __init__(self, ts: list[Term], *, lead: bool = True) -> None:
        self.terms = tuple(ts)
        self.lead = lead  # see text_condition


def _indexed_and_literal(element: TextMatch) -> tuple[list[Term], list[Term]]:
    indexed = [t for t in element.terms if t.tokens]
    literal = [t for t in element.terms if not t.tokens]
    return indexed, literal


@compiles(TextMatch)
def _compile_like(element: TextMatch, compiler: Any, **kw: Any) -> str:
    return compiler.process(and_(true(), *(_like(t) for t in element.terms)), **kw)


@compiles(TextMatch, "sqlite")
def _compile_sqlite(element: TextMatch, compiler: Any, **kw: Any) -> str:
    indexed, literal = _indexed_and_literal(element)
    conds: list[ColumnElement[bool]] = [_like(t) for t in literal]
    if indexed:
        fts = table(FTS_TABLE, column("rowid"))
        match = literal_column(FTS_TABLE).op("MATCH")(
            bindparam(None, fts5_query(indexed), unique=True)
        )
        matched = select(fts.c.rowid).where(match)
        if element.lead:
            conds.insert(0, Recommendation.id.in_(matched))
        else:  # SQLite's unary + keeps the planner from reading the matches by id first
            plus_id: ColumnElement[Any] = literal_column(
                "+" + compiler.process(Recommendation.id, **kw)
            )
            conds.insert(0, plus_id.in_(matched))
    return compiler.process(and_(true(), *conds), **kw)


def _tsquery(t: Term) -> ColumnElement[Any]:
    config: ColumnElement[Any] = literal_column(f"'{PG_TS_CONFIG}'")
    if not t.phrase and len(t.tokens) == 1:
        # 'word':* is a prefix query; the token has only letters and digits, no quote.
        return func.to_tsquery(config, bindparam(None, f"'{t.tokens[0]}':*", unique=True))
    return func.phraseto_tsquery(config, bindparam(None, t.text, unique=True))


@compiles(TextMatch, "postgresql")
def _compile_postgresql(element: TextMatch, compiler: Any, **kw: Any) -> str:
    indexed, literal = _indexed_and_literal(element)
    conds: list[ColumnElement[bool]] = [_like(t) for t in literal]
    if indexed:
        query = _tsquery(indexed[0])
        for t in indexed[1:]:
            query = query.op("&&")(_tsquery(t))
        # The literal configuration (not a bound parameter) lets the planner use the index.
        # When another condition selects fewer rows (lead=False: one country), a bound one
        # keeps it from the index: PostgreSQL then checks that country's few hundred texts
        # instead of reading every match of a common word (0.29 s -> 0.03 s for "rights").
        config: ColumnElement[Any] = (
            literal_column(f"'{PG_TS_CONFIG}'")
            if element.lead
            else cast(bindparam(None, PG_TS_CONFIG, unique=True), REGCONFIG)
        )
        vector = func.to_tsvector(config, Recommendation.text)
        conds.insert(0, vector.op("@@")(query))
    return compiler.process(and_(true(), *conds), **kw)


def text_condition(q: str, *, lead: bool = True) -> ColumnElement[bool]:
    """A WHERE condition: the recommendation text holds every term of ``q``.

    ``lead=False`` when another condition selects fewer rows (one country's reviews): SQLite
    then reads those and checks each against the matches, instead of reading every match
    (a common word matches 47,000 of 156,000 recommendations; docs/performance.md).
    PostgreSQL's planner decides by itself."""
    ts = parse(" ".join((q or "").split()))
    if not ts:
        return true()
    return TextMatch(ts, lead=lead)


__all__ = [
    "FTS_TABLE",
    "MAX_TERMS",
    "Term",
    "TextMatch",
    "fts5_query",
    "parse",
    "terms",
    "text_condition",
]
