"""CSI500 timing: signal dates pinned to the issue-6 rules by an independent loop written here from the rule text,
reference execution checked by hand on real data, ETF mode through the engine."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from thermoquant.backtest import csi500_data
from thermoquant.strategies import csi500_timing as csi


def _rows(path: Path) -> list[dict[str, float | dt.date]]:
    out = []
    with path.open() as fh:
        for r in csv.DictReader(fh):
            row: dict[str, float | dt.date] = {k: float(v) for k, v in r.items() if k != "trade_date"}
            row["date"] = dt.datetime.strptime(r["trade_date"], "%Y%m%d").date()
            out.append(row)
    return out


def rule_text_signals(rows: list[dict], dual: bool = False) -> list[tuple[dt.date, int]]:
    """The rules of issue 6, one by one, on the upstream MA columns of the file (not our MA code)."""
    out = []
    holding = None  # None / "Composite" / "FirstNeg"
    entry_day = entry_high = None
    for i in range(1, len(rows)):
        today, yday = rows[i], rows[i - 1]
        fell = today["close"] < yday["close"]
        if holding is None:
            # length of the run of consecutive up closes that ended yesterday
            run, j = 0, i - 1
            while j >= 1 and rows[j]["close"] > rows[j - 1]["close"]:
                run += 1
                j -= 1
            if today["breadth"] < 16:
                holding, entry_day, entry_high = "Composite", i, today["high"]
                out.append((today["date"], 1))
            elif (
                today["close"] > today["ma_10"]
                and run >= 3
                and fell
                and today["etf_turnover"] > 1.0
                and today["close"] > today["ma_5"]
                and today["close"] > today["ma_30"]
                and (not dual or today["heat_z"] > 1.5)
            ):
                holding, entry_day, entry_high = "FirstNeg", i, today["high"]
                out.append((today["date"], 1))
            continue
        if holding == "FirstNeg" and today["breadth"] < 16:
            holding = "Composite"
        sell = today["breadth"] > 79 and today["heat_z"] < 1.5
        if not sell and holding == "FirstNeg" and today["close"] < today["ma_30"]:
            never_above = all(rows[k]["close"] <= entry_high for k in range(entry_day, i + 1))
            sell = fell or (i - entry_day >= 5 and never_above)
        if sell:
            holding = None
            out.append((today["date"], -1))
    return out


@pytest.fixture(scope="module")
def reference(real_data: Path) -> tuple[list[dict], pl.DataFrame, dt.date]:
    path = real_data / "jerryz_csi500" / "strategy_data.csv"
    frame, first = csi500_data.strategy_frame(
        path, real_data / "derived" / "csi500_index_daily_2005_2026.csv"
    )
    return _rows(path), frame, first


def test_our_moving_averages_equal_upstream(reference) -> None:
    _, frame, first = reference
    f = csi.with_moving_averages(frame, csi.Csi500TimingParams()).filter(pl.col("trade_date") >= first)
    for ours, theirs in (("ma_support", "ref_ma_5"), ("ma_trend", "ref_ma_10"), ("ma_filter", "ref_ma_30")):
        assert (f[ours] - f[theirs]).abs().max() < 1e-8


@pytest.mark.parametrize("dual", [False, True])
def test_signal_dates_match_rule_text(reference, dual: bool) -> None:
    rows, frame, first = reference
    expected = rule_text_signals(rows, dual)
    sig = csi.signals(frame, csi.Csi500TimingParams(dual_check=dual), first)
    got = list(sig.filter(pl.col("signal") != 0).select("trade_date", "signal").iter_rows())
    assert got == expected
    assert len(expected) > 40  # real data produce a real signal history, both entries and exits
    assert sig["trade_date"].min() == dt.date(2019, 1, 2) and sig["trade_date"].max() == dt.date(2026, 3, 6)


def test_entry_logic_and_entry_high_recorded_once(reference) -> None:
    _, frame, first = reference
    sig = csi.signals(frame, csi.Csi500TimingParams(), first)
    logics = set(sig.filter(pl.col("signal") == 1)["logic"].to_list())
    assert logics == {"Composite", "FirstNeg"}
    # entry_high stays constant within a holding period and equals the entry day's high
    held = sig.with_columns((pl.col("signal") == 1).cum_sum().alias("trade"))
    for _, grp in held.filter(pl.col("logic") != "").group_by("trade"):
        assert grp["entry_high"].n_unique() == 1
    for r in sig.filter(pl.col("signal") == 1).iter_rows(named=True):
        assert r["entry_high"] == r["high"]


def test_reference_execution_returns_by_hand(reference) -> None:
    rows, frame, first = reference
    res = csi.reference_backtest(frame, csi.Csi500TimingParams(), first)
    daily = res.daily
    sig = daily["signal"].to_list()
    buy = sig.index(1)
    sell = buy + sig[buy:].index(-1)
    r = daily["strat_ret"].to_list()
    assert r[buy] == 0.0  # signal day: still flat
    assert r[buy + 1] == pytest.approx(rows[buy + 1]["close"] / rows[buy + 1]["open"] - 1 - 0.001)
    assert sell > buy + 1  # the first trade is held for more than one day (2019: 12 sessions)
    assert r[buy + 2] == pytest.approx(rows[buy + 2]["close"] / rows[buy + 1]["close"] - 1)
    assert r[sell + 1] == pytest.approx(rows[sell + 1]["open"] / rows[sell]["close"] - 1 - 0.001)
    bh = rows[-1]["close"] / rows[0]["close"] - 1
    s = res.summary()
    assert s["benchmark_total_return"] == pytest.approx(bh)
    assert s["total_return"] == pytest.approx(np.prod(1 + np.array(r)) - 1)
    assert s["trades"] == res.trades.height == sum(1 for x in sig if x == 1)
    closed = res.trades.filter(pl.col("closed"))
    assert s["win_rate"] == pytest.approx((closed["return"] > 0).mean())


def test_every_threshold_is_a_parameter(reference) -> None:
    _, frame, first = reference
    base = csi.signals(frame, csi.Csi500TimingParams(), first)
    looser = csi.signals(frame, dataclasses.replace(csi.Csi500TimingParams(), breadth_low=25.0), first)
    assert looser.filter(pl.col("signal") == 1).height != base.filter(pl.col("signal") == 1).height


def test_missing_column_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="breadth"):
        csi.signals(pl.DataFrame({"trade_date": [dt.date(2024, 1, 2)], "close": [1.0]}))


def test_etf_mode_through_engine(real_data: Path, reference) -> None:
    _, frame, first = reference
    etf = csi500_data.etf_bars(real_data / "sample" / "etf_510500_daily_2013_2026.csv")
    out = csi.run_etf(frame, etf, start=first, end=dt.date(2023, 12, 29))
    res = out.result
    fills = res.fills()
    assert (res.cash >= 0).all()
    assert set(fills["status"].to_list()) <= {"filled", "partial"}
    assert (fills["filled"].abs() % 100 == 0).all()  # ETF round lots
    assert fills["stamp_duty"].sum() == 0.0 and (fills["commission"] >= 5.0).all()
    # every fill is the next ETF session's open after an index signal
    sig_days = out.signals.filter(pl.col("signal") != 0)["trade_date"].to_list()
    etf_days = [d.astype(object) for d in res.dates.astype("datetime64[D]")]
    nxt = {etf_days[k]: etf_days[k + 1] for k in range(len(etf_days) - 1)}
    assert fills["date"].to_list() == [nxt[d] for d in sig_days if d in nxt][: fills.height]
    # the strategy is flat over the 2022-08-29 split (sold 08-25): the split is checked by holding through it below
    j = etf_days.index(dt.date(2022, 8, 29))
    assert res.positions[0, j - 1] == 0.0
    s = out.summary()
    assert -1 < s["max_drawdown"] < 0 and s["trades"] > 10


def test_demo_summary_on_the_bundled_sample() -> None:
    from thermoquant.backtest.csi500_data import sample_frame

    text = csi.demo_summary(*sample_frame())
    assert "2019-01-02 → 2026-03-06" in text
    assert "交易次数 trades        45" in text and "胜率 win rate          57.8%" in text
    assert "交易次数 trades        28" in text  # the dual check trades fewer times


def test_etf_split_2022_08_29_keeps_a_held_position_value(real_data: Path) -> None:
    """Held through the real 510500 1:1.1454 split, shares scale and value follows the adjusted price, not the raw
    bar's 12.7 % drop (7.22 → 6.30)."""
    from thermoquant.backtest.engine import EngineConfig, run_orders
    from thermoquant.backtest.rules import market_arrays

    etf = csi500_data.etf_bars(real_data / "sample" / "etf_510500_daily_2013_2026.csv")
    bars = etf.filter(pl.col("date").is_between(dt.date(2022, 8, 22), dt.date(2022, 9, 2)))
    splits = [(csi.ETF_SYMBOL, d, r, 0.0) for d, r in csi.ETF_510500_SHARE_EVENTS]
    m = market_arrays(bars, splits=splits)
    days = list(m.dates.astype(object))
    j = days.index(dt.date(2022, 8, 29))
    orders = pl.DataFrame({"symbol": [csi.ETF_SYMBOL], "date": [days[0]], "quantity": [100_000.0]})
    res = run_orders(m, orders, config=EngineConfig(init_cash=1_000_000.0))
    assert res.positions[0, j - 1] == 100_000.0
    assert res.positions[0, j] == np.floor(100_000 * 1.1454)
    close = bars["close"].to_numpy()
    assert (close[j - 1], close[j]) == (7.22, 6.3)  # the raw bars jump on the split day
    assert res.gross[j - 1] == pytest.approx(100_000 * 7.22)
    assert res.gross[j] == pytest.approx(np.floor(100_000 * 1.1454) * 6.3)
    # equity moves by the split-adjusted return (−0.05 %), not by the raw −12.7 %
    assert res.equity[j] / res.equity[j - 1] - 1 == pytest.approx(
        (np.floor(100_000 * 1.1454) * 6.3 - 100_000 * 7.22) / res.equity[j - 1], abs=1e-6
    )
    assert abs(res.equity[j] / res.equity[j - 1] - 1) < 0.001
