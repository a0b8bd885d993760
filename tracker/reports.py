"""The stakeholder ("shadow") report builder: one selection of earlier recommendations, as a
Word document in the form of a UPR stakeholder submission, as Markdown and as CSV.

The report is built once into a small document model (:class:`Report`: a title block and a
list of headings, paragraphs and evidence tables) that the three writers render, so that the
``.docx``, the ``.md`` and the word count always agree.

Form of the ``.docx`` (OHCHR's guidelines for stakeholder submissions, and the NGO report
that started this project):

* a title block: the country, the UPR cycle and Working Group session the submission is for,
  the submitting organisation(s) ("Submission by …" / "Joint submission by …"), the date and
  a key-words line;
* numbered paragraphs (a real Word numbering definition, not typed numbers), consecutive
  through the whole body, and page numbers in the footer;
* a section per theme; inside it a heading per cycle and session, then each earlier
  recommendation quoted with its recommending state(s) in parentheses and its current status
  after a dash ("… women and girls. (Malaysia) — partially implemented"), followed by the
  state's response and a compact table of the dated, sourced assessments;
* the organisation's own numbered recommendations, written on the Report page and stored
  with the saved report (:class:`~tracker.models.SavedReport`) so that it can be regenerated.

Which session the report is for: the state's next review, i.e. its latest review session
plus one cycle (13 sessions after a first-cycle review, 14 after a later one: Kazakhstan went
7 → 20 → 34 → 48); the user may name another. By default the report covers every cycle
before that one.

A recommendation that carries several of the chosen themes is listed once, under the first
of them in the order the user chose them (with no theme chosen: under its theme with the most
recommendations in the selection), so that no recommendation spends the word limit twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from itertools import groupby
from operator import attrgetter
from typing import Any

import pandas as pd
from babel.dates import format_date
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tracker import audit, auth, db, queries
from tracker.assessments import ValidationError
from tracker.filters import Filters
from tracker.i18n import N_, _, get_language, ngettext
from tracker.models import (
    Assessment,
    Meta,
    Recommendation,
    Review,
    SavedReport,
    State,
    Theme,
    recommendation_themes,
)
from tracker.safe_output import link_target, md_literal, neutralise_cell
from tracker.states import display_name, resolve_iso3, shown_name
from tracker.vocab import (
    FIRST_CYCLE_LAST_SESSION,
    NOT_ASSESSED,
    SESSIONS_PER_CYCLE,
    STATUS_ORDER,
    Role,
    Status,
    cycle_for_session,
    parse_status,
    response_label,
    status_phrase,
    theme_label,
)

# OHCHR's limits for stakeholder submissions (later cycles; UPR_REFERENCE.md marks them
# unverified, hence configurable per report).
WORD_LIMIT_INDIVIDUAL = 2815
WORD_LIMIT_JOINT = 5630
EVIDENCE_CHOICES = ("all", "latest", "none")  # which assessments the evidence tables list
MAX_ORGANISATION_LENGTH = 200  # Meta.value holds 200 characters
MAX_REPORT_NAME_LENGTH = 200  # SavedReport.name
MAX_OWN_RECOMMENDATIONS = 200  # more is a paste accident, not a submission
ORGANISATION_ENV = "UPR_TRACKER_ORG"
ORGANISATION_META_KEY = "organisation"
OTHER_SECTION = ""  # section key of recommendations without a theme
FONT = "Arial"  # Liberation Sans (metric-compatible) where Arial is not installed
NUMBER_INDENT_TWIPS = 567  # 1 cm: the numbers hang in the margin of the paragraph text
MAX_DEFAULT_KEYWORDS = 8  # the key-words line names the largest sections, not all of them
HEADING_COLOUR = RGBColor(0x1F, 0x3A, 0x5F)
SAMPLE_COLOUR = RGBColor(0xC0, 0x39, 0x2B)
# The status summary of the introduction ("14 partially implemented, 5 not yet assessed").
SUMMARY_PHRASES: dict[str, str] = {
    Status.FULLY_IMPLEMENTED: N_("{n} fully implemented"),
    Status.PARTIALLY_IMPLEMENTED: N_("{n} partially implemented"),
    Status.NOT_IMPLEMENTED: N_("{n} not implemented"),
    Status.NO_INFORMATION: N_("{n} without information on implementation"),
    NOT_ASSESSED: N_("{n} not yet assessed"),
}
CSV_COLUMNS = [
    "section",
    "id",
    "cycle",
    "session",
    "review_date",
    "report_symbol",
    "paragraph",
    "recommendation",
    "recommending_states",
    "response",
    "status",
    "assessed_on",
    "source_org",
    "evidence",
    "evidence_url",
    "sample",
]


# --- the organisation's name (report title block, image captions) -------------------------
def organisation_name(session: Session) -> str | None:
    """The organisation using this tracker: the name saved in the app (``meta`` table), else
    the ``UPR_TRACKER_ORG`` environment variable, else None."""
    saved = session.scalar(select(Meta.value).where(Meta.key == ORGANISATION_META_KEY))
    if saved and saved.strip():
        return saved.strip()
    env = " ".join(os.environ.get(ORGANISATION_ENV, "").split())
    return env or None


def set_organisation_name(session: Session, name: str | None, actor: str | None = None) -> None:
    """Save (or, with an empty name, clear) the organisation's name (admins only; audited);
    the caller commits."""
    auth.require(Role.ADMIN, _("changing the organisation's name"))
    db.begin_write(session)
    value = " ".join((name or "").split())
    if len(value) > MAX_ORGANISATION_LENGTH:
        raise ValidationError(
            "organisation",
            _("organisation: at most {n} characters, got {length}").format(
                n=MAX_ORGANISATION_LENGTH, length=len(value)
            ),
        )
    row = session.get(Meta, ORGANISATION_META_KEY)
    before = row.value if row else None
    if (before or "") == value:
        return
    if value:
        if row is None:
            session.add(Meta(key=ORGANISATION_META_KEY, value=value))
        else:
            row.value = value
    elif row is not None:
        session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="settings.organisation",
        entity="meta",
        summary=value or "(cleared)",
        before={"organisation": before},
        after={"organisation": value or None},
    )


def selection_has_sample(session: Session, f: Filters | None = None) -> bool:
    """True when a recommendation matching ``f``, or one of its assessments, is sample data
    (reports and images of such a selection are marked "sample data")."""
    # queries.matches: no IN list at all without filters; the partial is_sample indexes
    # (migration 0003) make both tests one look-up when there is no sample.
    return bool(
        session.scalar(
            select(
                exists().where(
                    queries.matches(Recommendation.id, f), Recommendation.is_sample.is_(True)
                )
            )
        )
        or session.scalar(
            select(
                exists().where(
                    queries.matches(Assessment.recommendation_id, f),
                    Assessment.is_sample.is_(True),
                )
            )
        )
    )


# --- settings --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSettings:
    """What a report covers and how it is presented (stored as JSON with a saved report)."""

    state: str  # state under review: any spelling or ISO code
    themes: tuple[str, ...] = ()  # empty: every theme
    cycles: tuple[int, ...] = ()  # empty: every cycle before the one the report is for
    statuses: tuple[str, ...] = ()  # current statuses (vocab.STATUS_ORDER); empty: all
    organisations: tuple[str, ...] = ()  # one: individual submission; several: joint
    session: int | None = None  # the Working Group session the report is for (None: next)
    word_limit: int | None = None  # None: OHCHR's limit for an individual / joint submission
    keywords: tuple[str, ...] = ()  # empty: the themes of the sections
    introduction: str = ""  # the organisation's own opening paragraphs (blank-line separated)
    evidence: str = "all"  # EVIDENCE_CHOICES

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (lists, not tuples) for :class:`~tracker.models.SavedReport`."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportSettings:
        """Settings from :meth:`to_json` output; unknown keys are ignored, bad values rejected
        with the field named."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        if "state" not in known or not str(known["state"]).strip():
            raise ValidationError("state", _("state: the state under review is required"))
        for key in ("themes", "organisations", "keywords", "statuses"):
            if key in known:
                known[key] = tuple(str(v) for v in known[key] or ())
        if "cycles" in known:
            known["cycles"] = tuple(int(c) for c in known["cycles"] or ())
        return cls(**known)


