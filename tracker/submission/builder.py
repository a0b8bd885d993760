"""The report builder: one selection of earlier recommendations (themes, cycles, statuses of
one state under review) made into a :class:`~tracker.submission.document.Report`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby
from operator import attrgetter
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy.orm import Session

from tracker import queries
from tracker import settings as config
from tracker.errors import ValidationError
from tracker.evidence import check_include_private
from tracker.filters import Filters
from tracker.i18n import N_, _, get_language, long_date, ngettext
from tracker.models import Recommendation, Review
from tracker.states import formal_name
from tracker.submission.document import (
    CSV_COLUMNS,
    OTHER_SECTION,
    Block,
    Heading,
    Para,
    Report,
    Run,
)
from tracker.submission.entries import Phrases, recommendation_blocks, review_heading, sentence
from tracker.submission.options import (
    ReportSettings,
    clean_own_recommendations,
    next_review_session,
    validate_settings,
)
from tracker.submission.outline import Outline, narrative_parts
from tracker.vocab import (
    NOT_ASSESSED,
    STATUS_ORDER,
    Status,
    cycle_for_session,
    theme_label,
)

MAX_DEFAULT_KEYWORDS = 8  # the key-words line names the largest sections, not all of them
# The status summary of the introduction ("14 partially implemented, 5 not yet assessed").
SUMMARY_PHRASES: dict[str, str] = {
    Status.FULLY_IMPLEMENTED: N_("{n} fully implemented"),
    Status.PARTIALLY_IMPLEMENTED: N_("{n} partially implemented"),
    Status.NOT_IMPLEMENTED: N_("{n} not implemented"),
    Status.NO_INFORMATION: N_("{n} without information on implementation"),
    NOT_ASSESSED: N_("{n} not yet assessed"),
}


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


class _Row(NamedTuple):
    """A recommendation of the report: the columns of queries.recommendation_columns, its
    recommending states (names joined by ", ") and the section it is listed under."""

    id: int
    state: str
    state_iso3: str
    cycle: int
    session: int
    review_date: dt.date | None
    report_symbol: str | None
    paragraph: str | None
    text: str
    response: str | None
    action_category: int | None
    status: str
    assessed_on: dt.date | None
    source_org: str | None
    evidence: str | None
    evidence_url: str | None
    is_sample: bool
    recommending_states: str
    section: str


def _report_rows(session: Session, f: Filters) -> list[Any]:
    """The recommendations matching ``f`` by cycle, session and id, with the status (and
    the current assessment) as of ``f.as_of``. Plain rows: the report reads them once, and
    recommendations_frame's DataFrame and its row iterator cost more than the query."""
    stmt = queries.apply_filters(queries.recommendation_columns(f), f).order_by(
        Review.cycle, Review.session, Recommendation.id
    )
    return list(session.execute(stmt).all())


def _assign_sections(
    ids: Sequence[int], themes_of: dict[int, list[str]], chosen: Sequence[str]
) -> dict[int, str]:
    """Recommendation id -> the one section (theme) it is listed under."""
    if chosen:
        order = list(chosen)
    else:
        counts: dict[str, int] = {}
        for rid in ids:
            for t in themes_of.get(rid, []):
                counts[t] = counts.get(t, 0) + 1
        order = sorted(counts, key=lambda t: (-counts[t], t.casefold()))
    rank = {t: i for i, t in enumerate(order)}
    out: dict[int, str] = {}
    for rid in ids:
        mine = [t for t in themes_of.get(rid, []) if t in rank]
        out[rid] = min(mine, key=rank.__getitem__) if mine else OTHER_SECTION
    return out


