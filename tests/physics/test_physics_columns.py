"""``compute_physics(columns=...)``: a strategy's declared columns are the same values as the full frame's, and the
chip model's base-only run (no quantile / peak passes) changes none of them.  On the bundled real whole-market
sample (2021, ex-rights gaps and suspensions included)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from thermoquant.data.sources.csv import read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.physics.bars import traded_bars
from thermoquant.physics.chips_nb import BASE_METRICS, SPAN_METRICS
from thermoquant.physics.params import ThermoParams
from thermoquant.physics.thermo import PHYSICS_OUTPUT_COLUMNS, compute_physics
from thermoquant.strategies.base import Panel
from thermoquant.strategies.thermo import PER_BAR_COLUMNS, PHYSICS_COLUMNS, Thermo, run_book
from thermoquant.strategies.thermo_params import ThermoStrategyParams


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    """400 stocks of the bundled 2021 whole-market sample, traded bars only."""
    quotes = traded_bars(read_file(sample_path("market_2021.parquet")).frame)
    keep = quotes["symbol"].unique().sort().gather_every(12).head(400)
    return quotes.filter(pl.col("symbol").is_in(keep.implode()))


@pytest.fixture(scope="module")
def full(bars: pl.DataFrame) -> pl.DataFrame:
    return compute_physics(bars)


def test_full_frame_has_every_output_column(full: pl.DataFrame) -> None:
    assert full.columns == ["symbol", "trade_date", *PHYSICS_OUTPUT_COLUMNS]


@pytest.mark.parametrize(
    "columns",
    [
        Thermo.inputs.physics_columns(),  # base chip metrics only: the lean kernel
        Thermo().physics_columns(ThermoStrategyParams()),  # no state column: no state pass
        ("t_f", "k", "ret"),  # no chip metric: no chip model
        ("cost_p50", "n_peaks", "bottom_mass"),  # a quantile and a peak column: the full kernel
        ("state_name", "t_f"),
        BASE_METRICS,
        ("profit_ratio",),  # a chip metric the states do not read, alone
    ],
)
def test_selected_columns_equal_the_full_frame(
    bars: pl.DataFrame, full: pl.DataFrame, columns: tuple[str, ...]
) -> None:
    part = compute_physics(bars, columns=columns)
    ordered = [c for c in PHYSICS_OUTPUT_COLUMNS if c in columns]
    assert part.columns == ["symbol", "trade_date", *ordered]
    assert_frame_equal(part, full.select("symbol", "trade_date", *ordered), check_exact=True)


def test_thermo_declares_no_span_metric() -> None:
    """The backtest's physics skips the chip model's span passes: no declared column is a quantile or a peak."""
    declared = Thermo.inputs.physics_columns()
    assert declared is not None
    assert not set(declared) & set(SPAN_METRICS)


def test_unknown_column_is_refused_by_name(bars: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="cost_p99"):
        compute_physics(bars.head(300), columns=("t_f", "cost_p99"))


@pytest.mark.parametrize("labels", ["lifecycle", "per_bar"])
def test_thermo_book_on_its_declared_columns_equals_the_book_on_the_full_frame(
    bars: pl.DataFrame, full: pl.DataFrame, labels: str
) -> None:
    """physics_only=True is honest: the strategy reads nothing beyond the columns it asks a job for with these
    parameters (a missing column would raise; the life cycle does not ask for the per-bar labels) and its rows do
    not change."""
    p = ThermoStrategyParams(labels=labels)
    asked = Thermo().physics_columns(p)
    assert set(asked) == set(PHYSICS_COLUMNS) - (set(PER_BAR_COLUMNS) if labels == "lifecycle" else set())
    lean = compute_physics(bars, columns=asked)
    days = full["trade_date"].unique().sort()
    start, end = days[20], days[-1]
    a = run_book(Panel({"physics": full, "quotes": bars}, start, end), p).rows
    b = run_book(Panel({"physics": lean, "quotes": bars}, start, end), p).rows
    assert a.height > 0 and (a["reason"].is_in(["buy_b", "buy_c"])).sum() > 0
    assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("columns", [None, ("t_f", "state", "q_below", "migration")])
def test_batches_of_stocks_give_the_same_frame(
    bars: pl.DataFrame, full: pl.DataFrame, columns: tuple[str, ...] | None
) -> None:
    """A sorted frame is computed in batches of whole stocks (here ~10 stocks each, the last one shorter):
    the same bits as one batch, including the per-stock parameters of a mapping."""
    syms = bars["symbol"].unique().sort().to_list()
    params = {s: ThermoParams(k_window=10 + i % 7) for i, s in enumerate(syms[::5])}
    one = compute_physics(bars, params, columns=columns, batch_rows=bars.height)
    many = compute_physics(bars, params, columns=columns, batch_rows=2_500)
    assert_frame_equal(one, many, check_exact=True)
    if columns is None:
        assert not one.equals(full)  # the per-stock parameters moved something


def test_batches_of_an_exotic_dtype_frame_are_cut_from_its_adjusted_copy(bars: pl.DataFrame) -> None:
    """Float32 prices take the frame path of forward adjustment (a sorted copy): batches are slices of that copy."""
    f32 = bars.with_columns(pl.col("open", "high", "low", "close", "pre_close").cast(pl.Float32)).reverse()
    one = compute_physics(f32, batch_rows=f32.height)
    many = compute_physics(f32, batch_rows=5_000)
    assert one["symbol"].is_sorted() and one.height == bars.height
    assert_frame_equal(one, many, check_exact=True)
