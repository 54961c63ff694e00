"""Write bars as recorded vendor responses (the files :class:`~.recorded.RecordedClient` replays): an offline
`tq daily` / `tq ingest --source fixture:<dir>`, its tests and benchmarks, without the network.

:func:`write_eastmoney_daily` writes AKShare ``stock_zh_a_hist`` answers (``<root>/stock_zh_a_hist/<code>.parquet``
plus ``<root>/VENDOR``) in the library's shape: ``日期`` an object column of ``datetime.date``, prices in CNY,
``成交量`` in 手 (lots of 100 shares, rounded as Eastmoney rounds), ``成交额`` in 元, ``振幅`` / ``涨跌幅`` /
``换手率`` in %, ``涨跌额`` in CNY. :func:`write_eastmoney_spot` writes the full-market snapshot
``stock_zh_a_spot_em`` (``<root>/stock_zh_a_spot_em/all.parquet``) of one day's bars as taken after the close: the
library's 23 columns and dtypes (``序号`` int64, ``代码`` / ``名称`` object, every other column float64; ``成交量`` in
手, ``成交额`` / ``总市值`` / ``流通市值`` in 元, ``涨跌幅`` / ``振幅`` / ``换手率`` in %; columns the bars cannot give,
such as ``量比`` or ``市盈率-动态``, NaN).
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


SPOT_COLUMNS: tuple[str, ...] = (
    "序号", "代码", "名称", "最新价", "涨跌幅", "涨跌额", "成交量", "成交额", "振幅", "最高", "最低", "今开", "昨收",
    "量比", "换手率", "市盈率-动态", "市净率", "总市值", "流通市值", "涨速", "5分钟涨跌", "60日涨跌幅", "年初至今涨跌幅",
)  # fmt: skip
"""``stock_zh_a_spot_em``'s columns in the library's order (AKShare 1.x)."""


def write_eastmoney_spot(bars: pl.DataFrame, root: str | Path) -> int:
    """The ``stock_zh_a_spot_em`` answer after the close of the one day in ``bars`` (one row per symbol; a
    ``name`` column is used for 名称 when present, ``float_shares`` / ``total_shares`` in shares for 换手率 and
    the market values); returns the number of rows."""
    root = Path(root)
    folder = root / "stock_zh_a_spot_em"
    folder.mkdir(parents=True, exist_ok=True)
    (root / "VENDOR").write_text("akshare\n", encoding="utf-8")
    nan = pl.lit(float("nan"), pl.Float64)

    def shares(col: str) -> pl.Expr:
        return pl.col(col).cast(pl.Float64) if col in bars.columns else pl.lit(None, pl.Float64)

    close, pre = pl.col("close").cast(pl.Float64), pl.col("pre_close").cast(pl.Float64)
    frame = bars.sort("symbol").select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("序号"),
        pl.col("symbol").str.slice(0, 6).alias("代码"),
        (pl.col("name") if "name" in bars.columns else pl.col("symbol").str.slice(0, 6)).alias("名称"),
        close.alias("最新价"),
        ((close / pre - 1) * 100).round(2).alias("涨跌幅"),
        (close - pre).round(2).alias("涨跌额"),
        (pl.col("volume") / 100).round(0).cast(pl.Float64).alias("成交量"),
        pl.col("amount").cast(pl.Float64).alias("成交额"),
        ((pl.col("high") - pl.col("low")) / pre * 100).round(2).alias("振幅"),
        pl.col("high").cast(pl.Float64).alias("最高"),
        pl.col("low").cast(pl.Float64).alias("最低"),
        pl.col("open").cast(pl.Float64).alias("今开"),
        pre.alias("昨收"),
        nan.alias("量比"),
        (pl.col("volume") / shares("float_shares") * 100).round(2).fill_null(float("nan")).alias("换手率"),
        nan.alias("市盈率-动态"),
        nan.alias("市净率"),
        (close * shares("total_shares")).fill_null(float("nan")).alias("总市值"),
        (close * shares("float_shares")).fill_null(float("nan")).alias("流通市值"),
        nan.alias("涨速"),
        nan.alias("5分钟涨跌"),
        nan.alias("60日涨跌幅"),
        nan.alias("年初至今涨跌幅"),
    )
    pdf = frame.to_pandas()
    for col in ("代码", "名称"):
        pdf[col] = pdf[col].astype(object)
    pdf.to_parquet(folder / "all.parquet", index=False)
    return frame.height
