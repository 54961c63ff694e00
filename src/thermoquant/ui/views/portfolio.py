"""组合与风控 / Portfolio and risk: the kill switch and reconciliation gate, positions, equity and drawdown, orders
and fills of paper and live accounts (read-only: changing the kill switch is a CLI action)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from thermoquant.jobs import dashboard as data
from thermoquant.ui import charts
from thermoquant.ui.source import load
from thermoquant.ui.widgets import chart, frame, header

STATE_TEXT = {"ACTIVE": "正常 ACTIVE", "REDUCING": "只减仓 REDUCING", "HALTED": "熔断 HALTED"}

header(
    "组合与风控 / Portfolio & risk",
    "熔断开关与对账状态（只读，修改请用 `tq` 命令行）、持仓、权益与回撤、委托与成交；回测的核心 / 卫星分仓见「回测」页",
)
book = load(data.portfolio)

st.subheader("风控状态 / Kill switch & reconciliation (trading_state)")
if book.risk.is_empty():
    st.info("尚无风控状态 / no trading state stored yet（模拟盘或实盘交易写入；修改请用 `tq` 命令行）")
else:
    cols = st.columns(min(4, book.risk.height))
    for col, r in zip(cols, book.risk.iter_rows(named=True), strict=False):
        ok = "对账通过 reconciled" if r.get("reconcile_ok") is not False else "待对账 blocked: reconcile"
        col.metric(f"账户 {r['account']}", STATE_TEXT.get(str(r.get("state")), str(r.get("state"))), ok)
    frame(book.risk, "", key="risk")
    st.caption("只读：熔断开关请用命令行修改 / read-only here: change the kill switch from the CLI")

st.subheader("持仓 / Positions (latest snapshot)")
if "sleeve" in book.positions.columns and book.positions.height:
    for sleeve, rows in book.positions.group_by("sleeve", maintain_order=True):
        st.markdown(
            f"**{ {'core': '核心 core', 'satellite': '卫星 satellite'}.get(str(sleeve[0]), str(sleeve[0])) }**"
        )
        frame(rows, "")
else:
    frame(
        book.positions,
        "尚无持仓 / no positions stored yet（交易循环写入 position_snapshot）",
        key="positions",
    )

st.subheader("权益与回撤 / Equity & drawdown")
if book.equity.is_empty():
    st.info("尚无权益记录 / no equity stored yet（交易循环收盘时写入 cash_snapshot）")
else:
    accounts = book.equity["account"].unique(maintain_order=True).to_list()
    account = st.selectbox("账户 account", accounts) if len(accounts) > 1 else accounts[0]
    sources = book.equity.filter(pl.col("account") == account)
    source = "book" if "book" in sources["source"].to_list() else sources["source"][0]
    curve = sources.filter(pl.col("source") == source)
    chart(
        charts.equity_drawdown(
            curve["snap_time"].to_list(), curve["equity"].to_numpy(), f"{account} 权益（{source}）"
        ),
        "equity",
    )

st.subheader("委托 / Orders")
frame(book.orders, "尚无委托 / no orders stored yet", key="orders")

st.subheader("成交 / Trades (paper & live)")
frame(
    book.trades,
    "trades 表没有模拟盘或实盘成交（回测成交见「回测」页）/ no paper or live trades yet; backtest trades are on the 回测 page",
    key="trades",
)
