"""Flagged: partially implemented recommendations grouped by theme and cycle, and the
stale, never assessed, regressed, contested and overdue ones; counts per flag and downloads of
each list; the planned actions due in the next 30 days."""

import datetime as dt

import streamlit as st

from tracker import columns, display_frames, exports, flags, queries, ui
from tracker.formats import number
from tracker.i18n import _

f, where = ui.page_header(_("Flagged recommendations"))
if not ui.query(queries.any_match, f):
    ui.no_match()
    st.stop()
ui.render_repeated_not_implemented(f)  # made again in a later cycle (tracker.linking)
ui.due_actions_section(f)  # open planned actions due soon, the plan's download (tracker.plans)

with st.expander(_("Settings"), icon=":material/tune:"):
    ui.url_value("months", ui.parse_int(1, 120), flags.DEFAULT_STALE_MONTHS)
    months = st.number_input(
        _("Stale after (months without an assessment)"),
        min_value=1,
        max_value=120,
        step=1,
        key="months",
        help=_("Also the window within which different sources' assessments are compared."),
    )
    ui.keep_in_url("months", months, flags.DEFAULT_STALE_MONTHS)
    ui.url_value("unassessed", ui.parse_bool, False)
    unassessed = st.toggle(
        _("Count supported recommendations that were never assessed as stale"),
        key="unassessed",
    )
    ui.keep_in_url("unassessed", unassessed, False)
    ui.url_value("gov", ui.parse_bool, False)
    versus = st.toggle(
        _("Contested: the government against other types of source"),
        key="gov",
        help=_("Compare the latest assessment of each type of source instead of each source."),
    )
    ui.keep_in_url("gov", versus, False)
opts = flags.FlagOptions(
    stale_months=int(months),
    include_unassessed=unassessed,
    today=f.as_of or dt.date.today(),  # "Status as of": the flags as they were on that day
    government_vs_others=versus,
)
counts = ui.query(flags.flag_counts, f, opts)
note = flags.past_flags_note(f)
if note:
    st.info(note, icon=":material/history:")

flag_keys = [fl.value for fl in flags.flags_for(f)]
ui.url_value("flag", ui.parse_choice(flag_keys), flags.Flag.PARTIAL.value)
flag = st.segmented_control(
    _("Flag"),
    flag_keys,
    format_func=lambda k: f"{flags.flag_label(k)} ({number(counts[k])})",
    key="flag",
    required=True,
)
flag = flag or flags.Flag.PARTIAL.value
ui.keep_in_url("flag", flag, flags.Flag.PARTIAL.value)
st.caption(flags.flag_help(flag, opts.stale_months, opts.government_vs_others))

view = ui.query(flags.flagged_view, f, flag, opts, total=counts[flag])
if view.total == 0:
    st.info(
        _("No recommendation matching these filters is flagged “{flag}”.").format(
            flag=flags.flag_label(flag)
        ),
        icon=":material/check_circle:",
    )
    st.stop()

private = ui.private_choice(
    "flagged_private",
    help=_("Each listed recommendation's latest private assessment is added in its own columns."),
)
ui.downloads(
    ui.file_stem(f"upr-flagged-{flag}" + ("-private" if private else ""), f),
    lambda s, fmt: exports.flagged_export(s, f, flag, opts, fmt, include_private=private),  # type: ignore[arg-type]
    key="flagged_download",
)

if len(view.rows) < view.rows_total:
    st.caption(
        _(
            "The tables show the first {shown} of {n} rows; narrow the filters, or download "
            "the whole list."
        ).format(shown=number(len(view.rows)), n=number(view.rows_total))
    )
if flag == flags.Flag.PARTIAL.value:
    st.subheader(_("By theme and cycle"))
    st.caption(
        _(
            "A recommendation with several themes is listed under each. Choose a row to open "
            "the recommendation."
        )
    )
    st.dataframe(
        display_frames.labelled(view.theme_cycle),
        hide_index=True,
        column_config={"theme": _("Theme"), "total": _("Total")},
        key="theme_cycle_counts",
    )
else:
    st.caption(_("Choose a row to open the recommendation."))
# The columns this flag is about, without empty ones (stale: no details), fitting 1440 px.
shown = display_frames.labelled(view.rows)
several = ui.query(columns.several_states, f)
chosen = ui.table(
    shown,
    columns.shown(shown, columns.flagged(flag), several_states=several),
    key="flagged_table",
    select=True,
)
if chosen is not None:
    ui.open_recommendation(chosen)
