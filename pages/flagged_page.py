"""Flagged: partially implemented recommendations grouped by theme and cycle, and the
stale, regressed and contested ones; counts per flag and downloads of each list."""

import datetime as dt

import streamlit as st

from tracker import columns, exports, flags, queries, tables, ui
from tracker.i18n import _

f, where = ui.page_header(_("Flagged recommendations"))
if ui.query(queries.count, f) == 0:
    ui.no_match()
    st.stop()
ui.render_repeated_not_implemented(f)  # made again in a later cycle (tracker.linking)

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
opts = flags.FlagOptions(
    stale_months=int(months), include_unassessed=unassessed, today=dt.date.today()
)
counts = ui.query(flags.flag_counts, f, opts)

flag_keys = [fl.value for fl in flags.Flag]
ui.url_value("flag", ui.parse_choice(flag_keys), flags.Flag.PARTIAL.value)
flag = st.segmented_control(
    _("Flag"),
    flag_keys,
    format_func=lambda k: f"{flags.flag_label(k)} ({counts[k]:,})",
    key="flag",
    required=True,
)
flag = flag or flags.Flag.PARTIAL.value
ui.keep_in_url("flag", flag, flags.Flag.PARTIAL.value)
st.caption(flags.flag_help(flag, opts.stale_months))

view = ui.query(flags.flagged_view, f, flag, opts)
if view.total == 0:
    st.info(
        _("No recommendation matching these filters is flagged “{flag}”.").format(
            flag=flags.flag_label(flag)
        ),
        icon=":material/check_circle:",
    )
    st.stop()

ui.downloads(
    ui.file_stem(f"upr-flagged-{flag}", f),
    lambda s, fmt: exports.flagged_export(s, f, flag, opts, fmt),  # type: ignore[arg-type]
    key="flagged_download",
)

if len(view.rows) < view.rows_total:
    st.caption(
        _(
            "The tables show the first {shown} of {n} rows; narrow the filters, or download "
            "the whole list."
        ).format(shown=f"{len(view.rows):,}", n=f"{view.rows_total:,}")
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
        tables.labelled(view.theme_cycle),
        hide_index=True,
        column_config={"theme": _("Theme"), "total": _("Total")},
        key="theme_cycle_counts",
    )
else:
    st.caption(_("Choose a row to open the recommendation."))
# The columns this flag is about, without empty ones (stale: no details), fitting 1440 px.
shown = tables.labelled(view.rows)
several = ui.query(columns.several_states, f)
chosen = ui.table(
    shown,
    columns.shown(shown, columns.flagged(flag), several_states=several),
    key="flagged_table",
    select=True,
)
if chosen is not None:
    ui.open_recommendation(chosen)
