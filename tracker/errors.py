"""Errors shared by the write side: input a person can correct.

Kept apart from the modules that raise them (assessments, editing, linking, reports,
snapshots) so that pages and the command line catch one class without importing the write
machinery of another module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ValidationError(ValueError):
    """Input a person can correct; the message says what and quotes the value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def check_fields(names: Iterable[str], allowed: Sequence[str], message: str) -> None:
    """Refuse a change naming a field not in ``allowed``: :class:`ValidationError` for the
    first such field, ``message`` (translated, with ``{field}`` and ``{allowed}``) saying
    which fields there are."""
    unknown = [k for k in names if k not in allowed]
    if unknown:
        raise ValidationError(
            unknown[0], message.format(field=unknown[0], allowed=", ".join(allowed))
        )


class DatabaseBusy(ValidationError):
    """A save that waited longer than the busy timeout for another write (a large import
    holds SQLite's one write lock for minutes): nothing was saved, and saving again later
    works. A :class:`ValidationError`, so that every form shows it as it shows a refused
    input."""

    def __init__(self, message: str) -> None:
        super().__init__("database", message)
