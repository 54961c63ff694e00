"""The Streamlit dashboard (`tq ui`): market overview, one stock's K-line with its chips, signals and scores,
portfolio and risk, backtests, jobs and logs. Reads through :mod:`thermoquant.jobs.dashboard`; never writes."""
