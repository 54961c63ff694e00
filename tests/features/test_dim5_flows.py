"""Fund-flow, north-bound and margin factors on small hand-made frames in the schema's tables (no real data exists
for these tables — MANIFEST), with expectations computed by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from thermoquant.data.schema import get_table
from thermoquant.features import compute
from thermoquant.features.flows import (
    industry_flow_rank,
    margin_factors,
    margin_market,
    north_flow_factors,
    stock_flow_factors,
)

D = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(6)]


def _frame(table: str, data: dict) -> pl.DataFrame:
    """A frame with exactly the table's columns and dtypes (missing columns null)."""
    schema = get_table(table).polars_schema()
    n = len(next(iter(data.values())))
    return pl.DataFrame({c: data.get(c, [None] * n) for c in schema}, schema=schema)


def test_stock_flow_factors_by_hand() -> None:
    main = [1e6, -2e6, 3e6, 4e6, -1e6, 5e6]
    flow = _frame(
        "funds_flow",
        {
            "scope": ["stock"] * 6 + ["industry"],
            "code": ["600000.SH"] * 6 + ["银行"],
            "trade_date": [*D, D[0]],
            "main_net": [*main, 9e9],
            "xl_net": [0.0] * 7,
            "l_net": [0.0] * 7,
            "m_net": [0.0] * 7,
            "s_net": [0.0] * 7,
            "main_net_pct": [None, 2.0, None, None, None, None, 1.0],
        },
    )
    amount = pl.DataFrame({"symbol": ["600000.SH"] * 6, "trade_date": D, "amount": [1e8] * 5 + [0.0]})
    f = stock_flow_factors(flow, amount, windows=(3,))
    assert f.height == 6 and f["symbol"].unique().to_list() == ["600000.SH"]
    # vendor pct kept where given (2.0), else main_net / amount × 100; amount 0 → null
    assert f["main_net_pct"].to_list() == [1.0, 2.0, 3.0, 4.0, -1.0, None]
    assert f["main_net_ma3"].to_list()[2:] == pytest.approx([2e6 / 3, 5e6 / 3, 2e6, 8e6 / 3])
    assert f["main_net_ma3"].to_list()[:2] == [None, None]
    assert f["main_net_sum3"][3] == pytest.approx(5e6)
    assert f["main_net_pct_ma3"].to_list()[2:5] == pytest.approx([2.0, 3.0, 2.0])
    assert f["main_net_pct_ma3"][5] is None  # a null inside the window


def test_industry_flow_rank() -> None:
    flow = _frame(
        "funds_flow",
        {
            "scope": ["industry"] * 4 + ["stock"],
            "code": ["银行", "白酒", "半导体", "煤炭", "600000.SH"],
            "trade_date": [D[0]] * 5,
            "main_net": [5e8, -3e8, 9e8, 5e8, 1e12],
        },
    )
    r = industry_flow_rank(flow)
    ranks = dict(zip(r["code"], r["flow_rank"], strict=True))
    assert ranks == {"半导体": 1, "银行": 2, "煤炭": 2, "白酒": 4}
    pct = dict(zip(r["code"], r["flow_rank_pct"], strict=True))
    assert pct["半导体"] == pytest.approx(100.0) and pct["白酒"] == pytest.approx(25.0)


def test_north_flow_factors() -> None:
    sh = [10.0, -4.0, 6.0, 2.0]
    sz = [1.0, 1.0, -2.0, 3.0]
    north = _frame(
        "north_flow",
        {
            "trade_date": D[:4] * 2 + [D[4]],
            "channel": ["sh"] * 4 + ["sz"] * 4 + ["total"],
            "net_buy": sh + sz + [7.0],
        },
    )
    f = north_flow_factors(north, windows=(2,))
    assert f["north_net"].to_list() == [11.0, -3.0, 4.0, 5.0, 7.0]
    assert f["north_cum"].to_list() == [11.0, 8.0, 12.0, 17.0, 24.0]
    assert f["north_net_ma2"].to_list() == [None, 4.0, 0.5, 4.5, 6.0]
    assert f["north_sh_net"].to_list() == [10.0, -4.0, 6.0, 2.0, None]


def test_margin_factors() -> None:
    m = _frame(
        "margin_detail",
        {
            "symbol": ["600000.SH"] * 3 + ["000001.SZ"] * 2,
            "trade_date": D[:3] + D[:2],
            "fin_balance": [100.0, 110.0, 99.0, 50.0, 40.0],
            "fin_buy": [10.0, 20.0, 5.0, 1.0, 2.0],
            "sec_balance": [5.0, 4.0, 6.0, 0.0, 1.0],
            "sec_sell_volume": [100.0, 0.0, 300.0, 0.0, 10.0],
        },
    )
    amount = pl.DataFrame({"symbol": ["600000.SH"] * 3, "trade_date": D[:3], "amount": [100.0, 400.0, 50.0]})
    f = margin_factors(m, amount).filter(pl.col("symbol") == "600000.SH")
    assert f["margin_balance"].to_list() == [105.0, 114.0, 105.0]
    assert f["fin_balance_chg"].to_list() == [None, 10.0, -11.0]
    assert f["fin_balance_chg_pct"].to_list()[1:] == pytest.approx([10.0, -10.0])
    assert f["fin_buy_ratio"].to_list() == pytest.approx([10.0, 5.0, 10.0])
    mk = margin_market(m)
    assert mk["margin_balance"].to_list() == [155.0, 155.0, 105.0]
    assert mk["n_stocks"].to_list() == [2, 2, 1]


def test_engine_fund_flow_group_needs_main_net() -> None:
    df = pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 6,
            "trade_date": D,
            "close": [10.0] * 6,
            "amount": [1e8] * 6,
            "main_net": [1e6, 2e6, 3e6, 4e6, 5e6, 6e6],
        }
    )
    out = compute(df, names=["main_net_sum5", "main_net_pct_ma5"])
    assert out["main_net_sum5"].to_list()[4:] == pytest.approx([15e6, 20e6])
    assert out["main_net_pct_ma5"][5] == pytest.approx(4.0)
    with pytest.raises(ValueError, match="funds_flow"):
        compute(df.drop("main_net"), names=["main_net_sum5"])
