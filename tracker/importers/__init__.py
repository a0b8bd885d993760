"""Import the files people already have: UPR Info exports, OHCHR UHRI exports, the template.

Usage::

    from tracker import db
    from tracker.importers import import_files

    with db.session_scope() as session:          # one transaction: all or nothing
        report = import_files(session, ["upr.csv"], skip_invalid=True)
    for problem in report.problems:
        print(problem)                           # upr.csv:1234: Session: empty — ...
    print("\\n".join(report.summary_lines()))

How an import runs:

1. Each file is read (:mod:`.reading`, on :mod:`.files`: encoding, delimiter, workbook or
   JSON), its header row
   found and its format detected (:mod:`.detect`), unless a format is forced.
2. Every row is validated by its format's reader (:mod:`.upr_info`, :mod:`.uhri`,
   :mod:`.template_rows`): a row with any problem is rejected as a whole, with every problem
   listed as ``FILE:ROW: column: message``.
3. :class:`.writer.BulkWriter` plans what the valid rows change under the identity rule and,
   unless this is a dry run or a row was rejected without ``skip_invalid``, writes it with
   one statement per table into the caller's session. One :class:`~tracker.models.ImportRun`
   and one audit event are recorded per file. Nothing at all is written when nothing would
   change, so re-importing a file leaves the database exactly as it was.

The caller owns the transaction (``db.session_scope``): an interruption at any point,
including ``kill -9``, leaves the database as it was before the import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tracker import audit, auth, backup, db, linking, queries
from tracker.i18n import _
from tracker.importers import docx_merge
from tracker.importers.detect import Format, format_label
from tracker.importers.files import ImportSource, NotATableError, ReadLimits
from tracker.importers.inputs import AssessmentInput
from tracker.importers.outcome import (
    FileReport,
    ImportReport,
    ParsedRow,
    Problem,
    RejectedRow,
    preview_frame,
    problems_frame,
)
from tracker.importers.reading import fatal_report, preview, read_file
from tracker.importers.rows import ParseContext
from tracker.importers.writer import BulkWriter
from tracker.memory import gc_paused
from tracker.models import ImportRun, Recommendation, Review, State
from tracker.vocab import Role

Progress = Callable[[float, str], None]
FORMAT_CHOICES = ("auto", *(f.value for f in Format))
MAX_FILENAME = 500

# Shares of the progress bar: reading and checking the files, planning, writing.
_READ_SHARE, _PLAN_SHARE = 0.55, 0.15


def import_files(
    session: Session,
    sources: Sequence[str | Path | ImportSource],
    fmt: str = "auto",
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    actor: str | None = None,
    state: str | None = None,
    session_no: int | None = None,
    encoding: str | None = None,
    defer_repeats: bool = False,
) -> ImportReport:
    """Read, check and import ``sources`` into ``session`` (the caller commits).

    ``fmt`` is ``auto`` or one of :class:`Format`'s values, for every file. With
    ``dry_run`` nothing is written and the report tells what would change. Without
    ``skip_invalid`` a single invalid row means nothing is written (``report.ok`` is False);
    with it the valid rows are imported and the others listed in ``report.rejected_rows()``.
    A file that is not a table at all always blocks the import. ``progress(fraction,
    message)`` is called now and then with a fraction from 0 to 1. ``encoding`` (a codec
    name) is how every text file is decoded, instead of detecting it.

    Writing needs the editor role (:class:`tracker.auth.PermissionDenied` otherwise); so does
    reading uploaded bytes (:class:`ImportSource`), even for a dry run: parsing a file costs
    the server memory and time, which only editors may spend. A dry run of files named by
    path (the command line) needs no role. Files over the limits of
    :class:`~tracker.importers.table.ReadLimits` are refused with a message. Every file is
    read and checked before the write lock is taken, so a slow file never blocks writers.
    ``state`` and ``session_no`` name the review of a Word document (OHCHR matrix, Working
    Group report) that does not say it itself.

    The suggestion of repeats across cycles (:mod:`tracker.linking`) for the states the
    import touched runs in the same transaction, unless ``defer_repeats``: then the report
    names those states (``repeat_state_ids``) and the caller, once the import is committed,
    runs :func:`suggest_repeats` as a second step in a transaction of its own. The imported
    data is usable as soon as the first commit ends; the suggestions follow (the CLI and the
    Import page do so, a large import being two steps of about equal length).
    """
    if fmt not in FORMAT_CHOICES:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMAT_CHOICES)}")
    if any(isinstance(src, ImportSource) for src in sources):
        auth.require(Role.EDITOR, _("importing files"))
    with gc_paused():
        return _import_files(
            session,
            sources,
            fmt,
            dry_run,
            skip_invalid,
            progress,
            actor,
            (state, session_no),
            encoding,
            defer_repeats,
        )


def _import_files(
    session: Session,
    sources: Sequence[str | Path | ImportSource],
    fmt: str,
    dry_run: bool,
    skip_invalid: bool,
    progress: Progress | None,
    actor: str | None,
    review: tuple[str | None, int | None],
    encoding: str | None,
    defer_repeats: bool,
) -> ImportReport:
    if not dry_run:
        auth.require(Role.EDITOR, _("importing files"))
    limits = ReadLimits.from_settings()
    report_progress = _Throttle(progress)
    loaded: list[ImportSource | FileReport] = []
    paths: dict[int, str | Path] = {}  # index in loaded -> the path its bytes were read from
    for src in sources:
        if isinstance(src, ImportSource):
            loaded.append(src)
            continue
        try:
            loaded.append(ImportSource.from_path(src, limits))
            paths[len(loaded) - 1] = src
        except NotATableError as exc:
            loaded.append(fatal_report(FileReport(str(src)), str(exc)))
    total_bytes = sum(len(s.data) for s in loaded if isinstance(s, ImportSource)) or 1

    # The files are read and checked before the write lock is taken (they need only the
    # reviews' sessions, read here), so that a big or hostile file never holds it.
    known = _review_sessions(session) if dry_run else _sessions_before_lock(session)
    ctx = ParseContext(known)
    reports: list[FileReport] = []
    done = 0
    for i, item in enumerate(loaded):
        if isinstance(item, FileReport):
            reports.append(item)
            continue
        start = _READ_SHARE * done / total_bytes
        span = _READ_SHARE * len(item.data) / total_bytes
        reports.append(
            read_file(
                item,
                fmt,
                ctx,
                report_progress.scaled(start, span, item.name),
                state=review[0],
                session_no=review[1],
                encoding=encoding,
                limits=limits,
            )
        )
        done += len(item.data)
        if i in paths:
            # A file named by its path is let go of once read (the plan and the writes do
            # not hold its bytes too); read again from the path in the rare case below.
            loaded[i] = ImportSource(item.name, b"")
            del item
    if not dry_run:
        # Now the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: imports one at a time),
        # so that nobody adds the same recommendations between our plan and our writes.
        db.begin_write(session, exclusive=True, cache_kib=db.writer_cache_kib(total_bytes))
        if _review_sessions(session) != known:
            # A review's session changed while the files were read: read them again, now
            # under the lock (rare; correctness over speed).
            ctx = ParseContext(_review_sessions(session))
            for i, item in enumerate(loaded):
                if not isinstance(item, ImportSource):
                    continue
                try:
                    again = ImportSource.from_path(paths[i], limits) if i in paths else item
                except NotATableError as exc:  # the file went away meanwhile
                    reports[i] = fatal_report(FileReport(item.name), str(exc))
                    continue
                reports[i] = read_file(
                    again,
                    fmt,
                    ctx,
                    state=review[0],
                    session_no=review[1],
                    encoding=encoding,
                    limits=limits,
                )
                del again

    result = ImportReport(reports, dry_run=dry_run, skip_invalid=skip_invalid)
    if result.fatal:
        report_progress(1.0, _("Done"))
        return result

    report_progress(_READ_SHARE, _("Comparing with the database"))
    writer = BulkWriter(session)
    # Word documents: their recommendations may already be stored from another source
    # (a Working Group report, UPR Info, UHRI) under another response or action category.
    docx_merge.reconcile(session, writer, reports)
    parsed = [r.parsed for r in reports]
    if not dry_run:
        # The plan takes the rows over: let them go as it reads them (only its own memory
        # is held then, not the rows' too). A dry run keeps them in its report.
        for r in reports:
            r.parsed = []
    plan = writer.plan(
        (((p.rec, p.assessments) for p in rows) for rows in _drain(parsed)),
        texts_clean=True,
        rows_owned=not dry_run,
        progress=report_progress.scaled(_READ_SHARE, _PLAN_SHARE, ""),
    )
    for r, fc in zip(reports, plan.files, strict=True):
        r.added = len(fc.added)
        r.updated = len(fc.updated)
        r.unchanged = fc.unchanged
        r.assessments_added = len(fc.assessments)
        r.assessments_unchanged = fc.assessments_unchanged
    result.added, result.updated, result.unchanged = plan.added, plan.updated, plan.unchanged
    result.assessments_added = plan.assessments
    result.reviews_updated = plan.reviews_updated
    result.adopted = plan.adopted
    result.sample_present = queries.has_sample(session)

    if dry_run or result.blocked or not plan.changed:
        report_progress(1.0, _("Done"))
        return result

    # A portable backup of the data as it is before the import (tracker.backup keeps the
    # newest UPR_TRACKER_BACKUP_KEEP in UPR_TRACKER_BACKUP_DIR).
    backup.auto_backup(session.get_bind().engine)
    who = actor or audit.default_actor()
    runs = []
    for r in reports:
        run = ImportRun(
            filename=r.name[-MAX_FILENAME:],
            format=r.format.value if r.format else "",
            sha256=r.sha256,
            actor=who,
            rows_read=r.rows_read,
            added=r.added,
            updated=r.updated,
            unchanged=r.unchanged,
            rejected=r.rows_rejected,
        )
        session.add(run)
        runs.append(run)
    session.flush()
    run_ids = [run.id for run in runs]
    writer.apply(
        run_ids,
        actor=who,
        progress=report_progress.scaled(
            _READ_SHARE + _PLAN_SHARE, 1 - _READ_SHARE - _PLAN_SHARE, _("Writing")
        ),
    )
    for r, run in zip(reports, runs, strict=True):
        audit.record(
            session,
            actor=who,
            action="import",
            entity="import_run",
            entity_id=run.id,
            # Stored, not shown: language-neutral, like every audit summary.
            summary=f"{r.name} ({r.format.value if r.format else ''}): {r.added} added, "
            f"{r.updated} updated, {r.unchanged} unchanged, {r.rows_rejected} rejected",
            after={
                "file": r.name,
                "format": r.format.value if r.format else None,
                "sha256": r.sha256,
                "rows_read": r.rows_read,
                "added": r.added,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "rejected": r.rows_rejected,
                "skipped": r.rows_skipped,
                "assessments_added": r.assessments_added,
            },
        )
    session.flush()
    # The states this import touched: the automatic linking pass suggests repeats across
    # cycles for them (a person confirms or rejects them later).
    result.repeat_state_ids = sorted(
        session.scalars(
            select(Review.state_id)
            .join(Recommendation, Recommendation.review_id == Review.id)
            .where(Recommendation.import_run_id.in_(run_ids))
            .distinct()
        ).all()
    )
    if result.repeat_state_ids and not defer_repeats:
        result.links_suggested = linking.suggest_links(session, result.repeat_state_ids, actor=who)
    result.written = True
    result.import_run_ids = run_ids
    result.sample_present = queries.has_sample(session)  # the import may have confirmed it all
    report_progress(1.0, _("Done"))
    return result


def suggest_repeats(
    session: Session,
    report: ImportReport,
    *,
    progress: Progress | None = None,
    actor: str | None = None,
) -> int:
    """The second step of an import made with ``defer_repeats``: suggest repeats across
    cycles for the states it touched, in ``session`` (a new transaction, after the import's
    commit; the caller commits). Sets and returns ``report.links_suggested``.

    Should this step fail or be interrupted, the imported data stays and
    ``python -m tracker link`` makes the same suggestions later."""
    if not report.written or not report.repeat_state_ids:
        if progress is not None:
            progress(1.0, _("Done"))
        return 0
    result = linking.suggest(
        session,
        report.repeat_state_ids,
        actor=actor or audit.default_actor(),
        progress=_Throttle(progress) if progress is not None else None,
    )
    report.links_suggested = result.added
    return result.added


# --- helpers --------------------------------------------------------------------------------
class _Throttle:
    """Call the user's progress function at most every 0.1 s (and always at the end)."""

    def __init__(self, fn: Progress | None) -> None:
        self.fn = fn
        self.last = 0.0
        self.message = ""

    def __call__(self, fraction: float, message: str) -> None:
        if self.fn is None:
            return
        if message:
            self.message = message
        now = time.monotonic()
        if fraction >= 1.0 or now - self.last >= 0.1:
            self.last = now
            self.fn(min(max(fraction, 0.0), 1.0), self.message)

    def scaled(self, start: float, span: float, message: str) -> Progress | None:
        if self.fn is None:
            return None

        def inner(fraction: float, msg: str) -> None:
            self(start + span * min(max(fraction, 0.0), 1.0), msg or message)

        return inner


