"""Trading: one broker interface, the paper broker (the backtest's fill rules), the miniQMT broker, risk limits and
the kill switch, the order router (intent first, query before any resend), replay and reconciliation.

* :mod:`.orders` — order states and their transitions, deterministic client order ids, the broker-facing types;
* :mod:`.broker` — the :class:`~.broker.Broker` interface every broker implements;
* :mod:`.book` — our side in the database: intents, transitions (``orders``, ``order_events``), fills
  (``trades``), ``audit_log``;
* :mod:`.router` — sends an order safely: intent written before the send, the broker queried by client id after
  a restart or an unclear answer, never a blind resend;
* :mod:`.paper` — the paper venue, persistent in ``paper_ledger``, filling by :mod:`thermoquant.backtest.fill`;
* :mod:`.qmt` — miniQMT through ``xtquant.xttrader`` (Windows and a running QMT client);
* :mod:`.risk` — limits, counters and the kill switch (``trading_state``);
* :mod:`.replay` — history day by day through a broker, the backtest's own order planning.
"""
