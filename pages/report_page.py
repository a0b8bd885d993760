"""Report: the stakeholder ("shadow") submission builder — choose the state, themes, cycles,
statuses and organisations, write your own recommendations, check the word count, download
.docx / .md / .csv, and save the whole report to regenerate it later."""

from collections.abc import Callable

import streamlit as st

from tracker import matrix_fill, own_links, queries, submission, ui
from tracker.auth import PermissionDenied
from tracker.errors import ValidationError
from tracker.formats import number
from tracker.i18n import _, get_language, ngettext, set_language
from tracker.organisation import organisation_name, set_organisation_name
from tracker.states import shown_name
from tracker.submission import drafts
from tracker.submission import outline as outlines
from tracker.vocab import STATUS_ORDER, status_label, theme_label

K = "rp_"  # widget keys of this page
MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _load_saved() -> None:
    """Fill the form from the saved report chosen (a callback: runs before the widgets)."""
    name = st.session_state.get(K + "saved")
    if not name:
        return
    with ui.session() as s:
        settings, own = submission.load_saved_report(s, name)
    ss = st.session_state
    ss[K + "state"] = settings.state
    ss[K + "orgs"] = "\n".join(settings.organisations)
    ss[K + "session"] = settings.session
    ss[K + "cycles"] = list(settings.cycles)
    ss[K + "themes"] = list(settings.themes)
    ss[K + "statuses"] = list(settings.statuses)
    ss[K + "keywords"] = "; ".join(settings.keywords)
    ss[K + "intro"] = settings.introduction
    ss[K + "evidence"] = settings.evidence
    ss[K + "limit"] = settings.word_limit
    ss[K + "own"] = "\n".join(own)
    ss[K + "name"] = name


def _load_outline() -> None:
    """Fill the outline box from the saved outline chosen (a callback)."""
    title = st.session_state.get(K + "outline_title")
    state = st.session_state.get(K + "state")
    if not title or not state:
        st.session_state[K + "outline"] = ""
        return
    with ui.session() as s:
        outline, _settings = drafts.load_outline(s, state, title)
    st.session_state[K + "outline"] = outlines.to_toml(outline)


st.title(_("Stakeholder report"))
st.caption(
    _(
        "A UPR stakeholder (shadow) submission on the earlier recommendations to one state, "
        "in the form OHCHR asks for: numbered paragraphs, a section per theme, each "
        "recommendation with its recommending states and current status, the evidence, and "
        "your own recommendations."
    )
)
ui.flash()

state_df = ui.query(queries.states_under_review)
if state_df.empty:
    st.info(_("Import recommendations first: the database holds none yet."))
    st.stop()
names = dict(zip(state_df["iso3"], state_df["name"], strict=True))
organisation = ui.query(organisation_name)

ss = st.session_state
if K + "state" not in ss or ss[K + "state"] not in names:
    chosen = [s for s in ui.current_filters().states if s in names]
    ss[K + "state"] = chosen[0] if chosen else state_df["iso3"].iloc[0]
ss.setdefault(K + "orgs", organisation or "")

saved_names = ui.query(submission.saved_report_names)
if saved_names:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    opened = c1.selectbox(
        _("Open a saved report"),
        saved_names,
        index=None,
        key=K + "saved",
        on_change=_load_saved,
        placeholder=_("New report"),
    )
    if opened and c2.button(_("Delete this saved report"), icon=":material/delete:"):
        try:
            ui.write(submission.delete_saved_report, opened)
        except (ValidationError, PermissionDenied) as exc:
            st.error(ui.md_escape(str(exc)), icon=":material/error:")
        else:
            del ss[K + "saved"]
            ui.flash(_("Deleted the saved report {name!r}.").format(name=opened))
            st.rerun()

