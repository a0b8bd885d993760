"""The review calendar: every UN member state's UPR reviews in cycles 1-5, with the stakeholder
submission deadline and the mid-term report point of each, and an iCalendar export.

Reference data beside this module (documented in ``tracker/data/CALENDAR.md``):

* ``data/review_order.csv`` — each state's cycle-1 and cycle-2 sessions and its slot in the
  fixed review order, derived from the UPR Info export by ``tools/derive_review_order.py``.
  From cycle 2 on the order is fixed: the state in slot S is reviewed at S + 14 (cycle 3),
  S + 28 (cycle 4) and S + 42 (cycle 5).
* ``data/upr_sessions.csv`` — the Working Group sessions 1-54 (month, start and end where
  known, an entered stakeholder deadline where known, uncertain ones marked). Sessions after
  the last one listed are projected at the three-a-year rhythm and marked planned.
* ``data/review_overrides.csv`` — postponed reviews: a row (iso3, cycle) replaces the
  session, month or dates that the order would give.
* ``data/review_symbols.csv`` — Working Group report symbols known without an import; a
  symbol stored with an imported review wins.

Deadlines are estimates unless entered: OHCHR sets the stakeholder deadline about six months
before the session. The mid-term report is due about two and a half years after the review.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from babel.dates import format_skeleton
from icalendar import Alarm, Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import private_files
from tracker.filters import Filters
from tracker.i18n import _, get_language
from tracker.models import Review, State
from tracker.states import display_name, reference_states, resolve_iso3
from tracker.vocab import SESSIONS_PER_CYCLE

DATA_DIR = Path(__file__).resolve().parent / "data"
LAST_CYCLE = 5  # the calendar covers cycles 1-5 (sessions 1-68)
FIRST_ORDERED_CYCLE = 2  # the fixed order starts with cycle 2
SUBMISSION_LEAD_MONTHS = 6  # OHCHR's stakeholder deadline: about six months before the session
MIDTERM_MONTHS = 30  # mid-term reports: about two and a half years after the review
# Sessions are held in about January-February, April-May and October-November; projected
# sessions take the first month of each slot.
PROJECTED_MONTHS = (1, 5, 11)
# How long before an event the .ics reminders ring.
REVIEW_REMINDERS = (dt.timedelta(days=14),)
DEADLINE_REMINDERS = (dt.timedelta(days=28), dt.timedelta(days=7))
# Overview: without a state filter, the next review is shown when the selection has at most
# this many states under review (a whole database of 190 states would be a wall of lines).
OVERVIEW_MAX_STATES = 3


class CalendarDataError(ValueError):
    """A reference data file of the calendar is malformed (``FILE:ROW: column: message``)."""


@dataclass(frozen=True)
class SessionDates:
    """One Working Group session: its month, dates where known, an entered deadline."""

    session: int
    month: dt.date  # the first day of the month
    start: dt.date | None = None
    end: dt.date | None = None
    submission_deadline: dt.date | None = None
    uncertain: bool = False
    planned: bool = False  # projected beyond the data: no date announced
    note: str = ""


@dataclass(frozen=True)
class Override:
    """A postponed (or otherwise moved) review, entered as data."""

    session: int
    month: dt.date | None
    start: dt.date | None
    end: dt.date | None
    submission_deadline: dt.date | None
    note: str


@dataclass(frozen=True)
class CalendarData:
    """The reference tables the calendar is computed from."""

    order: dict[str, tuple[int | None, int, int]]  # iso3 -> (cycle-1, cycle-2 session, slot)
    sessions: dict[int, SessionDates]
    overrides: dict[tuple[str, int], Override]
    symbols: dict[tuple[str, int], str]


@dataclass(frozen=True)
class CalendarReview:
    """One review of one state, past or to come. ``status`` is past, next or planned."""

    state: str
    iso3: str
    cycle: int
    session: int
    month: str  # YYYY-MM
    start: str | None
    end: str | None
    status: str
    submission_deadline: str  # YYYY-MM-DD
    submission_deadline_estimate: bool
    midterm_report: str  # YYYY-MM
    symbol: str | None
    projected: bool  # session dates not announced (projected) or uncertain
    note: str

    def as_json(self) -> dict[str, object]:
        """The stable JSON keys of ``calendar --json``."""
        return asdict(self)


# --- reference data ----------------------------------------------------------------------------
def _date(value: str, where: str, column: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CalendarDataError(
            f"{where}: {column}: {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def _month(value: str, where: str, column: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CalendarDataError(f"{where}: {column}: {value!r} is not a month (YYYY-MM)") from None


def _int(value: str, where: str, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CalendarDataError(f"{where}: {column}: {value!r} is not a whole number") from None


def _rows(path: Path) -> Iterable[tuple[str, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            yield f"{path.name}:{n}", {k: (v or "").strip() for k, v in row.items()}


def load_data(data_dir: Path = DATA_DIR) -> CalendarData:
    """Read the calendar's reference tables from ``data_dir``."""
    order: dict[str, tuple[int | None, int, int]] = {}
    for where, row in _rows(data_dir / "review_order.csv"):
        c1 = _int(row["cycle1_session"], where, "cycle1_session") if row["cycle1_session"] else None
        order[row["iso3"]] = (
            c1,
            _int(row["cycle2_session"], where, "cycle2_session"),
            _int(row["order_slot"], where, "order_slot"),
        )
    sessions: dict[int, SessionDates] = {}
    for where, row in _rows(data_dir / "upr_sessions.csv"):
        n = _int(row["session"], where, "session")
        start = _date(row["start"], where, "start")
        month = _month(row["month"], where, "month") or (start.replace(day=1) if start else None)
        if month is None:
            raise CalendarDataError(f"{where}: month: a month or a start date is needed")
        sessions[n] = SessionDates(
            session=n,
            month=month,
            start=start,
            end=_date(row["end"], where, "end"),
            submission_deadline=_date(row["submission_deadline"], where, "submission_deadline"),
            uncertain=row["uncertain"].casefold() in ("yes", "true", "1"),
            note=row["note"],
        )
    overrides: dict[tuple[str, int], Override] = {}
    for where, row in _rows(data_dir / "review_overrides.csv"):
        overrides[(resolve_iso3(row["iso3"]), _int(row["cycle"], where, "cycle"))] = Override(
            session=_int(row["session"], where, "session"),
            month=_month(row["month"], where, "month"),
            start=_date(row["start"], where, "start"),
            end=_date(row["end"], where, "end"),
            submission_deadline=_date(row["submission_deadline"], where, "submission_deadline"),
            note=row["note"],
        )
    symbols = {
        (row["iso3"], _int(row["cycle"], where, "cycle")): row["symbol"]
        for where, row in _rows(data_dir / "review_symbols.csv")
        if row["symbol"]
    }
    return CalendarData(order, sessions, overrides, symbols)


