"""`tq signals`, `tq stock SYMBOL`, `tq features show`: what the system stored, readable in 80 columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.data.sources.csv import import_paths, read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.data.store import open_store
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.scan import daily_scan

runner = CliRunner()
CSV = Path(__file__).resolve().parents[1] / "data" / "csv"
SYMBOLS = ["000025.SZ", "603083.SH", "600078.SH"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store with real 2021 bars of 40 busy stocks + 000025, 603083, *ST澄星; the sample stock list; the scan."""
    url = f"duckdb:///{tmp_path_factory.mktemp('readback') / 'tq.duckdb'}"
    quotes = read_file(sample_path("market_2021.parquet")).frame
    last = quotes.filter(pl.col("trade_date") == quotes["trade_date"].max())
    busy = last.filter(pl.col("amount") > 1e9)["symbol"].head(40).to_list()
    with open_store(url) as store:
        store.upsert("daily_quote", quotes.filter(pl.col("symbol").is_in([*SYMBOLS, *busy])))
        import_paths([sample_path("stock_list_2021.csv"), CSV / "csi500.txt"], store)
    daily_scan(JobContext(db_url=url), params={"min_fuel": 0.0})
    yield url


def _narrow(output: str) -> None:
    wide = [line for line in output.splitlines() if len(line) > 80]
    assert not wide, f"lines wider than 80 columns: {wide[:3]}"


def test_tq_signals_lists_the_latest_day_with_names(db: str) -> None:
    res = runner.invoke(app, ["signals", "--db", db])
    assert res.exit_code == 0, res.output
    assert "2022-01-14" in res.output and "thermo_scan" in res.output
    assert "剑桥科技" in res.output or "特 力Ａ" in res.output or "WATCH" in res.output
    assert "600078.SH" not in res.output  # *ST: blacklisted, no signal
    _narrow(res.output)
    one = runner.invoke(app, ["signals", "--db", db, "--date", "2022-01-14", "--strategy", "thermo_scan"])
    assert one.exit_code == 0 and "thermo_scan" not in one.output.split("\n", 1)[1]  # one strategy: no column
    none = runner.invoke(app, ["signals", "--db", db, "--strategy", "no_such"])
    assert none.exit_code == 1 and "没有信号" in none.output


def test_tq_stock_shows_name_bars_state_and_signals(db: str) -> None:
    res = runner.invoke(app, ["stock", "603083.SH", "--db", db])
    assert res.exit_code == 0, res.output
    assert "剑桥科技" in res.output and "2022-01-14" in res.output and "状态 state 2022-01-14" in res.output
    assert "上市 listed: 2017-11-10" in res.output
    _narrow(res.output)
    st = runner.invoke(app, ["stock", "600078", "--db", db])
    assert st.exit_code == 0 and "*ST澄星" in st.output and "风险警示 *ST: 2022-01-14" in st.output
    assert "没有信号" in st.output
    missing = runner.invoke(app, ["stock", "600001.SH", "--db", db])
    assert missing.exit_code == 1 and "600001.SH" in missing.output


def test_tq_features_show_lists_what_compute_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from thermoquant.config import get_settings
    from thermoquant.features.engine import write_parquet

    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        empty = runner.invoke(app, ["features", "show"])
        assert empty.exit_code == 1 and "tq features compute" in empty.output
        bars = read_file(CSV / "SZ#000025.txt").frame
        write_parquet(bars, tmp_path / "features" / "tdx", dims=[1, 4])
        res = runner.invoke(app, ["features", "show", "--names"])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    assert "1 价格与K线形态" in res.output and "4 趋势与动量" in res.output and "2015-01-16" in res.output
    assert "2 成交量" not in res.output
    _narrow(res.output)
