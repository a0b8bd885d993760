"""Numbers, shares and dates written the way the language in force writes them (Babel's CLDR
data): "1,373" in English, "1 373" in Russian; "May 2024" / "май 2024"; "<1%" for a share
that is not zero but rounds to it.

Used by the charts (their texts, axes and tick labels), the snapshot image and the pages'
metrics. Babel is imported when a function is first called: ``stats --json`` does not pay
for it (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from tracker.i18n import get_language

if TYPE_CHECKING:
    from babel import Locale

# Months between two date ticks, tried in order until at most MAX_DATE_TICKS fit.
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)
MAX_DATE_TICKS = 6


@cache
def _locale(lang: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def number(n: float) -> str:
    """``n`` with the language's digit grouping ("1,373", "1 373"); whole numbers have no
    decimals."""
    from babel.numbers import format_decimal

    value = int(n) if float(n).is_integer() else n
    return format_decimal(value, locale=_locale(get_language()))


def decimal(x: float, places: int) -> str:
    """``x`` with exactly ``places`` decimals and the language's decimal mark ("0.75",
    "0,75")."""
    from babel.numbers import format_decimal

    return format_decimal(x, format="0." + "0" * places, locale=_locale(get_language()))


def percent(n: float, total: float) -> str:
    """``n`` as a whole-number percentage of ``total`` in the language's form ("44%",
    "44 %"); "<1%" when it is not zero but rounds to 0, ">99%" when it is not all but rounds
    to 100; "–" without a total."""
    from babel.numbers import format_percent

    if not total:
        return "–"
    share = n / total
    loc = _locale(get_language())
    if 0 < share < 0.005:
        return "<" + format_percent(0.01, locale=loc)
    if 0.995 <= share < 1:
        return ">" + format_percent(0.99, locale=loc)
    return format_percent(share, locale=loc)


@cache
def _separators(lang: str) -> str:
    from babel.numbers import get_decimal_symbol, get_group_symbol

    loc = _locale(lang)
    return get_decimal_symbol(loc) + get_group_symbol(loc)


def plotly_separators() -> str:
    """plotly's ``layout.separators`` for the language: its decimal mark, then its digit
    group separator (".," in English, ", " with a no-break space in Russian)."""
    return _separators(get_language())


def month_year(day: dt.date) -> str:
    """ "May 2024", "май 2024": the month's standalone short name and the year."""
    from babel.dates import format_date

    return format_date(day, "LLL y", locale=_locale(get_language()))


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def date_ticks(start: dt.date, end: dt.date) -> tuple[list[str], list[str]]:
    """Tick positions (ISO dates) and labels for a date axis from ``start`` to ``end``: the
    first of a month every 1, 2, 3, 6 months or whole years, at most MAX_DATE_TICKS, labelled
    in the language in force (plotly's own labels are English only)."""
    first, last = _month_index(start), _month_index(end)
    if start.day > 1:
        first += 1
    step = MONTH_STEPS[-1]
    for m in MONTH_STEPS:
        if (last - first) // m + 1 <= MAX_DATE_TICKS:
            step = m
            break
    first += (-first) % step  # aligned: quarters start in Jan/Apr/..., years in January
    days = [dt.date(i // 12, i % 12 + 1, 1) for i in range(first, last + 1, step)]
    labels = [str(d.year) if step >= 12 else month_year(d) for d in days]
    return [d.isoformat() for d in days], labels


__all__ = ["date_ticks", "decimal", "month_year", "number", "percent", "plotly_separators"]
