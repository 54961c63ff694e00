"""Write bars as recorded vendor responses (the files :class:`~.recorded.RecordedClient` replays): an offline
`tq daily` / `tq ingest --source fixture:<dir>`, its tests and benchmarks, without the network.

:func:`write_eastmoney_daily` writes AKShare ``stock_zh_a_hist`` answers (``<root>/stock_zh_a_hist/<code>.parquet``
plus ``<root>/VENDOR``) in the library's shape: ``日期`` an object column of ``datetime.date``, prices in CNY,
``成交量`` in 手 (lots of 100 shares, rounded as Eastmoney rounds), ``成交额`` in 元, ``振幅`` / ``涨跌幅`` /
``换手率`` in %, ``涨跌额`` in CNY.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

BAR_COLUMNS = ("symbol", "trade_date", "open", "high", "low", "close", "pre_close", "volume", "amount")
"""Input columns (CNY, shares, CNY); ``float_shares`` (shares) is used for 换手率 when present."""


def write_eastmoney_daily(bars: pl.DataFrame, root: str | Path) -> int:
    """One ``stock_zh_a_hist`` file per symbol of ``bars``; returns the number of files written."""
    root = Path(root)
    folder = root / "stock_zh_a_hist"
    folder.mkdir(parents=True, exist_ok=True)
    (root / "VENDOR").write_text("akshare\n", encoding="utf-8")
    turnover = (
        (pl.col("volume") / pl.col("float_shares") * 100).round(2)
        if "float_shares" in bars.columns
        else pl.lit(None, pl.Float64)
    )
    frame = bars.sort("symbol", "trade_date").select(
        pl.col("symbol"),
        pl.col("trade_date").alias("日期"),
        pl.col("symbol").str.slice(0, 6).alias("股票代码"),
        pl.col("open").cast(pl.Float64).alias("开盘"),
        pl.col("close").cast(pl.Float64).alias("收盘"),
        pl.col("high").cast(pl.Float64).alias("最高"),
        pl.col("low").cast(pl.Float64).alias("最低"),
        (pl.col("volume") / 100).round(0).cast(pl.Int64).alias("成交量"),
        pl.col("amount").cast(pl.Float64).alias("成交额"),
        ((pl.col("high") - pl.col("low")) / pl.col("pre_close") * 100).round(2).alias("振幅"),
        ((pl.col("close") / pl.col("pre_close") - 1) * 100).round(2).alias("涨跌幅"),
        (pl.col("close") - pl.col("pre_close")).round(2).alias("涨跌额"),
        turnover.alias("换手率"),
    )
    n = 0
    for (symbol,), part in frame.partition_by("symbol", as_dict=True, maintain_order=True).items():
        pdf = part.drop("symbol").to_pandas()
        pdf["日期"] = pdf["日期"].map(lambda d: d.date() if hasattr(d, "date") else d).astype(object)
        pdf.to_parquet(folder / f"{str(symbol)[:6]}.parquet", index=False)
        n += 1
    return n
