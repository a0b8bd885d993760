"""What a stakeholder report covers and how it is presented (:class:`ReportSettings`), its
validation, and the reports saved under a name with the organisation's own recommendations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, auth, db, queries
from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.models import (
    Review,
    SavedReport,
    State,
)
from tracker.organisation import MAX_ORGANISATION_LENGTH
from tracker.states import resolve_iso3
from tracker.vocab import (
    FIRST_CYCLE_LAST_SESSION,
    NOT_ASSESSED,
    SESSIONS_PER_CYCLE,
    STATUS_ORDER,
    Role,
    parse_status,
)

# OHCHR's limits for stakeholder submissions (later cycles; UPR_REFERENCE.md marks them
# unverified, hence configurable per report).
WORD_LIMIT_INDIVIDUAL = 2815
WORD_LIMIT_JOINT = 5630
EVIDENCE_CHOICES = ("all", "latest", "none")  # which assessments the evidence tables list
EVIDENCE_FORMATS = ("footnotes", "table")  # how the evidence is shown (real Word footnotes)
MAX_REPORT_NAME_LENGTH = 200  # SavedReport.name
MAX_OWN_RECOMMENDATIONS = 200  # more is a paste accident, not a submission


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
    evidence_format: str = "footnotes"  # EVIDENCE_FORMATS
    as_of: dt.date | None = None  # the status as it was on that day; later evidence left out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (lists, not tuples) for :class:`~tracker.models.SavedReport`."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        return out

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
        if known.get("as_of"):
            try:
                known["as_of"] = dt.date.fromisoformat(str(known["as_of"]))
            except ValueError as exc:
                raise ValidationError(
                    "as_of",
                    _("as of: {value!r} is not a date (YYYY-MM-DD)").format(value=known["as_of"]),
                ) from exc
        else:
            known.pop("as_of", None)
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
    if settings.evidence_format not in EVIDENCE_FORMATS:
        raise ValidationError(
            "evidence_format",
            _("evidence format: {value!r} is not one of {allowed}").format(
                value=settings.evidence_format, allowed=", ".join(EVIDENCE_FORMATS)
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
