"""The RESSET ROE-TTM export (MANIFEST §11.1) through `tq import`'s reader into finance_data, lagged to the
disclosure deadline of each report period; the core-satellite job reads it back from the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from thermoquant.data.sources.csv import read_file
from thermoquant.jobs.core_satellite import core_inputs
from thermoquant.portfolio.params import CoreSatelliteParams

ROE_FILE = Path("doris_sw_resset") / "resset_roe_ttm_quarterly_2010_2023.csv.gz"


def test_resset_roe_to_finance_data(real_data: Path, tmp_store) -> None:  # type: ignore[no-untyped-def]
    r = read_file(real_data / ROE_FILE)
    assert (r.table, r.layout, r.rows_read, len(r.rejected)) == ("finance_data", "resset_roe_ttm", 100_213, 0)
    f = r.frame
    assert f["symbol"].n_unique() == 1_993 and f["roe"].null_count() == 1_190
    lag = dict(f.select("report_period", "ann_date").unique().iter_rows())
    assert lag[dt.date(2021, 3, 31)] == dt.date(2021, 4, 30) and lag[dt.date(2021, 6, 30)] == dt.date(
        2021, 8, 31
    )
    assert lag[dt.date(2021, 9, 30)] == dt.date(2021, 10, 31) and lag[dt.date(2021, 12, 31)] == dt.date(
        2022, 4, 30
    )
    icbc = f.filter((pl.col("symbol") == "601398.SH") & (pl.col("report_period") == dt.date(2023, 9, 30)))
    assert icbc["roe"].item() == 9.9176
    tmp_store.upsert("finance_data", f.filter(pl.col("report_period").dt.year() == 2021))
    bars = pl.DataFrame({"symbol": ["601398.SH"], "trade_date": [dt.date(2021, 12, 31)], "open": [4.5],
                         "high": [4.6], "low": [4.4], "close": [4.5], "volume": [1e8], "amount": [4.5e8]})  # fmt: skip
    tmp_store.upsert("daily_quote", bars)
    _, finance, valuation = core_inputs(tmp_store, "store", dt.date(2021, 12, 1), dt.date(2021, 12, 31),
                                        CoreSatelliteParams())  # fmt: skip
    assert finance is not None and valuation is None  # no PB stored: the selection will say so
    assert finance.filter(pl.col("symbol") == "601398.SH").height == 4
