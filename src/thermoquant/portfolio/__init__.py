"""Portfolio construction: optimisation (min variance, max Sharpe, risk parity), allocation and sizing."""