left, right = st.columns(2)
with left:
    iso3 = st.selectbox(
        _("State under review"),
        list(names),
        key=K + "state",
        format_func=lambda c: shown_name(names.get(c, c)),
    )
    next_session = ui.query(submission.next_review_session, iso3)
    st.number_input(
        _("UPR session the report is for"),
        min_value=1,
        max_value=200,
        step=1,
        value=None,
        key=K + "session",
        placeholder=(
            _("{n} (the next review)").format(n=next_session)
            if next_session
            else _("enter the session number")
        ),
        help=_("Leave empty for the state's next review: its latest session plus one cycle."),
    )
    st.text_area(
        _("Submitting organisation(s), one per line"),
        key=K + "orgs",
        height=90,
        help=_("One organisation makes an individual submission, several a joint one."),
    )
with right:
    st.multiselect(
        _("Cycles"),
        ui.query(queries.cycle_options),
        key=K + "cycles",
        format_func=lambda c: _("Cycle {n}").format(n=c),
        placeholder=_("Every cycle before the one the report is for"),
    )
    theme_options = ui.query(queries.theme_options)
    st.multiselect(
        _("Themes (one section each, in this order)"),
        theme_options,
        key=K + "themes",
        format_func=ui.format_now(theme_options, theme_label),
        placeholder=_("All themes"),
    )
    st.multiselect(
        _("Current status"),
        list(STATUS_ORDER),
        key=K + "statuses",
        format_func=status_label,
        placeholder=_("All statuses"),
    )

with st.expander(_("Introduction, key words, evidence and word limit")):
    st.text_area(
        _("Introduction (your organisation, your method; a blank line between paragraphs)"),
        key=K + "intro",
        height=120,
    )
    st.text_input(
        _("Key words, separated by ;"),
        key=K + "keywords",
        placeholder=_("Default: the themes of the sections"),
    )
    st.radio(
        _("Evidence shown as"),
        list(submission.EVIDENCE_FORMATS),
        key=K + "evidence_format",
        format_func=lambda e: {"footnotes": _("Footnotes"), "table": _("A table")}[e],
        horizontal=True,
    )
    c1, c2 = st.columns(2)
    c1.radio(
        _("Evidence under each recommendation"),
        list(submission.EVIDENCE_CHOICES),
        key=K + "evidence",
        format_func=lambda e: {
            "all": _("Every assessment"),
            "latest": _("The latest assessment"),
            "none": _("None"),
        }[e],
        horizontal=True,
    )
    c2.number_input(
        _("Word limit"),
        min_value=1,
        step=100,
        value=None,
        key=K + "limit",
        placeholder=_("{individual} individual / {joint} joint").format(
            individual=number(submission.WORD_LIMIT_INDIVIDUAL),
            joint=number(submission.WORD_LIMIT_JOINT),
        ),
    )

with st.expander(
    _("Outline: executive summary, your own sections, narrative and recommendations"),
    icon=":material/article:",
):
    st.caption(
        _(
            "Written as TOML (see the README): title, organisation, executive_summary, and "
            "one [[section]] per section with heading, themes and/or ids, text (a blank line "
            "between paragraphs, “### Sub-heading” lines) and own (your recommendations for "
            "that section). Saved per state under its title; several drafts may coexist."
        )
    )
    titles = ui.query(drafts.outline_titles, ss.get(K + "state", ""))
    st.selectbox(
        _("Saved outlines of this state"),
        titles,
        index=None,
        key=K + "outline_title",
        on_change=_load_outline,
        placeholder=_("No outline: a section per theme"),
    )
    st.text_area(_("Outline (TOML)"), key=K + "outline", height=320)

st.text_area(
    _("Your recommendations to the state, one per line"),
    key=K + "own",
    height=140,
    placeholder=_("e.g. Adopt a law that criminalises domestic violence as a separate offence"),
)

