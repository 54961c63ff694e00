"""Entry point of `tq ui`: ``streamlit run`` this file. Pages in ``views/``; Chinese first, English after."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

#: (file in views/, title, URL path) of every page, in menu order. No icons: Streamlit turns a page's
#: ":material/…:" icon into a favicon fetched from fonts.gstatic.com, and nothing may come from a CDN.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview.py", "市场总览 Market", "overview"),
    ("stock.py", "个股 Stock", "stock"),
    ("signals.py", "信号与评分 Signals", "signals"),
    ("portfolio.py", "组合与风控 Portfolio", "portfolio"),
    ("backtest.py", "回测 Backtests", "backtest"),
    ("logs.py", "任务与日志 Jobs & logs", "logs"),
)

st.set_page_config(page_title="thermoquant 看板", layout="wide")
navigation = st.navigation(
    [
        st.Page(HERE / "views" / file, title=title, url_path=path, default=i == 0)
        for i, (file, title, path) in enumerate(PAGES)
    ]
)
navigation.run()
