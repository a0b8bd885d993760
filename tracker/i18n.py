"""The one translation function for every user-facing string.

English is the source language. Catalogues live in ``tracker/locale/<lang>/LC_MESSAGES/
messages.po`` (compiled to ``.mo``); a missing catalogue or message falls back to English.

Use ``_("text")`` where a string is shown, and ``N_("text")`` to mark a module-level constant
for extraction without translating it at import time (translate it with ``_()`` when shown).
The language is held in a context variable, so each Streamlit session (its own script thread)
and each CLI call sets its own.

Extract and compile (documented in the README, "Languages")::

    make i18n-extract   # pybabel extract (-k N_ -k _ -k ngettext:1,2) + update every catalogue
    make i18n-compile   # pybabel compile: the .mo files, which are committed
"""

from __future__ import annotations

import datetime as dt
import gettext
import struct
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
_MO_MAGIC = 0x950412DE  # a GNU .mo file, little-endian (byte-swapped when big-endian)
# Languages written right to left: the app switches its layout for them (tracker.ui).
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})

_language: ContextVar[str] = ContextVar("upr_tracker_language", default=DEFAULT_LANGUAGE)


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def set_language(lang: str | None) -> str:
    """Use ``lang`` for this context; unknown or empty means English. Returns the one in force."""
    chosen = (
        lang
        if lang and (lang == DEFAULT_LANGUAGE or lang in available_languages())
        else (DEFAULT_LANGUAGE)
    )
    _language.set(chosen)
    return chosen


def get_language() -> str:
    """The language in force in this context ("en", "ru", ...)."""
    return _language.get()


def is_rtl(lang: str | None = None) -> bool:
    """True when ``lang`` (default: the language in force) is written right to left."""
    return (lang or get_language()).split("_")[0] in RTL_LANGUAGES


def _messages_in_mo(path: Path) -> int:
    """How many messages a compiled catalogue translates: its entries less the catalogue's
    own header and the untranslated plural messages, which babel compiles with the English
    forms as their "translation" (untranslated singular ones are left out)."""
    data = path.read_bytes()
    for order in ("<", ">"):
        if len(data) < 20:
            return 0
        magic, _revision, count, originals, translations = struct.unpack_from(order + "5I", data)
        if magic != _MO_MAGIC:
            continue
        translated = 0
        for i in range(count):
            o_len, o_at = struct.unpack_from(order + "2I", data, originals + 8 * i)
            t_len, t_at = struct.unpack_from(order + "2I", data, translations + 8 * i)
            original, text = data[o_at : o_at + o_len], data[t_at : t_at + t_len]
            translated += bool(text) and not (b"\0" in original and text == original)
        return max(translated - 1, 0)  # the header is an entry with a translation
    return 0


def _messages_in_template(path: Path) -> int:
    """How many messages the template (messages.pot) holds: one ``msgid`` line each (the
    plural's line is ``msgid_plural``), less the header entry."""
    with path.open(encoding="utf-8") as f:
        return max(sum(1 for line in f if line.startswith("msgid ")) - 1, 0)


@cache
def translated_shares(locale_dir: Path = LOCALE_DIR) -> dict[str, float]:
    """Each compiled catalogue's language with the share of the template it translates
    (0-1), read once per process; 1 for all of them when the template is missing (an
    installation without it offers every compiled catalogue)."""
    template = locale_dir / f"{DOMAIN}.pot"
    total = _messages_in_template(template) if template.is_file() else 0
    shares: dict[str, float] = {}
    if locale_dir.is_dir():
        for d in sorted(locale_dir.iterdir()):
            mo = d / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if mo.is_file():
                # A .mo older than the template may hold messages since removed: at most 1.
                shares[d.name] = min(_messages_in_mo(mo) / total, 1.0) if total else 1.0
    return shares


def available_languages() -> tuple[str, ...]:
    """English plus every language with a compiled catalogue (the ones a document can be
    written in; the interface offers those of :func:`tracker.languages.offered_languages`)."""
    return (DEFAULT_LANGUAGE, *translated_shares(LOCALE_DIR))


CONTEXT = "\x04"  # gettext's separator of a message's context and its text


def _(message: str) -> str:
    """Translate ``message`` into the language in force (a message marked by :func:`NP_`
    carries its context)."""
    translations = _translations(get_language())
    if CONTEXT in message:
        context, _sep, text = message.partition(CONTEXT)
        return translations.pgettext(context, text)
    return translations.gettext(message)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` in ``context``: one English word that two places translate
    differently ("Progress": the page «Динамика», an action plan's field «Ход выполнения»)."""
    return _translations(get_language()).pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a number: the plural form the language needs for ``n``."""
    return _translations(get_language()).ngettext(singular, plural, n)


def label_value(label: str, value: str) -> str:
    """The text "label: value" as the language writes it (French puts a no-break space before the
    colon: « Obsolète : 17 »). Both parts are given ready to show (escaped, bolded)."""
    return _("{label}: {value}").format(label=label, value=value)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark ``message`` in ``context`` for extraction; :func:`_` translates it later."""
    return f"{context}{CONTEXT}{message}"


def locale_name() -> str:
    """The babel locale of the language in force ("en" is British English: UN style)."""
    lang = get_language()
    return "en_GB" if lang == "en" else lang  # UN style: "28 November 2025"


def long_date(day: dt.date) -> str:
    """A date written out in the language in force ("28 November 2025", "28 ноября 2025 г.")."""
    return _long_date(day, locale_name())


@lru_cache(maxsize=8192)
def _long_date(day: dt.date, locale: str) -> str:
    # Remembered: babel parses the locale and the pattern on every call (0.1 ms), and a
    # report writes the same few hundred dates a thousand times and more (a country's
    # evidence footnotes: a third of its build on the full corpus).
    # babel is imported here: every command imports this module, few write dates out.
    from babel.dates import format_date

    written = format_date(day, format="long", locale=locale)
    if locale.startswith("fr") and day.day == 1 and written.startswith("1 "):
        # French writes the first of the month as an ordinal: « 1er septembre 2025 ».
        written = "1er" + written[1:]
    return written