def _clean_list(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(str(v).split()) for v in values if str(v).strip()))


def validate_settings(session: Session, settings: ReportSettings) -> ReportSettings:
    """The settings with names normalised, or :class:`ValidationError` naming the field and
    quoting the value (unknown theme, status, cycle, session, word limit, evidence choice)."""
    iso3 = resolve_iso3(settings.state)  # UnknownStateError quotes the name
    known_themes = set(queries.theme_options(session))
    themes = _clean_list(settings.themes)
    for t in themes:
        if t not in known_themes:
            raise ValidationError(
                "theme", _("theme: {value!r} is not a theme in the database").format(value=t)
            )
    statuses: list[str] = []
    for s in settings.statuses:
        parsed = NOT_ASSESSED if s == NOT_ASSESSED else parse_status(str(s))
        if parsed is None:
            raise ValidationError(
                "status",
                _("status: {value!r} is not one of {allowed}").format(
                    value=s, allowed=", ".join(STATUS_ORDER)
                ),
            )
        statuses.append(str(parsed))
    for c in settings.cycles:
        if not isinstance(c, int) or c < 1:
            raise ValidationError(
                "cycle", _("cycle: {value!r} is not a UPR cycle number").format(value=c)
            )
    if settings.session is not None and settings.session < 1:
        raise ValidationError(
            "session",
            _("session: {value!r} is not a UPR session number").format(value=settings.session),
        )
    if settings.word_limit is not None and settings.word_limit < 1:
        raise ValidationError(
            "word_limit",
            _("word limit: {value!r} is not a positive number").format(value=settings.word_limit),
        )
    if settings.evidence not in EVIDENCE_CHOICES:
        raise ValidationError(
            "evidence",
            _("evidence: {value!r} is not one of {allowed}").format(
                value=settings.evidence, allowed=", ".join(EVIDENCE_CHOICES)
            ),
        )
    organisations = _clean_list(settings.organisations)
    for org in organisations:
        if len(org) > MAX_ORGANISATION_LENGTH:
            raise ValidationError(
                "organisation",
                _("organisation: {value!r} is longer than {n} characters").format(
                    value=org[:40] + "…", n=MAX_ORGANISATION_LENGTH
                ),
            )
    return replace(
        settings,
        state=iso3,
        themes=themes,
        statuses=tuple(dict.fromkeys(statuses)),
        cycles=tuple(sorted(set(settings.cycles))),
        organisations=organisations,
        keywords=_clean_list(settings.keywords),
        introduction=settings.introduction.strip(),
    )


