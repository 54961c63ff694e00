"""Jobs: the units of work a person, the scheduler or the dashboard starts.

Each job reads the settings once (:class:`~thermoquant.jobs.context.JobContext`), opens the store, runs, and records
itself in ``job_log`` with its full configuration and input fingerprints (:mod:`thermoquant.data.job_log`). Long
work reports progress through a callback (:mod:`thermoquant.progress`). Jobs never print: the CLI, the scheduler
and the dashboard decide how to show what a job returns.

* :mod:`.backtest` — ``run_backtest`` (any registered strategy, recorded for replay) and ``replay``;
* :mod:`.scan` — ``daily_scan`` (a strategy's signals of one day on the user's database);
* :mod:`.market` — ``compute_physics`` and ``compute_features`` over what the store holds;
* :mod:`.ingest` — ``ingest`` (a dataset from the sources) and ``load_sample``;
* :mod:`.panels` / :mod:`.csi500_panel` — the strategy inputs read from the store or from files.
"""