settings = submission.ReportSettings(
    state=iso3,
    themes=tuple(ss.get(K + "themes", [])),
    cycles=tuple(ss.get(K + "cycles", [])),
    statuses=tuple(ss.get(K + "statuses", [])),
    organisations=tuple(_lines(ss.get(K + "orgs", ""))),
    session=ss.get(K + "session"),
    word_limit=ss.get(K + "limit"),
    keywords=tuple(k.strip() for k in ss.get(K + "keywords", "").split(";") if k.strip()),
    introduction=ss.get(K + "intro", ""),
    evidence=ss.get(K + "evidence", "all"),
    evidence_format=ss.get(K + "evidence_format", "footnotes"),
    as_of=ui.current_filters().as_of,  # the sidebar's "Status as of" (?as_of=)
)
own = tuple(_lines(ss.get(K + "own", "")))
try:
    outline_text = ss.get(K + "outline", "")
    outline = outlines.read_toml(outline_text, _("outline")) if outline_text.strip() else None
    # shared, not copied per run (ui.query_shared): only read below
    report = ui.query_shared(submission.build_report, settings, own, outline=outline)
except ValidationError as exc:
    st.error(ui.md_escape(str(exc)), icon=":material/error:")
    st.stop()

st.divider()
m1, m2, m3, m4 = st.columns(4)
m1.metric(_("Recommendations"), number(report.recommendation_count))
m2.metric(_("For session"), str(report.session))
m3.metric(_("Your recommendations"), str(len(report.own_recommendations)))
m4.metric(_("Words"), f"{number(report.word_count)} / {number(report.word_limit)}")
if report.over_limit:
    st.error(report.word_count_message(), icon=":material/warning:")
else:
    st.success(report.word_count_message(), icon=":material/check_circle:")
if not report.organisations:
    st.warning(_("Name the submitting organisation(s): the title block needs them."))
if report.is_sample:
    st.warning(
        _("The selection contains sample data: the document is marked “sample data”."),
        icon=":material/science:",
    )

lang = get_language()


def _maker(render: Callable[[submission.Report], bytes]) -> Callable[[], bytes]:
    def make() -> bytes:
        set_language(lang)  # the download thread has its own context
        return render(report)

    return make


stem = f"upr-{report.settings.state.lower()}-session-{report.session}"
ui.download_row(
    stem,
    [
        ui.Download(
            _("Word document"),
            _maker(submission.to_docx),
            "docx",
            K + "dl_docx",
            icon=":material/description:",
            primary=True,
        ),
        ui.Download(
            _("Markdown"),
            _maker(lambda r: submission.to_markdown(r).encode("utf-8")),
            "md",
            K + "dl_md",
        ),
        ui.Download(
            _("CSV of the recommendations"), _maker(submission.to_csv), "csv", K + "dl_csv"
        ),
    ],
)

if (
    outline is not None
    and ui.can_write()
    and st.button(
        # The title is the person's text: a button label is Markdown.
        ui.md_escape(_("Save the outline {title!r}").format(title=outline.title)),
        icon=":material/save:",
    )
):
    try:
        ui.write(drafts.save_outline, outline, settings)
    except (ValidationError, PermissionDenied) as exc:
        st.error(ui.md_escape(str(exc)), icon=":material/error:")
    else:
        ui.flash(_("Saved the outline {title!r}.").format(title=outline.title))
        st.rerun()

taken = ui.query(own_links.state_take_ups, report.settings.state)
if taken:
    st.subheader(_("Your earlier recommendations, followed"))
    for own_text, phrase in taken:
        st.markdown(f"- {ui.md_escape(own_text)} — **{ui.md_escape(phrase)}**")

with st.form(K + "save_form", border=False):
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(_("Save as"), key=K + "name", placeholder=_("e.g. Kazakhstan 2026"))
    if c2.form_submit_button(_("Save report"), icon=":material/save:"):
        try:
            ui.write(submission.save_report, name, settings, list(own))
        except (ValidationError, PermissionDenied) as exc:
            st.error(ui.md_escape(str(exc)), icon=":material/error:")
        else:
            ui.flash(_("Saved the report {name!r}.").format(name=" ".join(name.split())))
            st.rerun()

