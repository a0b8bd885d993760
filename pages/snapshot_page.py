"""Snapshot: one country's headline numbers and three charts in one 16:9 image (PNG,
1920 × 1080) or a one-page PDF, ready to paste into a donor report."""

from collections.abc import Callable

import streamlit as st

from tracker import queries, snapshot, ui
from tracker.errors import ValidationError
from tracker.i18n import _, long_date
from tracker.states import shown_name

PREVIEW_SCALE = 0.56  # the page shows the snapshot at about the width of the main column

st.title(_("Country snapshot"))
st.caption(
    _(
        "Headline numbers and three charts for one state under review, composed into one "
        "16:9 image (1920 × 1080 px) or a one-page PDF for a donor report or a slide."
    )
)

state_df = ui.query(queries.states_under_review)
if state_df.empty:
    st.info(_("Import recommendations first: the database holds none yet."))
    st.stop()
names = dict(zip(state_df["iso3"], state_df["name"], strict=True))
if st.session_state.get("snap_state") not in names:
    chosen = [s for s in ui.current_filters().states if s in names]
    st.session_state["snap_state"] = chosen[0] if chosen else state_df["iso3"].iloc[0]
iso3 = st.selectbox(
    _("State under review"),
    list(names),
    key="snap_state",
    format_func=lambda c: shown_name(names.get(c, c)),
)

try:
    data = ui.query(snapshot.snapshot_data, iso3, as_of=ui.current_filters().as_of)
except ValidationError as exc:
    st.error(ui.md_escape(str(exc)), icon=":material/error:")
    st.stop()


def _maker(fmt: str) -> Callable[[], bytes]:
    # The full-size figure is composed on click only (0.3 s per run otherwise).
    return lambda: snapshot.snapshot_image(snapshot.snapshot_figure(data), fmt)


stem = f"upr-snapshot-{iso3.lower()}"
ui.download_row(
    stem,
    [
        ui.Download(
            _("PNG image (1920 × 1080)"),
            _maker("png"),
            "png",
            "snap_png",
            icon=":material/image:",
            primary=True,
        ),
        ui.Download(
            _("PDF (one page)"), _maker("pdf"), "pdf", "snap_pdf", icon=":material/picture_as_pdf:"
        ),
    ],
)
if data.is_sample:
    st.warning(
        _("This state's records include sample data: the images are watermarked “sample data”."),
        icon=":material/science:",
    )
if not data.organisation:
    st.info(
        _("Set your organisation's name on the Report page to have “Prepared by …” on the images."),
        icon=":material/badge:",
    )

# The same layout at a smaller scale: nothing is rendered on the server until a download.
st.plotly_chart(
    snapshot.snapshot_figure(data, scale=PREVIEW_SCALE),
    config={**ui.PLOTLY_CONFIG, "staticPlot": True},
    theme=None,
    width="content",
    key="snap_preview",
)
st.caption(
    _("Source: UPR Tracker database; status as of {date}.").format(
        date=long_date(data.as_of) if data.as_of else _("no assessment yet")
    )
)
