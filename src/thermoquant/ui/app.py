"""Entry point of `tq ui`: ``streamlit run`` this file. Pages in ``views/``; Chinese first, English after."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

#: (file in views/, title, URL path, icon) of every page, in menu order.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("overview.py", "市场总览 Market", "overview", ":material/thermostat:"),
    ("stock.py", "个股 Stock", "stock", ":material/candlestick_chart:"),
    ("signals.py", "信号与评分 Signals", "signals", ":material/target:"),
    ("portfolio.py", "组合与风控 Portfolio", "portfolio", ":material/account_balance_wallet:"),
    ("backtest.py", "回测 Backtests", "backtest", ":material/science:"),
    ("logs.py", "任务与日志 Jobs & logs", "logs", ":material/receipt_long:"),
)

st.set_page_config(page_title="thermoquant 看板", page_icon=":material/thermostat:", layout="wide")
navigation = st.navigation(
    [
        st.Page(HERE / "views" / file, title=title, url_path=path, icon=icon, default=i == 0)
        for i, (file, title, path, icon) in enumerate(PAGES)
    ]
)
navigation.run()