# The preview: the start of the document, the rest on demand. A whole country's report is
# megabytes of Markdown that the browser lays out on every view (docs/performance.md).
PREVIEW_STEP = 50  # numbered paragraphs shown at first, and added by "Show more"


def _show_more(paragraphs: int | None) -> None:
    ss[K + "preview"] = paragraphs


# Another report (state, choices, own text, outline) starts at its beginning again.
if ss.get(K + "preview_of") != (settings, own, outline_text):
    ss[K + "preview_of"] = (settings, own, outline_text)
    ss[K + "preview"] = PREVIEW_STEP
shown = ss.get(K + "preview", PREVIEW_STEP)
total = report.paragraph_count
with st.container(border=True, height=640):
    st.markdown(submission.to_markdown(report, paragraphs=shown))
if shown is not None and shown < total:
    # Under the box, not at the end of its scrolled text: the first paragraphs' footnotes
    # alone fill the box several times over.
    more = min(PREVIEW_STEP, total - shown)
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button(
            ngettext("Show {n} more paragraph", "Show {n} more paragraphs", more).format(
                n=number(more)
            ),
            key=K + "preview_more",
            on_click=_show_more,
            args=(shown + PREVIEW_STEP,),
            icon=":material/expand_more:",
        )
        st.button(
            _("Show the whole document"),
            key=K + "preview_all",
            on_click=_show_more,
            args=(None,),
            icon=":material/unfold_more:",
        )
        st.caption(
            _(
                "The first {shown} of {total} numbered paragraphs; the downloads hold the "
                "whole document."
            ).format(shown=number(shown), total=number(total))
        )

with st.expander(_("Your organisation's name (reports and chart images)")):
    st.caption(
        _(
            "Shown as “Prepared by …” on every downloaded chart and snapshot, and proposed as "
            "the submitting organisation. Currently: {name}."
        ).format(name=ui.md_escape(organisation) if organisation else _("not set"))
    )
    with st.form(K + "org_form", border=False):
        new_org = st.text_input(_("Organisation"), value=organisation or "")
        if st.form_submit_button(_("Save the name")):
            try:
                ui.write(set_organisation_name, new_org)
            except (ValidationError, PermissionDenied) as exc:
                st.error(ui.md_escape(str(exc)), icon=":material/error:")
            else:
                ui.flash(_("Saved the organisation's name."))
                st.rerun()

with st.expander(_("OHCHR matrix with your assessments (annex)"), icon=":material/table:"):
    st.caption(
        _(
            "Upload the OHCHR thematic list of recommendations (the matrix, .docx) of the "
            "review: you get it back with the column “Assessment/comments on level of "
            "implementation” holding each recommendation's current assessment. Everything "
            "else in the document stays as it was."
        )
    )
    upload = st.file_uploader(_("OHCHR matrix (.docx)"), type=["docx"], key=K + "matrix")
    as_of = st.date_input(_("Assessments as of"), value=None, key=K + "matrix_as_of")
    if upload is not None:
        try:
            with ui.session() as s:
                filled = matrix_fill.fill_matrix(
                    s, upload.getvalue(), upload.name, as_of=as_of, lang=get_language()
                )
        except matrix_fill.MatrixError as exc:
            st.error(ui.md_escape(str(exc)), icon=":material/error:")
        else:
            st.markdown(
                _("Filled {n} of {rows} recommendations; {na} have no assessment yet.").format(
                    n=len(filled.filled), rows=filled.rows, na=len(filled.not_assessed)
                )
            )
            if filled.unmatched:
                st.warning(
                    _("These rows match no recommendation in the database: {rows}").format(
                        rows=ui.md_escape(", ".join(filled.unmatched))
                    ),
                    icon=":material/help:",
                )
            st.download_button(
                _("Download the filled matrix"),
                filled.data,
                file_name="filled-" + upload.name.rsplit("/", 1)[-1],
                mime=MIME_DOCX,
                key=K + "dl_matrix",
                on_click="ignore",
                icon=":material/download:",
            )
