"""The thermo strategy: each life-cycle transition on hand-made bars, the point-in-time B filter, param packs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from thermoquant.signals import lifecycle_nb as lc
from thermoquant.strategies.base import Panel
from thermoquant.strategies.registry import get_strategy
from thermoquant.strategies.thermo import param_rows, run_book
from thermoquant.strategies.thermo_params import PER_STOCK, ThermoStrategyParams

P = ThermoStrategyParams()


class Bars:
    """One stock's hand-made physics bars; defaults describe a quiet, fuelled, flat stock ("有量无价")."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.close = np.full(n, 10.0)
        self.t_i = np.full(n, 10.0)
        self.dt = np.full(n, 0.005)
        self.k = np.full(n, 0.3)
        self.vr = np.full(n, 1.1)
        self.tau = np.full(n, 0.02)
        self.q_below = np.linspace(0.2, 0.4, n)
        self.bottom = np.full(n, 0.3)
        self.top = np.full(n, 0.05)

    def run(self, params: ThermoStrategyParams = P, from_cold: bool = True) -> dict[str, np.ndarray]:
        prm = np.repeat(np.array([float(getattr(params, c)) for c in PER_STOCK])[None, :], self.n, axis=0)
        state, days, event, ignite, buy, stop = lc.lifecycle_batch(
            np.array([0, self.n], dtype=np.int64), self.close, self.t_i, self.dt, self.k, self.vr, self.tau,
            self.q_below, self.bottom, self.top, prm, from_cold, params.burnout_exhaustion,
            params.burnout_turnover_rule,
        )  # fmt: skip
        return {"state": state, "days": days, "event": event, "ignite": ignite, "buy": buy, "stop": stop}

    def ignite_at(self, t: int) -> None:
        """A ΔT jump across ignition_dt with K and volume in range, then T_i rising and ΔT > 0 (steady)."""
        self.dt[t] = 0.03
        self.k[t] = 2.0
        self.vr[t] = 1.5
        self.t_i[t:] = 10.0 + 0.1 * np.arange(self.n - t)
        self.dt[t + 1 :] = 0.02
        self.k[t + 1 :] = 1.0
        self.close[t:] = self.t_i[t:] * 1.02


def test_quiet_fuelled_stock_enters_cold_storage_after_the_window() -> None:
    b = Bars(30)
    out = b.run()
    w = P.cold_window
    assert (out["state"][: w - 1] == lc.NONE).all()  # the window is not full yet
    assert out["state"][w - 1] == lc.A and out["event"][w - 1] == lc.EV_COLD
    assert out["days"][w + 3] == 5


def test_no_cold_storage_without_fuel_piling_up() -> None:
    b = Bars(30)
    b.q_below[:] = 0.3  # fuel flat: gain 0 is not > cold_fuel_gain
    assert (b.run()["state"] == lc.NONE).all()


def test_ignition_from_cold_then_steady_combustion() -> None:
    b = Bars(40)
    b.ignite_at(20)
    out = b.run()
    assert out["state"][19] == lc.A
    assert out["state"][20] == lc.B and out["event"][20] == lc.EV_IGNITE and out["ignite"][20]
    assert out["state"][21] == lc.C and out["event"][21] == lc.EV_STEADY
    assert out["days"][25] == 5


def test_ignition_outside_cold_storage_needs_from_cold_off() -> None:
    b = Bars(40)
    b.q_below[:] = 0.3  # never cold
    b.ignite_at(20)
    assert b.run()["state"][20] == lc.NONE
    assert b.run(from_cold=False)["state"][20] == lc.B


def test_buy_point_on_pullback_with_shrinking_volume() -> None:
    b = Bars(40)
    b.ignite_at(20)
    b.dt[30] = 0.004  # back at T_i
    b.vr[30] = 0.6  # on shrinking volume
    out = b.run()
    assert out["state"][30] == lc.C and out["buy"][30]
    assert not out["buy"][29]


@pytest.mark.parametrize(
    ("change", "event"),
    [
        ("exhaustion", lc.EV_EXHAUST),
        ("turnover", lc.EV_TURNOVER),
        ("drawdown", lc.EV_DRAWDOWN),
    ],
)
def test_steady_combustion_burns_out_by_each_rule(change: str, event: int) -> None:
    b = Bars(45)
    b.ignite_at(20)
    t = 35
    if change == "exhaustion":
        b.bottom[t:] = 0.01
        b.top[t:] = 0.5
        b.k[t - P.k_trend_days + 1 :] = 0.1
    elif change == "turnover":
        b.tau[t] = 0.3
    else:
        b.close[t:] = b.close[t - 1] * (1 - P.steady_drawdown - 0.01)
    out = b.run()
    assert out["state"][t - 1] == lc.C
    assert out["state"][t] == lc.D and out["event"][t] == event


