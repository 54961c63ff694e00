"""`evaluate_windows` on the bundled 2021 whole-market sample: three arms, out of sample only."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermoquant.jobs.evolve_eval import EVAL_CONFIG, evaluate_windows

SAMPLE_DIR = Path(__file__).parents[2] / "src" / "thermoquant" / "_sample"


@pytest.mark.slow
def test_three_arms_out_of_sample() -> None:
    (rep,) = evaluate_windows(SAMPLE_DIR, max_stocks=40, workers=0)
    assert [a.name for a in rep.arms] == ["defaults", "calibrated", "nightly"]
    assert rep.folds == 2 and rep.stocks == 40
    # the out-of-sample segments start after one full calibration history of sessions
    assert rep.start.isoformat() > "2021-09-01" and rep.end.isoformat() == "2022-01-14"
    assert EVAL_CONFIG.calibration_history == 190
    for arm in rep.arms:
        assert (
            arm.trades > 0 and 0.0 <= arm.win_rate <= 1.0 and arm.max_drawdown >= 0.0 and arm.turnover > 0.0
        )
    assert rep.verdict.startswith("样本外总收益最高")
