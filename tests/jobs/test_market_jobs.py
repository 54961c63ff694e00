"""compute_physics / compute_features as jobs: the stored bars in, Parquet out, one job_log row with the input
fingerprint; and job_log records a failure with its error."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from thermoquant.config import get_settings
from thermoquant.data.job_log import job_run
from thermoquant.data.sources.csv import import_paths
from thermoquant.data.sources.sample import sample_path
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.fingerprint import frame_fingerprint
from thermoquant.jobs.market import compute_features, compute_physics
from thermoquant.physics.bars import traded_bars

SAMPLE = "stock_000025_2014_2016_baostock_unadjusted.csv"


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> JobContext:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "home"))
    monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    context = JobContext()
    with context.open_store() as store:
        import_paths([sample_path(SAMPLE)], store)
    return context


def test_compute_physics_writes_every_traded_bar_and_logs_its_input(ctx: JobContext) -> None:
    result = compute_physics(ctx)
    with ctx.open_store(init=False) as store:
        bars = traded_bars(store.read("daily_quote"))
        log = store.read("job_log", where={"job": "compute_physics"})
    out = pl.read_parquet(result.path)
    assert out.height == bars.height == result.rows and result.stocks == 1
    assert set(out["state_name"].unique().to_list()) <= {"A", "B", "C", "D"}
    assert result.path.name == f"physics_{bars['trade_date'].min()}_{bars['trade_date'].max()}.parquet"
    row = log.row(0, named=True)
    assert row["status"] == "ok" and row["rows_written"] == bars.height
    assert json.loads(row["args"])["inputs"]["bars"] == frame_fingerprint(bars)


def test_compute_features_from_the_store(ctx: JobContext) -> None:
    result = compute_features(ctx, dims=[1], index_code=None)
    assert result.files and result.stocks == 1 and result.derived_factors == 1  # factors from the pre_close
    frame = pl.read_parquet(result.files[0])
    with ctx.open_store(init=False) as store:
        traded = traded_bars(store.read("daily_quote"))
    assert result.rows == 733 and frame.height == traded.height == 708  # suspended days have no factor row


def test_a_failed_job_is_logged_with_its_error(ctx: JobContext) -> None:
    with pytest.raises(LookupError), ctx.open_store() as store, job_run(store, "unit", args={"x": 1}):
        raise LookupError("nothing to do")
    with ctx.open_store(init=False) as store:
        row = store.read("job_log", where={"job": "unit"}).row(0, named=True)
    assert row["status"] == "failed" and "LookupError: nothing to do" in row["errors"]
    assert row["finished_at"] is not None and json.loads(row["args"]) == {"x": 1}
