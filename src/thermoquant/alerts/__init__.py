"""Alerts: notifiers (email, WeCom, DingTalk, Feishu, a generic webhook) and ``alerts_log`` as their outbox.

* :mod:`.notifier` — the message and the delivery result every notifier shares;
* :mod:`.email`, :mod:`.bots`, :mod:`.webhook` — the notifiers; :mod:`.signing` — DingTalk's and Feishu's
  signatures; :mod:`.http` — one JSON POST that returns the body (the bots answer errors with HTTP 200);
* :mod:`.channels` — notifiers built from ``[alerts.channels.NAME]`` of tq.toml, secrets from the environment;
* :mod:`.outbox` — an alert is written to ``alerts_log`` before it is sent; one sender drains the log with
  per-channel rate limits (:mod:`.ratelimit`), retries with backoff, a dedup key and each channel's result;
* :mod:`.rules` — the alerts the product raises (failed job, stops, kill switch, rejected rows, calendar end);
* :mod:`.message` — one alert's text, the daily digest, split to each channel's size limit.
"""
