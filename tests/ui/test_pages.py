"""Every dashboard page through Streamlit's AppTest on the real demo database: what the page shows is what the
store holds (table rows, chart traces, metrics), and an empty database gives plain "empty" notes, no error."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from thermoquant.data.store import open_store

from .conftest import UI, VIEWS, data_env, tq

pytestmark = pytest.mark.slow  # the session's demo database takes ~40 s to build

PAGES = ("overview", "stock", "signals", "portfolio", "backtest", "logs")


def run_page(name: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def traces(at: AppTest) -> list[list[dict[str, Any]]]:
    """The data of every Plotly chart on the page, as sent to the browser."""
    return [json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart")]


def values(array: Any) -> list[Any]:
    """A trace's array as sent: a list, or plotly's typed-array form {"dtype", "bdata"[, "shape"]}."""
    if isinstance(array, dict) and "bdata" in array:
        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        return flat.tolist()
    return list(array)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def read(demo_dir: Path, table: str, **kwargs: Any) -> pl.DataFrame:
    with open_store(f"duckdb:///{demo_dir / 'tq.duckdb'}", init=False, calendar=False) as store:
        return store.read(table, **kwargs)


def test_overview_shows_the_stored_scan(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    signals = read(demo_dir, "signals", where={"strategy": "thermo_scan"})
    by_state = dict(signals.group_by("state").len().iter_rows())
    at = run_page("overview")
    shown = metrics(at)
    assert shown["扫描日 scan day"] == "2022-01-14"
    for state, label in (("A", "A 蓄能 cold"), ("B", "B 引燃 ignition"), ("C", "C 稳燃 steady")):
        assert shown[label] == f"{by_state[state]:,}"
    states, index, limits = traces(at)
    assert [t["name"] for t in states] == [
        "A 蓄能 cold",
        "B 引燃 ignition",
        "C 稳燃 steady",
        "D 灰烬 burnout",
    ]
    assert sum(values(t["y"])[0] for t in states) == signals.height
    assert [t["name"] for t in index] == ["收盘 close", "MA5", "MA10", "MA30"]
    assert [t["name"] for t in limits] == ["涨停 limit-up", "跌停 limit-down"]
    # the candidate tables hold the stored BUY rows of each state, best score first
    ignition, steady = (t.value for t in at.dataframe)
    buys_b = signals.filter((pl.col("signal") == "BUY") & (pl.col("state") == "B")).sort(
        "score", descending=True
    )
    assert ignition["symbol"].tolist() == buys_b["symbol"].head(20).to_list()
    assert set(steady["state"]) == {"C"}
    # the demo stores no CSI500 timing signal: the page says how to make one
    assert any("csi500_timing" in i.value for i in at.info)


def test_stock_page_draws_kline_chips_and_panels(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    bars = read(demo_dir, "daily_quote", symbols=["000025.SZ"]).filter(pl.col("volume") > 0)
    at = run_page("stock", symbol="000025.SZ")
    assert at.subheader[0].value.startswith("000025.SZ")
    (figure,) = traces(at)
    by_name = {t["name"]: t for t in figure}
    candles = by_name["K 线"]
    assert candles["type"] == "candlestick" and len(candles["x"]) == bars.height
    assert values(candles["close"])[-1] == pytest.approx(
        bars["close"][-1]
    )  # the last bar keeps its traded price
    assert candles["increasing"]["line"]["color"] == "#e53935"  # red up, green down
    for name in ("T_i", "成交量 volume", "ΔT", "K", "Q 价下 below", "Q 价上 above"):
        assert len(values(by_name[name]["y"])) == len(values(by_name[name]["x"])) == bars.height, name
    assert len(values(by_name["状态 state"]["x"])) == bars.height
    assert set(values(by_name["状态 state"]["z"][0])) <= {0, 1, 2, 3}
    chips = [t for t in figure if t["type"] == "bar" and t.get("orientation") == "h"]
    assert {t["xaxis"] for t in chips} == {"x2"} and {t["yaxis"] for t in chips} == {
        "y2"
    }  # beside the K-line
    first_chips = [v for t in chips for v in values(t["x"])]
    assert 0 < sum(first_chips) <= 100.0 + 0.01  # % of the float (0.001 % steps), in the drawn price range
    # the day slider moves the chip panel to another day
    slider = at.select_slider[0]
    slider.set_value(slider.options[len(slider.options) // 2]).run()
    assert not at.exception
    moved = [
        v for t in traces(at)[0] if t["type"] == "bar" and t.get("orientation") == "h" for v in values(t["x"])
    ]
    assert moved != first_chips
    # search by name
    at.text_input[0].input("平安").run()
    assert at.selectbox[0].options == ["000001.SZ 平安银行", "601318.SH 中国平安"]


def test_signals_page_filters_the_stored_rows(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    stored = read(demo_dir, "signals")
    at = run_page("signals")
    table = at.dataframe[0].value
    assert len(table) == stored.height  # the latest day, every strategy
    assert {"k", "dt", "q_below"} <= set(table.columns)  # component values from signals.details
    assert table["score"].iloc[0] == stored["score"].fill_nan(None).max()  # best first, NaN scores last
    at.selectbox[2].set_value("BUY").run()  # action
    assert not at.exception
    buys = at.dataframe[0].value
    assert len(buys) == stored.filter(pl.col("signal") == "BUY").height
    assert set(buys["signal"]) == {"BUY"}
    assert any("alerts_log" in i.value for i in at.info)  # no alerts logged by the demo


def test_portfolio_page_says_what_is_still_empty(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    at = run_page("portfolio")
    notes = " ".join(i.value for i in at.info)
    for words in ("no trading state", "no positions", "no equity", "no orders", "no paper or live trades"):
        assert words in notes


def test_portfolio_page_shows_paper_trades(tmp_path: Path, use_data_dir: Any) -> None:
    use_data_dir(tmp_path)
    with open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}") as store:
        trade = {"trade_id": "p-1", "run_id": None, "account": "paper", "mode": "paper", "order_id": "o-1",
                 "symbol": "600000.SH", "side": "BUY", "quantity": 1000.0, "price": 7.21, "amount": 7210.0,
                 "strategy": "thermo_scan", "reason": "filled"}  # fmt: skip
        store.upsert("trades", pl.DataFrame([trade]))
    at = run_page("portfolio")
    (shown,) = (d.value for d in at.dataframe)
    assert shown["trade_id"].tolist() == ["p-1"] and shown["price"].tolist() == [7.21]


def test_backtest_page_compares_runs_and_replays_the_curve(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    run = read(demo_dir, "backtest_log").row(0, named=True)
    recorded = json.loads(run["metrics"])
    at = run_page("backtest")
    side = at.dataframe[0].value
    column = next(c for c in side.columns if run["run_id"][-8:] in c)
    table = dict(zip(side["指标 metric"], side[column], strict=True))
    assert table["总收益 total return"] == f"{recorded['total_return']:+.2%}"  # +180.03 % (pinned elsewhere)
    assert table["交易次数 trades"] == f"{recorded['trades']:.0f}"
    assert json.loads(run["params"])["trade_symbol"] == "000905.SH"
    assert any(json.loads(j.proto.body) == json.loads(run["params"]) for j in at.json)
    at.button[0].click().run()  # replay and draw
    assert not at.exception
    (curve,) = traces(at)
    names = [t["name"] for t in curve]
    assert names == ["策略净值 strategy", "回撤 drawdown", "基准 benchmark"]
    nav, bench = values(curve[0]["y"]), values(curve[2]["y"])
    assert nav[-1] - 1 == pytest.approx(recorded["total_return"], rel=1e-6)
    assert bench[-1] - 1 == pytest.approx(recorded["benchmark_total_return"], rel=1e-6)


def test_logs_page_lists_jobs_coverage_and_calendar(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    jobs = read(demo_dir, "job_log")
    at = run_page("logs")
    assert at.success[0].value.startswith(
        "交易日历 calendar: 1990-12-19"
    )  # TEST_TODAY is months before the end
    job_table, coverage = (d.value for d in at.dataframe)
    assert sorted(job_table["job_id"]) == sorted(jobs["job_id"].to_list())
    rows = dict(zip(coverage["table"], coverage["rows"], strict=True))
    assert rows["daily_quote"] == read(demo_dir, "daily_quote", columns=["symbol"]).height
    assert rows["stock_info"] == 4710


def test_app_navigates_every_page(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=120)
    at.run()
    assert at.title[0].value.startswith("市场总览")
    for page in PAGES[1:]:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.message for e in at.exception])


def test_every_page_on_an_empty_database_says_so(tmp_path: Path, use_data_dir: Any) -> None:
    use_data_dir(tmp_path)
    assert tq("init", env=data_env(tmp_path)).returncode == 0
    for page in PAGES:
        at = run_page(page)
        assert at.info, page  # a plain note instead of an empty table or an error
    # no database file at all: how to create one
    use_data_dir(tmp_path / "none")
    at = run_page("overview")
    assert "tq demo" in at.info[0].value


def test_stock_page_lists_the_stored_factors(demo_dir: Path, use_data_dir: Any) -> None:
    use_data_dir(demo_dir)
    done = tq("features", "compute", "--dims", "1", "--symbols", "000025.SZ", env=data_env(demo_dir))
    assert done.returncode == 0, done.stderr[-3000:]
    stored = pl.read_parquet(demo_dir / "features" / "tdx" / "dim=1").filter(pl.col("symbol") == "000025.SZ")
    last = stored.sort("trade_date").tail(1).row(0, named=True)
    at = run_page("stock", symbol="000025.SZ")
    factors = next(d.value for d in at.dataframe if "因子 factor" in d.value.columns)
    shown = dict(zip(factors["因子 factor"], factors["值 value"], strict=True))
    assert shown["trade_date"] == str(last["trade_date"])
    name = next(c for c in stored.columns if c not in ("symbol", "trade_date") and last[c] is not None)
    assert float(shown[f"tdx.{name}"]) == pytest.approx(last[name])


def test_portfolio_page_shows_the_trading_book(tmp_path: Path, use_data_dir: Any) -> None:
    use_data_dir(tmp_path)
    t0, t1 = dt.datetime(2026, 6, 29, 15), dt.datetime(2026, 6, 30, 15)
    with open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}") as store:
        store.upsert("trading_state", pl.DataFrame([{"account": "paper1", "state": "HALTED", "reason": "drawdown",
                                                     "reconcile_ok": True, "peak_equity": 1.2e6}]))  # fmt: skip
        store.upsert(
            "position_snapshot",
            pl.DataFrame({"account": "paper1", "snap_time": [t0, t1, t1], "source": "book",
                          "symbol": ["600000.SH", "600000.SH", "000001.SZ"], "quantity": [500.0, 800.0, 200.0],
                          "sellable": [500.0, 500.0, 0.0], "price": [7.0, 7.2, 16.0]}),
        )  # fmt: skip
        store.upsert(
            "cash_snapshot",
            pl.DataFrame({"account": "paper1", "snap_time": [t0, t1], "source": "book", "cash": [5e5, 4e5],
                          "equity": [1.2e6, 9.0e5]}),
        )  # fmt: skip
    at = run_page("portfolio")
    assert {m.label: m.value for m in at.metric}["账户 paper1"] == "熔断 HALTED"
    positions = next(d.value for d in at.dataframe if "sellable" in d.value.columns)
    assert positions["symbol"].tolist() == ["000001.SZ", "600000.SH"]  # the latest snapshot only
    assert positions["quantity"].tolist() == [200.0, 800.0]
    (curve,) = traces(at)
    assert values(curve[0]["y"]) == [1.2e6, 9.0e5]
    assert values(curve[1]["y"]) == pytest.approx([0.0, -0.25])  # drawdown from the running peak


def test_backtest_page_shows_core_satellite_sleeves(tmp_path: Path, use_data_dir: Any) -> None:
    use_data_dir(tmp_path)
    days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    with open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}") as store:
        store.upsert("backtest_log", pl.DataFrame([{"run_id": "cs-1", "strategy": "core_satellite",
                                                    "start_date": days[0], "end_date": days[1],
                                                    "metrics": '{"total_return": 0.01}',
                                                    "created_at": dt.datetime(2026, 6, 30)}]))  # fmt: skip
        store.upsert(
            "backtest_sleeve",
            pl.DataFrame({"run_id": "cs-1", "sleeve": ["core", "satellite"] * 2, "trade_date": [days[0]] * 2 + [days[1]] * 2,
                          "cash": 0.0, "gross": [6.5e5, 3.5e5, 6.6e5, 3.5e5], "equity": [6.5e5, 3.5e5, 6.6e5, 3.5e5]}),
        )  # fmt: skip
        store.upsert("backtest_transfer", pl.DataFrame([{"run_id": "cs-1", "seq": 0, "trade_date": days[1],
                                                         "event": "pay", "amount": 1e4}]))  # fmt: skip
    at = run_page("backtest")
    (stack,) = traces(at)
    assert [t["name"] for t in stack] == ["核心 core", "卫星 satellite"]
    assert values(stack[0]["y"]) == [6.5e5, 6.6e5] and {t["stackgroup"] for t in stack} == {"equity"}
    transfers = next(d.value for d in at.dataframe if "event" in d.value.columns)
    assert transfers["amount"].tolist() == [1e4]
