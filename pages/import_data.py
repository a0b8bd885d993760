"""Import (placeholder until the importers land in this session)."""
import streamlit as st
st.title("Import")