def _effective_assessments(
    session: Session, f: Filters, wanted: set[int], include_private: bool = False
) -> dict[int, list[Any]]:
    """Per recommendation of ``wanted``: its assessments that count (no retraction, nothing
    retracted; private ones only with ``include_private``), oldest first. Plain rows, no
    DataFrame: a frame and its row iterator were a third of a country's report (20 ms of
    the 65 at 156k recommendations)."""
    rows = session.execute(queries.assessments_select(f, include_private=include_private)).all()
    retracted = {int(a.retracts_id) for a in rows if a.retracts_id is not None}
    by_rec: dict[int, list[Any]] = defaultdict(list)
    for a in rows:
        rid = int(a.recommendation_id)
        if rid in wanted and a.retracts_id is None and a.assessment_id not in retracted:
            by_rec[rid].append(a)
    return by_rec


def _own_lead_in(organisations: Sequence[str], state_name: str) -> Para:
    """ "<Organisation> recommends that the Government of <State>:" """
    text = (
        ngettext(
            "{who} recommends that the Government of {state}:",
            "{who} recommend that the Government of {state}:",
            max(1, len(organisations)),
        ).format(who=_join_names(list(organisations)), state=state_name)
        if organisations
        else _("We recommend that the Government of {state}:").format(state=state_name)
    )
    return Para((Run(text),), numbered=False, keep_with_next=True)


def _paragraphs(text: str) -> list[Block]:
    """Numbered paragraphs of the organisation's text (blank lines separate them)."""
    return [
        Para((Run(" ".join(part.split())),)) for part in re.split(r"\n\s*\n", text) if part.strip()
    ]


def _outline_sections(
    ids: Sequence[int], themes_of: dict[int, list[str]], outline: Outline
) -> dict[int, int]:
    """Recommendation id -> the index of the outline section that quotes it: the first
    section naming its id, else the first naming one of its themes (listed once: no
    recommendation spends the word limit twice). Ids in no section are left out."""
    out: dict[int, int] = {}
    for i, sec in enumerate(outline.sections):
        for rid in sec.ids:
            out.setdefault(int(rid), i)
    for rid in ids:
        if rid in out:
            continue
        mine = set(themes_of.get(rid, []))
        for i, sec in enumerate(outline.sections):
            if mine & set(sec.themes):
                out[rid] = i
                break
    return out


