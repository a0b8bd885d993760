"""UPR Tracker — the Streamlit entry point: a router and the shared sidebar.

Run with ``make run`` (or ``streamlit run app.py`` after ``python -m tracker init``).
"""

import streamlit as st

from tracker import ui
from tracker.i18n import _

st.set_page_config(page_title="UPR Tracker", page_icon="🇺🇳", layout="wide")

# The explicit page list (Streamlit treats pages/ as legacy auto-discovery otherwise).
# Page files end in "_page.py" so that no url_path equals a file name in pages/: when they
# are equal, Streamlit's legacy pages/ lookup wins on reruns under AppTest and the router
# (this file, with the shared sidebar) is skipped.
PAGES = [
    st.Page("pages/overview_page.py", title=_("Overview"), icon=":material/dashboard:", url_path="overview",
            default=True),
    st.Page("pages/import_data.py", title=_("Import"), icon=":material/upload_file:", url_path="import"),
]

page = st.navigation(PAGES)
ui.sidebar_filters()
ui.sample_banner()
page.run()
