"""Notifiers built from ``[alerts.channels.NAME]`` of tq.toml; secrets from the file or from the environment
variables the channel names (``url_env``, ``secret_env``, ``password_env``), masked in every output."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import SecretStr

from thermoquant.alerts.bots import DingTalkBot, FeishuBot, WeComBot
from thermoquant.alerts.email import EmailNotifier
from thermoquant.alerts.notifier import Notifier
from thermoquant.alerts.webhook import DEFAULT_BODY, WebhookNotifier
from thermoquant.config import AlertSettings, ChannelSettings
from thermoquant.secrets import remember


class AlertConfigError(ValueError):
    """A channel that cannot be built: names the channel and the field, never a value."""


def _secret(
    name: str, field: str, value: SecretStr | None, env_name: str | None, env: Mapping[str, str]
) -> str | None:
    if env_name:
        found = env.get(env_name)
        if not found:
            raise AlertConfigError(
                f"告警渠道 {name}: 环境变量 {env_name} 未设置 / channel {name}: {field}_env names {env_name}, "
                "which is not set"
            )
        remember(found)
        return found
    return value.get_secret_value() if value is not None else None


def _need(name: str, field: str, value: object) -> None:
    if not value:
        raise AlertConfigError(f"告警渠道 {name} 缺少 {field} / channel {name}: {field} is required")


def build_notifier(name: str, cfg: ChannelSettings, env: Mapping[str, str] | None = None) -> Notifier:
    """The notifier of one channel.

    Raises:
        AlertConfigError: a required field or environment variable is missing.
    """
    env = os.environ if env is None else env
    url = _secret(name, "url", cfg.url, cfg.url_env, env)
    secret = _secret(name, "secret", cfg.secret, cfg.secret_env, env)
    limits = tuple((int(n), float(s)) for n, s in cfg.rate_limits) if cfg.rate_limits is not None else ()
    if cfg.kind == "email":
        for field, value in (("host", cfg.host), ("sender", cfg.sender), ("recipients", cfg.recipients)):
            _need(name, field, value)
        password = _secret(name, "password", cfg.password, cfg.password_env, env)
        email = EmailNotifier(
            name, cfg.host or "", cfg.sender or "", list(cfg.recipients), port=cfg.port, security=cfg.security,
            username=cfg.username, password=password, timeout=cfg.timeout, ca_file=cfg.ca_file,
        )  # fmt: skip
        if cfg.rate_limits is not None:
            email.rate_limits = limits
        return email
    _need(name, "url", url)
    assert url is not None
    if cfg.kind == "webhook":
        headers = {k: v.get_secret_value() for k, v in cfg.headers.items()}
        hook = WebhookNotifier(
            name, url, body=cfg.body or DEFAULT_BODY, method=cfg.method, headers=headers,
            recipients=list(cfg.recipients), ok_field=cfg.ok_field, ok_value=cfg.ok_value, timeout=cfg.timeout,
        )  # fmt: skip
        if cfg.rate_limits is not None:
            hook.rate_limits = limits
        return hook
    bot_class = {"wecom": WeComBot, "dingtalk": DingTalkBot, "feishu": FeishuBot}[cfg.kind]
    return bot_class(name, url, secret, list(cfg.mentions), cfg.timeout, limits)


def build_notifiers(settings: AlertSettings, env: Mapping[str, str] | None = None) -> dict[str, Notifier]:
    """Every configured channel's notifier, by name."""
    return {name: build_notifier(name, cfg, env) for name, cfg in settings.channels.items()}


def build_available(
    settings: AlertSettings, env: Mapping[str, str] | None = None
) -> tuple[dict[str, Notifier], dict[str, str]]:
    """(notifiers of the channels that can be built, channel → why the others cannot): one broken channel does not
    stop the others."""
    good: dict[str, Notifier] = {}
    broken: dict[str, str] = {}
    for name, cfg in settings.channels.items():
        try:
            good[name] = build_notifier(name, cfg, env)
        except AlertConfigError as exc:
            broken[name] = str(exc)
    return good, broken


def channel_names(settings: AlertSettings, *, urgent: bool) -> list[str]:
    """Channels of urgent alerts or of the digest (``urgent_channels`` / ``digest_channels``; None = all)."""
    chosen = settings.urgent_channels if urgent else settings.digest_channels
    names = list(settings.channels) if chosen is None else list(chosen)
    unknown = [n for n in names if n not in settings.channels]
    if unknown:
        raise AlertConfigError(
            f"未配置的告警渠道 unknown alert channel(s): {', '.join(unknown)}; "
            f"configured: {', '.join(settings.channels) or '(none)'}"
        )
    return names
