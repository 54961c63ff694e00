"""Stable-layer alerts: each rule at its threshold, point in time (later announcements scrambled, nothing moves),
and the job's signals / alerts_log rows (deterministic ids, delivered left pending, never reset)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.signals.stable import StableParams, stable_alerts

D = dt.date
P = StableParams()


def _fin(rows: list[tuple]) -> pl.DataFrame:
    cols = ["symbol", "report_period", "ann_date", "net_profit", "profit_yoy", "dps", "payout_ratio"]
    return pl.DataFrame(rows, schema=dict(zip(cols, [pl.Utf8, pl.Date, pl.Date, *[pl.Float64] * 4], strict=True)),
                        orient="row")  # fmt: skip


def _rules(events: pl.DataFrame) -> list[tuple]:
    return events.select("symbol", "trigger_date", "rule").rows()


def test_profit_drop_needs_two_quarters_below_threshold() -> None:
    fin = _fin([
        ("A", D(2023, 6, 30), D(2023, 8, 30), None, -30.01, None, None),
        ("A", D(2023, 9, 30), D(2023, 10, 30), None, -30.01, None, None),
        ("B", D(2023, 6, 30), D(2023, 8, 30), None, -30.0, None, None),  # exactly −30 %: not below
        ("B", D(2023, 9, 30), D(2023, 10, 30), None, -50.0, None, None),
    ])  # fmt: skip
    ev = stable_alerts(fin, None, D(2023, 1, 1), D(2023, 12, 31))
    assert _rules(ev) == [("A", D(2023, 10, 30), "profit_drop")]
    assert ev["alert_id"].item() == "stable:profit_drop:A:2023-09-30"
    assert "-30.01%" in ev["message"].item()


def test_profit_yoy_from_net_profit_known_at_the_announcement() -> None:
    fin = _fin([
        ("A", D(2022, 6, 30), D(2022, 8, 20), 100.0, None, None, None),
        ("A", D(2022, 9, 30), D(2022, 10, 20), 200.0, None, None, None),
        ("A", D(2023, 6, 30), D(2023, 8, 20), 60.0, None, None, None),  # −40 %
        ("A", D(2023, 9, 30), D(2023, 10, 20), 120.0, None, None, None),  # −40 %
        # a restatement of 2022Q3 announced after the 2023Q3 report: not known on 2023-10-20
        ("A", D(2022, 9, 30), D(2023, 12, 1), 130.0, None, None, None),
    ])  # fmt: skip
    ev = stable_alerts(fin, None, D(2023, 1, 1), D(2023, 11, 30))
    assert _rules(ev) == [("A", D(2023, 10, 20), "profit_drop")]
    assert ev["figures"].item()["yoy"] == pytest.approx(-40.0)


def test_payout_and_dividend_rules() -> None:
    fin = _fin([
        ("A", D(2021, 12, 31), D(2022, 4, 20), None, None, 0.50, 29.9),
        ("A", D(2022, 12, 31), D(2023, 4, 20), None, None, 0.40, 29.9),  # payout low twice; dps cut
        ("B", D(2021, 12, 31), D(2022, 4, 20), None, None, 0.50, 30.0),
        ("B", D(2022, 12, 31), D(2023, 4, 20), None, None, 0.00, 10.0),  # payout 30 % is not below; suspended
        ("C", D(2021, 12, 31), D(2022, 4, 20), None, None, 0.50, None),
        ("C", D(2022, 12, 31), D(2023, 4, 20), None, None, None, None),  # dps unknown: no alert
    ])  # fmt: skip
    ev = stable_alerts(fin, None, D(2023, 1, 1), D(2023, 12, 31))
    assert _rules(ev) == [("A", D(2023, 4, 20), "dividend_cut"), ("A", D(2023, 4, 20), "payout_low"),
                          ("B", D(2023, 4, 20), "dividend_suspended")]  # fmt: skip
    cut = stable_alerts(fin, None, D(2023, 1, 1), D(2023, 12, 31), StableParams(dividend_cut=0.2))
    assert ("A", D(2023, 4, 20), "dividend_cut") not in _rules(cut)  # 20 % cut is not more than 20 %


def test_valuation_spike_by_rise_and_percentile_fires_once() -> None:
    days = [D(2023, 1, 2) + dt.timedelta(days=i) for i in range(30)]
    pe = [10.0] * 20 + [13.01] * 10  # up 30.1 % against 20 sessions earlier on day 20
    val = pl.DataFrame({"symbol": "A", "trade_date": days, "pe_ttm": pe, "pb": [1.0] * 30})
    ev = stable_alerts(None, val, days[0], days[-1], StableParams(spike_min_history=1000))
    assert _rules(ev) == [("A", days[20], "pe_spike")]  # on while it holds, raised once
    flat = val.with_columns(pl.Series("pe_ttm", [10.0] * 20 + [12.99] * 10))  # +29.9 %
    assert stable_alerts(None, flat, days[0], days[-1], StableParams(spike_min_history=1000)).is_empty()
    pct = stable_alerts(None, flat, days[0], days[-1], StableParams(spike_min_history=20, spike_rise=9.0))
    # day 20: 12.99 ranks at the top of 21 rows (100 % > 90 %); day 21 on: still on, no new event
    assert _rules(pct) == [("A", days[20], "pe_spike")]


def _scramble(frame: pl.DataFrame, after: dt.date, date_col: str, cols: list[str], seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    later = pl.col(date_col) > after
    return frame.with_columns(
        pl.when(later)
        .then(pl.lit(pl.Series(c, rng.normal(0, 50, frame.height))))
        .otherwise(pl.col(c))
        .alias(c)
        for c in cols
    )


def test_point_in_time_scrambling_later_rows_moves_nothing(real_data) -> None:
    from thermoquant.data.sources.csv import read_file

    result = read_file(real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet")
    val = result.extra_tables["daily_valuation"].select("symbol", "trade_date", "pe_ttm", "pb")
    start, end = D(2023, 1, 1), D(2023, 6, 30)
    base = stable_alerts(None, val, start, end)
    assert base.height > 20
    moved = _scramble(val, end, "trade_date", ["pe_ttm", "pb"], 1)
    assert not moved.equals(val)
    assert stable_alerts(None, moved, start, end).drop("figures").equals(base.drop("figures"))
    fin = _fin([
        ("A", D(2022, 12, 31), D(2023, 4, 20), 80.0, -35.0, 0.1, 20.0),
        ("A", D(2023, 3, 31), D(2023, 4, 28), 20.0, -40.0, None, None),
        ("A", D(2023, 6, 30), D(2023, 8, 28), 30.0, -45.0, None, None),
        ("A", D(2023, 3, 31), D(2023, 9, 1), 25.0, 10.0, None, None),  # restated later
    ])  # fmt: skip
    before = stable_alerts(fin, None, start, end)
    assert _rules(before) == [("A", D(2023, 4, 28), "profit_drop")]
    later = _scramble(fin, end, "ann_date", ["net_profit", "profit_yoy", "dps", "payout_ratio"], 2)
    assert stable_alerts(later, None, start, end).drop("figures").equals(before.drop("figures"))


def test_profit_drop_on_real_resset_ratios_at_statutory_deadlines(real_data) -> None:
    from thermoquant.data.sources.csv import read_file

    result = read_file(real_data / "doris_sw_resset" / "resset_finratio_6stocks_2012_2023.csv")
    assert result.layout == "resset_finratio" and not result.rejected and result.frame.height == 213
    fin = result.frame
    deadlines = dict(fin.select(pl.col("report_period").dt.month(), pl.col("ann_date").dt.strftime("%m-%d"))
                     .unique().iter_rows())  # fmt: skip
    assert deadlines == {3: "04-30", 6: "08-31", 9: "10-31", 12: "04-30"}
    ev = stable_alerts(fin, None, D(2023, 1, 1), D(2023, 12, 31))
    hit = ev.filter(pl.col("symbol") == "300605.SZ")
    # 300605 in the file: 扣非 growth −90.9712 % (2023H1) then −71.4335 % (2023Q3); Q3 due by 2023-10-31
    assert hit.select("trigger_date", "rule").rows() == [(D(2023, 10, 31), "profit_drop")]
    assert hit["figures"].item()["yoy"] == -71.4335 and hit["figures"].item()["yoy_prev_quarter"] == -90.9712
