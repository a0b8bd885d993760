"""UPR Tracker: the domain library.

Everything the Streamlit pages and the command line do goes through this package. It never
imports Streamlit, except in :mod:`tracker.ui`, the one glue package for the pages.
"""

__version__ = "0.1.0"
