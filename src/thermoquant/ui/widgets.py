"""Small page helpers shared by the views: a frame or a plain "empty" note, a chart, a page header."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st


def header(title: str, caption: str) -> None:
    """The page title (Chinese first) and one line on what it shows."""
    st.title(title)
    st.caption(caption)


def frame(df: pl.DataFrame | None, empty: str, *, height: int | None = None, key: str | None = None) -> bool:
    """Show ``df`` as a table, or say plainly that it is empty (``empty``: which table, what fills it).
    Returns whether rows were shown."""
    if df is None or df.is_empty():
        st.info(empty)
        return False
    st.dataframe(df, hide_index=True, width="stretch", height=height or "auto", key=key)
    return True


def chart(fig: go.Figure, key: str) -> None:
    """A Plotly figure drawn by Streamlit's bundled plotly.js (no CDN), full width."""
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})
