"""Each scoring rule of signals.scores at its threshold (hand-built frames, figures computed by hand)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from thermoquant.signals import scores as sc

P = sc.ScoreParams()
D0 = dt.date(2021, 1, 4)


def _base(closes: list[float], symbol: str = "600000.SH", **cols: list[float] | float) -> pl.DataFrame:
    n = len(closes)
    days = [D0 + dt.timedelta(days=i) for i in range(n)]
    data: dict[str, object] = {
        "symbol": [symbol] * n, "trade_date": days, "close": closes, "high": closes, "low": closes,
        "pre_close": [closes[0], *closes[:-1]], "volume": [100.0] * n, "amount": [1e6] * n, "t_f": closes,
        "conc_90": [0.2] * n, "bottom_peak_mass": [0.1] * n, "bottom_mass": [0.1] * n, "industry_name": ["银行"] * n,
    }  # fmt: skip
    for k, v in cols.items():
        data[k] = v if isinstance(v, list) else [v] * n
    return pl.DataFrame(data)


@pytest.mark.parametrize(
    ("col", "value", "points"),
    [("conc_90", P.conc_max, 1), ("conc_90", P.conc_max + 1e-9, 0),
     ("bottom_peak_mass", P.bottom_peak_min, 1), ("bottom_peak_mass", P.bottom_peak_min - 1e-9, 0),
     ("bottom_mass", P.control_min, 1), ("bottom_mass", P.control_min - 1e-9, 0)],
)  # fmt: skip
def test_chip_rules_at_thresholds(col: str, value: float, points: int) -> None:
    out = sc.chip_scores(_base([10.0], **{col: value}), P)
    assert out["chip_score"].item() == points


@pytest.mark.parametrize(("last", "points"), [(150.0, 1), (149.9, 0), (500.0, 1), (500.1, 0)])
def test_volume_ratio_band(last: float, points: int) -> None:
    base = _base([10.0] * 6, volume=[100.0] * 5 + [last])
    out = sc.technical_scores(base, P)
    assert out["volume_ratio"][-1] == pytest.approx(last / 100.0)
    assert out["volume_score"][-1] == points


def test_platform_breakout_strictly_above_a_narrow_platform() -> None:
    closes = [10.0] * 20
    lows = [10.0 / 1.15] * 20  # range exactly platform_width
    above = sc.technical_scores(_base([*closes, 10.01], low=[*lows, 10.0]), P)
    assert above["breakout_score"][-1] == 1 and above["platform_high"][-1] == pytest.approx(10.0)
    at = sc.technical_scores(_base([*closes, 10.0], low=[*lows, 10.0]), P)
    assert at["breakout_score"][-1] == 0
    wide = sc.technical_scores(_base([*closes, 10.01], low=[*([9.0] * 19), 8.6, 10.0]), P)
    assert wide["breakout_score"][-1] == 0  # 10 / 8.6 − 1 = 16.3 % > 15 %


def _ema(xs: list[float], span: int) -> list[float]:
    a, out = 2.0 / (span + 1), [xs[0]]
    for x in xs[1:]:
        out.append(a * x + (1 - a) * out[-1])
    return out


def test_macd_matches_hand_ema_and_scores_a_recent_golden_cross() -> None:
    closes = [10.0 - 0.1 * i for i in range(30)] + [7.2, 7.6, 8.0, 8.4]  # falls, then turns up
    out = sc.technical_scores(_base(closes), P)
    dif = [f - s for f, s in zip(_ema(closes, 12), _ema(closes, 26), strict=True)]
    dea = _ema(dif, 9)
    assert out["dif"].to_list() == pytest.approx(dif)
    assert out["dea"].to_list() == pytest.approx(dea)
    above = [d > e for d, e in zip(dif, dea, strict=True)]
    first = above.index(True)
    assert not any(above[:first])
    scores = out["macd_score"].to_list()
    assert scores[first - 1] == 0
    for i in range(first, len(closes)):  # 2 while the cross is within macd_cross_days sessions, then 1
        assert scores[i] == (2 if i - first < P.macd_cross_days else 1)


def test_value_rules() -> None:
    p = sc.ScoreParams(value_min_history=10)
    pes = [float(v) for v in range(1, 11)]  # last PE 10 → own percentile 1.0; PE 3 at day 10 → 0.3
    base = pl.concat([_base([10.0] * 10), _base([10.0] * 10, symbol="600001.SH")])
    val = pl.DataFrame(
        {"symbol": ["600000.SH"] * 10 + ["600001.SH"] * 10, "trade_date": base["trade_date"],
         "pe_ttm": [*pes, *pes[:9], 2.5], "pb": [1.0] * 10 + [2.0] * 9 + [-1.0]}
    )  # fmt: skip
    out = (
        sc.value_scores(base, val, p).filter(pl.col("trade_date") == base["trade_date"].max()).sort("symbol")
    )
    assert out["pe_own_pct"].to_list() == pytest.approx([1.0, 0.3])
    # 600000: PE at its own top (0), PB 1.0 = industry median of positive PBs {1.0} (+1); 600001: PE pct 0.3 (+1)
    assert out["pb_industry_median"].to_list() == [1.0, 1.0]
    assert out["value_score"].to_list() == [1, 1]
    loss = val.with_columns(pl.lit(-5.0).alias("pe_ttm"))
    assert (
        sc.value_scores(base, loss, p)["value_score"].max() <= 0
    )  # loss-making: −1 (+1 for cheap PB at most)


def test_value_percentile_is_point_in_time() -> None:
    p = sc.ScoreParams(value_min_history=1)
    base = _base([10.0] * 6)
    val = pl.DataFrame({"symbol": ["600000.SH"] * 6, "trade_date": base["trade_date"],
                        "pe_ttm": [5.0, 4.0, 3.0, 9.0, 1.0, 2.0], "pb": [1.0] * 6})  # fmt: skip
    early = sc.value_scores(base, val, p)["pe_own_pct"].to_list()
    later = val.with_columns(pl.when(pl.col("trade_date") > D0 + dt.timedelta(days=2)).then(100.0)
                             .otherwise(pl.col("pe_ttm")).alias("pe_ttm"))  # fmt: skip
    assert (
        sc.value_scores(base, later, p)["pe_own_pct"].to_list()[:3]
        == early[:3]
        == pytest.approx([1, 0.5, 1 / 3])
    )


def test_fund_rules_with_industry_flow_rows() -> None:
    p = sc.ScoreParams(flow_days=2, flow_top_share=0.5, short_rise=0.25)
    base = pl.concat([_base([10.0] * 4), _base([10.0] * 4, symbol="000001.SZ", industry_name="房地产")])
    days = base["trade_date"].unique().sort().to_list()
    flows = pl.DataFrame(
        {"scope": "industry", "code": ["银行"] * 4 + ["房地产"] * 4, "trade_date": days * 2,
         "main_net": [1.0, 1.0, 2.0, 3.0, -1.0, -1.0, -2.0, 5.0]}
    )  # fmt: skip
    margin = pl.DataFrame(
        {"symbol": "600000.SH", "trade_date": days, "sec_balance": [100.0, 100.0, 125.0, 125.1]}
    )
    out, source = sc.fund_scores(base, flows, margin, p)
    assert source == "funds_flow:industry"
    last = out.filter(pl.col("trade_date") == days[-1]).sort("symbol")
    # 银行 last: sum 5 > 0 (+1), > previous sum 2 (+1), ratio rank 1 of 2 ≤ 0.5 (+1), 融券 +25.1 % > 25 % (−1) → 2
    # 房地产 last: sum 3 > 0, > −2, rank 2 of 2 = 1.0 > 0.5 → 2
    assert last.select("symbol", "flow_sum", "flow_prev", "fund_score").rows() == [
        ("000001.SZ", 3.0, -2.0, 2), ("600000.SH", 5.0, 2.0, 2)
    ]  # fmt: skip
    at = out.filter(pl.col("trade_date") == days[2], pl.col("symbol") == "600000.SH")
    assert at["short_change"].item() == 0.25 and at["fund_score"].item() == 3  # +25 % exactly: no cut


def test_fund_proxy_when_no_flows() -> None:
    base = _base([10.0, 11.0, 10.5], amount=[1.0, 2.0, 4.0])
    out, source = sc.industry_flows(base, None, P)
    assert source == "proxy:signed_amount"
    assert out["net_in"].to_list() == [0.0, 2.0, -4.0]


def _scored(composites: list[float], closes: list[float] | None = None) -> pl.DataFrame:
    n = len(composites)
    return pl.DataFrame({"symbol": "600000.SH", "trade_date": [D0 + dt.timedelta(days=i) for i in range(n)],
                         "composite": composites, "close": closes or [10.0] * n})  # fmt: skip


def test_decide_buy_at_threshold_with_tp_sl_and_priority() -> None:
    out = sc.decide(_scored([4.9, 5.0, 7.0]))
    assert out["signal"].to_list() == ["WATCH", "BUY", "BUY"]
    assert out["priority"].to_list() == [None, "中", "高"]
    assert out["take_profit"][1] == pytest.approx(11.5) and out["stop_loss"][1] == pytest.approx(9.3)


def test_decide_sell_on_falling_score_and_stops() -> None:
    falling = sc.decide(_scored([4.0, 3.5, 3.0, 2.5]))
    assert falling["signal"].to_list() == ["WATCH", "WATCH", "WATCH", "SELL"]
    two_falls = sc.decide(_scored([4.0, 4.0, 3.0, 2.5]))
    assert two_falls["signal"][-1] == "WATCH"
    stop = sc.decide(_scored([6.0, 4.0, 4.0], [10.0, 9.31, 9.2999]))
    assert stop["signal"].to_list() == ["BUY", "WATCH", "SELL"] and stop["reason"][-1].startswith("止损")
    tp = sc.decide(_scored([6.0, 4.0], [10.0, 11.5]))
    assert tp["signal"][-1] == "SELL" and tp["reason"][-1].startswith("止盈")
    expired = sc.decide(
        _scored([6.0] + [4.0] * 21, [10.0] + [10.0] * 20 + [9.0]), sc.ScoreParams(fall_days=30)
    )
    assert expired["signal"][-1] == "WATCH"  # the BUY day is more than memory_days back
