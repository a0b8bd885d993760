"""Recommending states: a world map of who recommended what, bars by state and regional
group, and one chosen state's recommendations with their status."""

import streamlit as st

from tracker import charts, progress, queries, tables, ui
from tracker.i18n import _
from tracker.states import shown_name

f, where = ui.page_header(_("Recommending states"))
totals = ui.query(progress.recommending_state_totals, f)
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
ui.plotly(
    charts.status_stack(
        progress.top_categories(
            ui.query(progress.status_by_recommending_state, f), "name", n_states
        ),
        "name",
        _("Recommendations by recommending state (top {n}), current status — {where}").format(
            n=n_states, where=where
        ),
        _("{caption}. A recommendation made by several states counts for each.").format(
            caption=caption
        ),
        label=lambda c: _("Other states") if c == progress.OTHER else shown_name(c),
    ),
    key="rs_bars",
)
ui.plotly(
    charts.status_stack(
        ui.query(progress.status_by_regional_group, f),
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
        rows = ui.query(queries.recommendations_frame, one)
        st.markdown(
            _("**{n}** recommendations by {state}. Choose a row to open it.").format(
                n=f"{len(rows):,}", state=ui.md_escape(choices[chosen][0])
            )
        )
        picked = ui.table(
            tables.labelled(rows),
            ["link", "state", "cycle", "text", "response", "status", "assessed_on"],
            key="chosen_table",
            select=True,
        )
        if picked is not None:
            ui.open_recommendation(picked)
