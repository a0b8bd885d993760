"""The audit trail in the reader's language.

An audit event stores an English ``summary`` written when it happened: exports and backups
carry it as it is. The Activity page shows instead a summary built from the event's
structured fields (its action, record and before/after values) through ``_()``, so that a
Russian reader reads Russian; an event whose fields do not hold what the sentence needs (one
written by an older version, or one whose summary is the user's own text: a report's name)
is shown with its stored summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any, NamedTuple

from tracker.auth_roles import role_label
from tracker.formats import number
from tracker.i18n import N_, NP_, _, ngettext
from tracker.vocab import source_type_label, status_label

# What each kind of record is called (AuditEvent.entity is the table name).
RECORD_LABELS: dict[str, str] = {
    "recommendation": N_("Recommendation"),
    "recommendation_link": N_("Recommendation link"),
    "own_recommendation_link": N_("Take-up link"),
    "import_run": N_("Import run"),  # not "Import": that msgid is the page (fr "Importer")
    "user": N_("Account"),
    "saved_report": N_("Saved report"),
    "report_outline": N_("Report outline"),
    "database": N_("Database"),
    "meta": N_("Settings"),
}

# Fields named in "changed: ..." summaries (planned actions, recommendation edits).
FIELD_LABELS: dict[str, str] = {
    "action": N_("Planned action"),
    "responsible": N_("Responsible body"),
    "due_on": N_("Due date"),
    "indicator": N_("Indicator"),
    "progress": NP_("action plan", "Progress"),
    "completed_on": N_("Completed on"),
    "paragraph": N_("Paragraph"),
    "text": N_("Recommendation text"),
    "response": N_("Response"),
    "action_category": N_("Action category"),
    "themes": N_("Themes"),
}

LINK_STATUS_LABELS: dict[str, str] = {
    "suggested": N_("suggested"),
    "confirmed": N_("confirmed"),
    "rejected": N_("rejected"),
}


class AssessmentFacts(NamedTuple):
    """What a publish or retract event names of its assessment (read from the assessment,
    which is kept: retractions and publications never delete it)."""

    status: str
    assessed_on: str
    source_org: str


class Known(NamedTuple):
    """What the page reads besides an event to word it: the assessment it publishes or
    retracts, the account it changed (its name, which most account events do not store)."""

    assessment: AssessmentFacts | None = None
    username: str | None = None


def record_label(entity: str, entity_id: int | None) -> str:
    """The changed record in words: "Recommendation 12", "Recommendation link 3",
    "Database" (an unknown kind as stored)."""
    label = RECORD_LABELS.get(entity)
    name = _(label) if label else entity
    return name if entity_id is None else f"{name} {entity_id}"


def _label(labels: Mapping[str, str], value: Any) -> str:
    label = labels.get(str(value))
    return _(label) if label else str(value)


def _changed(after: Mapping[str, Any]) -> str:
    fields = [_label(FIELD_LABELS, k) for k in after if k not in ("version", "action_id")]
    if not fields:
        raise KeyError("no field")  # nothing to say: the stored summary is shown
    return _("Changed: {fields}").format(fields=", ".join(fields))


def _assessment(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    parts = [str(a["assessed_on"]), str(a["source_org"]), source_type_label(a["source_type"])]
    parts += [_("private")] if a["private"] else []
    parts += [_("draft")] if a["draft"] else []
    return f"{status_label(a['status'])} ({', '.join(parts)})"


def _facts(known: Known) -> str:
    facts = known.assessment
    if facts is None:
        raise KeyError("assessment")
    return f"{status_label(facts.status)}, {facts.assessed_on}, {facts.source_org}"


def _published(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _("Assessment {id} published ({facts})").format(
        id=b["assessment_id"], facts=_facts(known)
    )


def _retracted(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _("Assessment {id} retracted ({facts}): {reason}").format(
        id=b["assessment_id"], facts=_facts(known), reason=a["reason"]
    )


def _plan(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    values = a or b
    lines = str(values["action"]).splitlines()
    return _("{action} ({responsible}, due {day})").format(
        action=lines[0][:120] if lines else "",
        responsible=values["responsible"] or "-",
        day=values["due_on"] or "-",
    )


def _imported(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _(
        "{file} ({format}): {added} added, {updated} updated, {unchanged} unchanged, "
        "{rejected} rejected"
    ).format(
        file=a["file"],
        format=a["format"] or "",
        added=number(a["added"]),
        updated=number(a["updated"]),
        unchanged=number(a["unchanged"]),
        rejected=number(a["rejected"]),
    )


def _suggested(message: Callable[[int], str], a: Mapping[str, Any]) -> str:
    n = int(a["added"])
    return message(n).format(n=number(n), threshold=number(a["threshold"]))


def _repeats(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _suggested(
        lambda n: ngettext(
            "{n} repeat suggested (threshold {threshold})",
            "{n} repeats suggested (threshold {threshold})",
            n,
        ),
        a,
    )


def _take_ups(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _suggested(
        lambda n: ngettext(
            "{n} take-up suggested (threshold {threshold})",
            "{n} take-ups suggested (threshold {threshold})",
            n,
        ),
        a,
    )


def _decided(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    change = (
        f"{_label(LINK_STATUS_LABELS, b['status'])} → {_label(LINK_STATUS_LABELS, a['status'])}"
    )
    if "earlier_id" not in a:  # a take-up: its record (the link) says which pair
        return change
    return _("Recommendation {earlier} repeated by {later}: {change}").format(
        earlier=a["earlier_id"], later=a["later_id"], change=change
    )


def _counts(a: Mapping[str, Any]) -> str:
    recs, assessments = int(a["recommendations"]), int(a["assessments"])
    return ", ".join(
        (
            ngettext("{n} recommendation", "{n} recommendations", recs).format(n=number(recs)),
            ngettext("{n} assessment", "{n} assessments", assessments).format(
                n=number(assessments)
            ),
        )
    )


def _sample(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _counts(a or b)


def _restored(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    rows = a["rows"]
    text = _("Restored {file} (made {made}): {counts}").format(
        file=a["file"],
        made=a["created_at"],
        counts=_counts(
            {"recommendations": rows["recommendation"], "assessments": rows["assessment"]}
        ),
    )
    if a["accounts_kept"]:
        text += "; " + _("accounts kept")
    if a["replaced_data_backup"]:
        text += "; " + _("the data replaced is in {file}").format(
            file=PurePath(a["replaced_data_backup"]).name
        )
    return text


def _username(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    name = a.get("username") or b.get("username") or known.username
    if not name:
        raise KeyError("username")  # a removed account of an old event: the stored text
    return str(name)


def _account(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    name = _username(b, a, known)
    if "role" in a and "role" in b:
        return f"{name}: {role_label(b['role'])} → {role_label(a['role'])}"
    if "role" in a:  # a new account
        return f"{name} ({role_label(a['role'])})"
    if "language" in a:
        return f"{name}: {b['language'] or '-'} → {a['language']}"
    return name


def _password(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _("Password changed for {user}").format(user=_username(b, a, known))


def _locked(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _("Locked until {time} UTC for the address the failed logins came from").format(
        time=str(a["locked_until"]).replace("T", " ")[:16]
    )


def _review(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return _("on") if a["review_before_publish"] else _("off")


def _organisation(b: Mapping[str, Any], a: Mapping[str, Any], known: Known) -> str:
    return a["organisation"] or _("(cleared)")


_Builder = Callable[[Mapping[str, Any], Mapping[str, Any], Known], str]
# One sentence per action; the actions missing here (a report's or an outline's name) store
# the user's own text as their summary, which needs no translating.
_SUMMARIES: dict[str, _Builder] = {
    "assessment.add": _assessment,
    "assessment.draft": _assessment,
    "assessment.publish": _published,
    "assessment.retract": _retracted,
    "settings.review": _review,
    "settings.organisation": _organisation,
    "plan.add": _plan,
    "plan.remove": _plan,
    "plan.edit": lambda b, a, known: _changed(a),
    "recommendation.edit": lambda b, a, known: _changed(a),
    "import": _imported,
    "link.suggest": _repeats,
    "own_link.suggest": _take_ups,
    "link.confirm": _decided,
    "link.reject": _decided,
    "own_link.confirm": _decided,
    "own_link.reject": _decided,
    "sample.load": _sample,
    "sample.remove": _sample,
    "database.restore": _restored,
    "user.add": _account,
    "user.remove": _account,
    "user.set_role": _account,
    "user.unlock": _account,
    "user.set_language": _account,
    "user.set_password": _password,
    "user.lockout": _locked,
}


def event_summary(
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    stored: str | None,
    known: Known | None = None,
) -> str:
    """The event's summary in the language in force, built from its fields (and ``known``);
    the ``stored`` English summary when they do not hold what the sentence needs."""
    build = _SUMMARIES.get(action)
    if build is not None:
        try:
            return build(before or {}, after or {}, known or Known())
        # Events of older versions lack fields, or hold them in another shape.
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    return stored or ""


__all__ = [
    "FIELD_LABELS",
    "RECORD_LABELS",
    "AssessmentFacts",
    "Known",
    "event_summary",
    "record_label",
]
