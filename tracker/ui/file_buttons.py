"""Download buttons side by side for the files a page makes (minutes, snapshot, report)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

MIME_TYPES = {
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown",
    "pdf": "application/pdf",
    "png": "image/png",
}


@dataclass(frozen=True)
class Download:
    """One file of a :func:`download_row`: ``data`` is bytes, or a function making them
    when the button is clicked (so that an expensive file costs nothing on a rerun)."""

    label: str
    data: bytes | Callable[[], bytes]
    extension: str  # a key of MIME_TYPES: the file name's ending and its type
    key: str
    icon: str = ":material/download:"
    primary: bool = False


def download_row(stem: str, files: Sequence[Download]) -> None:
    """A row of download buttons, one per file, each named ``{stem}.{extension}``."""
    with st.container(horizontal=True, gap="small"):
        for f in files:
            st.download_button(
                f.label,
                f.data,
                file_name=f"{stem}.{f.extension}",
                mime=MIME_TYPES[f.extension],
                key=f.key,
                on_click="ignore",
                icon=f.icon,
                type="primary" if f.primary else "secondary",
            )


__all__ = ["MIME_TYPES", "Download", "download_row"]
