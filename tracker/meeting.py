"""Coalition meeting mode: walk a list of recommendations one at a time, record the status
the meeting agrees on, and write the minutes.

A meeting is a coalition name and a date. Each status it agrees on is an ordinary, append-only
assessment (:func:`tracker.assessments.add_assessment`) whose source is
``"{coalition} meeting {YYYY-MM-DD}"`` and whose date is the meeting's. So the meeting's
record lives in the database, not in a browser: :func:`meeting_changes` rebuilds "what
changed in this meeting" from the assessments at any time (after a reload, from another
laptop), and the minutes (:func:`minutes_markdown`, :func:`minutes_docx`) are made from it.

Usage::

    m = validate_meeting("Kazakhstan NGO Coalition", "2025-05-14")
    record_status(session, m, 12, "not_implemented", evidence="No shelter law yet")
    changes = meeting_changes(session, m)
    Path("minutes.md").write_text(minutes_markdown(m, changes, reviewed=20))
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
from docx import Document
from docx.shared import Cm, Pt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import queries
from tracker.assessments import (
    MAX_SOURCE_LENGTH,
    ValidationError,
    add_assessment,
    effective,
    history_key,
    history_order,
    parse_date,
    validate_status,
)
from tracker.filters import Filters
from tracker.i18n import _, label_value, long_date
from tracker.models import Assessment, Recommendation, Review
from tracker.safe_output import entry_text, link_target, md_literal, printable
from tracker.vocab import NOT_ASSESSED, status_label

_COLUMN_WIDTHS_CM = (1.5, 5.0, 5.5, 4.0)  # id, where, before, agreed: fits an A4 text width
MAX_AGENDA = 500  # more than this is not a meeting's agenda: narrow it with the filters
SOURCE_FORMAT = "{coalition} meeting {day}"  # stored data, not shown text: never translated
MAX_COALITION_LENGTH = MAX_SOURCE_LENGTH - len(" meeting YYYY-MM-DD")


@dataclass(frozen=True)
class Meeting:
    """A coalition's meeting on one day."""

    coalition: str
    day: dt.date

    @property
    def source(self) -> str:
        """The source organisation of the assessments recorded in this meeting."""
        return SOURCE_FORMAT.format(coalition=self.coalition, day=self.day.isoformat())


def validate_meeting(coalition: str, day: str | dt.date) -> Meeting:
    """A :class:`Meeting`, or :class:`ValidationError` naming the field (empty or too long
    coalition name, malformed or future date)."""
    name = " ".join(entry_text(coalition).split())  # no control characters (safe_output)
    if not name:
        raise ValidationError("coalition", _("Coalition: enter the coalition's name"))
    if len(name) > MAX_COALITION_LENGTH:
        raise ValidationError(
            "coalition",
            _("Coalition: at most {n} characters, got {value!r}").format(
                n=MAX_COALITION_LENGTH, value=name
            ),
        )
    meeting_day = parse_date(day, "date", _("Meeting date"))
    if meeting_day > dt.date.today():
        raise ValidationError(
            "date",
            _(
                "Meeting date: {value} is in the future; record a meeting on or after its day"
            ).format(value=meeting_day.isoformat()),
        )
    return Meeting(name, meeting_day)


def agenda(session: Session, f: Filters | None = None) -> list[int]:
    """Ids of the recommendations matching ``f``, in meeting order: state, cycle, paragraph
    order as imported (id)."""
    stmt = queries.filtered_ids(f).order_by(queries.SUR.name, Review.cycle, Recommendation.id)
    return list(session.scalars(stmt))


def agenda_size(session: Session, f: Filters | None = None, cap: int | None = None) -> int:
    """How many recommendations match ``f``, counted up to ``cap`` (by default one more
    than MAX_AGENDA): enough to tell an agenda from a list too long for a meeting, without
    reading (and sorting) every match of a whole corpus (7 s for a million recommendations
    on PostgreSQL)."""
    cap = MAX_AGENDA + 1 if cap is None else cap
    first = queries.filtered_ids(f).limit(cap).subquery()
    return int(session.scalar(select(func.count()).select_from(first)) or 0)


@dataclass(frozen=True)
class MeetingChange:
    """A status the meeting agreed on, with the status the recommendation had before."""

    recommendation_id: int
    state: str
    cycle: int
    session: int
    paragraph: str | None
    text: str
    recommending_states: str
    previous_status: str  # a vocab.Status value or "not_assessed"
    previous_source: str | None
    previous_date: dt.date | None
    status: str
    evidence: str | None
    evidence_url: str | None
    assessment_id: int
    recorded_at: dt.datetime
    author: str | None


