"""The fields of an assessment, as the recommendation page's form and the Explorer's bulk
form both ask for them (one spelling of the labels, choices and limits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from tracker.i18n import _
from tracker.vocab import (
    Confidence,
    SourceType,
    Status,
    confidence_label,
    source_type_label,
    status_label,
)


def assessment_fields() -> dict[str, Any]:
    """Draw the assessment fields inside the caller's ``st.form``; their values by name
    (``status``, ``day``, ``source``, ``evidence``, ``url``, ``source_type``, ``confidence``,
    ``private``)."""
    left, right = st.columns(2)
    status = left.selectbox(
        _("Status"),
        [s.value for s in Status],
        index=None,
        format_func=status_label,
        placeholder=_("Choose a status"),
    )
    day = right.date_input(
        _("Date of the assessment"),
        value=dt.date.today(),
        max_value=dt.date.today(),
        format="YYYY-MM-DD",
    )
    source = st.text_input(
        _("Source organisation"),
        max_chars=300,
        placeholder=_("e.g. Ombudsman of Kazakhstan, or your organisation"),
    )
    evidence = st.text_area(
        _("Evidence"),
        placeholder=_("What happened, with dates and figures"),
    )
    url = st.text_input(_("Link to the evidence"), placeholder="https://")
    left, right = st.columns(2)
    source_type = left.selectbox(
        _("Type of source"),
        [t.value for t in SourceType],
        index=len(SourceType) - 1,  # other
        format_func=source_type_label,
    )
    confidence = right.selectbox(
        _("Confidence (optional)"),
        [c.value for c in Confidence],
        index=None,
        format_func=confidence_label,
        placeholder=_("Not given"),
    )
    private = st.checkbox(
        _("Private: shown to editors only, never in public figures, downloads or reports"),
    )
    return {
        "status": status,
        "day": day,
        "source": source,
        "evidence": evidence,
        "url": url,
        "source_type": source_type,
        "confidence": confidence,
        "private": private,
    }


__all__ = ["assessment_fields"]
