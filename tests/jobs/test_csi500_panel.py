"""The CSI500 timing loader reads the real files through `data.sources.csv.read_file`: units, warm-up, ETF bars,
and a file with a broken row is refused instead of silently losing a day."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.jobs import csi500_panel as csi500_data


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_reference_units_and_series(real_data: Path) -> None:
    path = real_data / "sample" / csi500_data.REFERENCE_SAMPLE
    raw = _raw_rows(path)
    ref = csi500_data.read_reference(path)
    assert ref.height == len(raw)
    first, last = ref.row(0, named=True), ref.row(-1, named=True)
    assert first["trade_date"] == dt.datetime.strptime(raw[0]["trade_date"], "%Y%m%d").date()
    assert first["volume"] == pytest.approx(float(raw[0]["volume"]) * 100)  # 手 -> shares
    assert first["amount"] == pytest.approx(float(raw[0]["amount"]) * 1000)  # 千元 -> CNY
    assert last["breadth"] == pytest.approx(float(raw[-1]["breadth"]))
    assert last["ref_ma_30"] == pytest.approx(float(raw[-1]["ma_30"]))
    assert ref["heat_z"].null_count() == 0 and ref["etf_turnover"].null_count() == 0


def test_sample_frame_prepends_index_history(real_data: Path) -> None:
    frame, first = csi500_data.sample_frame()
    assert first == dt.date(2019, 1, 2)
    warm = frame.filter(pl.col("trade_date") < first)
    assert warm.height > 30 and warm["breadth"].null_count() == warm.height  # MA warm-up rows, never traded
    assert frame["trade_date"].is_sorted() and frame["trade_date"].n_unique() == frame.height
    hist = _raw_rows(real_data / "sample" / csi500_data.INDEX_HISTORY_SAMPLE)
    assert warm["trade_date"].min() == dt.date.fromisoformat(hist[0]["date"])
    assert warm["volume"][0] == pytest.approx(float(hist[0]["volume_lots"]) * 100)


def test_etf_bars_are_engine_bars(real_data: Path) -> None:
    path = real_data / "sample" / csi500_data.ETF_SAMPLE
    raw = _raw_rows(path)
    bars = csi500_data.etf_bars(path)
    assert bars.columns == ["symbol", "trade_date", "open", "high", "low", "close", "volume", "amount"]
    assert bars.height == len(raw) and set(bars["symbol"]) == {"510500.SH"}
    assert bars["volume"][0] == pytest.approx(float(raw[0]["volume_lots"]) * 100)
    assert bars["open"][0] == pytest.approx(float(raw[0]["open"]))


def test_broken_row_is_refused(real_data: Path, tmp_path: Path) -> None:
    src = real_data / "sample" / csi500_data.REFERENCE_SAMPLE
    lines = src.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[10].split(",")
    cells[header.index("high")] = str(float(cells[header.index("low")]) / 2)  # high far below low
    lines[10] = ",".join(cells)
    broken = tmp_path / "strategy_data.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rejected"):
        csi500_data.read_reference(broken)
