"""The report builder: one selection of earlier recommendations (themes, cycles, statuses of
one state under review) made into a :class:`~tracker.submission.document.Report`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from itertools import groupby
from operator import attrgetter
from typing import Any

import pandas as pd
from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import queries
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
from tracker.states import display_name, shown_name
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


def build_report(
    session: Session,
    settings: ReportSettings,
    own_recommendations: Sequence[str] = (),
    *,
    today: dt.date | None = None,
    include_private: bool = False,
) -> Report:
    """Build the report for ``settings`` from the database (read only). Its evidence tables
    leave private assessments out unless ``include_private`` (editors only; the report then
    says so on its first page).

    Example::

        report = build_report(s, ReportSettings(state="Kazakhstan", organisations=("Legal
        centre",), themes=("Trafficking",)), ["Adopt a law on ..."])
        Path("kaz.docx").write_bytes(to_docx(report))
    """
    include_private = check_include_private(include_private)
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
    assessments = _effective_assessments(session, f, include_private) if ids else pd.DataFrame()
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
        includes_private=include_private,
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