def record_status(
    session: Session,
    meeting: Meeting,
    recommendation_id: int,
    status: str,
    *,
    evidence: str | None = None,
    evidence_url: str | None = None,
    actor: str | None = None,
) -> Assessment:
    """Record the status the meeting agreed on for a recommendation: an assessment dated the
    meeting's day, with the meeting as its source. Same checks, permissions and audit event
    as any assessment; the caller commits."""
    if not status:
        raise ValidationError(
            "status", _("Status agreed by the meeting: choose the status the meeting agreed on")
        )
    validate_status(status)
    return add_assessment(
        session,
        recommendation_id,
        status=status,
        assessed_on=meeting.day,
        source_org=meeting.source,
        evidence=evidence,
        evidence_url=evidence_url,
        actor=actor,
    )


def meeting_changes(session: Session, meeting: Meeting) -> list[MeetingChange]:
    """The statuses recorded in ``meeting`` (one per recommendation: the last one recorded
    counts when a recommendation was revisited), in the order they were first recorded."""
    # One day, so the history order is the order of recording.
    mine = session.scalars(
        select(Assessment)
        .where(
            Assessment.source_org == meeting.source,
            Assessment.assessed_on == meeting.day,
            # What the meeting recorded, private or awaiting review too (the minutes are for
            # the coalition); only the "previous status" below is a public one.
            *effective(Assessment, include_private=True, include_drafts=True),
        )
        .order_by(*history_order(Assessment))
    ).all()
    if not mine:
        return []
    rec_ids = list(dict.fromkeys(a.recommendation_id for a in mine))
    last = {a.recommendation_id: a for a in mine}
    first_recorded: dict[int, Any] = {}
    for a in mine:
        first_recorded.setdefault(a.recommendation_id, a)
    history: dict[int, list[Assessment]] = defaultdict(list)
    for a in session.scalars(
        select(Assessment)
        .where(Assessment.recommendation_id.in_(rec_ids), *effective(Assessment))
        .order_by(*history_order(Assessment))
    ):
        # The minutes are an output: a private assessment or a draft is no "previous status"
        # (effective() leaves both out).
        history[a.recommendation_id].append(a)
    info = queries.recommendations_frame(session, ids=rec_ids).set_index("id")
    changes = []
    for rec_id in rec_ids:
        if rec_id not in info.index:
            continue
        first = first_recorded[rec_id]
        key = history_key(first)
        before = [
            a for a in history[rec_id] if history_key(a) < key and a.source_org != meeting.source
        ]
        prev = before[-1] if before else None
        agreed = last[rec_id]
        row = info.loc[rec_id]
        changes.append(
            MeetingChange(
                recommendation_id=rec_id,
                state=row["state"],
                cycle=int(row["cycle"]),
                session=int(row["session"]),
                paragraph=row["paragraph"],
                text=row["text"],
                recommending_states=row["recommending_states"],
                previous_status=prev.status if prev else NOT_ASSESSED,
                previous_source=prev.source_org if prev else None,
                previous_date=prev.assessed_on if prev else None,
                status=agreed.status,
                evidence=agreed.evidence,
                evidence_url=agreed.evidence_url,
                assessment_id=agreed.id,
                recorded_at=agreed.created_at,
                author=agreed.author,
            )
        )
    return changes


CHANGE_COLUMNS = ["id", "where", "text", "previous", "status", "evidence"]


def changes_frame(changes: list[MeetingChange]) -> pd.DataFrame:
    """The meeting's summary table, with readable labels: CHANGE_COLUMNS."""
    return pd.DataFrame(
        [
            {
                "id": c.recommendation_id,
                "where": _where(c),
                "text": c.text,
                "previous": _before(c),
                "status": status_label(c.status),
                "evidence": c.evidence or "",
            }
            for c in changes
        ],
        columns=CHANGE_COLUMNS,
    )


# --- minutes -----------------------------------------------------------------------------
def _md(text: str | None) -> str:
    """Text from the database made literal in Markdown (no markup, no HTML), on one line:
    whitespace runs are collapsed first, so that no stored indentation can turn a quoted line
    into a code block."""
    return md_literal(" ".join((text or "").split()))


def _where(change: MeetingChange) -> str:
    parts = [
        change.state,
        _("cycle {n}").format(n=change.cycle),
        _("session {n}").format(n=change.session),
    ]
    if change.paragraph:
        parts.append(_("paragraph {p}").format(p=change.paragraph))
    return ", ".join(parts)


def _before(change: MeetingChange) -> str:
    label = status_label(change.previous_status)
    if change.previous_date and change.previous_source:
        return _("{status} ({date}, {source})").format(
            status=label, date=long_date(change.previous_date), source=change.previous_source
        )
    return label


def minutes_title(meeting: Meeting) -> str:
    return _("Minutes: {coalition} meeting, {date}").format(
        coalition=meeting.coalition, date=long_date(meeting.day)
    )


