"""Errors shared by the write side: input a person can correct.

Kept apart from the modules that raise them (assessments, editing, linking, reports,
snapshots) so that pages and the command line catch one class without importing the write
machinery of another module.
"""

from __future__ import annotations


class ValidationError(ValueError):
    """Input a person can correct; the message says what and quotes the value."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)