def clean_own_recommendations(items: Iterable[str]) -> list[str]:
    """The organisation's recommendations: whitespace tidied, empty ones dropped."""
    out = [" ".join(str(t).split()) for t in items]
    out = [t for t in out if t]
    if len(out) > MAX_OWN_RECOMMENDATIONS:
        raise ValidationError(
            "own_recommendations",
            _("own recommendations: at most {n}, got {count}").format(
                n=MAX_OWN_RECOMMENDATIONS, count=len(out)
            ),
        )
    return out


def next_review_session(session: Session, iso3: str) -> int | None:
    """The Working Group session of the state's next review (latest review + one cycle), or
    None when the database holds no review of it."""
    latest = session.scalar(
        select(Review.session)
        .join(State, State.id == Review.state_id)
        .where(State.iso3 == iso3)
        .order_by(Review.session.desc())
        .limit(1)
    )
    if latest is None:
        return None
    # Cycle 1 had 12 sessions, later cycles 14: a state keeps its place in the rotation.
    step = SESSIONS_PER_CYCLE - 1 if latest <= FIRST_CYCLE_LAST_SESSION else SESSIONS_PER_CYCLE
    return int(latest) + step


# --- saved reports ---------------------------------------------------------------------------
def saved_report_names(session: Session) -> list[str]:
    """Names of the saved reports, alphabetical."""
    return list(session.scalars(select(SavedReport.name).order_by(SavedReport.name)))


def load_saved_report(session: Session, name: str) -> tuple[ReportSettings, list[str]]:
    """The settings and own recommendations of the saved report ``name``."""
    row = session.scalar(select(SavedReport).where(SavedReport.name == name))
    if row is None:
        raise ValidationError(
            "name", _("report: there is no saved report named {name!r}").format(name=name)
        )
    return ReportSettings.from_json(row.settings), list(row.own_recommendations or [])


def save_report(
    session: Session,
    name: str,
    settings: ReportSettings,
    own_recommendations: Sequence[str],
    actor: str | None = None,
) -> SavedReport:
    """Create or replace the saved report ``name`` (settings and own recommendations), with
    an audit event; editors only. The caller commits."""
    auth.require(Role.EDITOR, _("saving a report"))
    db.begin_write(session)
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise ValidationError("name", _("name: a saved report needs a name"))
    if len(clean_name) > MAX_REPORT_NAME_LENGTH:
        raise ValidationError(
            "name", _("name: at most {n} characters").format(n=MAX_REPORT_NAME_LENGTH)
        )
    settings = validate_settings(session, settings)
    own = clean_own_recommendations(own_recommendations)
    row = session.scalar(select(SavedReport).where(SavedReport.name == clean_name))
    before = (
        {"settings": row.settings, "own_recommendations": row.own_recommendations} if row else None
    )
    if row is None:
        row = SavedReport(name=clean_name, settings={}, own_recommendations=[])
        session.add(row)
    row.settings = settings.to_json()
    row.own_recommendations = own
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="report.save",
        entity="saved_report",
        entity_id=row.id,
        summary=clean_name,
        before=before,
        after={"settings": row.settings, "own_recommendations": own},
    )
    return row


def delete_saved_report(session: Session, name: str, actor: str | None = None) -> None:
    """Delete the saved report ``name`` (audited; editors only); the caller commits."""
    auth.require(Role.EDITOR, _("deleting a saved report"))
    db.begin_write(session)
    row = session.scalar(select(SavedReport).where(SavedReport.name == name))
    if row is None:
        raise ValidationError(
            "name", _("report: there is no saved report named {name!r}").format(name=name)
        )
    audit.record(
        session,
        actor=actor,
        action="report.delete",
        entity="saved_report",
        entity_id=row.id,
        summary=name,
        before={"settings": row.settings, "own_recommendations": row.own_recommendations},
    )
    session.delete(row)


# --- the document model ----------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """A piece of text with its emphasis (and a link)."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1: section (theme), 2: cycle and session


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    numbered: bool = True  # a numbered paragraph of the submission
    note: bool = False  # small print under a recommendation (the response)
    keep_with_next: bool = False  # never the last line of a page (a lead-in, a recommendation)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class EvidenceTable:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Run, ...], ...], ...]  # rows of cells of runs


Block = Heading | Para | EvidenceTable


