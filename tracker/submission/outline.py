"""The outline of a stakeholder report: the sections the organisation chose and named itself,
each with the earlier recommendations it covers (by theme and/or id), the organisation's own
narrative and its own recommendations; an executive summary first.

An outline is read from and written to a TOML file for the command line (keys ``title``,
``organisation``, ``executive_summary`` and an array ``[[section]]`` of ``heading``,
``themes``, ``ids``, ``text``, ``own``), and saved in the database per state under its title
(:mod:`tracker.submission.own`).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tracker.errors import ValidationError
from tracker.i18n import _
from tracker.safe_output import printable

MAX_TITLE_LENGTH = 200  # ReportOutline.title
MAX_SECTIONS = 50
MAX_TEXT_LENGTH = 100_000  # a section's narrative: far above any word limit
SUBHEADING = re.compile(r"^###\s+(.+?)\s*#*\s*$")  # "### National legal framework"
TOML_KEYS = ("title", "organisation", "executive_summary", "section")
SECTION_KEYS = ("heading", "themes", "ids", "text", "own")


@dataclass(frozen=True)
class OutlineSection:
    """One section the organisation named: which earlier recommendations it quotes (by
    theme and/or id), its narrative and its own recommendations."""

    heading: str
    themes: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()
    text: str = ""  # paragraphs separated by blank lines; "### Sub-heading" lines
    own: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outline:
    """A report's outline: its title (the draft's name), the organisation, the executive
    summary and the sections in order."""

    title: str
    organisation: str = ""
    executive_summary: str = ""
    sections: tuple[OutlineSection, ...] = field(default_factory=tuple)

    def own_recommendations(self) -> list[tuple[int, str]]:
        """(section index, text) of every own recommendation, in document order."""
        return [(i, t) for i, s in enumerate(self.sections) for t in s.own]

    def to_json(self) -> dict[str, Any]:
        """The outline as the TOML file's keys (JSON-ready)."""
        return {
            "title": self.title,
            "organisation": self.organisation,
            "executive_summary": self.executive_summary,
            "section": [
                {
                    "heading": s.heading,
                    "themes": list(s.themes),
                    "ids": list(s.ids),
                    "text": s.text,
                    "own": list(s.own),
                }
                for s in self.sections
            ],
        }


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def _str_list(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list):
        raise ValidationError(where, _("{where}: must be a list of texts").format(where=where))
    out = [_one_line(v) for v in value if isinstance(v, str | int | float)]
    if len(out) != len(value):
        raise ValidationError(where, _("{where}: must be a list of texts").format(where=where))
    return tuple(t for t in out if t)


