"""Frames for display: stored codes replaced by readable, translated labels.

The pages show tables through tracker.ui, which knows the column headings; this module
only prepares the rows (pure pandas, testable without Streamlit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from tracker.detail import RecommendationDetail
from tracker.i18n import _, get_language, long_date
from tracker.states import shown_name
from tracker.vocab import (
    action_category_label,
    confidence_label,
    regional_group_label,
    response_label,
    source_type_label,
    status_label,
    theme_label,
)


def detail_path(rec_id: int) -> str:
    """The URL (relative to the app) of a recommendation's detail page."""
    return f"recommendation?id={int(rec_id)}"


def _map_unique(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """``values.map(fn)``, calling ``fn`` once per distinct value: a table of the whole
    corpus repeats a handful of statuses 100,000 times, and each label is a translated
    look-up (1.2 s of a 3.5 s page run before; docs/performance.md)."""
    labels: dict[Any, Any] = {}

    def label(value: Any) -> Any:
        try:
            return labels[value]
        except KeyError:
            labels[value] = found = fn(value)
            return found
        except TypeError:  # unhashable
            return fn(value)

    return values.map(label)


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a recommendations frame with labels for status, response and action
    category, and a ``link`` column with the detail page's URL."""
    out = df.copy()
    if "id" in out:
        out.insert(0, "link", [detail_path(i) for i in out["id"]])
    if "status" in out:
        out["status"] = _map_unique(out["status"], status_label)
    if "response" in out:
        out["response"] = _map_unique(out["response"], response_label)
    if "action_category" in out:
        out["action_category"] = _map_unique(
            out["action_category"], lambda v: "" if pd.isna(v) else action_category_label(int(v))
        )
    if "theme" in out:
        out["theme"] = _map_unique(out["theme"], lambda t: theme_label(t) if t else _("(no theme)"))
    # Names in the language in force (stored names and filter values stay English).
    if get_language() != "en":
        if "state" in out:
            out["state"] = _map_unique(out["state"], shown_name)
        if "recommending_states" in out:
            out["recommending_states"] = _map_unique(
                out["recommending_states"],
                lambda v: ", ".join(shown_name(n) for n in str(v).split(", ")) if v else v,
            )
        if "themes" in out:
            out["themes"] = _map_unique(
                out["themes"],
                lambda v: "; ".join(theme_label(t) for t in str(v).split("; ")) if v else v,
            )
    return out


def assessment_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The assessment history of the detail page with readable labels: ``status`` (label),
    ``status_code``, a ``note`` for the current, retracted and retracting assessments, and
    ``evidence_link`` (the evidence URL when it is a web address, else "")."""
    out = df.copy()
    notes = []
    for row in out.itertuples(index=False):
        parts = []
        if row.is_current:
            parts.append(_("current status"))
        if row.retracted:
            parts.append(_("retracted"))
        if not pd.isna(row.retracts_id):
            parts.append(_("retracts #{id}").format(id=int(row.retracts_id)))
        if row.is_sample:
            parts.append(_("sample"))
        # Source type, confidence, private and draft (tracker.evidence); older frames
        # without these columns are read as before.
        kind = getattr(row, "source_type", None)
        if kind:
            parts.append(source_type_label(kind))
        sure = getattr(row, "confidence", None)
        if isinstance(sure, str) and sure:
            parts.append(_("confidence: {level}").format(level=confidence_label(sure)))
        if getattr(row, "is_private", False):
            parts.append(_("private"))
        if getattr(row, "is_draft", False):
            parts.append(_("draft awaiting review"))
        notes.append(", ".join(parts))
    out["status_code"] = out["status"]
    out["status"] = out["status"].map(status_label)
    out["note"] = notes
    # Only web addresses become links (an imported value could be anything).
    out["evidence_link"] = out["evidence_url"].map(
        lambda u: u if isinstance(u, str) and u.lower().startswith(("https://", "http://")) else ""
    )
    return out


def link_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The repeats of the detail page with readable labels and a ``link`` column."""
    out = df.copy()
    out.insert(0, "link", [detail_path(i) for i in out["id"]])
    out["direction"] = out["direction"].map(
        {"earlier": _("Earlier (repeated by this one)"), "later": _("Later (repeats this one)")}
    )
    out["status"] = out["status"].map(status_label)
    out["link_status"] = out["link_status"].map(
        lambda s: {"confirmed": _("confirmed"), "suggested": _("suggested")}.get(s, s or "")
    )
    return out


def detail_facts(d: RecommendationDetail) -> list[tuple[str, str]]:
    """The facts of the detail page as (label, plain text) pairs, empty ones left out."""
    review = [
        shown_name(d.state),
        _("cycle {n}").format(n=d.cycle),
        _("session {n}").format(n=d.session),
    ]
    if d.review_date:
        review.append(long_date(d.review_date))
    if d.report_symbol:
        review.append(_("report {symbol}").format(symbol=d.report_symbol))
    states = [
        f"{shown_name(s['name'])} ({regional_group_label(s['regional_group'])})"
        if s.get("regional_group")
        else shown_name(str(s["name"]))
        for s in d.recommending_states
    ]
    sdgs = [f"{code} {label}".strip() if label else code for code, label in d.sdgs]
    facts = [
        (_("Review"), ", ".join(review)),
        (_("Paragraph"), d.paragraph or ""),
        (_("Recommended by"), "; ".join(states)),
        (_("Response"), response_label(d.response)),
        (
            _("Action category"),
            action_category_label(d.action_category) if d.action_category else "",
        ),
        (_("Themes"), "; ".join(theme_label(t) for t in d.themes)),
        (_("SDGs"), "; ".join(sdgs)),
        (_("Affected persons"), "; ".join(d.affected_groups)),
    ]
    return [(label, value) for label, value in facts if value]


__all__ = ["assessment_rows", "detail_facts", "detail_path", "labelled", "link_rows"]
