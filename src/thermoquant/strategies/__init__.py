"""Strategies: pure functions of data and parameters (signals and target positions), run by the backtest engine
and the live loop alike."""
