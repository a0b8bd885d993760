"""The floor of a page's script run (bench/page_times.py): a page that only shows a title,
run by AppTest like the app's pages. What Streamlit costs per run, whatever a page does."""

import streamlit as st

st.title("UPR Tracker")