def build_report(
    session: Session,
    settings: ReportSettings,
    own_recommendations: Sequence[str] = (),
    *,
    outline: Outline | None = None,
    today: dt.date | None = None,
    include_private: bool = False,
) -> Report:
    """Build the report for ``settings`` from the database (read only). Its evidence tables
    leave private assessments out unless ``include_private`` (editors only; the report then
    says so on its first page).

    With an ``outline``, the document follows it: the executive summary, then each of its
    sections with the earlier recommendations it names (by theme or id), the narrative
    and the organisation's own recommendations for that section; ``own_recommendations``
    then come last.

    Example::

        report = build_report(s, ReportSettings(state="Kazakhstan", organisations=("Legal
        centre",), themes=("Trafficking",)), ["Adopt a law on ..."])
        Path("kaz.docx").write_bytes(to_docx(report))
    """
    include_private = check_include_private(include_private)
    if outline is not None:
        if outline.organisation and not settings.organisations:
            settings = replace(settings, organisations=(outline.organisation,))
        outline_themes = tuple(dict.fromkeys(t for sec in outline.sections for t in sec.themes))
        settings = replace(settings, themes=outline_themes)
    settings = validate_settings(session, settings)
    own = clean_own_recommendations(own_recommendations)
    iso3 = settings.state
    # Documents name states by their UN formal name ("Russian Federation"), in the
    # report's language.
    state_name = formal_name(iso3, get_language())
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
    f = Filters(
        states=(iso3,),
        cycles=cycles,
        # An outline may name recommendations by id outside its themes: its themes are
        # applied below, section by section.
        themes=() if outline is not None else settings.themes,
        statuses=settings.statuses,
        as_of=settings.as_of,
    )
    found = _report_rows(session, f)
    names, themes_of = queries.related_of(session, f) if found else ({}, {})
    ids = [int(r[0]) for r in found]
    if outline is not None:
        in_section = _outline_sections(ids, themes_of, outline)
        found = [r for r in found if int(r[0]) in in_section]
        ids = [int(r[0]) for r in found]
        section_of = {i: str(in_section[i]) for i in ids}
        section_order = [str(i) for i in range(len(outline.sections))]
    else:
        section_of = _assign_sections(ids, themes_of, settings.themes)
    f = f.with_(themes=())  # the assessments of exactly the recommendations listed
    by_rec = _effective_assessments(session, f, set(ids), include_private) if ids else {}
    rows = [_Row._make((*r, names.get(int(r[0]), ""), section_of[int(r[0])])) for r in found]
    is_sample = any(bool(r.is_sample) for r in rows)
    if not is_sample and by_rec:
        is_sample = any(bool(a.is_sample) for history in by_rec.values() for a in history)

    if outline is None:
        section_order = list(settings.themes) or _sections_by_size(rows)
        if any(r.section == OTHER_SECTION for r in rows):
            section_order = [*section_order, OTHER_SECTION]
    position = {s: i for i, s in enumerate(section_order)}
    # The rows came by cycle, session and id: a stable sort on the section keeps that order
    # inside each section.
    rows.sort(key=lambda r: position[r.section])

    statuses = Counter(r.status for r in rows)
    totals = {s: statuses[s] for s in STATUS_ORDER}
    blocks: list[Block] = []
    if outline is not None:
        blocks.append(Heading(_("Executive summary"), 1))
        blocks.extend(_paragraphs(outline.executive_summary))
    else:
        blocks.append(Heading(_("Introduction"), 1))
    blocks.extend(_paragraphs(settings.introduction))
    blocks.extend(_scope_paragraphs(state_name, rows, settings, totals))

    all_own: list[str] = []
    # One pass over plain rows (sorted by section, cycle, session): a pandas group and a
    # row iterator per review cost a second for one country (docs/performance.md).
    in_order: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        in_order[r.section].append(r)
    phrases = Phrases(state_name)
    for section in section_order:
        part = in_order.get(section, [])
        sec = outline.sections[int(section)] if outline is not None else None
        if not part and sec is None:
            continue
        heading = sec.heading if sec else (theme_label(section) or _("Other recommendations"))
        blocks.append(Heading(heading, 1))
        for (cyc, sess), review_rows in groupby(part, key=attrgetter("cycle", "session")):
            group = list(review_rows)
            blocks.append(Heading(review_heading(int(cyc), int(sess), group[0]), 2))
            for row in group:
                blocks.extend(recommendation_blocks(row, phrases, by_rec, settings))
        if sec is None:
            continue
        for kind, text in narrative_parts(sec.text):
            blocks.append(Heading(text, 2) if kind == "heading" else Para((Run(text),)))
        sec_own = clean_own_recommendations(sec.own)
        if sec_own:
            blocks.append(_own_lead_in(settings.organisations, state_name))
            blocks.extend(Para((Run(sentence(t)),)) for t in sec_own)
            all_own.extend(sec_own)

    if own:
        blocks.append(Heading(_("Recommendations"), 1))
        blocks.append(_own_lead_in(settings.organisations, state_name))
        for text in own:
            blocks.append(Para((Run(sentence(text)),)))
        all_own.extend(own)

    orgs = settings.organisations
    if len(orgs) > 1:
        byline = _("Joint submission by {names}").format(names=_join_names(orgs))
    elif orgs:
        byline = _("Submission by {name}").format(name=orgs[0])
    else:
        byline = _("Stakeholder submission")
    if outline is not None:
        default_keywords = tuple(s.heading for s in outline.sections)
    else:
        default_keywords = tuple(theme_label(s) for s in section_order if s != OTHER_SECTION)
    keywords = settings.keywords or default_keywords[:MAX_DEFAULT_KEYWORDS]
    report = Report(
        settings=settings,
        state_name=state_name,
        session=target,
        cycle=cycle,
        cycles=cycles,
        organisations=orgs,
        generated_on=today or dt.date.today(),
        title=(
            outline.title
            if outline is not None
            else _("Universal Periodic Review of {state}").format(state=state_name)
        ),
        subtitle=(
            _("Universal Periodic Review of {state}").format(state=state_name) + " — "
            if outline is not None
            else ""
        )
        + _("Cycle {cycle}, session {session} of the UPR Working Group").format(
            cycle=cycle, session=target
        ),
        byline=byline,
        keywords=keywords,
        blocks=blocks,
        own_recommendations=all_own,
        frame=_csv_frame(rows, outline),
        is_sample=is_sample,
        status_totals=totals,
        includes_private=include_private,
        as_of=settings.as_of,
        footnotes_counted=bool(config.value(config.FOOTNOTES_COUNTED)),
    )
    # Counted once, here: the Report page shows the count on every run, and a cached report
    # keeps it (a regex over the whole text: 20 ms for a country's 2,451 recommendations).
    report.word_count  # noqa: B018
    return report