def _intro(meeting: Meeting, changes: list[MeetingChange], reviewed: int | None, scope: str) -> str:
    parts = []
    if reviewed is not None:
        parts.append(_("Recommendations reviewed: {n}.").format(n=reviewed))
    parts.append(_("Statuses agreed and recorded: {n}.").format(n=len(changes)))
    if scope:
        parts.append(_("Selection: {scope}.").format(scope=scope))
    parts.append(
        _('Each status is recorded in UPR Tracker with the source "{source}".').format(
            source=meeting.source
        )
    )
    return " ".join(parts)


def minutes_markdown(
    meeting: Meeting,
    changes: list[MeetingChange],
    *,
    reviewed: int | None = None,
    scope: str = "",
) -> str:
    """The minutes as Markdown: what was reviewed, then each status agreed, with the status
    before, the evidence and the recommendation's text (shown literally)."""
    lines = [f"# {_md(minutes_title(meeting))}", "", _md(_intro(meeting, changes, reviewed, scope))]
    lines += ["", f"## {_md(_('Statuses agreed'))}", ""]
    if not changes:
        lines.append(_md(_("No status was recorded in this meeting.")))
    for n, c in enumerate(changes, start=1):
        lines += [
            "### "
            + _md(
                _("{n}. Recommendation {id} — {where}").format(
                    n=n, id=c.recommendation_id, where=_where(c)
                )
            ),
            "",
            f"> {_md(c.text)}",
            "",
            "- "
            + label_value(f"**{_md(_('Recommended by'))}**", _md(c.recommending_states or "—")),
            "- " + label_value(f"**{_md(_('Status before'))}**", _md(_before(c))),
            "- " + label_value(f"**{_md(_('Agreed status'))}**", _md(status_label(c.status))),
        ]
        if c.evidence:
            lines.append("- " + label_value(f"**{_md(_('Evidence'))}**", _md(c.evidence)))
        if c.evidence_url:
            target = link_target(c.evidence_url)  # percent-encoded http(s) only
            shown = f"<{target}>" if target else _md(c.evidence_url)
            lines.append("- " + label_value(f"**{_md(_('Link'))}**", shown))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def minutes_docx(
    meeting: Meeting,
    changes: list[MeetingChange],
    *,
    reviewed: int | None = None,
    scope: str = "",
) -> bytes:
    """The minutes as a Word document: the same content as :func:`minutes_markdown`, with a
    summary table (recommendation, before, agreed) and one section per recommendation."""
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    # Stored text (a state's name, the evidence, a source) goes in through printable():
    # python-docx refuses control characters with a ValueError.
    title = printable(minutes_title(meeting))
    doc.core_properties.title = title[:255]
    doc.add_heading(title, level=1)
    doc.add_paragraph(printable(_intro(meeting, changes, reviewed, scope)))
    doc.add_heading(_("Statuses agreed"), level=2)
    if not changes:
        doc.add_paragraph(_("No status was recorded in this meeting."))
    else:
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, label in zip(
            table.rows[0].cells,
            [_("Id"), _("Where"), _("Status before"), _("Agreed status")],
            strict=True,
        ):
            cell.text = label
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for c in changes:
            cells = table.add_row().cells
            cells[0].text = str(c.recommendation_id)
            cells[1].text = printable(_where(c))
            cells[2].text = printable(_before(c))
            cells[3].text = status_label(c.status)
        table.autofit = False
        for column, width in zip(table.columns, _COLUMN_WIDTHS_CM, strict=True):
            column.width = Cm(width)  # the grid (LibreOffice reads this) ...
        for row in table.rows:  # ... and each cell (Word reads this)
            for cell, width in zip(row.cells, _COLUMN_WIDTHS_CM, strict=True):
                cell.width = Cm(width)
        for n, c in enumerate(changes, start=1):
            doc.add_heading(
                _("{n}. Recommendation {id} — {where}").format(
                    n=n, id=c.recommendation_id, where=printable(_where(c))
                ),
                level=3,
            )
            doc.add_paragraph(printable(c.text), style="Quote")
            for label, value in (
                (_("Recommended by"), c.recommending_states or "—"),
                (_("Status before"), _before(c)),
                (_("Agreed status"), status_label(c.status)),
                (_("Evidence"), c.evidence),
                (_("Link"), c.evidence_url),
            ):
                if value:
                    p = doc.add_paragraph(style="List Bullet")
                    p.add_run(f"{label}: ").bold = True
                    p.add_run(printable(value))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def minutes_file_stem(meeting: Meeting) -> str:
    """A file name for the minutes: ``minutes-<coalition>-<date>``, safe on every system."""
    slug = re.sub(r"[^\w]+", "-", meeting.coalition.casefold()).strip("-")[:60] or "meeting"
    return f"minutes-{slug}-{meeting.day.isoformat()}"


__all__ = [
    "CHANGE_COLUMNS",
    "MAX_AGENDA",
    "Meeting",
    "MeetingChange",
    "agenda",
    "changes_frame",
    "meeting_changes",
    "minutes_docx",
    "minutes_file_stem",
    "minutes_markdown",
    "minutes_title",
    "record_status",
    "validate_meeting",
]
