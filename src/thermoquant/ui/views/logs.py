"""任务与日志 / Jobs and logs: job_log, alerts_log, audit_log, data coverage (what `tq db info` prints) and the
trading calendar's status."""

from __future__ import annotations

import polars as pl
import streamlit as st

from thermoquant.jobs import dashboard as data
from thermoquant.ui.source import database_url, load
from thermoquant.ui.widgets import frame, header

header("任务与日志 / Jobs & logs", "任务记录、预警与审计日志、各表数据覆盖（同 `tq db info`）、交易日历状态")
logs = load(data.logs)

status = logs.calendar
show = {"ok": st.success, "warn": st.warning, "fail": st.error}[status.level]
show(status.message)

tab_jobs, tab_cov, tab_alerts, tab_audit = st.tabs(
    ["任务 job_log", "数据覆盖 coverage", "预警 alerts_log", "审计 audit_log"]
)
with tab_jobs:
    if logs.jobs.height:
        failed = (
            logs.jobs.filter(pl.col("status").is_in(["failed", "interrupted"])).height
            if "status" in logs.jobs.columns
            else 0
        )
        a, b = st.columns(2)
        a.metric("最近任务 jobs shown", f"{logs.jobs.height:,}")
        b.metric("失败 failed", f"{failed:,}")
    frame(logs.jobs, "job_log 表为空 / no jobs recorded yet", key="jobs")
with tab_cov:
    from thermoquant.secrets import mask_url

    st.caption(f"数据库 database: {mask_url(database_url())}")
    cov = logs.coverage.select("table", "exists", "rows", "first_date", "last_date", "doc")
    frame(cov, "no tables", key="coverage")
with tab_alerts:
    frame(logs.alerts, "alerts_log 表为空 / no alerts logged yet", key="alerts")
with tab_audit:
    frame(logs.audit, "audit_log 表为空 / no audit events yet（交易与风控操作写入）", key="audit")