def _sections_by_size(rows: Sequence[_Row]) -> list[str]:
    counts = Counter(r.section for r in rows if r.section != OTHER_SECTION)
    return sorted(counts, key=lambda s: (-counts[s], s.casefold()))


def _csv_frame(rows: Sequence[_Row], outline: Outline | None) -> pd.DataFrame:
    """The selection in report order, one row per recommendation (CSV_COLUMNS)."""
    return pd.DataFrame(
        [
            (
                outline.sections[int(r.section)].heading if outline is not None else r.section,
                r.id,
                r.cycle,
                r.session,
                r.review_date,
                r.report_symbol,
                r.paragraph,
                r.text,
                r.recommending_states,
                r.response,
                r.status,
                r.assessed_on,
                r.source_org,
                r.evidence,
                r.evidence_url,
                "yes" if r.is_sample else "",
            )
            for r in rows
        ],
        columns=CSV_COLUMNS,
    )


def _scope_paragraphs(
    state_name: str,
    rows: Sequence[_Row],
    settings: ReportSettings,
    totals: dict[str, int],
) -> list[Block]:
    n = len(rows)
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
    present = sorted({int(r.cycle) for r in rows})
    sessions = sorted({int(r.session) for r in rows})
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
    latest = [r.assessed_on for r in rows if r.assessed_on is not None]
    where = _("in footnotes") if settings.evidence_format == "footnotes" else _("in a table")
    if settings.as_of is not None:
        scope = _(
            "This submission reviews the implementation of {recommendations}{themes} that "
            "{state} received in {reviews} of the Universal Periodic Review. Each "
            "recommendation is quoted with the recommending State(s) in parentheses and its "
            "status as of {as_of} after the dash: the latest assessment on record on that "
            "day, whose evidence and sources follow {where}; later assessments are left out."
        )
        as_of = long_date(settings.as_of)
    else:
        scope = _(
            "This submission reviews the implementation of {recommendations}{themes} that "
            "{state} received in {reviews} of the Universal Periodic Review. Each "
            "recommendation is quoted with the recommending State(s) in parentheses and its "
            "current status of implementation after the dash: the latest assessment on "
            "record (as of {as_of}), whose evidence and sources follow {where}."
        )
        as_of = long_date(max(latest)) if latest else _("no assessment yet")
    scope = scope.format(
        recommendations=ngettext("{n} recommendation", "{n} recommendations", n).format(n=n),
        themes=themes,
        state=state_name,
        reviews=reviews,
        as_of=as_of,
        where=where,
    )
    parts = [_(SUMMARY_PHRASES[s]).format(n=totals[s]) for s in STATUS_ORDER if totals.get(s)]
    summary = _("Status of these recommendations: {parts}.").format(parts=_join_names(parts))
    return [Para((Run(scope),)), Para((Run(summary),))]