def outline_from_json(data: Mapping[str, Any], source: str = "outline") -> Outline:
    """An :class:`Outline` from the TOML keys, or :class:`ValidationError` naming the key
    (``FILE: section 2: themes: must be a list of texts``)."""
    unknown = sorted(set(data) - set(TOML_KEYS))
    if unknown:
        raise ValidationError(
            unknown[0],
            _("{source}: unknown key {key!r} (keys: {allowed})").format(
                source=source, key=unknown[0], allowed=", ".join(TOML_KEYS)
            ),
        )
    title = _one_line(data.get("title") or "")
    if not title:
        raise ValidationError("title", _("{source}: title: required").format(source=source))
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            "title",
            _("{source}: title: at most {n} characters").format(source=source, n=MAX_TITLE_LENGTH),
        )
    raw_sections = data.get("section") or []
    if not isinstance(raw_sections, list) or len(raw_sections) > MAX_SECTIONS:
        raise ValidationError(
            "section",
            _("{source}: section: a list of at most {n} sections").format(
                source=source, n=MAX_SECTIONS
            ),
        )
    sections = []
    for n, raw in enumerate(raw_sections, start=1):
        where = _("{source}: section {n}").format(source=source, n=n)
        if not isinstance(raw, Mapping):
            raise ValidationError("section", _("{where}: not a table").format(where=where))
        bad = sorted(set(raw) - set(SECTION_KEYS))
        if bad:
            raise ValidationError(
                bad[0],
                _("{where}: unknown key {key!r} (keys: {allowed})").format(
                    where=where, key=bad[0], allowed=", ".join(SECTION_KEYS)
                ),
            )
        heading = _one_line(raw.get("heading") or "")
        if not heading:
            raise ValidationError("heading", _("{where}: heading: required").format(where=where))
        ids_raw = raw.get("ids") or []
        if not isinstance(ids_raw, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids_raw
        ):
            raise ValidationError(
                "ids", _("{where}: ids: must be a list of recommendation ids").format(where=where)
            )
        text = str(raw.get("text") or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT_LENGTH:
            raise ValidationError(
                "text",
                _("{where}: text: at most {n} characters").format(where=where, n=MAX_TEXT_LENGTH),
            )
        sections.append(
            OutlineSection(
                heading=heading,
                themes=_str_list(_("{where}: themes").format(where=where), raw.get("themes")),
                ids=tuple(dict.fromkeys(ids_raw)),
                text=text,
                own=_str_list(_("{where}: own").format(where=where), raw.get("own")),
            )
        )
    return Outline(
        title=title,
        organisation=_one_line(data.get("organisation") or ""),
        executive_summary=str(data.get("executive_summary") or "").replace("\r\n", "\n").strip(),
        sections=tuple(sections),
    )


def read_toml(text: str, source: str = "outline") -> Outline:
    """An outline from TOML text; a syntax error is a :class:`ValidationError` quoting the
    parser's line and column."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError("toml", f"{source}: {exc}") from exc
    return outline_from_json(data, source)


def _toml_string(value: str) -> str:
    """A TOML string of stored text as every writer puts it in a file (``printable``: a lone
    surrogate, which no UTF-8 file can hold, becomes U+FFFD; controls go; bidi is balanced),
    multi-line text as a multi-line basic string (readable paragraphs), the rest as a basic
    string (JSON's escapes are TOML's)."""
    value = printable(value)
    # DEL is no control character to JSON, but TOML refuses it unescaped (in either form).
    if "\n" in value and not any((ord(c) < 32 and c not in "\n\t") or c == "\x7f" for c in value):
        body = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"""\n' + body + '"""'
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_list(values: tuple[str, ...] | tuple[int, ...]) -> str:
    if not values:
        return "[]"
    items = [str(v) if isinstance(v, int) else _toml_string(v) for v in values]
    if sum(len(i) for i in items) < 70:
        return "[" + ", ".join(items) + "]"
    return "[\n" + "".join(f"    {i},\n" for i in items) + "]"


def to_toml(outline: Outline) -> str:
    """The outline as a TOML file (what :func:`read_toml` reads back unchanged)."""
    lines = [
        f"title = {_toml_string(outline.title)}",
        f"organisation = {_toml_string(outline.organisation)}",
        f"executive_summary = {_toml_string(outline.executive_summary)}",
    ]
    for s in outline.sections:
        lines += [
            "",
            "[[section]]",
            f"heading = {_toml_string(s.heading)}",
            f"themes = {_toml_list(s.themes)}",
            f"ids = {_toml_list(s.ids)}",
            f"text = {_toml_string(s.text)}",
            f"own = {_toml_list(s.own)}",
        ]
    return "\n".join(lines) + "\n"


def narrative_parts(text: str) -> list[tuple[str, str]]:
    """A section's narrative as ("heading", text) and ("para", text) parts: a line
    ``### Sub-heading`` starts a sub-heading, blank lines separate paragraphs."""
    parts: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            parts.append(("para", " ".join(" ".join(para).split())))
            para.clear()

    for line in text.splitlines():
        m = SUBHEADING.match(line.strip())
        if m:
            flush()
            parts.append(("heading", _one_line(m.group(1))))
        elif not line.strip():
            flush()
        else:
            para.append(line)
    flush()
    return parts