@cache
def default_data() -> CalendarData:
    """The tables shipped in ``tracker/data`` (read once per process)."""
    return load_data()


# --- dates -------------------------------------------------------------------------------------
def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (the day clipped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (first_of_next - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def session_dates(data: CalendarData, session: int) -> SessionDates:
    """The dates of ``session``: from the data, or projected from the last session listed at
    the three-a-year rhythm (marked planned)."""
    known = data.sessions.get(session)
    if known is not None:
        return known
    last = max(data.sessions)
    month = data.sessions[last].month
    for _n in range(last, session):
        later = [m for m in PROJECTED_MONTHS if m > month.month]
        month = dt.date(month.year, later[0], 1) if later else dt.date(month.year + 1, 1, 1)
    return SessionDates(session=session, month=month, uncertain=True, planned=True)


def _last_day(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


# --- the calendar ------------------------------------------------------------------------------
def state_sessions(data: CalendarData, iso3: str) -> list[tuple[int, int]]:
    """``(cycle, session)`` of each of a state's reviews in cycles 1-5, overrides applied."""
    c1, c2, slot = data.order[iso3]
    out = []
    for cycle in range(1, LAST_CYCLE + 1):
        if cycle == 1:
            session = c1
        elif cycle == FIRST_ORDERED_CYCLE:
            session = c2
        else:
            session = slot + (cycle - FIRST_ORDERED_CYCLE) * SESSIONS_PER_CYCLE
        override = data.overrides.get((iso3, cycle))
        if override is not None:
            session = override.session
        if session is not None:
            out.append((cycle, session))
    return out


def _db_reviews(session: Session | None, iso3s: Sequence[str]) -> dict[tuple[str, int], Review]:
    if session is None or not iso3s:
        return {}
    rows = session.execute(
        select(State.iso3, Review).join(Review.state).where(State.iso3.in_(iso3s))
    ).all()
    return {(iso3, review.cycle): review for iso3, review in rows}


def reviews(
    session: Session | None,
    states: Sequence[str] = (),
    today: dt.date | None = None,
    data: CalendarData | None = None,
) -> list[CalendarReview]:
    """Every review of ``states`` (names or ISO codes; all states in the order when empty),
    ordered by state and cycle. A review is ``past`` once its session (or the state's own
    review date, when the database has it) has ended, the first one after that is ``next``,
    later ones ``planned``. The database's reviews give report symbols and review dates."""
    data = data or default_data()
    today = today or dt.date.today()
    iso3s = sorted({resolve_iso3(s) for s in states}) if states else sorted(data.order)
    missing = [i for i in iso3s if i not in data.order]
    if missing:
        raise CalendarDataError(
            _("no review calendar for {states}").format(states=", ".join(missing))
        )
    stored = _db_reviews(session, iso3s)
    out: list[CalendarReview] = []
    for iso3 in iso3s:
        next_given = False
        for cycle, number in state_sessions(data, iso3):
            held = stored.get((iso3, cycle))
            if held is not None:
                number = held.session  # an imported review records where it was held
            out.append(_review(data, iso3, cycle, number, held, today, next_given))
            next_given = next_given or out[-1].status == "next"
    return out


def _review(
    data: CalendarData,
    iso3: str,
    cycle: int,
    number: int,
    stored: Review | None,
    today: dt.date,
    next_given: bool,
) -> CalendarReview:
    dates = session_dates(data, number)
    override = data.overrides.get((iso3, cycle))
    month, start, end = dates.month, dates.start, dates.end
    deadline, note = dates.submission_deadline, dates.note
    if override is not None:
        month = override.month or (override.start.replace(day=1) if override.start else month)
        start, end = override.start, override.end
        deadline, note = override.submission_deadline, override.note
    estimate = deadline is None
    if deadline is None:
        deadline = add_months(start or month, -SUBMISSION_LEAD_MONTHS)
    if stored is not None and stored.review_date:
        # The state's own day within the session, as imported.
        start = end = stored.review_date
        month = stored.review_date.replace(day=1)
    # A session lasts two weeks: without an end date, a known start gives its end.
    over = end or (start + dt.timedelta(days=13) if start else _last_day(month))
    status = "past" if over < today else "planned" if next_given else "next"
    symbol = None
    if status == "past":
        symbol = (stored.report_symbol if stored is not None else None) or data.symbols.get(
            (iso3, cycle)
        )
    return CalendarReview(
        state=reference_states()[iso3].name,
        iso3=iso3,
        cycle=cycle,
        session=number,
        month=month.strftime("%Y-%m"),
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        status=status,
        submission_deadline=deadline.isoformat(),
        submission_deadline_estimate=estimate,
        midterm_report=add_months(month, MIDTERM_MONTHS).strftime("%Y-%m"),
        symbol=symbol,
        projected=(dates.planned or dates.uncertain) and override is None,
        note=note,
    )


# --- presentation ------------------------------------------------------------------------------
def month_year(value: str) -> str:
    """``YYYY-MM`` or ``YYYY-MM-DD`` as "November 2029" in the language in force."""
    day = dt.date.fromisoformat(value if len(value) > 7 else value + "-01")
    return format_skeleton("yMMMM", day, locale=get_language())


def next_review_sentence(review: CalendarReview) -> str:
    """ "Next review: session 62 (cycle 5), about November 2029; stakeholder submissions due
    about May 2029" (an entered deadline is given as a date, without "about")."""
    head = _("Next review: session {session} (cycle {cycle}), about {month}").format(
        session=review.session, cycle=review.cycle, month=month_year(review.month)
    )
    if review.submission_deadline_estimate:
        due = _("stakeholder submissions due about {month}").format(
            month=month_year(review.submission_deadline)
        )
    else:
        due = _("stakeholder submissions due {date}").format(date=review.submission_deadline)
    return f"{head}; {due}"


def next_review_lines(
    session: Session, filters: Filters, today: dt.date | None = None
) -> list[tuple[str, str]]:
    """For the Overview: ``(state name, sentence)`` for each state of the selection (the
    filter's states; without one, the states under review in the database when there are at
    most OVERVIEW_MAX_STATES of them)."""
    iso3s: Sequence[str] = filters.states
    if not iso3s:
        held = session.scalars(
            select(State.iso3).join(Review, Review.state_id == State.id).distinct()
        ).all()
        iso3s = held if len(held) <= OVERVIEW_MAX_STATES else ()
    data = default_data()
    iso3s = [i for i in iso3s if i in data.order]
    lines = []
    for r in reviews(session, iso3s, today, data):
        if r.status == "next":
            lines.append((display_name(r.iso3, get_language()), next_review_sentence(r)))
    return lines


# --- iCalendar ---------------------------------------------------------------------------------
def write_ics(path: str | Path, items: Sequence[CalendarReview]) -> int:
    """Write an .ics file (mode 0600) with one event per future review and one per stakeholder
    deadline of a future review, each with reminders (VALARM, shown by the calendar program,
    no mail server needed). Returns the number of events."""
    cal = Calendar()
    cal.add("prodid", "-//UPR Tracker//review calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("UPR reviews"))
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    n = 0
    for r in items:
        if r.status == "past":
            continue
        name = display_name(r.iso3, get_language())
        first = dt.date.fromisoformat(r.start or r.month + "-01")
        last = dt.date.fromisoformat(r.end) if r.end else first
        about = _("planned, month projected") if r.projected else _("as scheduled")
        review = Event()
        review.add("uid", f"upr-{r.iso3}-cycle{r.cycle}-review@upr-tracker")
        review.add("dtstamp", stamp)
        review.add(
            "summary",
            _("UPR review of {state} (session {session})").format(state=name, session=r.session),
        )
        review.add("dtstart", first)
        review.add("dtend", last + dt.timedelta(days=1))  # all-day: DTEND is exclusive
        review.add(
            "description",
            _(
                "Cycle {cycle}, Working Group session {session}, {month} ({about}). Mid-term "
                "report due about {midterm}."
            ).format(
                cycle=r.cycle,
                session=r.session,
                month=month_year(r.month),
                about=about,
                midterm=month_year(r.midterm_report),
            ),
        )
        _alarms(review, REVIEW_REMINDERS)
        cal.add_component(review)
        deadline = Event()
        deadline.add("uid", f"upr-{r.iso3}-cycle{r.cycle}-submissions@upr-tracker")
        deadline.add("dtstamp", stamp)
        deadline.add("summary", _("Stakeholder submissions due: UPR of {state}").format(state=name))
        day = dt.date.fromisoformat(r.submission_deadline)
        deadline.add("dtstart", day)
        deadline.add("dtend", day + dt.timedelta(days=1))
        deadline.add(
            "description",
            (
                _(
                    "Estimate: OHCHR sets the deadline about six months before the session; check "
                    "the OHCHR session page."
                )
                if r.submission_deadline_estimate
                else _("Deadline as entered in the calendar data.")
            ),
        )
        _alarms(deadline, DEADLINE_REMINDERS)
        cal.add_component(deadline)
        n += 2
    private_files.write_private(path, cal.to_ical())
    return n


def _alarms(event: Event, before: Sequence[dt.timedelta]) -> None:
    """Display reminders ``before`` the event (the calendar program shows them)."""
    for delta in before:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", str(event["summary"]))
        alarm.add("trigger", -delta)
        event.add_component(alarm)