@dataclass
class Report:
    """A built report: the title block, the body and the selection behind it."""

    settings: ReportSettings  # validated: state is the ISO code
    state_name: str
    session: int  # the Working Group session the report is for
    cycle: int  # its cycle
    cycles: tuple[int, ...]  # the cycles covered
    organisations: tuple[str, ...]
    generated_on: dt.date
    title: str
    subtitle: str
    byline: str
    keywords: tuple[str, ...]
    blocks: list[Block]
    own_recommendations: list[str]
    frame: pd.DataFrame  # the selection in report order (CSV_COLUMNS)
    is_sample: bool
    status_totals: dict[str, int] = field(default_factory=dict)

    @property
    def joint(self) -> bool:
        return len(self.organisations) > 1

    @property
    def word_limit(self) -> int:
        if self.settings.word_limit:
            return self.settings.word_limit
        return WORD_LIMIT_JOINT if self.joint else WORD_LIMIT_INDIVIDUAL

    @cached_property
    def word_count(self) -> int:
        # Cached: a page asks four times, and counting a long report takes 0.05 s each time.
        return count_words(self.all_text())

    @property
    def over_limit(self) -> bool:
        return self.word_count > self.word_limit

    @property
    def recommendation_count(self) -> int:
        return len(self.frame)

    def all_text(self) -> str:
        """Every word of the document (title block, body, tables), for the word count."""
        parts = [self.title, self.subtitle, self.byline, self.generated_label]
        if self.keywords:
            parts.append(_("Key words:") + " " + "; ".join(self.keywords))
        for b in self.blocks:
            if isinstance(b, Heading | Para):
                parts.append(b.text)
            else:
                parts.extend(b.header)
                parts.extend("".join(r.text for r in cell) for row in b.rows for cell in row)
        return "\n".join(parts)

    @property
    def generated_label(self) -> str:
        return long_date(self.generated_on)

    def word_count_message(self) -> str:
        """ "1,234 of 2,815 words" and, when over, by how much."""
        n, limit = self.word_count, self.word_limit
        kind = _("joint submission") if self.joint else _("individual submission")
        if n > limit:
            return _(
                "{n:,} words: {over:,} over the limit of {limit:,} ({kind}). Shorten the "
                "evidence (e.g. latest assessment only), narrow the themes or cycles, or "
                "trim your own text."
            ).format(n=n, over=n - limit, limit=limit, kind=kind)
        return _("{n:,} of {limit:,} words ({kind}).").format(n=n, limit=limit, kind=kind)


# A whitespace-separated token holding a letter or digit ([^\W_]: what str.isalnum accepts),
# matched whole from its first character; the regex engine counts them in C (a report of a
# country's 800 recommendations: 70 ms token by token in Python).
_WORD = re.compile(r"\S*[^\W_]\S*")


def count_words(text: str) -> int:
    """Words as a word processor counts them: whitespace-separated tokens holding a letter or
    digit (a lone dash or bullet is not a word)."""
    return sum(1 for _match in _WORD.finditer(text))


def _locale() -> str:
    lang = get_language()
    return "en_GB" if lang == "en" else lang  # UN style: "28 November 2025"


def long_date(day: dt.date) -> str:
    return format_date(day, format="long", locale=_locale())


def _month_year(day: dt.date) -> str:
    # LLLL: the stand-alone month ("февраль 2010", not the genitive "февраля").
    return format_date(day, format="LLLL y", locale=_locale())


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…", ";")) else text + "."


def _rec_themes(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(recommendation_themes.c.recommendation_id, Theme.name)
            .join(Theme, Theme.id == recommendation_themes.c.theme_id)
            .where(recommendation_themes.c.recommendation_id.in_(chunk))
            .order_by(Theme.name)
        )
        for rid, name in rows:
            out[rid].append(name)
    return out


def _assign_sections(
    frame: pd.DataFrame, themes_of: dict[int, list[str]], chosen: Sequence[str]
) -> dict[int, str]:
    """Recommendation id -> the one section (theme) it is listed under."""
    if chosen:
        order = list(chosen)
    else:
        counts: dict[str, int] = {}
        for rid in frame["id"]:
            for t in themes_of.get(int(rid), []):
                counts[t] = counts.get(t, 0) + 1
        order = sorted(counts, key=lambda t: (-counts[t], t.casefold()))
    rank = {t: i for i, t in enumerate(order)}
    out: dict[int, str] = {}
    for rid in frame["id"]:
        mine = [t for t in themes_of.get(int(rid), []) if t in rank]
        out[int(rid)] = min(mine, key=rank.__getitem__) if mine else OTHER_SECTION
    return out


def _evidence_rows(assessments: Sequence[Any], how: str) -> tuple[tuple[tuple[Run, ...], ...], ...]:
    """The evidence table of a recommendation from its assessments (rows of
    assessments_frame, oldest first)."""
    if how == "none" or not assessments:
        return ()
    if how == "latest":
        assessments = assessments[-1:]
    rows = []
    for a in assessments:
        url = link_target(a.evidence_url)  # only http(s), percent-encoded (tracker.safe_output)
        rows.append(
            (
                (Run(a.assessed_on.isoformat()),),
                (Run(str(a.source_org), url=url),),
                (Run(status_phrase(a.status)),),
                (Run(str(a.evidence) if isinstance(a.evidence, str) else ""),),
            )
        )
    return tuple(rows)