def _drain(lists: list[list[ParsedRow]]) -> Iterator[list[ParsedRow]]:
    """Each list of ``lists`` in turn, no longer held by ``lists`` once handed out."""
    for i in range(len(lists)):
        rows, lists[i] = lists[i], []
        yield rows


def _sessions_before_lock(session: Session) -> dict[tuple[str, int], int]:
    """The reviews' sessions, read before ``session`` takes the write lock: through a
    separate session on the same engine, so that ``session`` can still begin with the lock
    (SQLite's BEGIN IMMEDIATE must come first); through ``session`` itself when it already
    holds a transaction or the database is an in-memory SQLite one (private to its
    connection)."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return _review_sessions(session)
    in_memory = bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:")
    if session.in_transaction() or in_memory:
        return _review_sessions(session)
    with Session(bind) as peek:
        return _review_sessions(peek)


def _review_sessions(session: Session) -> dict[tuple[str, int], int]:
    return {
        (iso3, cycle): sess
        for iso3, cycle, sess in session.execute(
            select(State.iso3, Review.cycle, Review.session).join(
                State, State.id == Review.state_id
            )
        )
    }


__all__ = [
    "FORMAT_CHOICES",
    "AssessmentInput",
    "FileReport",
    "Format",
    "ImportReport",
    "ImportSource",
    "NotATableError",
    "ParsedRow",
    "Problem",
    "RejectedRow",
    "format_label",
    "import_files",
    "preview",
    "preview_frame",
    "problems_frame",
    "read_file",
    "suggest_repeats",
]
