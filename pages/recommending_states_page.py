"""Recommending states: a world map of who recommended what, bars by state and regional
group, and one chosen state's recommendations with their status (a page of them at a time, as
in the Explorer; the downloads hold the whole list)."""

import streamlit as st

from tracker import charts, columns, display_frames, explorer, exports, progress, queries, ui
from tracker.formats import number
from tracker.i18n import _

f, where = ui.page_header(_("Recommending states"))
# One cached call for the map, the state list and both bar charts.
breakdowns = ui.query(progress.state_breakdowns, f)
by_state, totals = breakdowns.by_state, breakdowns.totals
if totals.empty:
    ui.no_match()
    st.stop()

caption = ui.source_caption(f)
ui.plotly(
    charts.world_map(
        totals,
        _("Recommendations made, by recommending state — {where}").format(where=where),
        _("{caption}. Outlined: the state under review.").format(caption=caption)
        if f.states
        else caption,
        under_review=f.states,
    ),
    key="world_map",
)

n_states = st.slider(_("Recommending states shown"), 5, 60, 20, key="rs_top_states")
# As on the Progress page: ties ordered by the names shown (not the English ones), and the
# "other states" sum drawn apart (its bar, ten times the named ones, set the scale).
ui.plotly(
    charts.status_stack(
        progress.top_categories(by_state, "name", n_states, progress.state_name),
        "name",
        _("Recommendations by recommending state (top {n}), current status — {where}").format(
            n=n_states, where=where
        ),
        _("{caption}. A recommendation made by several states counts for each.").format(
            caption=caption
        ),
        label=progress.state_name,
        apart=progress.OTHER,
    ),
    key="rs_bars",
)
ui.plotly(
    charts.status_stack(
        breakdowns.by_group,
        "regional_group",
        _("Recommendations by regional group, current status — {where}").format(where=where),
        _("{caption}. A recommendation counts once per group.").format(caption=caption),
        label=charts.group_label,
    ),
    key="group_bars",
)

st.subheader(_("One recommending state"))
choices = progress.state_choices(totals)
ui.url_value("by", ui.parse_choice(choices), next(iter(choices)))
chosen = st.selectbox(
    _("Recommending state"), list(choices), format_func=lambda c: choices[c][1], key="by"
)
ui.keep_in_url("by", chosen, None)
if chosen:
    one = f.with_(recommending=(chosen,), regional_groups=())
    one_where = ui.filter_description(one)
    # The chart and the count side by side; the table below at full width, so that its
    # columns and the recommendation's text fit a 1440-px screen.
    left, right = st.columns(2)
    with left:
        ui.plotly(
            charts.status_bar(
                ui.query(queries.status_counts, one),
                _("Current status — {where}").format(where=one_where),
                caption,
            ),
            key="chosen_status",
        )
    with right:
        # The total from the status counts of the chart beside (the same cached query): the
        # table shows one page of the list, as the Explorer does, and the downloads the whole
        # of it. A recommending state's list runs to 17,000 rows on the full corpus; building
        # all of it on every view cost 1.75 s of a 3.5 s page run.
        total = int(ui.query(queries.status_counts, one)["count"].sum())
        st.markdown(
            _("**{n}** recommendations by {state}. Choose a row to open it.").format(
                n=number(total), state=ui.md_escape(choices[chosen][0])
            )
        )
        size = explorer.DEFAULT_PAGE_SIZE
        pages = explorer.page_count(total, size)
        # Another recommending state or filter starts again at page 1.
        page = ui.page_number("by_page", pages, one.cache_key())
    rows = ui.query(explorer.explorer_page, one, explorer.DEFAULT_SORT, False, page, size)
    shown = display_frames.labelled(rows)
    several = ui.query(columns.several_states, one)
    picked = ui.table(
        shown,
        columns.shown(shown, columns.BY_RECOMMENDING_STATE, several_states=several),
        key="chosen_table",
        select=True,
    )
    if picked is not None:
        ui.open_recommendation(picked)
    st.caption(
        _(
            "The downloads hold all {n} recommendations by {state} (not only this page), in "
            "the project's template, which can be imported again."
        ).format(n=number(total), state=ui.md_escape(choices[chosen][0]))
    )
    ui.downloads(
        ui.file_stem(f"upr-recommended-by-{chosen}", f),
        lambda s, fmt: exports.filtered_export(s, one, fmt),  # type: ignore[arg-type]
        key="chosen_download",
    )