def _effective_assessments(session: Session, f: Filters) -> pd.DataFrame:
    """Assessments of the selection that count: no retraction, nothing retracted."""
    df = queries.assessments_frame(session, f)
    if df.empty:
        return df
    retracted = set(df["retracts_id"].dropna().astype(int))
    keep = df["retracts_id"].isna() & ~df["assessment_id"].isin(retracted)
    return df[keep]


def build_report(
    session: Session,
    settings: ReportSettings,
    own_recommendations: Sequence[str] = (),
    *,
    today: dt.date | None = None,
) -> Report:
    """Build the report for ``settings`` from the database (read only).

    Example::

        report = build_report(s, ReportSettings(state="Kazakhstan", organisations=("Legal
        centre",), themes=("Trafficking",)), ["Adopt a law on ..."])
        Path("kaz.docx").write_bytes(to_docx(report))
    """
    settings = validate_settings(session, settings)
    own = clean_own_recommendations(own_recommendations)
    iso3 = settings.state
    state_name = display_name(iso3, get_language())  # in the report's language
    target = settings.session or next_review_session(session, iso3)
    if target is None:
        raise ValidationError(
            "session",
            _(
                "session: the database holds no review of {state}; give the UPR session the "
                "report is for"
            ).format(state=state_name),
        )
    cycle = cycle_for_session(target)
    cycles = settings.cycles or tuple(c for c in range(1, cycle))
    f = Filters(states=(iso3,), cycles=cycles, themes=settings.themes, statuses=settings.statuses)
    frame = queries.recommendations_frame(
        session,
        f,
        order_by=(
            Review.cycle,
            Review.session,
            Recommendation.id,
        ),
    )
    ids = [int(i) for i in frame["id"]]
    themes_of = _rec_themes(session, ids)
    section_of = _assign_sections(frame, themes_of, settings.themes)
    assessments = _effective_assessments(session, f) if ids else pd.DataFrame()
    # Plain rows per recommendation, in one pass: a pandas group per recommendation cost
    # 1 s for one country's 400 (docs/performance.md).
    by_rec: dict[int, list[Any]] = defaultdict(list)
    if not assessments.empty:
        for a in assessments.itertuples(index=False):
            by_rec[int(a.recommendation_id)].append(a)
    is_sample = bool(frame["is_sample"].any()) if ids else False
    if not is_sample and not assessments.empty:
        is_sample = bool(assessments["is_sample"].any())

    frame = frame.assign(section=[section_of[i] for i in ids])
    section_order = list(settings.themes) or _sections_by_size(frame)
    if (frame["section"] == OTHER_SECTION).any():
        section_order = [*section_order, OTHER_SECTION]
    frame["_order"] = frame["section"].map({s: i for i, s in enumerate(section_order)})
    frame = frame.sort_values(["_order", "cycle", "session", "id"], kind="stable").drop(
        columns="_order"
    )

    totals = {s: int((frame["status"] == s).sum()) for s in STATUS_ORDER}
    blocks: list[Block] = []
    blocks.append(Heading(_("Introduction"), 1))
    for text in re.split(r"\n\s*\n", settings.introduction):
        if text.strip():
            blocks.append(Para((Run(" ".join(text.split())),)))
    blocks.extend(_scope_paragraphs(state_name, frame, cycles, settings, totals))

    # One pass over plain rows (sorted by section, cycle, session): a pandas group and a
    # row iterator per review cost a second for one country (docs/performance.md).
    rows = list(frame.itertuples(index=False))
    for section in section_order:
        part = [r for r in rows if r.section == section]
        if not part:
            continue
        blocks.append(Heading(theme_label(section) or _("Other recommendations"), 1))
        for (cyc, sess), review_rows in groupby(part, key=attrgetter("cycle", "session")):
            group = list(review_rows)
            blocks.append(Heading(_review_heading(int(cyc), int(sess), group[0]), 2))
            for row in group:
                blocks.extend(_recommendation_blocks(row, state_name, by_rec, settings))

    if own:
        blocks.append(Heading(_("Recommendations"), 1))
        blocks.append(
            Para(
                (
                    Run(
                        ngettext(
                            "{who} recommends that the Government of {state}:",
                            "{who} recommend that the Government of {state}:",
                            max(1, len(settings.organisations)),
                        ).format(who=_join_names(settings.organisations), state=state_name)
                        if settings.organisations
                        else _("We recommend that the Government of {state}:").format(
                            state=state_name
                        )
                    ),
                ),
                numbered=False,
                keep_with_next=True,
            )
        )
        for text in own:
            blocks.append(Para((Run(_sentence(text)),)))

    orgs = settings.organisations
    if len(orgs) > 1:
        byline = _("Joint submission by {names}").format(names=_join_names(orgs))
    elif orgs:
        byline = _("Submission by {name}").format(name=orgs[0])
    else:
        byline = _("Stakeholder submission")
    keywords = (
        settings.keywords
        or tuple(theme_label(s) for s in section_order if s != OTHER_SECTION)[:MAX_DEFAULT_KEYWORDS]
    )
    csv_frame = frame.rename(columns={"text": "recommendation"})
    csv_frame["sample"] = csv_frame["is_sample"].map({True: "yes", False: ""})
    return Report(
        settings=settings,
        state_name=state_name,
        session=target,
        cycle=cycle,
        cycles=cycles,
        organisations=orgs,
        generated_on=today or dt.date.today(),
        title=_("Universal Periodic Review of {state}").format(state=state_name),
        subtitle=_("Cycle {cycle}, session {session} of the UPR Working Group").format(
            cycle=cycle, session=target
        ),
        byline=byline,
        keywords=keywords,
        blocks=blocks,
        own_recommendations=own,
        frame=csv_frame[CSV_COLUMNS].reset_index(drop=True),
        is_sample=is_sample,
        status_totals=totals,
    )


