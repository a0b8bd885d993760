"""Country names: any spelling from any source -> one State, keyed by ISO 3166 alpha-3.

Reference data, kept as data files beside this module:

* ``data/states.csv`` — the 193 UN member states plus the two observer states (Holy See,
  State of Palestine): ISO alpha-3, the short name people write, the UN short name, and the
  UN regional group (African, Asia-Pacific, EEG, GRULAC, WEOG; observers have none).
  Facts compiled from pycountry and UN membership; regional groups as the UN and UPR Info
  assign them.
* ``data/state_aliases.csv`` — spellings found in UPR Info, OHCHR and older exports that
  ISO 3166 does not know ("Macedonia FYR", "DPR Korea", "St Kitts & Nevis", ...).

Resolution is exact after normalisation (whitespace, case, accents, "&"/"and",
"St"/"Saint", HTML entities): there is deliberately no fuzzy matching, because fuzzy
matching resolves "Republic of Korea" to the *Democratic People's* Republic of Korea.
An unknown name raises :class:`UnknownStateError` quoting it; no state is ever created
from a name that does not resolve.
"""

from __future__ import annotations

import csv
import gettext
import html
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.i18n import _, get_language
from tracker.models import State

DATA_DIR = Path(__file__).resolve().parent / "data"


class UnknownStateError(ValueError):
    """A country name that resolves to no UN member or observer state."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(_("unknown state {name!r}").format(name=name))


@dataclass(frozen=True)
class StateInfo:
    iso3: str
    name: str
    un_name: str
    regional_group: str | None


def _fold(name: str) -> str:
    """Normalise a name for comparison: entities, accents, case, punctuation, '&', 'St'."""
    s = html.unescape(name)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().replace("&", " and ").replace("’", "'").replace("`", "'")
    for ch in '.,;:"':
        s = s.replace(ch, " ")
    words = s.split()
    words = ["saint" if w in ("st", "ste") else w for w in words]
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@cache
def reference_states() -> dict[str, StateInfo]:
    """Every known state by ISO alpha-3."""
    out: dict[str, StateInfo] = {}
    with (DATA_DIR / "states.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out[row["iso3"]] = StateInfo(
                iso3=row["iso3"],
                name=row["name"],
                un_name=row["un_name"],
                regional_group=row["regional_group"] or None,
            )
    return out


@cache
def _name_index() -> dict[str, str]:
    """Folded spelling -> iso3, from the reference table, the aliases and pycountry."""
    states = reference_states()
    index: dict[str, str] = {}
    for info in states.values():
        c = pycountry.countries.get(alpha_3=info.iso3)
        names = [info.name, info.un_name, info.iso3]
        if c is not None:
            names += [c.name, getattr(c, "official_name", ""), getattr(c, "common_name", "")]
        for n in names:
            if n:
                index.setdefault(_fold(n), info.iso3)
    with (DATA_DIR / "state_aliases.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["iso3"] not in states:
                raise ValueError(f"state_aliases.csv: {row['alias']!r} names unknown {row['iso3']}")
            index[_fold(row["alias"])] = row["iso3"]  # aliases win over pycountry names
    return index


def clean_name(name: str) -> str:
    """A name as written, with entities decoded and stray whitespace/newlines removed."""
    return " ".join(html.unescape(name).split())


def is_unknown_marker(name: str) -> bool:
    """True for UPR Info's "(Unknown)" recommending state, which means "no state"."""
    return _fold(name).strip("() ") in ("unknown", "")


def resolve_iso3(name: str) -> str:
    """The ISO alpha-3 code of ``name`` (any known spelling), or raise UnknownStateError."""
    key = _fold(name)
    iso3 = _name_index().get(key)
    if iso3 is None:
        iso3 = _name_index().get(key.replace(" and ", " "))
    if iso3 is None:
        raise UnknownStateError(clean_name(name))
    return iso3


def state_info(name_or_iso3: str) -> StateInfo:
    return reference_states()[resolve_iso3(name_or_iso3)]


class StateResolver:
    """Resolve names to State rows in one session, creating a row the first time a known
    state is used, with one database round trip per distinct state."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_iso3: dict[str, State] = {s.iso3: s for s in session.scalars(select(State))}

    def get(self, name: str) -> State:
        iso3 = resolve_iso3(name)
        state = self._by_iso3.get(iso3)
        if state is None:
            info = reference_states()[iso3]
            state = State(
                iso3=iso3,
                name=info.name,
                un_name=info.un_name,
                regional_group=info.regional_group,
            )
            self.session.add(state)
            self.session.flush()
            self._by_iso3[iso3] = state
        return state


@cache
def _overrides(lang: str) -> dict[str, str]:
    path = DATA_DIR / f"state_names_{lang}.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {row["iso3"]: row["name"] for row in csv.DictReader(f)}


@cache
def _iso_translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@cache
def display_name(iso3: str, lang: str = "en") -> str:
    """A state's short name in ``lang``: the UN short name where the project keeps one
    (``data/state_names_<lang>.csv``), else pycountry's translation of the ISO name, else the
    English short name."""
    info = reference_states().get(iso3)
    english = info.name if info else iso3
    if lang == "en" or info is None:
        return english
    override = _overrides(lang).get(iso3)
    if override:
        return override
    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        return english
    t = _iso_translations(lang)
    for candidate in (getattr(c, "common_name", None), c.name):
        if candidate:
            translated = t.gettext(candidate)
            if translated != candidate:
                return translated
    return english


def formal_name(name_or_iso3: str, lang: str | None = None) -> str:
    """The UN formal short name of a state for documents (reports, matrix fills, snapshots):
    "Russian Federation", "Iran (Islamic Republic of)", "Democratic People's Republic of
    Korea" in English; in another language the project's UN names (``state_names_<lang>.csv``)
    or the translated name. A name that does not resolve is returned as given."""
    lang = lang or get_language()
    iso3 = _iso3_by_name(name_or_iso3)
    if iso3 is None:
        return name_or_iso3
    if lang == "en":
        return reference_states()[iso3].un_name
    return display_name(iso3, lang)


@cache
def _iso3_by_name(name: str) -> str | None:
    info = reference_states()
    if name in info:
        return name
    by_name = {i.name: i.iso3 for i in info.values()}
    if name in by_name:
        return by_name[name]
    try:
        return resolve_iso3(name)
    except ValueError:
        return None


def shown_name(name: str | None) -> str:
    """A state's name (as stored, English, or its ISO code) in the language in force, for
    display at the presentation edge; names that do not resolve are shown as stored."""
    if not name:
        return ""
    lang = get_language()
    if lang == "en":
        return name
    iso3 = _iso3_by_name(name)
    return display_name(iso3, lang) if iso3 else name


def find_state(session: Session, name: str) -> State | None:
    """The State row for ``name`` if the database holds it (raises for an unknown name)."""
    iso3 = resolve_iso3(name)
    return session.scalar(select(State).where(State.iso3 == iso3))
