"""UPR Tracker — the Streamlit entry point: a router and the shared sidebar.

Run with ``make run`` (or ``streamlit run app.py`` after ``python -m tracker init``).
"""

import streamlit as st

from tracker import private_files, ui
from tracker.i18n import _

private_files.private_umask()  # what the app writes (database, backups, key file) is 0600

st.set_page_config(page_title="UPR Tracker", page_icon="🇺🇳", layout="wide")
ui.init_language()  # ?lang=…, before any title is translated (the page list below too)

# The explicit page list (Streamlit treats pages/ as legacy auto-discovery otherwise).
# Page files end in "_page.py" so that no url_path equals a file name in pages/: when they
# are equal, Streamlit's legacy pages/ lookup wins on reruns under AppTest and the router
# (this file, with the shared sidebar) is skipped.
PAGES = [
    st.Page(
        "pages/overview_page.py",
        title=_("Overview"),
        icon=":material/dashboard:",
        # Served at "/" (the default page); its own url_path is reserved by Streamlit but
        # never shown, so "overview" is left free for the README's /overview (below).
        url_path="home",
        default=True,
    ),
    st.Page(
        "pages/progress_page.py",
        title=_("Progress"),
        icon=":material/stacked_bar_chart:",
        url_path="progress",
    ),
    st.Page(
        "pages/flagged_page.py", title=_("Flagged"), icon=":material/flag:", url_path="flagged"
    ),
    st.Page(
        "pages/explorer_page.py",
        title=_("Explorer"),
        icon=":material/table_rows:",
        url_path="explorer",
    ),
    st.Page(
        "pages/recommending_states_page.py",
        title=_("Recommending states"),
        icon=":material/public:",
        url_path="recommending-states",
    ),
    st.Page(
        "pages/meeting_page.py",
        title=_("Meeting"),
        icon=":material/groups:",
        url_path="meeting",
    ),
    # Reached from the tables and links (/recommendation?id=ID), not from the menu.
    st.Page(
        "pages/recommendation_page.py",
        title=_("Recommendation"),
        icon=":material/description:",
        url_path="recommendation",
        visibility="hidden",
    ),
    st.Page(
        "pages/report_page.py", title=_("Report"), icon=":material/article:", url_path="report"
    ),
    st.Page(
        "pages/snapshot_page.py",
        title=_("Snapshot"),
        icon=":material/photo_camera:",
        url_path="snapshot",
    ),
    st.Page(
        "pages/import_page.py", title=_("Import"), icon=":material/upload_file:", url_path="import"
    ),
    st.Page(
        "pages/activity_page.py",
        title=_("Activity"),
        icon=":material/history:",
        url_path="activity",
    ),
    st.Page("pages/users_page.py", title=_("Users"), icon=":material/group:", url_path="users"),
]


def _to_overview() -> None:
    """/overview (the README's URL; Streamlit serves the default page only at "/"): open
    the Overview at "/", keeping the filters and language of the link."""
    st.switch_page(PAGES[0], query_params=dict(st.query_params))


PAGES.append(st.Page(_to_overview, title=_("Overview"), url_path="overview", visibility="hidden"))

page = st.navigation(PAGES)
ui.language_switch()
ui.require_login()  # the login form (and stop) when accounts exist and nobody is logged in
ui.sidebar_filters()
ui.sample_banner()
page.run()
