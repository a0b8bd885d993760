"""The import's second step on the Import page: the suggestion of repeats across cycles,
run in a thread of the server after the import's commit.

The imported data is committed (and every page shows it) before this step starts; the page
that started it polls the step's progress once a second and says what it found when it
ends. Running outside the page's script run, the step is not stopped when the person
leaves the page or the page reruns. Should it fail, the import stays and ``python -m
tracker link`` (or the next import of the states) makes the suggestions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from tracker import auth, db
from tracker.actor import acting_as
from tracker.hints import cli_command
from tracker.i18n import _, ngettext
from tracker.importers import ImportReport, suggest_repeats
from tracker.ui.data import engine
from tracker.ui.markup import flash, flash_shown

JOB_KEY = "_import_repeats_job"
POLL_SECONDS = 1.0


@dataclass
class RepeatsStep:
    """A running (or finished) suggestion step; written by its thread, read by the page."""

    report: ImportReport
    fraction: float = 0.0
    message: str = ""
    added: int | None = None  # set when the step ended well
    error: str | None = None  # set when it failed
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def start_repeats_step(report: ImportReport) -> RepeatsStep | None:
    """Start the suggestion of repeats for the states ``report``'s import touched (made with
    ``defer_repeats`` and committed), as the person on this page; None when there is
    nothing to compare."""
    if not report.written or not report.repeat_state_ids:
        return None
    step = RepeatsStep(report, message=_("Suggesting repeats across cycles"))
    actor = auth.current_actor()  # the thread has no script run: it acts as this person
    bind = engine()

    def progress(fraction: float, message: str) -> None:
        step.fraction, step.message = fraction, message or step.message

    def run() -> None:
        try:
            with acting_as(actor), db.session_scope(bind) as s:
                step.added = suggest_repeats(s, report, progress=progress, actor=actor.username)
        except Exception as exc:
            step.error = str(exc)

    step.thread = threading.Thread(target=run, name="upr-import-repeats", daemon=True)
    st.session_state[JOB_KEY] = step
    step.thread.start()
    return step


def render_repeats_step() -> None:
    """While a suggestion step of this browser session runs: its progress, polled; when it
    ends, what it found (kept for the next run) and a rerun of the page."""
    step = st.session_state.get(JOB_KEY)
    if not isinstance(step, RepeatsStep):
        return

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if step.running:
            st.progress(
                min(max(step.fraction, 0.0), 1.0),
                text=_("The import is saved. {step}…").format(step=step.message),
            )
            return
        st.session_state.pop(JOB_KEY, None)
        # The rerun below wipes what the page showed: when the step ended at once, that is
        # the import's own summary, shown a moment ago — it is shown again with the step's.
        message = " ".join(m for m in (flash_shown(), repeats_step_message(step)) if m)
        if message:
            flash(message)
        st.rerun(scope="app")

    poll()


def repeats_step_message(step: RepeatsStep) -> str:
    """What the ended step did, in a person's words (plain text); empty when it found no
    new repeat (as the import's summary said nothing then)."""
    if step.error is not None:
        return _(
            "The import is saved, but the repeats across cycles could not be suggested "
            "({reason}); run `{command}` to suggest them."
        ).format(reason=step.error, command=cli_command("link"))
    n = step.added or 0
    if not n:
        return ""
    return ngettext(
        "{n} possible repeat across cycles suggested for review.",
        "{n} possible repeats across cycles suggested for review.",
        n,
    ).format(n=f"{n:,}")


__all__ = ["JOB_KEY", "RepeatsStep", "render_repeats_step", "start_repeats_step"]
