"""The one filter object shared by the CLI, the queries and the pages.

A :class:`Filters` round-trips through URL query parameters (``state``, ``cycle``, ``theme``,
``rs``, ``response``, ``status``, ``q``) so that a copied link reproduces a view. Values may
repeat (``?cycle=1&cycle=2``) or be comma-separated (``?cycle=1,2``); theme names, which may
hold commas, are only split on repeats. ``rs`` takes recommending states (any spelling or ISO
code) and UN regional groups (``WEOG``, ``GRULAC``, ``EEG``, ``African``, ``Asia-Pacific``).
Unknown values are dropped, never trusted: the parameters are a whitelist of plain strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from tracker.states import UnknownStateError, resolve_iso3
from tracker.vocab import NOT_ASSESSED, REGIONAL_GROUPS, STATUS_ORDER, Response, parse_response

QUERY_KEYS = ("state", "cycle", "theme", "rs", "response", "status", "q", "as_of")
MAX_CYCLE = 100  # cycles are numbered from 1; the fourth began in 2022
MAX_QUERY_LENGTH = 500  # a search longer than this is a paste accident, not a query


@dataclass(frozen=True)
class Filters:
    """What to show. Empty means "no restriction"."""

    states: tuple[str, ...] = ()  # ISO alpha-3 of states under review
    cycles: tuple[int, ...] = ()
    themes: tuple[str, ...] = ()
    recommending: tuple[str, ...] = ()  # ISO alpha-3 of recommending states
    regional_groups: tuple[str, ...] = ()  # of recommending states
    responses: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # vocab.Status values and "not_assessed"
    q: str = ""
    # Everything "as it was" on this day: the status is the latest assessment on or before
    # it, later assessments are left out (None: today, the stored current status).
    as_of: dt.date | None = None

    def is_empty(self) -> bool:
        return self == Filters()

    def with_(self, **changes: object) -> Filters:
        return replace(self, **changes)  # type: ignore[arg-type]

    def cache_key(self) -> tuple:
        return (
            self.states,
            self.cycles,
            self.themes,
            self.recommending,
            self.regional_groups,
            self.responses,
            self.statuses,
            self.q,
            self.as_of,
        )


def _values(params: Mapping[str, Sequence[str] | str], key: str, split: bool = True) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        parts = item.split(",") if split else [item]
        out.extend(p.strip() for p in parts if p.strip())
    return out


def _unique(items: Iterable) -> tuple:
    return tuple(dict.fromkeys(items))


def _state_codes(names: Iterable[str]) -> list[str]:
    out = []
    for n in names:
        try:
            out.append(resolve_iso3(n))
        except UnknownStateError:
            continue
    return out


def valid_cycle(raw: str) -> bool:
    """True when ``raw`` names a UPR cycle: ASCII digits, 1 to 99 (isdigit() alone would
    let "²" through to int(), which refuses it)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 3 and 0 < int(raw) < MAX_CYCLE


def from_query_params(params: Mapping[str, Sequence[str] | str]) -> Filters:
    """Filters from URL query parameters (a dict of lists or of strings)."""
    cycles = [int(c) for c in _values(params, "cycle") if valid_cycle(c)]
    groups_by_fold = {g.casefold(): g for g in REGIONAL_GROUPS}
    groups_by_fold["asia"] = "Asia-Pacific"
    groups_by_fold["africa"] = "African"
    rs_values = _values(params, "rs")
    groups = [groups_by_fold[v.casefold()] for v in rs_values if v.casefold() in groups_by_fold]
    rs_states = _state_codes(v for v in rs_values if v.casefold() not in groups_by_fold)
    responses = [r.value for r in (parse_response(v) for v in _values(params, "response")) if r]
    statuses = [s for s in _values(params, "status") if s in STATUS_ORDER]
    q_values = _values(params, "q", split=False)
    as_of = parse_as_of(_values(params, "as_of")[0]) if _values(params, "as_of") else None
    return Filters(
        states=_unique(_state_codes(_values(params, "state"))),
        cycles=_unique(sorted(cycles)),
        themes=_unique(_values(params, "theme", split=False)),
        recommending=_unique(rs_states),
        regional_groups=_unique(groups),
        responses=_unique(responses),
        statuses=_unique(statuses),
        q=(q_values[0] if q_values else "")[:MAX_QUERY_LENGTH],
        as_of=as_of,
    )


def parse_as_of(value: str) -> dt.date | None:
    """A YYYY-MM-DD date from a URL or the command line, or None when it is not one."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def to_query_params(f: Filters) -> dict[str, list[str]]:
    """URL query parameters for ``f`` (only the keys in use)."""
    out: dict[str, list[str]] = {}
    if f.states:
        out["state"] = list(f.states)
    if f.cycles:
        out["cycle"] = [str(c) for c in f.cycles]
    if f.themes:
        out["theme"] = list(f.themes)
    if f.recommending or f.regional_groups:
        out["rs"] = list(f.recommending) + list(f.regional_groups)
    if f.responses:
        out["response"] = list(f.responses)
    if f.statuses:
        out["status"] = list(f.statuses)
    if f.q:
        out["q"] = [f.q]
    if f.as_of:
        out["as_of"] = [f.as_of.isoformat()]
    return out


__all__ = [
    "MAX_QUERY_LENGTH",
    "NOT_ASSESSED",
    "QUERY_KEYS",
    "Filters",
    "Response",
    "from_query_params",
    "parse_as_of",
    "to_query_params",
]
