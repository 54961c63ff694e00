"""The new day of the whole market from one snapshot (`thermoquant.data.ingest_day`), through the real AKShare
adapter replaying recorded answers: the same rows as the per-stock ingest, only the stocks the snapshot provably
covers, quality rules naming the row, key and field, and no use of a snapshot that is not the day's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from thermoquant.data import trade_calendar
from thermoquant.data.ingest import make_source, run_ingest
from thermoquant.data.ingest_day import ingest_market_day
from thermoquant.data.sources.recorded import RecordedClient
from thermoquant.data.sources.recorded_write import write_eastmoney_daily, write_eastmoney_spot
from thermoquant.data.store import open_store
from thermoquant.market.calendar import sessions

DAY = dt.date(2024, 12, 31)
AFTER_CLOSE = dt.datetime(2024, 12, 31, 17, 30)
SYMBOLS = ["000001.SZ", "300750.SZ", "600000.SH", "600519.SH", "688981.SH", "830799.BJ"]
FIXTURES = Path(__file__).parent / "sources" / "fixtures" / "akshare"


def history() -> pl.DataFrame:
    """Ten sessions up to DAY of every symbol: close +1 % a day from 10.00 CNY, volumes in whole lots."""
    days = [d.astype(dt.date) for d in sessions() if d <= pd.Timestamp(DAY).to_datetime64()][-10:]
    rows = []
    for i, sym in enumerate(SYMBOLS):
        close = 10.0 + i
        for d in days:
            pre, close = close, round(close * 1.01, 2)
            rows.append({"symbol": sym, "trade_date": d, "open": pre, "high": round(close * 1.01, 2),
                         "low": round(pre * 0.99, 2), "close": close, "pre_close": pre,
                         "volume": 1_000_000.0 + 100 * i, "amount": round(1_000_000.0 * close, 0),
                         "float_shares": 1e8})  # fmt: skip
    return pl.DataFrame(rows)


def prepare(
    tmp_path: Path, name: str, bars: pl.DataFrame, spot: pl.DataFrame | None = None
) -> tuple[str, Path]:
    """A store with every bar before DAY (less what the test removes) and the recorded answers of DAY."""
    url = f"duckdb:///{tmp_path / f'{name}.duckdb'}"
    recorded = tmp_path / f"{name}-recorded"
    with open_store(url) as store:
        trade_calendar.write_calendar(store, trade_calendar.package_rows())
        store.upsert("stock_info", pl.DataFrame({"symbol": SYMBOLS, "name": SYMBOLS}))
        store.upsert("daily_quote", bars.filter(pl.col("trade_date") < DAY).drop("float_shares"))
    write_eastmoney_daily(bars.filter(pl.col("trade_date") == DAY), recorded)
    write_eastmoney_spot(spot if spot is not None else bars.filter(pl.col("trade_date") == DAY), recorded)
    return url, recorded


def quotes(url: str) -> pl.DataFrame:
    with open_store(url, init=False) as store:
        return store.read("daily_quote").sort("symbol", "trade_date")


def test_the_snapshot_is_shaped_like_the_recorded_real_answer(tmp_path: Path) -> None:
    write_eastmoney_spot(history().filter(pl.col("trade_date") == DAY), tmp_path)
    ours = pd.read_parquet(tmp_path / "stock_zh_a_spot_em" / "all.parquet")
    real = pd.read_parquet(FIXTURES / "stock_zh_a_spot_em" / "all.parquet")
    assert list(ours.columns) == list(real.columns)
    assert dict(ours.dtypes) == dict(real.dtypes)
    assert ours["成交量"].tolist() == [10000.0 + i for i in range(len(SYMBOLS))]  # 手 (lots of 100 shares)


def test_one_snapshot_gives_the_rows_the_per_stock_answers_give(tmp_path: Path) -> None:
    bars = history()
    snap_url, snap_dir = prepare(tmp_path, "snapshot", bars)
    each_url, each_dir = prepare(tmp_path, "each", bars)
    src = make_source(f"fixture:{snap_dir}")
    with open_store(snap_url, init=False) as store:
        report = ingest_market_day(store, [src], DAY, AFTER_CLOSE)
        assert report.used and report.taken == len(SYMBOLS) and report.rows_written == len(SYMBOLS)
        rest = run_ingest(store, "daily_quote", [src], end=DAY)
        assert sorted(rest.up_to_date) == SYMBOLS and not rest.items  # nothing left for the per-stock ingest
        log = store.read("job_log").filter(pl.col("source") == "fixture:spot")
        assert log["status"].to_list() == ["ok"] and log["rows_written"].to_list() == [len(SYMBOLS)]
        again = ingest_market_day(store, [src], DAY, AFTER_CLOSE)
        assert not again.used and again.reason == "no stock ends on the previous trading day"
    assert isinstance(src.client, RecordedClient)
    assert [c[0] for c in src.client.calls] == ["stock_zh_a_spot_em"]  # one call for the whole market
    with open_store(each_url, init=False) as store:
        run_ingest(store, "daily_quote", [make_source(f"fixture:{each_dir}")], end=DAY)
    assert quotes(snap_url).equals(quotes(each_url))


def test_only_stocks_the_snapshot_provably_covers_are_taken(tmp_path: Path) -> None:
    bars = history()
    prev = bars.filter(pl.col("trade_date") < DAY)["trade_date"].max()
    day = bars.filter(pl.col("trade_date") == DAY)
    ex_dividend = day.with_columns(  # 300750 goes ex-dividend: the exchange's reference close is lowered
        pl.when(pl.col("symbol") == "300750.SZ").then(pl.col("pre_close") - 0.5).otherwise(pl.col("pre_close"))
        .alias("pre_close")
    )  # fmt: skip
    suspended = ex_dividend.with_columns(  # 600519 suspended today: no price, no volume in the snapshot
        pl.when(pl.col("symbol") == "600519.SH").then(0.0).otherwise(pl.col("volume")).alias("volume")
    )
    url, recorded = prepare(tmp_path, "rules", bars, spot=suspended)
    (recorded / "stock_zh_a_hist" / "600519.parquet").unlink()  # suspended: the K-lines have no row either
    with open_store(url, init=False) as store:
        # 688981 has a gap: its last stored bar is two sessions before DAY
        store.execute("DELETE FROM daily_quote WHERE symbol = '688981.SH' AND trade_date = ?", [prev])
        # 3 of the 4 asked stocks that traded match (one ex-dividend): above 70 % (the default 90 % fits a market)
        report = ingest_market_day(
            store, [make_source(f"fixture:{recorded}")], DAY, AFTER_CLOSE, min_match_share=0.7
        )
        assert report.used and report.asked == 5 and report.taken == 3  # 000001, 600000, 830799
        stored = store.read("daily_quote", start=DAY, end=DAY)["symbol"].sort().to_list()
        assert stored == ["000001.SZ", "600000.SH", "830799.BJ"]
        # the gap is left whole to the per-stock ingest, which reads the range from the K-line answers
        write_eastmoney_daily(bars.filter(pl.col("symbol") == "688981.SH"), recorded)
        rest = run_ingest(store, "daily_quote", [make_source(f"fixture:{recorded}")], end=DAY)
        assert sorted(r.item for r in rest.items) == ["300750.SZ", "600519.SH", "688981.SH"]
        assert (
            store.read("daily_quote", start=prev, end=DAY).filter(pl.col("symbol") == "688981.SH").height == 2
        )
        assert (
            store.read("daily_quote", start=DAY, end=DAY).filter(pl.col("symbol") == "600519.SH").is_empty()
        )


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (dt.datetime(2024, 12, 31, 14, 50), "from 15:30"),  # during the session: not the final bar
        (dt.datetime(2025, 1, 2, 17, 30), "from 15:30"),  # a later day's snapshot
    ],
)
def test_a_snapshot_of_another_moment_is_not_used(tmp_path: Path, now: dt.datetime, reason: str) -> None:
    url, recorded = prepare(tmp_path, "clock", history())
    src = make_source(f"fixture:{recorded}")
    with open_store(url, init=False) as store:
        report = ingest_market_day(store, [src], DAY, now)
        assert not report.used and reason in report.reason
        assert store.read("daily_quote", start=DAY, end=DAY).is_empty()
    assert src.client.calls == []  # not even asked


def test_a_stale_snapshot_is_recognised_by_its_previous_close(tmp_path: Path) -> None:
    bars = history()
    prev = bars.filter(pl.col("trade_date") < DAY)["trade_date"].max()
    stale = bars.filter(pl.col("trade_date") == prev)  # the vendor still serves yesterday's list
    url, recorded = prepare(tmp_path, "stale", bars, spot=stale)
    with open_store(url, init=False) as store:
        report = ingest_market_day(store, [make_source(f"fixture:{recorded}")], DAY, AFTER_CLOSE)
        assert not report.used and "0%" in report.reason and "not 2024-12-31's snapshot" in report.reason
        assert store.read("daily_quote", start=DAY, end=DAY).is_empty()


def test_a_bad_row_is_rejected_by_row_key_and_field(tmp_path: Path) -> None:
    bars = history()
    day = bars.filter(pl.col("trade_date") == DAY).with_columns(
        pl.when(pl.col("symbol") == "600000.SH").then(1.0).otherwise(pl.col("high")).alias("high")
    )
    url, recorded = prepare(tmp_path, "bad", bars, spot=day)
    with open_store(url, init=False) as store:
        report = ingest_market_day(store, [make_source(f"fixture:{recorded}")], DAY, AFTER_CLOSE)
        assert report.used and report.rejected == 1 and report.taken == len(SYMBOLS) - 1
        assert len(report.messages) == 1
        assert (
            report.messages[0].startswith("rejected row 3 (600000.SH 2024-12-31)")
            and "high" in report.messages[0]
        )
        stored = store.read("daily_quote", start=DAY, end=DAY)["symbol"].to_list()
        assert "600000.SH" not in stored and len(stored) == len(SYMBOLS) - 1


@pytest.mark.parametrize("answer", ["missing", "broken"])
def test_no_usable_answer_leaves_the_day_to_the_per_stock_ingest(tmp_path: Path, answer: str) -> None:
    url, recorded = prepare(tmp_path, answer, history())
    spot = recorded / "stock_zh_a_spot_em" / "all.parquet"
    if answer == "missing":
        spot.unlink()  # replays as the empty frame vendors answer
    else:
        spot.write_bytes(b"not a parquet file")  # the vendor call fails
    src = make_source(f"fixture:{recorded}")
    with open_store(url, init=False) as store:
        report = ingest_market_day(store, [src], DAY, AFTER_CLOSE)
        assert not report.used and report.reason
        log = store.read("job_log").filter(pl.col("source") == "fixture:spot")
        assert log["status"].to_list() == ["ok" if answer == "missing" else "failed"]
        rest = run_ingest(store, "daily_quote", [src], end=DAY)
        assert rest.count("done") == len(SYMBOLS)
    assert quotes(url).filter(pl.col("trade_date") == DAY).height == len(SYMBOLS)


def test_the_snapshot_only_comes_from_the_first_source(tmp_path: Path) -> None:
    url, recorded = prepare(tmp_path, "order", history())
    sina = make_source("akshare_sina", client=RecordedClient(recorded))  # bars, but no full-market snapshot
    eastmoney = make_source(f"fixture:{recorded}")
    with open_store(url, init=False) as store:
        report = ingest_market_day(store, [sina, eastmoney], DAY, AFTER_CLOSE)
        assert not report.used and "(akshare_sina) has no full-market snapshot" in report.reason
        assert ingest_market_day(store, [eastmoney, sina], DAY, AFTER_CLOSE).used
