"""Vocabularies of the UPR: responses, implementation statuses, action categories, cycles.

Stored values are stable English identifiers (``partially_implemented``); labels shown to
people go through the translation function at the moment they are shown.
"""

from __future__ import annotations

import csv
from enum import StrEnum
from functools import cache
from pathlib import Path

from tracker.i18n import N_, _, get_language


class Response(StrEnum):
    """The state under review's position on a recommendation."""

    SUPPORTED = "supported"
    NOTED = "noted"
    MIXED = "mixed"  # "Supported/Noted": parts supported
    PENDING = "pending"  # "Under consideration"
    NOT_SUPPORTED = "not_supported"  # UPR Info's wording in some exports


RESPONSE_LABELS: dict[Response, str] = {
    Response.SUPPORTED: N_("Supported"),
    Response.NOTED: N_("Noted"),
    Response.MIXED: N_("Partly supported"),
    Response.PENDING: N_("Pending"),
    Response.NOT_SUPPORTED: N_("Not supported"),
}

# Every spelling seen in the sources, lower-cased, mapped to one Response.
RESPONSE_SYNONYMS: dict[str, Response] = {
    "supported": Response.SUPPORTED,
    "support": Response.SUPPORTED,
    "accepted": Response.SUPPORTED,
    "accept": Response.SUPPORTED,
    "noted": Response.NOTED,
    "note": Response.NOTED,
    "rejected": Response.NOTED,
    "supported/noted": Response.MIXED,
    "noted/supported": Response.MIXED,
    "partially supported": Response.MIXED,
    "partly supported": Response.MIXED,
    "mixed": Response.MIXED,
    "under consideration": Response.PENDING,
    "pending": Response.PENDING,
    "no response": Response.PENDING,
    "not supported": Response.NOT_SUPPORTED,
    "not_supported": Response.NOT_SUPPORTED,
}


def parse_response(value: str) -> Response | None:
    """The Response for any known spelling (case and spaces ignored), else None."""
    key = " ".join(value.replace("\u00a0", " ").split()).lower().lstrip("- ").strip()
    return RESPONSE_SYNONYMS.get(key)


class Status(StrEnum):
    """Implementation status of a recommendation, as one source assessed it on one date."""

    FULLY_IMPLEMENTED = "fully_implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    NOT_IMPLEMENTED = "not_implemented"
    NO_INFORMATION = "no_information"


# The bucket for recommendations without any assessment (a key of `stats --json`).
NOT_ASSESSED = "not_assessed"

# Display order everywhere (charts, tables, legends): best to worst, then unknowns.
STATUS_ORDER: tuple[str, ...] = (
    Status.FULLY_IMPLEMENTED,
    Status.PARTIALLY_IMPLEMENTED,
    Status.NOT_IMPLEMENTED,
    Status.NO_INFORMATION,
    NOT_ASSESSED,
)

STATUS_LABELS: dict[str, str] = {
    Status.FULLY_IMPLEMENTED: N_("Fully implemented"),
    Status.PARTIALLY_IMPLEMENTED: N_("Partially implemented"),
    Status.NOT_IMPLEMENTED: N_("Not implemented"),
    Status.NO_INFORMATION: N_("No information"),
    NOT_ASSESSED: N_("Not assessed"),
}

# Lower-case phrases used in running text ("… (Malaysia) — partially implemented").
STATUS_PHRASES: dict[str, str] = {
    Status.FULLY_IMPLEMENTED: N_("fully implemented"),
    Status.PARTIALLY_IMPLEMENTED: N_("partially implemented"),
    Status.NOT_IMPLEMENTED: N_("not implemented"),
    Status.NO_INFORMATION: N_("no information"),
    NOT_ASSESSED: N_("not assessed"),
}

# Progress rank for "regressed" (higher is better); no_information has no rank.
STATUS_RANK: dict[str, int] = {
    Status.FULLY_IMPLEMENTED: 2,
    Status.PARTIALLY_IMPLEMENTED: 1,
    Status.NOT_IMPLEMENTED: 0,
}

# Okabe-Ito palette (colour-blind safe). Partially implemented is the orange that stands
# out against the blue-green of fully and the vermilion of not implemented.
STATUS_COLOURS: dict[str, str] = {
    Status.FULLY_IMPLEMENTED: "#009E73",
    Status.PARTIALLY_IMPLEMENTED: "#E69F00",
    Status.NOT_IMPLEMENTED: "#D55E00",
    Status.NO_INFORMATION: "#56B4E9",
    NOT_ASSESSED: "#BBBBBB",
}

STATUS_SYNONYMS: dict[str, Status] = {
    "fully implemented": Status.FULLY_IMPLEMENTED,
    "fully_implemented": Status.FULLY_IMPLEMENTED,
    "implemented": Status.FULLY_IMPLEMENTED,
    "full": Status.FULLY_IMPLEMENTED,
    "partially implemented": Status.PARTIALLY_IMPLEMENTED,
    "partially_implemented": Status.PARTIALLY_IMPLEMENTED,
    "partial": Status.PARTIALLY_IMPLEMENTED,
    "partially": Status.PARTIALLY_IMPLEMENTED,
    "not implemented": Status.NOT_IMPLEMENTED,
    "not_implemented": Status.NOT_IMPLEMENTED,
    "none": Status.NOT_IMPLEMENTED,
    "no information": Status.NO_INFORMATION,
    "no_information": Status.NO_INFORMATION,
    "unknown": Status.NO_INFORMATION,
}


def parse_status(value: str) -> Status | None:
    """The Status for any known spelling (case, spaces and underscores ignored), else None."""
    key = " ".join(value.replace("_", " ").split()).lower()
    return STATUS_SYNONYMS.get(key)