def _sections_by_size(frame: pd.DataFrame) -> list[str]:
    counts = frame[frame["section"] != OTHER_SECTION]["section"].value_counts()
    return sorted(counts.index, key=lambda s: (-int(counts[s]), s.casefold()))


def _scope_paragraphs(
    state_name: str,
    frame: pd.DataFrame,
    cycles: tuple[int, ...],
    settings: ReportSettings,
    totals: dict[str, int],
) -> list[Block]:
    n = len(frame)
    if not n:
        return [
            Para(
                (
                    Run(
                        _(
                            "The database holds no recommendation to {state} for the chosen "
                            "cycles, themes and statuses."
                        ).format(state=state_name)
                    ),
                )
            )
        ]
    present = sorted({int(c) for c in frame["cycle"]})
    sessions = sorted({int(s) for s in frame["session"]})
    reviews = ngettext(
        "the review of cycle {cycles} (Working Group session {sessions})",
        "the reviews of cycles {cycles} (Working Group sessions {sessions})",
        len(present),
    ).format(
        cycles=_join_names([str(c) for c in present]),
        sessions=_join_names([str(x) for x in sessions]),
    )
    themes = ""
    if settings.themes:
        themes = " " + _("on {themes}").format(themes=_join_names(list(settings.themes)))
    latest = frame["assessed_on"].dropna()
    as_of = long_date(max(latest)) if not latest.empty else _("no assessment yet")
    scope = _(
        "This submission reviews the implementation of {recommendations}{themes} that {state} "
        "received in {reviews} of the Universal Periodic Review. Each recommendation is quoted "
        "with the recommending State(s) in parentheses and its current status of "
        "implementation after the dash: the latest assessment on record (as of {as_of}), "
        "whose evidence and sources follow in a table."
    ).format(
        recommendations=ngettext("{n} recommendation", "{n} recommendations", n).format(n=n),
        themes=themes,
        state=state_name,
        reviews=reviews,
        as_of=as_of,
    )
    parts = [_(SUMMARY_PHRASES[s]).format(n=totals[s]) for s in STATUS_ORDER if totals.get(s)]
    summary = _("Status of these recommendations: {parts}.").format(parts=_join_names(parts))
    return [Para((Run(scope),)), Para((Run(summary),))]


def _review_heading(cycle: int, session: int, row: Any) -> str:
    text = _("Cycle {cycle}, session {session}").format(cycle=cycle, session=session)
    details = []
    review_date = row.review_date
    if isinstance(review_date, dt.date):
        details.append(_month_year(review_date))
    if isinstance(row.report_symbol, str) and row.report_symbol:
        details.append(row.report_symbol)
    return f"{text} ({', '.join(details)})" if details else text


def _recommendation_blocks(
    row: Any, state_name: str, by_rec: dict[int, list[Any]], settings: ReportSettings
) -> list[Block]:
    runs: list[Run] = []
    if isinstance(row.paragraph, str) and row.paragraph:
        runs.append(Run(f"{row.paragraph} "))
    runs.append(Run(_sentence(str(row.text)), italic=True))
    if row.recommending_states:
        names = ", ".join(shown_name(n) for n in str(row.recommending_states).split(", "))
        runs.append(Run(f" ({names})"))
    runs.append(Run(" — "))
    runs.append(Run(status_phrase(row.status), bold=True))
    blocks: list[Block] = [Para(tuple(runs), keep_with_next=True)]
    history = by_rec.get(int(row.id), [])
    note = _("Response of {state}: {response}.").format(
        state=state_name, response=response_label(row.response).lower()
    )
    rows = _evidence_rows(history, settings.evidence)
    if settings.evidence != "none" and not history:
        note += " " + _("No assessment recorded yet.")
    blocks.append(Para((Run(note),), numbered=False, note=True))
    if rows:
        blocks.append(
            EvidenceTable(
                header=(_("Date"), _("Source"), _("Status"), _("Evidence")),
                rows=rows,
            )
        )
    return blocks