def test_burnout_rules_can_be_switched_off() -> None:
    b = Bars(45)
    b.ignite_at(20)
    b.tau[35] = 0.3
    out = b.run(ThermoStrategyParams(burnout_turnover_rule=False))
    assert out["state"][35] == lc.C


def test_physical_stop_after_dt_below_zero_for_more_than_stop_days() -> None:
    b = Bars(45)
    b.ignite_at(20)
    b.dt[30:] = -0.01
    out = b.run()
    last_c = 30 + P.stop_days - 1
    assert out["state"][last_c] == lc.C and not out["stop"][last_c]
    assert out["stop"][last_c + 1] and out["state"][last_c + 1] == lc.NONE
    assert out["event"][last_c + 1] == lc.EV_STOP


def test_ignition_that_never_reaches_steady_fails() -> None:
    b = Bars(45)
    b.ignite_at(20)
    b.t_i[21:] = 9.0  # T_i not rising: no steady combustion
    out = b.run()
    t = 20 + P.ignition_max_days
    assert (out["state"][20:t] == lc.B).all()
    assert out["state"][t] == lc.NONE and out["event"][t] == lc.EV_FAILED


def test_cold_storage_is_lost_when_the_price_moves_without_ignition() -> None:
    b = Bars(40)
    b.dt[20:] = 0.2  # far from T_i, but no jump across ignition_dt with K and volume: no ignition
    out = b.run()
    assert out["state"][19] == lc.A
    lost = int(np.argmax(out["state"][20:] != lc.A)) + 20
    assert out["state"][lost] == lc.NONE and out["event"][lost] == lc.EV_DROP


def test_ash_returns_to_cold_storage() -> None:
    b = Bars(80)
    b.ignite_at(20)
    b.tau[35] = 0.3  # burnout
    b.dt[36:] = 0.005  # then quiet and fuelled again
    b.k[36:] = 0.3
    b.vr[36:] = 1.1
    out = b.run()
    assert out["state"][35] == lc.D
    back = int(np.argmax(out["state"][36:] == lc.A)) + 36
    assert out["event"][back] == lc.EV_COLD and (out["state"][36:back] == lc.D).all()


# ---------------------------------------------------------------- the book over a panel


def _panel(seed: int = 7, n_sym: int = 120, n_days: int = 260) -> tuple[Panel, list[dt.date]]:
    rng = np.random.default_rng(seed)
    days = [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(n_days)]
    sym = [f"{600000 + i:06d}.SH" for i in range(n_sym)]
    n = n_sym * n_days
    ret = rng.normal(0.0005, 0.03, (n_sym, n_days))
    close = 10 * np.exp(np.cumsum(ret, axis=1))
    t_i = close / (1 + rng.normal(0.005, 0.02, (n_sym, n_days)))
    frame = pl.DataFrame({
        "symbol": np.repeat(sym, n_days), "trade_date": days * n_sym,
        "t_f": close.ravel(), "t_i": t_i.ravel(), "dt": (close / t_i - 1).ravel(),
        "k": rng.normal(0.8, 1.0, n), "vol_ratio": rng.uniform(0.5, 3.0, n), "tau": rng.uniform(0.005, 0.1, n),
        "q_below": rng.uniform(0.0, 0.5, n), "bottom_mass": rng.uniform(0, 0.4, n), "top_mass": rng.uniform(0, 0.4, n),
        "state": rng.integers(0, 4, n).astype(np.int8), "buy_point": rng.random(n) < 0.05, "stop": rng.random(n) < 0.05,
    })  # fmt: skip
    quotes = frame.select("symbol", "trade_date", pl.col("t_f").alias("close"),
                          pl.lit(5e7).alias("amount"))  # fmt: skip
    return Panel({"physics": frame, "quotes": quotes, "bars": quotes}, days[30], days[-1]), days


def _scramble_after(panel: Panel, cut: dt.date, seed: int) -> Panel:
    rng = np.random.default_rng(seed)
    phys = panel["physics"]
    future = (phys["trade_date"] > cut).to_numpy()
    cols = {}
    for c in ("t_f", "t_i", "dt", "k", "vol_ratio", "tau", "q_below", "bottom_mass", "top_mass"):
        v = phys[c].to_numpy().copy()
        v[future] = rng.permutation(v[future])
        cols[c] = v
    scrambled = phys.with_columns(pl.Series(c, v) for c, v in cols.items())
    return Panel({**panel.frames, "physics": scrambled}, panel.start, panel.end)


