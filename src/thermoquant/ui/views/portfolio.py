"""组合与风控 / Portfolio and risk: positions by sleeve, equity and drawdown, trades, the risk state and kill switch
(read-only: changing it is a CLI action)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from thermoquant.jobs import dashboard as data
from thermoquant.ui import charts
from thermoquant.ui.source import load
from thermoquant.ui.widgets import chart, frame, header

header(
    "组合与风控 / Portfolio & risk",
    "持仓（核心 / 卫星）、权益与回撤、成交、风控状态与熔断开关（只读，修改请用命令行）",
)
book = load(data.portfolio)

st.subheader("风控状态 / Risk state & kill switch")
if book.risk is None or book.risk.is_empty():
    st.info("尚无风控状态表或记录 / no risk state stored yet（交易模块写入；修改请用 `tq` 命令行）")
else:
    frame(book.risk, "")
    st.caption("只读：熔断开关请用命令行修改 / read-only here: change the kill switch from the CLI")

st.subheader("持仓 / Positions")
if book.positions is None or book.positions.is_empty():
    st.info("尚无持仓 / no positions stored yet（模拟盘或实盘交易写入 positions）")
elif "sleeve" in book.positions.columns:
    for sleeve, rows in book.positions.group_by("sleeve", maintain_order=True):
        label = {"core": "核心 core", "satellite": "卫星 satellite"}.get(str(sleeve[0]), str(sleeve[0]))
        st.markdown(f"**{label}** — {rows.height} 只 positions")
        frame(rows, "")
else:
    frame(book.positions, "")

st.subheader("权益与回撤 / Equity & drawdown")
eq = book.equity
value_col = next(
    (c for c in ("equity", "total_asset", "nav", "value") if eq is not None and c in eq.columns), None
)
date_col = next(
    (c for c in ("trade_date", "date", "as_of", "ts") if eq is not None and c in eq.columns), None
)
if eq is None or eq.is_empty() or value_col is None or date_col is None:
    st.info("尚无权益记录 / no equity stored yet（交易循环收盘时写入）")
else:
    eq = eq.sort(date_col)
    chart(
        charts.equity_drawdown(eq[date_col].to_list(), eq[value_col].to_numpy(), "账户权益 account equity"),
        "equity",
    )

st.subheader("委托 / Orders")
if book.orders is None or book.orders.is_empty():
    st.info("尚无委托 / no orders stored yet")
else:
    frame(book.orders, "")

st.subheader("成交 / Trades (paper & live)")
frame(
    book.trades if book.trades.height else pl.DataFrame(),
    "trades 表没有模拟盘或实盘成交（回测成交见「回测」页）/ no paper or live trades yet; backtest trades are on the 回测 page",
)
