"""The identity rule shared by every importer and the sample loader.

Rows that agree on state under review, session, whitespace- and case-normalised text,
response and action category are one recommendation, unless both carry a paragraph number
and the numbers differ: a review may hold the same text twice (Slovenia's session 20 notes
"Ratify ICRMW" as 115.8 and as 115.10), and those are two recommendations.

The stored identity of a recommendation is :func:`identity_key`. When that key is already held
by a recommendation of another paragraph, the second one's identity is
:func:`paragraph_key` of it. So a row without a paragraph (UPR Info, one row per recommending
state) still finds its recommendation by text alone, identities stored before paragraphs
counted stay valid, and re-importing finds every row again: the key first, then the paragraph
key when the key's holder has another paragraph.
"""

from __future__ import annotations

import hashlib
import unicodedata


def normalise_text(text: str) -> str:
    """Text for comparison: Unicode NFC, whitespace collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def clean_text(text: str) -> str:
    """Text for storage: leading/trailing whitespace removed, inner line breaks kept as spaces
    only where they were stray (runs of whitespace inside a line collapse to one space)."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line).strip()


def identity_key(
    iso3: str, session: int, text: str, response: str | None, action_category: int | None
) -> str:
    """A 64-character digest that is equal exactly when the identity rule says "same"."""
    parts = [iso3, str(session), normalise_text(text), response or "", str(action_category or "")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def paragraph_key(key: str, paragraph: str) -> str:
    """The identity of a recommendation whose :func:`identity_key` ``key`` is held by a
    recommendation of another paragraph of the same review."""
    return hashlib.sha256(f"{key}\x1f{paragraph.strip()}".encode()).hexdigest()


def distinct_paragraphs(held: str | None, paragraph: str | None) -> bool:
    """True when a row of ``paragraph`` is not the recommendation holding its key, whose
    paragraph is ``held``: both are numbered and the numbers differ."""
    return bool(held and paragraph and held.strip() != paragraph.strip())
