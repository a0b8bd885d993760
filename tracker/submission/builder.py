"""The report builder: one selection of earlier recommendations (themes, cycles, statuses of
one state under review) made into a :class:`~tracker.submission.document.Report`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby
from operator import attrgetter
from typing import Any

import pandas as pd
from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import queries
from tracker import settings as config
from tracker.errors import ValidationError
from tracker.evidence import check_include_private
from tracker.filters import Filters
from tracker.i18n import N_, _, get_language, locale_name, long_date, ngettext
from tracker.models import (
    Recommendation,
    Review,
    Theme,
    recommendation_themes,
)
from tracker.safe_output import link_target
from tracker.states import formal_name
from tracker.submission.document import (
    CSV_COLUMNS,
    OTHER_SECTION,
    Block,
    EvidenceTable,
    Heading,
    Para,
    Report,
    Run,
)
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
    response_label,
    status_phrase,
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


def _month_year(day: dt.date) -> str:
    # LLLL: the stand-alone month ("февраль 2010", not the genitive "февраля").
    return format_date(day, format="LLLL y", locale=locale_name())


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


def _evidence_footnotes(assessments: Sequence[Any], how: str) -> tuple[Run, ...]:
    """Footnote references, one per assessment listed (oldest first): the source, the date,
    the status, the evidence and the URL."""
    if how == "none" or not assessments:
        return ()
    if how == "latest":
        assessments = assessments[-1:]
    refs = []
    for a in assessments:
        evidence = " ".join(str(a.evidence).split()) if isinstance(a.evidence, str) else ""
        note = _("{source}, {date}: {status}.").format(
            source=str(a.source_org), date=long_date(a.assessed_on), status=status_phrase(a.status)
        )
        runs = [Run(note + (" " + _sentence(evidence) if evidence else ""))]
        url = link_target(a.evidence_url)
        if url:
            runs += [Run(" "), Run(url, url=url)]
        refs.append(Run("", footnote=tuple(runs)))
    return tuple(refs)


def _effective_assessments(
    session: Session, f: Filters, include_private: bool = False
) -> pd.DataFrame:
    """Assessments of the selection that count: no retraction, nothing retracted; private
    ones only with ``include_private``."""
    df = queries.assessments_frame(session, f, include_private=include_private)
    if df.empty:
        return df
    retracted = set(df["retracts_id"].dropna().astype(int))
    keep = df["retracts_id"].isna() & ~df["assessment_id"].isin(retracted)
    return df[keep]


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
    frame: pd.DataFrame, themes_of: dict[int, list[str]], outline: Outline
) -> dict[int, int]:
    """Recommendation id -> the index of the outline section that quotes it: the first
    section naming its id, else the first naming one of its themes (listed once: no
    recommendation spends the word limit twice). Ids in no section are left out."""
    out: dict[int, int] = {}
    for i, sec in enumerate(outline.sections):
        for rid in sec.ids:
            out.setdefault(int(rid), i)
    for rid in (int(r) for r in frame["id"]):
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
    if outline is not None:
        in_section = _outline_sections(frame, themes_of, outline)
        frame = frame[frame["id"].map(lambda i: int(i) in in_section)]
        ids = [int(i) for i in frame["id"]]
        section_of = {i: str(in_section[i]) for i in ids}
        section_order = [str(i) for i in range(len(outline.sections))]
    else:
        section_of = _assign_sections(frame, themes_of, settings.themes)
    f = f.with_(themes=())  # the assessments of exactly the recommendations listed
    assessments = _effective_assessments(session, f, include_private) if ids else pd.DataFrame()
    # Plain rows per recommendation, in one pass: a pandas group per recommendation cost
    # 1 s for one country's 400 (docs/performance.md).
    by_rec: dict[int, list[Any]] = defaultdict(list)
    if not assessments.empty:
        wanted = set(ids)
        for a in assessments.itertuples(index=False):
            if int(a.recommendation_id) in wanted:
                by_rec[int(a.recommendation_id)].append(a)
    is_sample = bool(frame["is_sample"].any()) if ids else False
    if not is_sample and by_rec:
        is_sample = any(bool(a.is_sample) for rows in by_rec.values() for a in rows)

    frame = frame.assign(section=[section_of[i] for i in ids])
    if outline is None:
        section_order = list(settings.themes) or _sections_by_size(frame)
        if (frame["section"] == OTHER_SECTION).any():
            section_order = [*section_order, OTHER_SECTION]
    frame["_order"] = frame["section"].map({s: i for i, s in enumerate(section_order)})
    frame = frame.sort_values(["_order", "cycle", "session", "id"], kind="stable").drop(
        columns="_order"
    )

    totals = {s: int((frame["status"] == s).sum()) for s in STATUS_ORDER}
    blocks: list[Block] = []
    if outline is not None:
        blocks.append(Heading(_("Executive summary"), 1))
        blocks.extend(_paragraphs(outline.executive_summary))
    else:
        blocks.append(Heading(_("Introduction"), 1))
    blocks.extend(_paragraphs(settings.introduction))
    blocks.extend(_scope_paragraphs(state_name, frame, cycles, settings, totals))

    all_own: list[str] = []
    # One pass over plain rows (sorted by section, cycle, session): a pandas group and a
    # row iterator per review cost a second for one country (docs/performance.md).
    rows = list(frame.itertuples(index=False))
    for section in section_order:
        part = [r for r in rows if r.section == section]
        sec = outline.sections[int(section)] if outline is not None else None
        if not part and sec is None:
            continue
        heading = sec.heading if sec else (theme_label(section) or _("Other recommendations"))
        blocks.append(Heading(heading, 1))
        for (cyc, sess), review_rows in groupby(part, key=attrgetter("cycle", "session")):
            group = list(review_rows)
            blocks.append(Heading(_review_heading(int(cyc), int(sess), group[0]), 2))
            for row in group:
                blocks.extend(_recommendation_blocks(row, state_name, by_rec, settings))
        if sec is None:
            continue
        for kind, text in narrative_parts(sec.text):
            blocks.append(Heading(text, 2) if kind == "heading" else Para((Run(text),)))
        sec_own = clean_own_recommendations(sec.own)
        if sec_own:
            blocks.append(_own_lead_in(settings.organisations, state_name))
            blocks.extend(Para((Run(_sentence(t)),)) for t in sec_own)
            all_own.extend(sec_own)

    if own:
        blocks.append(Heading(_("Recommendations"), 1))
        blocks.append(_own_lead_in(settings.organisations, state_name))
        for text in own:
            blocks.append(Para((Run(_sentence(text)),)))
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
    csv_frame = frame.rename(columns={"text": "recommendation"})
    if outline is not None:
        csv_frame["section"] = [outline.sections[int(x)].heading for x in csv_frame["section"]]
    csv_frame["sample"] = csv_frame["is_sample"].map({True: "yes", False: ""})
    return Report(
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
        frame=csv_frame[CSV_COLUMNS].reset_index(drop=True),
        is_sample=is_sample,
        status_totals=totals,
        includes_private=include_private,
        as_of=settings.as_of,
        footnotes_counted=bool(config.value(config.FOOTNOTES_COUNTED)),
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
        as_of = long_date(max(latest)) if not latest.empty else _("no assessment yet")
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
        names = ", ".join(formal_name(n) for n in str(row.recommending_states).split(", "))
        runs.append(Run(f" ({names})"))
    runs.append(Run(" — "))
    runs.append(Run(status_phrase(row.status), bold=True))
    history = by_rec.get(int(row.id), [])
    footnotes = settings.evidence_format == "footnotes"
    if footnotes:
        runs.extend(_evidence_footnotes(history, settings.evidence))
    blocks: list[Block] = [Para(tuple(runs), keep_with_next=True)]
    note = _("Response of {state}: {response}.").format(
        state=state_name, response=response_label(row.response).lower()
    )
    rows = () if footnotes else _evidence_rows(history, settings.evidence)
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
