"""Progress: current status by cycle, theme, recommending state and regional group, over
time, for supported vs noted recommendations, and by type of source (each type's latest
public assessment: tracker.evidence).

Every breakdown and the status over time come from one cached call (progress.progress_data:
five grouped passes run at the same time instead of a query per chart), which also tells
whether anything matches."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from tracker import charts, evidence, progress, ui
from tracker.i18n import _
from tracker.vocab import source_type_label, theme_label

f, where = ui.page_header(_("Progress"))
data = ui.query(progress.progress_data, f)
breakdowns = data.breakdowns
if breakdowns.recommendations == 0:
    ui.no_match()
    st.stop()

caption = ui.source_caption(f)
mode = st.segmented_control(
    _("Bars show"),
    ["count", "share"],
    default="count",
    format_func=lambda m: _("Numbers") if m == "count" else _("Shares (100 %)"),
    key="progress_mode",
    required=True,
)
share = mode == "share"

left, right = st.columns(2)
with left:
    ui.plotly(
        charts.status_stack(
            breakdowns.by_cycle,
            "cycle",
            _("Current status by cycle — {where}").format(where=where),
            caption,
            label=charts.cycle_label,
            horizontal=False,
            share=share,
            width="half",
        ),
        key="by_cycle",
    )
with right:
    ui.plotly(
        charts.implementation_by_response(
            breakdowns.by_response,
            _("Implementation of supported and noted recommendations — {where}").format(
                where=where
            ),
            caption,
            width="half",
        ),
        key="by_response",
    )

history = data.history
if history.empty:
    st.info(_("No assessment history for these recommendations yet."), icon=":material/history:")
else:
    ui.plotly(
        charts.status_over_time(
            history,
            _("Status over time, share of the assessed recommendations — {where}").format(
                where=where
            ),
            _(
                "{caption}. At each date, each recommendation counts with its latest assessment."
            ).format(caption=caption),
        ),
        key="over_time",
    )

st.subheader(_("By theme"))
n_themes = st.slider(_("Themes shown"), 5, 40, 12, key="progress_top_themes")


def theme_name(t: str) -> str:
    """A theme's shown (translated) name."""
    return _("Other themes") if t == progress.OTHER else (theme_label(t) or _("(no theme)"))


def top_stack(
    frame: pd.DataFrame,
    column: str,
    n: int,
    label: Callable[[str], str],
    title: str,
    note: str,
    key: str,
) -> None:
    """The status of the ``n`` largest categories of ``column`` and of all the others
    together. Ties are ordered by the names shown; "other" is drawn apart (its bar set the
    scale)."""
    ui.plotly(
        charts.status_stack(
            progress.top_categories(frame, column, n, label),
            column,
            title,
            note,
            label=label,
            share=share,
            apart=progress.OTHER,
        ),
        key=key,
    )


top_stack(
    breakdowns.by_theme,
    "theme",
    n_themes,
    theme_name,
    _("Current status by theme (top {n} and other themes) — {where}").format(
        n=n_themes, where=where
    ),
    _("{caption}. A recommendation counts once under each of its themes.").format(caption=caption),
    "by_theme",
)

st.subheader(_("By recommending state and regional group"))
n_states = st.slider(_("Recommending states shown"), 5, 60, 15, key="progress_top_states")
top_stack(
    breakdowns.by_state,
    "name",
    n_states,
    progress.state_name,
    _("Current status by recommending state (top {n}) — {where}").format(n=n_states, where=where),
    _("{caption}. A recommendation made by several states counts for each.").format(
        caption=caption
    ),
    "by_state",
)
ui.plotly(
    charts.status_stack(
        breakdowns.by_group,
        "regional_group",
        _("Current status by regional group of the recommending states — {where}").format(
            where=where
        ),
        _("{caption}. A recommendation counts once per group.").format(caption=caption),
        label=charts.group_label,
        share=share,
    ),
    key="by_group",
)

st.subheader(_("By source type"))
by_source = ui.query(evidence.status_by_source_type, f)
if by_source.empty:
    st.info(_("No source has assessed these recommendations yet."), icon=":material/info:")
else:
    ui.plotly(
        charts.status_stack(
            by_source,
            "source_type",
            _("Status according to each type of source — {where}").format(where=where),
            _(
                "{caption}. Each type's latest assessment of each recommendation; a "
                "recommendation counts once under each type that assessed it. Private "
                "evidence is not counted."
            ).format(caption=caption),
            label=source_type_label,
            share=share,
        ),
        key="by_source_type",
    )
