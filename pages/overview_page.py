"""Overview: headline numbers, status breakdown and the partially implemented items."""

import streamlit as st

from tracker import charts, queries, ui
from tracker.i18n import _
from tracker.vocab import Status, status_label

f = ui.current_filters()
where = ui.filter_description(f)
st.title(_("Overview"))
st.caption(where)

figures = ui.query(queries.stats, f)
if figures["recommendations"] == 0:
    st.info(_("No recommendations match these filters."))
    st.stop()

resp = figures["by_response"]
by_status = figures["by_status"]
latest = ui.query(queries.latest_assessment_date, f)
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(_("Recommendations"), f"{figures['recommendations']:,}")
c2.metric(_("Supported"), f"{resp.get('supported', 0):,}")
c3.metric(_("Noted"), f"{resp.get('noted', 0):,}")
c4.metric(status_label(Status.PARTIALLY_IMPLEMENTED),
          f"{by_status[Status.PARTIALLY_IMPLEMENTED]:,}")
c5.metric(_("Latest assessment"), latest.isoformat() if latest else _("none yet"))

as_of = latest.isoformat() if latest else _("no assessment yet")
caption = _("Source: UPR Tracker database, current status = latest assessment; as of {date}"
            ).format(date=as_of)
left, right = st.columns(2)
with left:
    ui.plotly(charts.status_bar(ui.query(queries.status_counts, f),
                               _("Current status — {where}").format(where=where), caption),
              key="status_chart")
with right:
    ui.plotly(charts.response_status_bar(ui.query(queries.response_status_counts, f),
                                         _("Supported and noted, by status — {where}").format(
                                             where=where), caption),
              key="response_chart")

n_partial = by_status[Status.PARTIALLY_IMPLEMENTED]
st.subheader(_("Partially implemented: {n}").format(n=n_partial))
if n_partial:
    partial = ui.query(queries.recommendations_frame,
                       f.with_(statuses=(Status.PARTIALLY_IMPLEMENTED.value,)))
    with st.expander(_("List the {n} partially implemented recommendations").format(
            n=n_partial), expanded=n_partial <= 10):
        st.dataframe(
            partial[["id", "state", "cycle", "session", "text", "recommending_states",
                     "assessed_on", "source_org", "evidence"]],
            hide_index=True,
            column_config={
                "id": st.column_config.NumberColumn(_("Id"), format="%d"),
                "state": _("State under review"),
                "cycle": st.column_config.NumberColumn(_("Cycle"), format="%d"),
                "session": st.column_config.NumberColumn(_("Session"), format="%d"),
                "text": st.column_config.TextColumn(_("Recommendation"), width="large"),
                "recommending_states": _("Recommended by"),
                "assessed_on": st.column_config.DateColumn(_("Assessed on")),
                "source_org": _("Source"),
                "evidence": st.column_config.TextColumn(_("Evidence"), width="large"),
            },
        )
