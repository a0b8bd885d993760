"""Overview: headline numbers, status breakdown, supported vs noted, flags, latest assessment."""

import datetime as dt

import streamlit as st

from tracker import charts, display_frames, flags, queries, review_calendar, ui
from tracker.formats import number
from tracker.i18n import _, label_value
from tracker.vocab import Status, status_label

OVERVIEW_LIST_LIMIT = 50  # the Flagged page has the whole list

f, where = ui.page_header(_("Overview"))

counted = ui.query(queries.overview, f)
figures = counted.figures
if figures["recommendations"] == 0:
    ui.no_match()
    st.stop()

resp = figures["by_response"]
by_status = figures["by_status"]
latest = ui.query(queries.latest_assessment_date, f)
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(_("Recommendations"), number(figures["recommendations"]))
c2.metric(_("Supported"), number(resp.get("supported", 0)))
c3.metric(_("Noted"), number(resp.get("noted", 0)))
c4.metric(
    status_label(Status.PARTIALLY_IMPLEMENTED), number(by_status[Status.PARTIALLY_IMPLEMENTED])
)
c5.metric(_("Latest assessment"), latest.isoformat() if latest else _("none yet"))
st.caption(
    _(
        "Reviews: {reviews} · States under review: {states} · Recommending states: {rs} · "
        "Assessments: {n}"
    ).format(
        reviews=number(figures["reviews"]),
        states=number(figures["states_under_review"]),
        rs=number(figures["recommending_states"]),
        n=number(figures["assessments"]),
    )
)

for name, sentence in ui.query(review_calendar.next_review_lines, f, dt.date.today()):
    st.info(f"**{name}** · {sentence}", icon=":material/event:")

opts = flags.FlagOptions(today=f.as_of or dt.date.today())  # as flags.flag_counts counts
counts = ui.query(flags.flag_counts, f, opts)
st.subheader(_("Needs attention"))
# One row that wraps (five equal columns cut "Partially implemented: 14" to "…: 1"); the gap
# is also the one between wrapped rows: "large" (4rem) left the second row floating apart.
with st.container(horizontal=True, gap="medium"):
    for flag, n in counts.items():
        st.page_link(
            "pages/flagged_page.py",
            label=label_value(flags.flag_label(flag), f"**{number(n)}**"),
            icon=":material/flag:",
            query_params={"flag": flag},
            help=flags.flag_help(flag, opts.stale_months),
        )

caption = ui.source_caption(f)
left, right = st.columns(2)
with left:
    ui.plotly(
        charts.status_bar(
            counted.status_counts,
            _("Current status — {where}").format(where=where),
            caption,
        ),
        key="status_chart",
    )
with right:
    ui.plotly(
        charts.response_status_bar(
            counted.response_status,
            _("Supported and noted, by status — {where}").format(where=where),
            caption,
        ),
        key="response_chart",
    )

n_partial = by_status[Status.PARTIALLY_IMPLEMENTED]
st.subheader(_("Partially implemented: {n}").format(n=number(n_partial)))
if n_partial:
    partial = ui.query(
        queries.recommendations_frame,
        f.with_(statuses=(Status.PARTIALLY_IMPLEMENTED.value,)),
        limit=OVERVIEW_LIST_LIMIT,
    )
    with st.expander(
        _("List the {n} partially implemented recommendations").format(n=number(n_partial)),
        expanded=n_partial <= 10,
    ):
        if n_partial > OVERVIEW_LIST_LIMIT:
            st.caption(
                _(
                    "The first {shown} of {n}; the Flagged page lists and downloads them all."
                ).format(shown=OVERVIEW_LIST_LIMIT, n=number(n_partial))
            )
        ui.table(
            display_frames.labelled(partial),
            ["link", "state", "cycle", "text", "recommending_states", "assessed_on", "evidence"],
            key="partial_table",
        )
        st.page_link(
            "pages/flagged_page.py",
            label=_("Group them by theme and cycle, download the list"),
            icon=":material/arrow_forward:",
            query_params={"flag": flags.Flag.PARTIAL.value},
        )