# --- CSV ---------------------------------------------------------------------------------------
def to_csv(report: Report) -> bytes:
    """The selection as CSV (UTF-8 with BOM, so that spreadsheet programs read it right)."""
    buf = io.StringIO()
    frame = report.frame.copy()
    frame["section"] = frame["section"].replace(OTHER_SECTION, _("Other recommendations"))
    frame = frame.map(neutralise_cell)  # no live formulas in the reader's spreadsheet
    frame.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- Markdown ------------------------------------------------------------------------------------
def _md(text: str) -> str:
    """Database text made literal in Markdown (raw HTML escaped: tracker.safe_output)."""
    return md_literal(text)


def _md_runs(runs: Iterable[Run]) -> str:
    out = []
    for r in runs:
        text = _md(r.text)
        stripped = text.strip()
        if stripped and (r.bold or r.italic):
            mark = "**" if r.bold else "*"
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :]
            text = f"{lead}{mark}{stripped}{mark}{trail}"
        if r.url:
            text = f"[{text}](<{link_target(r.url)}>)"
        out.append(text)
    return "".join(out)


def to_markdown(report: Report) -> str:
    """The report as Markdown (numbered paragraphs as an ordered list)."""
    lines = [f"# {_md(report.title)}", "", f"**{_md(report.subtitle)}**  "]
    lines.append(f"{_md(report.byline)}  ")
    lines.append(f"{_md(report.generated_label)}  ")
    if report.keywords:
        lines.append(f"**{_md(_('Key words:'))}** {_md('; '.join(report.keywords))}")
    lines.append("")
    if report.is_sample:
        lines += [f"> **{_md(sample_notice())}**", ""]
    number = 0
    for b in report.blocks:
        if isinstance(b, Heading):
            lines += [f"{'#' * (b.level + 1)} {_md(b.text)}", ""]
        elif isinstance(b, Para):
            if b.numbered:
                number += 1
                lines += [f"{number}. {_md_runs(b.runs)}", ""]
            elif b.note:
                lines += [f"   *{_md(b.text)}*", ""]
            else:
                lines += [_md_runs(b.runs), ""]
        else:
            lines.append("| " + " | ".join(_md(h) for h in b.header) + " |")
            lines.append("|" + "---|" * len(b.header))
            for row in b.rows:
                lines.append("| " + " | ".join(_md_runs(cell) for cell in row) + " |")
            lines.append("")
    lines.append(f"*{_md(report.word_count_message())}*")
    return "\n".join(lines) + "\n"


def sample_notice() -> str:
    return _("Sample data: this document contains illustrative records. Not for submission.")


# --- Word ----------------------------------------------------------------------------------------
def _add_numbering(doc: Any) -> int:
    """Add a one-level decimal numbering ("1.", "2.", …) to the document; return its numId."""
    numbering = doc.part.numbering_part.element
    abstract_ids = [
        int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))
    ]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id = max(abstract_ids, default=-1) + 1
    num_id = max(num_ids, default=0) + 1
    abstract = parse_xml(
        f'<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        f' w:abstractNumId="{abstract_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{NUMBER_INDENT_TWIPS}" w:hanging="{NUMBER_INDENT_TWIPS}"/>'
        "</w:pPr></w:lvl>"
        "</w:abstractNum>"
    )
    # The schema wants every abstractNum before the first num.
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = parse_xml(
        f'<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        f' w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
    )
    numbering.append(num)
    return num_id


def _number(paragraph: DocxParagraph, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def _add_field(paragraph: DocxParagraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        else:
            run.text = text
    end = paragraph.add_run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "end")
    end._r.append(fld)


def _add_hyperlink(paragraph: DocxParagraph, text: str, url: str, size: Pt | None) -> None:
    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = paragraph.add_run(text)
    run.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    run.font.underline = True
    if size:
        run.font.size = size
    link.append(run._r)  # moves the run inside the hyperlink
    paragraph._p.append(link)


def _add_runs(paragraph: DocxParagraph, runs: Iterable[Run], size: Pt | None = None) -> None:
    for r in runs:
        target = link_target(r.url) if r.url else None
        if target:  # never a javascript: or data: hyperlink in the document
            _add_hyperlink(paragraph, r.text, target, size)
            continue
        run = paragraph.add_run(r.text)
        run.bold = r.bold or None
        run.italic = r.italic or None
        if size:
            run.font.size = size


def _watermark(header: Any, text: str) -> None:
    """A diagonal "sample data" watermark behind every page (Word's own VML form, which
    LibreOffice also shows)."""
    p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    p._p.append(
        parse_xml(
            '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' xmlns:v="urn:schemas-microsoft-com:vml"'
            ' xmlns:o="urn:schemas-microsoft-com:office:office"><w:pict>'
            '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"'
            ' path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
            '<v:textpath on="t" fitshape="t"/></v:shapetype>'
            '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136"'
            ' style="position:absolute;margin-left:0;margin-top:0;width:470pt;height:110pt;'
            "rotation:315;z-index:-251655168;mso-position-horizontal:center;"
            "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
            'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="#E8A09A"'
            ' stroked="f"><v:fill opacity=".5"/>'
            f'<v:textpath style="font-family:&quot;{FONT}&quot;;font-size:1pt" string="{text}"/>'
            "</v:shape></w:pict></w:r>"
        )
    )


def _style_document(doc: Any) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 12)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = HEADING_COLOUR
        style.font.bold = True
        style.font.italic = False
        rfonts = style.element.rPr.rFonts
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
        style.paragraph_format.space_before = Pt(14 if name == "Heading 1" else 8)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True


