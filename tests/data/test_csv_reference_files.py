"""`tq import` of a Tongdaxin export, qlib instrument intervals and the xbx stock list (names, listing dates, ST)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.data.sources.csv import import_paths, read_file
from thermoquant.data.store import Store

CSV = Path(__file__).resolve().parent / "csv"
TDX = CSV / "SZ#000025.txt"


def _tdx_variant(tmp_path: Path, name: str, title: str) -> Path:
    """The Tongdaxin fixture with another title line (same GBK bytes otherwise)."""
    lines = TDX.read_bytes().decode("gbk").split("\r\n")
    path = tmp_path / name
    path.write_bytes("\r\n".join([title, *lines[1:]]).encode("gbk"))
    return path


def test_tongdaxin_export_imports_its_bars(tmp_store: Store) -> None:
    assert TDX.read_bytes().decode("gbk").splitlines()[-1] == "数据来源:通达信"
    (result,) = import_paths([TDX], tmp_store)
    assert result.layout == "tongdaxin" and not result.rejected and result.written == {"daily_quote": 10}
    bars = tmp_store.read("daily_quote").sort("trade_date")
    assert bars["symbol"].unique().to_list() == ["000025.SZ"]
    first = bars.row(0, named=True)
    assert first["trade_date"] == dt.date(2015, 1, 5) and first["close"] == 10.20
    assert (
        first["volume"] == 2_092_016 and first["amount"] == 21_152_944.0
    )  # shares, CNY (real Baostock values)
    assert bars["trade_date"].max() == dt.date(2015, 1, 16)


def test_tongdaxin_adjusted_export_is_not_stored_as_raw_bars(tmp_path: Path, tmp_store: Store) -> None:
    path = _tdx_variant(tmp_path, "SZ#000025_qfq.txt", "000025 特力Ａ 日线 前复权")
    (result,) = import_paths([path], tmp_store)
    assert result.written == {} and "bars_adjusted" in result.reference
    assert tmp_store.read("daily_quote").is_empty()


def test_tongdaxin_minute_export_is_refused_with_the_reason(tmp_path: Path, tmp_store: Store) -> None:
    path = _tdx_variant(tmp_path, "SZ#000025_5m.txt", "000025 特力Ａ 5分钟线 不复权")
    (result,) = import_paths([path], tmp_store)
    assert (
        result.refused
        and "只导入日线" in result.rejected[0].reason
        and "5分钟线" in result.rejected[0].reason
    )


def test_qlib_instruments_fill_index_member(tmp_store: Store) -> None:
    (result,) = import_paths([CSV / "csi500.txt"], tmp_store)
    assert result.written == {"index_member": 6} and not result.rejected
    members = tmp_store.read("index_member", where={"symbol": "000025.SZ"}).sort("in_date")
    assert members["index_code"].unique().to_list() == ["000905.SH"]
    assert members.row(0, named=True) | {"source": None} == {
        "index_code": "000905.SH",
        "symbol": "000025.SZ",
        "in_date": dt.date(2016, 12, 30),
        "out_date": dt.date(2017, 1, 25),
        "source": None,
    }


def test_qlib_all_is_refused_as_not_an_index(tmp_path: Path, tmp_store: Store) -> None:
    path = tmp_path / "all.txt"
    path.write_text((CSV / "csi500.txt").read_text())
    (result,) = import_paths([path], tmp_store)
    assert result.refused and "not an index" in result.rejected[0].reason


def test_stock_list_fills_names_listing_dates_and_st_days(tmp_store: Store) -> None:
    (result,) = import_paths([CSV / "xbx_stock_list.csv"], tmp_store)
    assert result.written == {"stock_info": 8, "st_history": 2}
    info = {r["symbol"]: r for r in tmp_store.read("stock_info").iter_rows(named=True)}
    assert info["603083.SH"]["name"] == "剑桥科技" and info["603083.SH"]["list_date"] == dt.date(2017, 11, 10)
    assert info["430047.BJ"]["exchange"] == "BJ" and info["600000.SH"]["board"] == "sh_main"
    st = tmp_store.read("st_history").sort("symbol")
    assert st.select("symbol", "start_date", "end_date", "kind").rows() == [
        ("600078.SH", dt.date(2022, 1, 14), dt.date(2022, 1, 14), "*ST"),
        ("600122.SH", dt.date(2022, 1, 14), dt.date(2022, 1, 14), "ST"),
    ]


def test_tq_import_reads_the_three_formats(tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    files = [str(TDX), str(CSV / "csi500.txt"), str(CSV / "xbx_stock_list.csv")]
    res = CliRunner().invoke(app, ["import", *files, "--db", db], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Polars" not in res.output and "polars" not in res.output


@pytest.mark.shared
def test_real_stock_list_and_csi500_intervals(real_data: Path) -> None:
    names = read_file(real_data / "xbx_market" / "stock_list.csv")
    assert names.frame.height == 4843 and not names.rejected
    assert names.extra_tables["st_history"].height == 229
    members = read_file(real_data / "qlib_instruments" / "csi500.txt.gz")
    assert members.frame.height == 21_500 and not members.rejected
    day = dt.date(2021, 6, 30)
    in_force = members.frame.filter((pl.col("in_date") <= day) & (pl.col("out_date") >= day))
    assert in_force.height == 500
