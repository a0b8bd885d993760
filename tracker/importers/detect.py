"""Which format a file is, from its header row, and which column holds which field.

Headers are matched case-insensitively, ignoring punctuation, underscores and extra spaces
(``State under Review`` = ``state_under_review`` = ``STATE-UNDER-REVIEW``), and by the known
synonyms of each format (UPR Info's older scrape says ``To``/``From``/``Text``; its newer web
export says ``State under Review``/``Recommending State``; OHCHR spells ``Reccomending``).
JSON keys in CamelCase (``UprRecommendingCountry``) match their spaced form.

Detection order: UHRI (at least three of its own column names), then the project template
(two columns only the template has, or one of its snake_case names written exactly), then a
UPR Info export (its required columns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tracker.i18n import N_, _


class Format(StrEnum):
    """The formats the importer reads (the values are the ``--format`` choices)."""

    UPR_INFO = "upr-info"
    UHRI = "uhri"
    TEMPLATE = "template"
    # Word documents (tracker.importers.ohchr_docx): recognised by their content, not a header
    OHCHR_MATRIX = "ohchr-matrix"
    WG_REPORT = "wg-report"


FORMAT_LABELS: dict[Format, str] = {
    Format.UPR_INFO: N_("UPR Info database export"),
    Format.UHRI: N_("OHCHR Universal Human Rights Index (UHRI) export"),
    Format.TEMPLATE: N_("UPR Tracker template"),
    Format.OHCHR_MATRIX: N_("OHCHR thematic list of recommendations (matrix)"),
    Format.WG_REPORT: N_("UPR Working Group report"),
}


def format_label(fmt: Format | str) -> str:
    """The translated name of a format, for messages."""
    try:
        return _(FORMAT_LABELS[Format(fmt)])
    except ValueError:
        return str(fmt)


@dataclass(frozen=True)
class FieldSpec:
    """One field a format reads: the names a header may give it and what it means."""

    key: str
    synonyms: tuple[str, ...]
    label: str  # the canonical column name, shown when the column is missing
    required: bool = False


def _spec(key: str, label: str, *synonyms: str, required: bool = False) -> FieldSpec:
    return FieldSpec(key, tuple(normalise_header(s) for s in (label, *synonyms)), label, required)


def normalise_header(name: object) -> str:
    """``"  State_under-Review "`` -> ``"state under review"``."""
    text = str(name or "").replace("\ufeff", "").replace("\u200b", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _camel_split(name: object) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name or ""))
    return normalise_header(text)


UPR_INFO_FIELDS: tuple[FieldSpec, ...] = (
    _spec(
        "sur",
        "State under Review",
        "SuR",
        "To",
        "Country under review",
        "State under review (SuR)",
        "Reviewed state",
        required=True,
    ),
    _spec("text", "Recommendation", "Text", "Recommendation text", required=True),
    _spec(
        "rs",
        "Recommending State",
        "RS",
        "From",
        "Recommending States",
        "Recommending country",
        "Recommending countries",
        "Recommended by",
    ),
    _spec("response", "Response", "Position", "Responses", "Response to recommendation"),
    _spec("action", "Action Category", "Action", "Category", "Action categories"),
    _spec("issue", "Issues", "Issue", "Themes", "Theme"),
    _spec("session", "Session", "UPR session", "Session number", "WG session", required=True),
    _spec("cycle", "Cycle", "UPR cycle"),
    _spec("paragraph", "Paragraph", "Para", "Paragraph number"),
    _spec("symbol", "Document symbol", "Report symbol", "Symbol"),
)

UHRI_FIELDS: tuple[FieldSpec, ...] = (
    _spec("text", "Text", required=True),
    _spec("countries", "Countries Concerned", "Countries", "Country Concerned", required=True),
    _spec("body", "Reccomending Body", "Recommending Body", "Body", required=True),
    _spec("symbol", "Document Symbol", "Symbol"),
    _spec("themes", "Themes"),
    _spec("affected", "Affected Persons"),
    _spec("sdgs", "Sdgs", "SDG"),
    _spec("pubdate", "Document Publication Date", "Publication Date"),
    _spec(
        "rs",
        "UPR Reccomending States",
        "UPR Recommending States",
        "UPR Recommending Country",
        "UPR Recommending Countries",
    ),
    _spec("position", "UPR Position", "UPR Positions"),
    _spec("type", "Type", "Annotation Type"),
    _spec("annotation_id", "OHCHR Annotation Id", "Annotation Id"),
    _spec("session", "UPR Session", required=True),
    _spec("cycle", "UPR Cycle"),
)
UHRI_DISTINCTIVE = frozenset({"countries", "body", "rs", "position", "annotation_id", "session"})


def _template_fields() -> tuple[FieldSpec, ...]:
    from tracker.template_format import TEMPLATE_COLUMNS

    required = {"session", "recommendation"}
    return tuple(_spec(c, c, required=c in required) for c in TEMPLATE_COLUMNS)


def _assessment_fields() -> tuple[FieldSpec, ...]:
    from tracker.template_format import ASSESSMENT_COLUMNS

    required = {"recommendation_id", "status", "assessed_on", "source"}
    return tuple(_spec(c, c, required=c in required) for c in ASSESSMENT_COLUMNS)


TEMPLATE_FIELDS = _template_fields()
ASSESSMENT_FIELDS = _assessment_fields()
# Columns only the template has (a UPR Info web export shares "Recommendation", "Session"...).
TEMPLATE_DISTINCTIVE = frozenset(
    {
        "state_iso3",
        "review_date",
        "report_symbol",
        "recommending_states",
        "affected_groups",
        "assessment_source",
        "evidence_url",
        "assessed_on",
        "sample",
        "status",
    }
)

# The template's own column names with an underscore, written exactly so: nobody else's export
# says "state_under_review".
TEMPLATE_SNAKE_CASE = frozenset(c for c in (s.key for s in TEMPLATE_FIELDS) if "_" in c)

FIELDS: dict[Format, tuple[FieldSpec, ...]] = {
    Format.UPR_INFO: UPR_INFO_FIELDS,
    Format.UHRI: UHRI_FIELDS,
    Format.TEMPLATE: TEMPLATE_FIELDS,
}


@dataclass
class ColumnMap:
    """Where each field of a format is: field key -> column index and header as written."""

    index: dict[str, int]
    names: dict[str, str]
    header: list[str]

    def has(self, key: str) -> bool:
        """True when the file has a column for field ``key``."""
        return key in self.index

    def name(self, key: str) -> str:
        """The column of field ``key`` as the file names it (for messages)."""
        return self.names.get(key, key)


def map_columns(header: Sequence[object], fields: tuple[FieldSpec, ...]) -> ColumnMap:
    """Match ``header`` against ``fields``; the first column of a repeated name wins."""
    lookup: dict[str, str] = {}
    for spec in fields:
        for syn in spec.synonyms:
            lookup.setdefault(syn, spec.key)
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    written = [" ".join(str(h or "").replace("\ufeff", "").split()) for h in header]
    for i, raw in enumerate(header):
        for form in (normalise_header(raw), _camel_split(raw)):
            key = lookup.get(form)
            if key is not None and key not in index:
                index[key] = i
                names[key] = written[i]
                break
    # The template's state may be given by name or by ISO code alone.
    return ColumnMap(index, names, written)


def duplicate_columns(header: Sequence[object], fields: tuple[FieldSpec, ...]) -> list[list[int]]:
    """The columns (0-based, each group in order) that give the same field of ``fields``
    twice or more, e.g. two ``Recommendation`` columns, or ``Text`` beside ``Recommendation``.
    Only one of them could be read, so the others' values would be lost without a word.
    Repeated names that are no field (UPR Info's two ``Rgrp`` and ``Org``) are no concern."""
    lookup: dict[str, str] = {}
    for spec in fields:
        for syn in spec.synonyms:
            lookup.setdefault(syn, spec.key)
    by_key: dict[str, list[int]] = {}
    for i, raw in enumerate(header):
        for form in (normalise_header(raw), _camel_split(raw)):
            key = lookup.get(form)
            if key is not None:
                by_key.setdefault(key, []).append(i)
                break
    return [cols for cols in by_key.values() if len(cols) > 1]


def missing_columns(cmap: ColumnMap, fields: tuple[FieldSpec, ...]) -> list[str]:
    """Labels of the required fields that ``cmap`` lacks."""
    missing = [s.label for s in fields if s.required and s.key not in cmap.index]
    if fields is TEMPLATE_FIELDS and not (cmap.has("state_under_review") or cmap.has("state_iso3")):
        missing.insert(0, "state_under_review")
    return missing


def detect(header: Sequence[object]) -> Format | None:
    """The format whose columns ``header`` holds, or None."""
    uhri = map_columns(header, UHRI_FIELDS)
    if len(UHRI_DISTINCTIVE & uhri.index.keys()) >= 3 and not missing_columns(uhri, UHRI_FIELDS):
        return Format.UHRI
    tpl = map_columns(header, TEMPLATE_FIELDS)
    snake_case = {str(h or "").strip().casefold() for h in header} & TEMPLATE_SNAKE_CASE
    distinctive = len(TEMPLATE_DISTINCTIVE & tpl.index.keys())
    if (distinctive >= 2 or snake_case) and not missing_columns(tpl, TEMPLATE_FIELDS):
        return Format.TEMPLATE
    upr = map_columns(header, UPR_INFO_FIELDS)
    if not missing_columns(upr, UPR_INFO_FIELDS):
        return Format.UPR_INFO
    return None


def header_score(header: Sequence[object]) -> int:
    """How many known column names ``header`` holds (the best over the formats)."""
    return max(len(map_columns(header, fields).index) for fields in FIELDS.values())


__all__ = [
    "ASSESSMENT_FIELDS",
    "FIELDS",
    "FORMAT_LABELS",
    "ColumnMap",
    "FieldSpec",
    "Format",
    "detect",
    "duplicate_columns",
    "format_label",
    "header_score",
    "map_columns",
    "missing_columns",
    "normalise_header",
]
