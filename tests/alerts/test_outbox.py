"""alerts_log as the outbox, drained through real local bot servers: digest vs urgent, dedup, rate limits, retries
with backoff, final failures, the stable-layer writers' pending rows, no secret stored — on an injected clock."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from thermoquant.alerts.channels import build_notifiers
from thermoquant.alerts.outbox import Alert, Sender, alert_id_of, raise_alerts
from thermoquant.alerts.rules import job_failed
from thermoquant.config import AlertSettings
from thermoquant.data.store import Store

from .conftest import FakeClock
from .servers import BotServer

DAY = dt.date(2026, 6, 30)


def settings(bots: BotServer, **extra: object) -> AlertSettings:
    urls = bots.urls()
    return AlertSettings.model_validate(
        {
            "channels": {
                "wx": {"kind": "wecom", "url": urls["wecom"]},
                "ding": {"kind": "dingtalk", "url": urls["dingtalk"], "secret": bots.ding_secret},
                "fs": {"kind": "feishu", "url": urls["feishu"], "secret": bots.feishu_secret},
            },
            **extra,
        }
    )


def sender(store: Store, bots: BotServer, clock: FakeClock, **extra: object) -> Sender:
    cfg = settings(bots, **extra)
    return Sender(store, build_notifiers(cfg), cfg, clock=clock)


def log(store: Store) -> dict[str, dict]:
    return {r["alert_id"]: r for r in store.read("alerts_log").to_dicts()}


def warnings(n: int) -> list[Alert]:
    return [
        Alert("pe_high", f"市盈率过高 PE too high #{i}", symbol=f"60000{i}.SH", day=DAY) for i in range(n)
    ]


def test_digest_once_per_channel_and_dedup(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    s = sender(tmp_store, bots, clock, digest_channels=["wx", "fs"])
    ids = raise_alerts(tmp_store, warnings(3), clock.now())
    assert len(ids) == 3
    assert raise_alerts(tmp_store, warnings(3), clock.now()) == []  # same dedup keys: nothing new

    assert s.drain().sent == []  # not urgent: they wait for the digest
    report = s.drain(digest_now=True)
    assert sorted(report.sent) == sorted(ids)
    assert report.messages == {"wx": 1, "fs": 1}  # one digest message per channel
    text = bots.accepted("wecom")[0]["body"]["text"]["content"]
    assert all(f"PE too high #{i}" in text for i in range(3))
    rows = log(tmp_store)
    for aid in ids:
        row = rows[aid]
        assert row["status"] == "sent" and row["delivered"] is True and row["channels"] == "wx,fs"
        results = json.loads(row["results"])
        assert set(results) == {"wx", "fs"} and all(r["ok"] and r["attempts"] == 1 for r in results.values())
        assert results["wx"]["digest"] is not None
    assert s.drain(digest_now=True).messages == {}  # nothing pending any more
    assert len(bots.requests) == 2


def test_urgent_at_once_and_stable_layer_rows_are_pending(
    tmp_store: Store, bots: BotServer, clock: FakeClock
) -> None:
    s = sender(tmp_store, bots, clock, urgent_channels=["ding"], digest_channels=["wx"])
    # a row the stable-layer checks write: their own deterministic id, delivered and status null
    stable = pl.DataFrame({"alert_id": ["stable-600000.SH-2026Q1-payout"], "alert_time": [clock.now()],
                           "level": ["warning"], "rule": ["payout_low"], "symbol": ["600000.SH"],
                           "message": ["分红率连续两季低于 30%"], "delivered": [None]},
                          schema_overrides={"delivered": pl.Boolean})  # fmt: skip
    tmp_store.upsert("alerts_log", stable)
    [urgent] = raise_alerts(tmp_store, [job_failed("ingest:daily_quote", DAY, "timeout")], clock.now())
    report = s.drain()
    assert report.sent == [urgent] and report.messages == {"ding": 1}
    assert "ingest:daily_quote" in bots.accepted("dingtalk")[0]["body"]["markdown"]["text"]
    report = s.drain(digest_now=True)
    assert report.sent == ["stable-600000.SH-2026Q1-payout"] and report.messages == {"wx": 1}
    assert log(tmp_store)["stable-600000.SH-2026Q1-payout"]["delivered"] is True


def test_wecom_rate_limit_defers_then_sends(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    s = sender(tmp_store, bots, clock, urgent_channels=["wx"])
    alerts = [
        Alert("stop_loss", f"止损 #{i}", symbol=f"{600000 + i}.SH", day=DAY, level="critical")
        for i in range(25)
    ]
    raise_alerts(tmp_store, alerts, clock.now())
    first = s.drain(wait=False)
    assert len(first.sent) == 20 and len(first.waiting) == 5  # 20 a minute
    assert len(bots.accepted("wecom")) == 20
    waiting = log(tmp_store)[first.waiting[0]]
    assert waiting["status"] == "pending" and waiting["next_attempt_at"] == clock.now() + dt.timedelta(
        seconds=60
    )
    assert waiting["attempts"] == 0  # a deferral is not an attempt
    clock.advance(30)
    assert s.drain(wait=False).sent == []  # not due yet
    clock.advance(30)
    assert len(s.drain(wait=False).sent) == 5
    assert len(bots.accepted("wecom")) == 25 and clock.slept == []


def test_feishu_five_a_second_waits_on_the_clock(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    s = sender(tmp_store, bots, clock, urgent_channels=["fs"])
    alerts = [
        Alert("kill_switch", f"熔断 #{i}", day=DAY, dedup_key=f"k{i}", level="critical") for i in range(12)
    ]
    raise_alerts(tmp_store, alerts, clock.now())
    report = s.drain(wait=True, max_wait=10)
    assert len(report.sent) == 12
    assert clock.slept == [1.0, 1.0]  # 5 + 5 + 2 across three seconds; the server never throttled
    assert all(r["ok"] for r in bots.requests)


def test_retry_with_backoff_then_success(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    s = sender(tmp_store, bots, clock, urgent_channels=["wx"], backoff_seconds=60)
    bots.fail_first["wecom"] = 2  # HTTP 503 twice
    [aid] = raise_alerts(tmp_store, [job_failed("scan", DAY, "boom")], clock.now())
    start = clock.now()
    assert s.drain().waiting == [aid]
    row = log(tmp_store)[aid]
    assert row["attempts"] == 1 and row["next_attempt_at"] == start + dt.timedelta(seconds=60)
    assert json.loads(row["results"])["wx"]["code"] == "http 503"
    clock.advance(59)
    assert s.drain().deliveries == []
    clock.advance(1)
    assert s.drain().waiting == [aid]
    assert log(tmp_store)[aid]["next_attempt_at"] == clock.now() + dt.timedelta(seconds=120)  # doubled
    clock.advance(120)
    assert s.drain().sent == [aid]
    row = log(tmp_store)[aid]
    assert row["attempts"] == 3 and row["status"] == "sent" and row["sent_at"] == clock.now()


def test_gives_up_after_max_attempts(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    s = sender(tmp_store, bots, clock, urgent_channels=["wx"], max_attempts=2, backoff_seconds=10)
    bots.fail_first["wecom"] = 5
    [aid] = raise_alerts(tmp_store, [job_failed("scan", DAY, "boom")], clock.now())
    s.drain()
    clock.advance(10)
    assert s.drain().failed == [aid]
    row = log(tmp_store)[aid]
    assert row["status"] == "failed" and row["delivered"] is False and row["attempts"] == 2
    clock.advance(3600)
    assert s.drain().deliveries == []  # final


def test_bad_signature_is_final_and_partial(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    cfg = settings(bots, urgent_channels=["wx", "ding"])
    cfg.channels["ding"].secret = type(cfg.channels["ding"].secret)("SECwrong-signing-secret-000")  # type: ignore[misc]
    s = Sender(tmp_store, build_notifiers(cfg), cfg, clock=clock)
    [aid] = raise_alerts(tmp_store, [job_failed("scan", DAY, "boom")], clock.now())
    assert s.drain().failed == [aid]
    row = log(tmp_store)[aid]
    assert row["status"] == "partial" and row["delivered"] is False and row["attempts"] == 1
    assert "310000" in row["error"]
    results = json.loads(row["results"])
    assert results["wx"]["ok"] and not results["ding"]["ok"] and results["ding"]["final"]
    text = " ".join(str(v) for v in log(tmp_store)[aid].values())
    for secret in (bots.wecom_key, bots.ding_token, "SECwrong-signing-secret-000", bots.ding_secret):
        assert secret not in text


def test_alert_id_is_the_dedup_key_hash() -> None:
    a = Alert("data_rejected", "x", day=DAY, dedup_key="data_rejected|daily_quote|2026-06-30")
    assert alert_id_of(a.key) == alert_id_of("data_rejected|daily_quote|2026-06-30")
    assert Alert("pe_high", "x", symbol="600000.SH", day=DAY).key == "pe_high|600000.SH|2026-06-30"


def test_a_broken_channel_fails_alone(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    from thermoquant.alerts.channels import build_available

    cfg = settings(bots, urgent_channels=["wx", "bad"])
    cfg.channels["bad"] = type(cfg.channels["wx"])(kind="wecom", url_env="TQ_TEST_UNSET_WEBHOOK_VAR")
    good, broken = build_available(cfg, env={})
    assert set(good) == {"wx", "ding", "fs"} and "TQ_TEST_UNSET_WEBHOOK_VAR" in broken["bad"]
    s = Sender(tmp_store, good, cfg, clock=clock, broken=broken)
    [aid] = raise_alerts(tmp_store, [job_failed("scan", DAY, "boom")], clock.now())
    assert s.drain().failed == [aid]
    results = json.loads(log(tmp_store)[aid]["results"])
    assert results["wx"]["ok"] and results["bad"]["code"] == "config" and results["bad"]["final"]
    assert "TQ_TEST_UNSET_WEBHOOK_VAR" in results["bad"]["detail"]


def test_a_new_sender_remembers_what_was_sent(tmp_store: Store, bots: BotServer, clock: FakeClock) -> None:
    # the daily chain sent 20 WeCom messages; the scheduler's sender (another process) starts 10 s later
    first = sender(tmp_store, bots, clock, urgent_channels=["wx"])
    alerts = [
        Alert("stop_loss", f"#{i}", symbol=f"{600000 + i}.SH", day=DAY, level="critical") for i in range(25)
    ]
    raise_alerts(tmp_store, alerts[:20], clock.now())
    assert len(first.drain(wait=False).sent) == 20
    clock.advance(10)
    raise_alerts(tmp_store, alerts[20:], clock.now())
    second = sender(tmp_store, bots, clock, urgent_channels=["wx"])
    report = second.drain(wait=False)
    assert report.sent == [] and len(report.waiting) == 5  # seeded from alerts_log: the minute is used up
    assert len(bots.accepted("wecom")) == 20
    clock.advance(50)
    assert len(sender(tmp_store, bots, clock, urgent_channels=["wx"]).drain(wait=False).sent) == 5
