"""The identity rule shared by every importer and the sample loader.

Rows that agree on state under review, session, whitespace- and case-normalised text,
response and action category are one recommendation.
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