@pytest.mark.parametrize("labels", ["lifecycle", "per_bar"])
def test_b_filter_and_book_use_no_future_bar(labels: str) -> None:
    panel, days = _panel()
    p = ThermoStrategyParams(labels=labels, ignition_from_cold=False, success_horizon=5, success_prior_n=1.0)
    before = run_book(panel, p).rows
    assert before["in_top"].sum() > 0 and (before["reason"] == "buy_b").sum() > 0  # the filter is exercised
    cut = days[150]
    after = run_book(_scramble_after(panel, cut, 1), p).rows
    cols = [
        "symbol",
        "trade_date",
        "success_rate",
        "success_events",
        "in_top",
        "state",
        "weight",
        "reason",
        "group",
    ]
    past = pl.col("trade_date") <= cut
    assert before.filter(past).select(cols).equals(after.filter(past).select(cols))
    assert not before.filter(~past)["success_rate"].equals(
        after.filter(~past)["success_rate"]
    )  # the future moved


def test_b_top_fraction_keeps_that_share_of_eligible_stocks() -> None:
    panel, _ = _panel()
    p = ThermoStrategyParams(ignition_from_cold=False, success_horizon=5, b_top_fraction=0.05)
    rows = run_book(panel, p).rows.filter(pl.col("in_top"))
    for (day,), top in rows.group_by("trade_date"):
        n_eligible = run_book(panel, p).rows.filter((pl.col("trade_date") == day) & pl.col("eligible")).height
        assert top.height <= int(np.ceil(0.05 * n_eligible))
        break


def test_param_pack_applies_from_its_effective_date_only() -> None:
    keys = pl.DataFrame({"symbol": ["A"] * 4 + ["B"] * 2,
                         "trade_date": [dt.date(2021, 1, d) for d in (4, 5, 6, 7)] + [dt.date(2021, 1, 5)] * 2})  # fmt: skip
    pack = pl.DataFrame({"symbol": ["A", "A"], "effective_date": [dt.date(2021, 1, 5), dt.date(2021, 1, 7)],
                         "params": ['{"take_profit": 0.5, "ti_window": 20}', '{"take_profit": 0.2}']})  # fmt: skip
    tp = param_rows(keys, P, pack)[:, PER_STOCK.index("take_profit")]
    assert tp.tolist() == [P.take_profit, 0.5, 0.5, 0.2, P.take_profit, P.take_profit]


def test_signals_write_take_profit_and_stop_loss_with_every_buy() -> None:
    short, days = _panel()
    panel = Panel(short.frames, days[0], days[-1])  # signals() runs the book over the whole history
    strategy = get_strategy("thermo")
    p = ThermoStrategyParams(ignition_from_cold=False, success_horizon=5)
    rows = run_book(panel, p).rows
    day = rows.filter(pl.col("reason").is_in(["buy_b", "buy_c"]))["trade_date"][0]
    sig = strategy.signals(panel, p, day)
    buys = sig.filter(pl.col("signal") == "BUY")
    assert buys.height > 0
    assert (
        sig.filter(pl.col("signal") == "SELL").height
        == rows.filter(
            (pl.col("trade_date") == day) & pl.col("reason").is_in(["exit", "take_profit", "stop_loss"])
        ).height
    )
    close = panel["quotes"].filter(pl.col("trade_date") == day).select("symbol", "close")
    chk = buys.join(close, on="symbol")
    assert np.allclose(chk["take_profit"], chk["close"] * (1 + p.take_profit))
    assert np.allclose(chk["stop_loss"], chk["close"] * (1 - p.stop_loss))
    targets = strategy.targets(panel, p)
    assert targets.filter(pl.col("trade_date") == day).filter(pl.col("weight") > 0).height == buys.height


@pytest.mark.slow
@pytest.mark.shared
def test_evaluate_on_the_2021_whole_market(real_data: Path, tmp_path: Path) -> None:
    from thermoquant.jobs.context import JobContext
    from thermoquant.jobs.evaluate import WINDOWS, evaluate_thermo

    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    ev = evaluate_thermo(
        ctx, real_data, labels=("lifecycle",), windows=WINDOWS[1:2], report_to=tmp_path / "r.html"
    )
    (w,) = ev.windows
    assert w.stocks == 4710 and w.trades["trades"] > 0
    assert set(w.portfolio) == {"strategy", "csi500", "equal_weight"}
    assert {h for h in w.ic} == {1, 5, 20}
    assert (tmp_path / "r.html").stat().st_size > 100_000
    with ctx.open_store() as store:
        assert store.read("backtest_log", where={"run_id": w.run_id}).height == 1
    tops = {v.symbol: v.top for v in ev.validation}
    assert tops == {"000025.SZ": dt.date(2015, 12, 9), "603083.SH": dt.date(2023, 6, 20)}