ACTION_CATEGORY_LABELS: dict[int, str] = {
    1: N_("Minimal action"),
    2: N_("Continuing action"),
    3: N_("Considering action"),
    4: N_("General action"),
    5: N_("Specific action"),
}


def status_label(status: str | None) -> str:
    """Readable, translated label of a status value (None means not assessed)."""
    return _(STATUS_LABELS.get(status or NOT_ASSESSED, status or NOT_ASSESSED))


def status_phrase(status: str | None) -> str:
    return _(STATUS_PHRASES.get(status or NOT_ASSESSED, status or NOT_ASSESSED))


def response_label(response: str | None) -> str:
    if not response:
        return _("Unknown")
    try:
        return _(RESPONSE_LABELS[Response(response)])
    except ValueError:
        return response


def action_category_label(category: int | None) -> str:
    if category is None:
        return ""
    label = ACTION_CATEGORY_LABELS.get(category)
    return f"{category} – {_(label)}" if label else str(category)


# Session -> cycle: sessions 1-12 are cycle 1; from session 13 on, every 14 sessions are a cycle
# (13-26 → 2, 27-40 → 3, 41-54 → 4, 55-68 → 5, ...).
FIRST_CYCLE_LAST_SESSION = 12
SESSIONS_PER_CYCLE = 14


def cycle_for_session(session: int) -> int:
    """The UPR cycle a Working Group session belongs to."""
    if session < 1:
        raise ValueError(f"a UPR session number starts at 1, got {session}")
    if session <= FIRST_CYCLE_LAST_SESSION:
        return 1
    return 2 + (session - FIRST_CYCLE_LAST_SESSION - 1) // SESSIONS_PER_CYCLE


def sessions_of_cycle(cycle: int) -> range:
    """The Working Group sessions of ``cycle``."""
    if cycle < 1:
        raise ValueError(f"a UPR cycle number starts at 1, got {cycle}")
    if cycle == 1:
        return range(1, FIRST_CYCLE_LAST_SESSION + 1)
    start = FIRST_CYCLE_LAST_SESSION + 1 + (cycle - 2) * SESSIONS_PER_CYCLE
    return range(start, start + SESSIONS_PER_CYCLE)


class SourceType(StrEnum):
    """Who made an assessment (UPR Info's mid-term method weighs them side by side)."""

    GOVERNMENT = "government"
    NHRI = "nhri"
    CIVIL_SOCIETY = "civil_society"
    UN = "un"
    MEDIA = "media"
    OTHER = "other"


SOURCE_TYPE_LABELS: dict[str, str] = {
    SourceType.GOVERNMENT: N_("Government"),
    SourceType.NHRI: N_("National human rights institution"),
    SourceType.CIVIL_SOCIETY: N_("Civil society"),
    SourceType.UN: N_("United Nations"),
    SourceType.MEDIA: N_("Media"),
    SourceType.OTHER: N_("Other"),
}


class Confidence(StrEnum):
    """How sure the assessor is of an assessment (optional)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


CONFIDENCE_LABELS: dict[str, str] = {
    Confidence.LOW: N_("low"),
    Confidence.MEDIUM: N_("medium"),
    Confidence.HIGH: N_("high"),
}


def source_type_label(value: str) -> str:
    """The translated label of a source type (the value itself when unknown)."""
    label = SOURCE_TYPE_LABELS.get(value)
    return _(label) if label else value


def confidence_label(value: str) -> str:
    """The translated label of a confidence level (the value itself when unknown)."""
    label = CONFIDENCE_LABELS.get(value)
    return _(label) if label else value


def parse_source_type(value: str | None) -> SourceType | None:
    """The SourceType for ``value`` (case, spaces, hyphens ignored; "NGO"/"CSO" are civil
    society), else None."""
    key = "_".join((value or "").replace("-", " ").split()).lower()
    if key in ("ngo", "cso", "civil_society_organisation", "civil_society_organization"):
        return SourceType.CIVIL_SOCIETY
    try:
        return SourceType(key)
    except ValueError:
        return None


def parse_confidence(value: str | None) -> Confidence | None:
    """The Confidence for ``value`` (case and spaces ignored), else None."""
    try:
        return Confidence((value or "").strip().lower())
    except ValueError:
        return None


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class LinkStatus(StrEnum):
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


REGIONAL_GROUPS: dict[str, str] = {
    "African": N_("African States"),
    "Asia-Pacific": N_("Asia-Pacific States"),
    "EEG": N_("Eastern European States"),
    "GRULAC": N_("Latin American and Caribbean States"),
    "WEOG": N_("Western European and other States"),
}


def regional_group_label(group: str | None) -> str:
    if not group:
        return _("No regional group")
    return _(REGIONAL_GROUPS.get(group, group))


# --- UPR Info issue (theme) names ------------------------------------------------------------
_THEMES_DIR = Path(__file__).resolve().parent / "data"


def _theme_key(name: str) -> str:
    """A theme name as compared for its translation: OHCHR's documents spell one theme
    several ways across cycles ("Children: Juvenile justice", "Budget &resources", "… and
    sanitation" / "… & sanitation")."""
    return " ".join(name.replace("&", " and ").casefold().split())


@cache
def _theme_names(lang: str) -> dict[str, str]:
    path = _THEMES_DIR / f"themes_{lang}.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {
            _theme_key(row["name"]): row["translation"]
            for row in csv.DictReader(f)
            if row["translation"]
        }


def theme_label(name: str | None) -> str:
    """A theme name (UPR Info issue, OHCHR/UHRI theme) in the language in force, from
    ``tracker/data/themes_<lang>.csv``, whatever its case, spacing or "&"/"and"; names
    without a translation are shown as stored. Filters and stored data keep the names as
    imported."""
    if not name:
        return ""
    return _theme_names(get_language()).get(_theme_key(name), name)