def to_docx(report: Report) -> bytes:
    """The report as a Word document in the form of a UPR stakeholder submission."""
    doc = Document()
    _style_document(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as OHCHR's templates
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    props = doc.core_properties
    # Word's core properties hold at most 255 characters each.
    props.title = f"{report.title} — {report.subtitle}"[:255]
    props.author = (", ".join(report.organisations) or "UPR Tracker")[:255]
    props.keywords = "; ".join(report.keywords)[:255]
    props.comments = _("Made with UPR Tracker")

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(
        _("{state} — UPR session {session}").format(state=report.state_name, session=report.session)
        + " — "
        + _("page")
        + " "
    )
    _add_field(footer, "PAGE")
    footer.add_run(" " + _("of") + " ")
    _add_field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(9)

    if report.is_sample:
        header = section.header
        hp = header.paragraphs[0]
        hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = hp.add_run(sample_notice())
        run.bold = True
        run.font.size = Pt(9)
        run.font.color.rgb = SAMPLE_COLOUR
        _watermark(header, _("sample data").upper())

    # Title block.
    p = doc.add_paragraph(report.byline.upper())
    p.runs[0].font.size = Pt(10)
    p.runs[0].font.color.rgb = HEADING_COLOUR
    p.runs[0].bold = True
    doc.add_paragraph(report.title, style="Title")
    p = doc.add_paragraph()
    run = p.add_run(report.subtitle)
    run.bold = True
    run.font.size = Pt(12)
    doc.add_paragraph(report.generated_label)
    if report.keywords:
        p = doc.add_paragraph()
        p.add_run(_("Key words:") + " ").bold = True
        p.add_run("; ".join(report.keywords))

    num_id = _add_numbering(doc)
    for b in report.blocks:
        if isinstance(b, Heading):
            doc.add_heading(b.text, level=b.level)
        elif isinstance(b, Para):
            p = doc.add_paragraph()
            if b.note:
                p.paragraph_format.left_indent = Cm(1.0)
                p.paragraph_format.space_after = Pt(2)
                p.paragraph_format.keep_with_next = True
                _add_runs(p, (replace(r, italic=True) for r in b.runs), Pt(9))
            else:
                _add_runs(p, b.runs)
            if b.keep_with_next:
                p.paragraph_format.keep_with_next = True
            if b.numbered:
                _number(p, num_id)
        else:
            _add_table(doc, b)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _add_table(doc: Any, table_block: EvidenceTable) -> None:
    """A compact evidence table, indented to the text of the numbered paragraphs."""
    widths = (Cm(2.2), Cm(3.6), Cm(2.7), Cm(6.5))  # 15 cm: the text width less the indent
    table = doc.add_table(rows=1, cols=len(table_block.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(NUMBER_INDENT_TWIPS))
    indent.set(qn("w:type"), "dxa")
    # Word insists on the schema's order of table properties: tblInd comes before these.
    later = [qn(f"w:{t}") for t in ("tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")]
    successor = next((c for c in tbl_pr if c.tag in later), None)
    if successor is not None:
        successor.addprevious(indent)
    else:
        tbl_pr.append(indent)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid: what LibreOffice lays out by
    size = Pt(9)
    header_cells = table.rows[0].cells
    for cell, text, width in zip(header_cells, table_block.header, widths, strict=True):
        cell.width = width
        para = cell.paragraphs[0]
        para.paragraph_format.space_after = Pt(0)
        run = para.add_run(text)
        run.bold = True
        run.font.size = size
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "E7EDF3")
        cell._tc.get_or_add_tcPr().append(shading)
    for row in table_block.rows:
        table_row = table.add_row()
        cells = table_row.cells
        for cell, runs, width in zip(cells, row, widths, strict=True):
            cell.width = width
            para = cell.paragraphs[0]
            para.paragraph_format.space_after = Pt(0)
            _add_runs(para, runs, size)
    # A row never breaks across pages; a table that does repeats its header row.
    for i, table_row in enumerate(table.rows):
        tr_pr = table_row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
    # Keep a little air between the table and the next paragraph.
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


__all__ = [
    "CSV_COLUMNS",
    "EVIDENCE_CHOICES",
    "ORGANISATION_ENV",
    "WORD_LIMIT_INDIVIDUAL",
    "WORD_LIMIT_JOINT",
    "EvidenceTable",
    "Heading",
    "Para",
    "Report",
    "ReportSettings",
    "Run",
    "build_report",
    "clean_own_recommendations",
    "count_words",
    "delete_saved_report",
    "load_saved_report",
    "next_review_session",
    "organisation_name",
    "save_report",
    "saved_report_names",
    "selection_has_sample",
    "set_organisation_name",
    "to_csv",
    "to_docx",
    "to_markdown",
    "validate_settings",
]
