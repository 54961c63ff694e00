"""Per-stock parameter evolution (seed 000 §三.2, §四): walk-forward calibration of each stock's first pack and
the nightly regression, run by one task function on a local process pool or a Ray cluster."""
