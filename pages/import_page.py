"""Import: upload files, see how they read (format, preview, problems, what would change),
then import them in one transaction. The work is done by tracker.importers."""

from __future__ import annotations

import hashlib

import streamlit as st

from tracker import ui
from tracker.auth import PermissionDenied, Role
from tracker.errors import DatabaseBusy
from tracker.i18n import _
from tracker.importers import (
    FORMAT_CHOICES,
    ImportReport,
    ImportSource,
    format_label,
    import_files,
    preview_frame,
    problems_frame,
)

CHECK_KEY = "_import_check"
UPLOAD_TYPES = ["csv", "txt", "tsv", "xlsx", "json", "docx"]


def _format_choice(value: str) -> str:
    return _("Detect from the header row") if value == "auto" else format_label(value)


def _check(
    sources: list[ImportSource], fmt: str, skip: bool, review: tuple[str | None, int | None]
) -> ImportReport:
    """The dry run of the uploaded files, kept until the files, options or data change."""
    key = (
        tuple((s.name, hashlib.sha256(s.data).hexdigest()) for s in sources),
        fmt,
        skip,
        review,
        ui.data_version(),
    )
    kept = st.session_state.get(CHECK_KEY)
    if kept is not None and kept[0] == key:
        return kept[1]
    with st.spinner(_("Checking the files…")), ui.session() as s:
        report = import_files(
            s, sources, fmt, dry_run=True, skip_invalid=skip, state=review[0], session_no=review[1]
        )
    st.session_state[CHECK_KEY] = (key, report)
    return report


st.title(_("Import"))
# Parsing an upload costs the server memory and time: only editors may (import_files checks).
ui.require_role(Role.EDITOR, _("Importing files"))
st.markdown(
    _(
        "Bring the files you already have: **UPR Info** database exports (CSV), **OHCHR UHRI** "
        "exports (Excel or JSON), OHCHR's **matrix** (thematic list of recommendations) and "
        "**Working Group report** (Word .docx), and the **UPR Tracker template** (CSV or "
        "Excel, as written by *Export*). Each file is checked first; nothing is written "
        "until you press *Import*, and then everything is written at once or not at all."
    )
)
ui.flash()
ui.render_repeats_step()  # the last import's second step: suggesting repeats, polled

uploads = st.file_uploader(
    _("Files to import"), type=UPLOAD_TYPES, accept_multiple_files=True, key="import_upload"
)
left, right = st.columns(2)
fmt = left.selectbox(_("Format"), FORMAT_CHOICES, format_func=_format_choice, key="import_format")
skip = right.toggle(
    _("Skip invalid rows"),
    key="import_skip",
    help=_(
        "Import the valid rows and leave out the invalid ones (download them below, correct "
        "them and import them again). Without this, one invalid row stops the import."
    ),
)

# Word documents that do not name their review (the file name or title usually does)
sur_col, session_col = st.columns(2)
doc_state = sur_col.text_input(
    _("State under review"),
    key="import_state",
    help=_("For a Word document that does not say which state was reviewed"),
).strip()
doc_session = session_col.number_input(
    _("Session"),
    min_value=1,
    max_value=99,
    value=None,
    step=1,
    key="import_session",
    help=_("For a Word document that does not say which UPR session reviewed it"),
)
review = (doc_state or None, int(doc_session) if doc_session is not None else None)

if not uploads:
    st.info(_("Choose one or more files to see how they read."))
    st.stop()

sources = [ImportSource(u.name, u.getvalue()) for u in uploads]
report = _check(sources, fmt, skip, review)

for f in report.files:
    with st.container(border=True):
        st.subheader(f.name, anchor=False)
        if f.fatal:
            st.error(ui.md_escape(f.fatal), icon=":material/error:")
            continue
        st.markdown(_("Read as: **{format}**").format(format=ui.md_escape(f.describe())))
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(_("Rows read"), f"{f.rows_read:,}")
        c2.metric(_("Valid"), f"{f.rows_valid:,}")
        c3.metric(_("Rejected"), f"{f.rows_rejected:,}")
        c4.metric(_("Not recommendations"), f"{f.rows_skipped:,}")
        if f.preview:
            st.caption(_("The first rows, as they will be stored:"))
            st.dataframe(
                preview_frame(f),
                hide_index=True,
                width="stretch",
                column_config={
                    "row": st.column_config.NumberColumn(_("Row"), format="%d"),
                    "state_under_review": _("State under review"),
                    "session": st.column_config.NumberColumn(_("Session"), format="%d"),
                    "paragraph": _("Paragraph"),
                    "recommendation": st.column_config.TextColumn(
                        _("Recommendation"), width="large"
                    ),
                    "recommending_states": _("Recommending states"),
                    "response": _("Response"),
                    "action_category": _("Action category"),
                    "themes": _("Themes"),
                    "assessments": st.column_config.NumberColumn(_("Assessments"), format="%d"),
                    "published": _("Report published"),
                },
            )

if report.problems:
    st.subheader(_("Problems: {n}").format(n=f"{len(report.problems):,}"), anchor=False)
    problems = problems_frame(report)
    st.dataframe(
        problems,
        hide_index=True,
        width="stretch",
        column_config={
            "file": _("File"),
            # a Word paragraph is located by its number ("140.7"): then the column is text
            "row": st.column_config.NumberColumn(_("Row"), format="%d")
            if problems["row"].dtype == "Int64"
            else _("Row"),
            "column": _("Column"),
            "message": st.column_config.TextColumn(_("Problem"), width="large"),
        },
    )
if report.rows_rejected:
    st.download_button(
        _("Download the rejected rows (CSV)"),
        data=report.rejects_csv(),
        file_name="rejected_rows.csv",
        mime="text/csv",
        icon=":material/download:",
        key="import_rejects",
    )

st.subheader(_("What the import will do"), anchor=False)
summary = "  \n".join(ui.md_escape(line) for line in report.summary_lines(page=True))
if report.blocked:
    st.error(summary, icon=":material/block:")
elif report.changed:
    st.info(summary, icon=":material/fact_check:")
else:
    st.success(summary, icon=":material/check_circle:")

if st.button(
    _("Import"),
    type="primary",
    disabled=report.blocked or not report.changed,
    key="import_commit",
    icon=":material/upload:",
):
    bar = st.progress(0.0, text=_("Importing…"))

    def show_progress(fraction: float, message: str) -> None:
        bar.progress(fraction, text=message or _("Importing…"))

    try:
        with ui.session() as s:
            result = import_files(
                s,
                sources,
                fmt,
                skip_invalid=skip,
                progress=show_progress,
                state=review[0],
                session_no=review[1],
                defer_repeats=True,  # after the commit, in a thread: the data is usable first
            )
    except PermissionDenied as exc:
        bar.empty()
        st.error(ui.md_escape(str(exc)), icon=":material/lock:")
        st.stop()
    except DatabaseBusy as exc:  # another import holds SQLite's write lock: nothing written
        bar.empty()
        st.error(ui.md_escape(str(exc)), icon=":material/hourglass_top:")
        st.stop()
    bar.empty()
    st.session_state.pop(CHECK_KEY, None)
    if result.ok:
        ui.flash(" ".join(result.summary_lines(page=True)))
        ui.start_repeats_step(result)
        st.rerun()
    st.error(
        "  \n".join(ui.md_escape(line) for line in result.summary_lines(page=True)),
        icon=":material/block:",
    )
