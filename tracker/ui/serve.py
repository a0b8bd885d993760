"""Starting the app's web server in this process (``python -m tracker serve``)."""

from __future__ import annotations

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli as streamlit_cli

from tracker import settings


def serve(streamlit_args: list[str]) -> int:
    """Run the app's server in this process: ``streamlit run app.py ARGS``.

    Streamlit decides at its first script run whether the app uses the legacy ``pages/``
    folder (it does while ``st.navigation`` has not yet run in the process), so the very first
    visit to a deep link such as ``/recommendation?id=5`` after a start would show "Page not
    found". Starting the server through this function tells Streamlit up front that the app
    routes with ``st.navigation``.
    """
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(settings.PROJECT_ROOT / "app.py"), *streamlit_args]
    return int(streamlit_cli.main(standalone_mode=False) or 0)
