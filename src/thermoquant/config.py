"""Settings: `tq.toml` plus `TQ_*` environment variables (pydantic-settings).

Precedence, highest first: keyword arguments to :func:`load_settings`, environment variables (`TQ_DATA_DIR`,
`TQ_DATABASE_URL`, `TQ_TUSHARE_TOKEN`, nested with a double underscore: `TQ_FEES__COMMISSION_RATE`), the TOML file,
then the defaults below.

The TOML file is the first of: `$TQ_CONFIG`, `./tq.toml`, `<data_dir>/tq.toml` (data_dir from the environment or the
default `~/.thermoquant`).

Invalid values raise :class:`SettingsError` naming the file and each field at fault, never the value (pydantic's own
message quotes every input value, and a value may be a token or a password). ``repr(settings)`` masks the
database URL's password; ``SecretStr`` fields (``tushare_token``) are masked in every output
(:mod:`thermoquant.secrets`).
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATA_DIR = Path.home() / ".thermoquant"


class SettingsError(ValueError):
    """Settings that do not validate: the source (`path`, None for the environment) and one ``field: reason`` per
    problem; never the offending value."""

    def __init__(self, path: Path | None, problems: list[str]) -> None:
        self.path, self.problems = path, problems
        where = str(path) if path else "TQ_* 环境变量 environment"
        super().__init__(f"配置值无效 / invalid setting: {where}: {'; '.join(problems)}")


class FeeSettings(BaseModel):
    """Trading costs. Rates are fractions of the traded amount (0.00025 = 0.025% = 万2.5).

    `stamp_duty_rate` and `transfer_fee_rate` of None mean "use the dated rule table in `thermoquant.market.fees`".
    """

    commission_rate: float = Field(
        0.00025, ge=0, le=0.01, description="broker commission, fraction of amount"
    )
    min_commission: float = Field(5.0, ge=0, description="minimum commission per order, CNY")
    stamp_duty_rate: float | None = Field(None, ge=0, le=0.01, description="override; sells only")
    transfer_fee_rate: float | None = Field(None, ge=0, le=0.01, description="override; both sides")


ChannelKind = Literal["email", "wecom", "dingtalk", "feishu", "webhook"]


class ChannelSettings(BaseModel):
    """One alert channel (``[alerts.channels.NAME]``). Which fields matter depends on ``kind``:

    * ``email`` — ``host``, ``port``, ``security`` (``ssl`` = SMTP over TLS, usually port 465; ``starttls``, usually
      587; ``none``), ``username`` and ``password`` (login, optional), ``sender``, ``recipients``;
    * ``wecom`` — ``url`` (the bot's webhook URL; its ``key`` is the credential), ``mentions`` (mobile numbers);
    * ``dingtalk`` — ``url`` (``…/robot/send?access_token=…``), ``secret`` (``SEC…``, signing), ``mentions``;
    * ``feishu`` — ``url`` (``…/bot/v2/hook/…``), ``secret`` (signing);
    * ``webhook`` — ``url``, ``method``, ``headers``, ``body`` (a template with ``{message}``, ``{title}``,
      ``{level}``, ``{recipient}`` — JSON-escaped), ``recipients`` (one request each; none = one request),
      ``ok_field`` / ``ok_value`` (the body field that says success, e.g. ``code`` = ``0``).

    Secrets (``url``, ``secret``, ``password``, ``headers`` values) may be given here or, better, through the
    environment: ``url_env``, ``secret_env``, ``password_env`` name the variables that hold them. Either way they
    are masked in every output (:mod:`thermoquant.secrets`).
    """

    kind: ChannelKind
    url: SecretStr | None = None
    url_env: str | None = None
    secret: SecretStr | None = None
    secret_env: str | None = None
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = None
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    mentions: list[str] = Field(default_factory=list, description="mobile numbers to @ (wecom, dingtalk)")
    method: Literal["POST", "GET", "PUT"] = "POST"
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    body: str | None = None
    ok_field: str | None = None
    ok_value: str | int | bool | None = None
    ca_file: str | None = Field(None, description="email: CA bundle to trust (a private mail server)")
    timeout: float = Field(10.0, gt=0, description="seconds per request")
    rate_limits: list[tuple[int, float]] | None = Field(
        None, description="[[count, seconds], …]; None = the platform's published limits"
    )


class AlertSettings(BaseModel):
    """``[alerts]``: channels, who gets what, thresholds, retries."""

    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    digest_channels: list[str] | None = Field(
        None, description="channels of the daily digest; None = every channel"
    )
    urgent_channels: list[str] | None = Field(
        None, description="channels of urgent alerts (stops, kill switch, failed job); None = every channel"
    )
    max_attempts: int = Field(5, ge=1, description="deliveries tried per alert and channel before giving up")
    backoff_seconds: float = Field(60.0, gt=0, description="wait after the first failure, doubled each time")
    backoff_max_seconds: float = Field(3600.0, gt=0, description="longest wait between two attempts")
    rejection_threshold: int = Field(
        100,
        ge=0,
        description="rows rejected by the quality rules in one ingest above which an alert is raised",
    )
    calendar_warn_days: int = Field(
        20, ge=0, description="days before the calendar's last known date from which an alert is raised"
    )


class DailySettings(BaseModel):
    """``[daily]``: what `tq daily` ingests (dataset → sources in fallback order; [] = the default order)."""

    datasets: dict[str, list[str]] | None = Field(
        None,
        description='e.g. daily_quote = ["akshare", "baostock"], funds_flow = [] (default order); '
        "not set = the default (thermoquant.jobs.daily.DEFAULT_DATASETS: trade_calendar, stock_info, "
        "daily_quote, funds_flow); empty table {} = no ingest step",
    )
    strategies: list[str] = Field(
        default_factory=list,
        description="strategies besides the full-market scan whose signals of the day are stored (signals step)",
    )
    factor_dims: list[int] = Field(default_factory=lambda: [1, 2, 3, 4], description="factor dimensions 1..8")
    convention: Literal["tdx", "talib"] = Field("tdx", description="factor convention (tq features)")
    min_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="the day is complete when daily_quote holds at least this share of the "
        "stocks of the previous trading day (fraction)",
    )


class ScheduleSettings(BaseModel):
    """``[schedule]``: times (Asia/Shanghai) of the scheduler's jobs."""

    daily_at: dt.time = Field(dt.time(17, 30), description="the daily chain, on XSHG trading days")
    constituents_monthly_at: dt.time = Field(dt.time(0, 0), description="CSI500 refresh on the 1st")
    constituents_semiannual_at: dt.time = Field(
        dt.time(22, 0), description="CSI500 refresh on the second Saturday of June and December"
    )
    calendar_check_day: int = Field(20, ge=1, le=31, description="day of December of the calendar-end check")
    calendar_check_at: dt.time = Field(dt.time(9, 0))
    misfire_grace_hours: float = Field(
        6.0, gt=0, description="a run missed (machine asleep) by at most this many hours still runs, once"
    )


class RiskSettings(BaseModel):
    """``[risk]``: every limit of :class:`thermoquant.trading.risk.RiskLimits`, one key each, read by the backtest
    (target caps), ``tq trade replay`` and ``tq trade run`` alike. The defaults cap nothing (an index-timing
    strategy holds one ETF at 100 %); values that pass here but break a rule of the risk layer (orders plus
    cancels above 10 % of the exchanges' daily line, ``drawdown_halt`` below ``drawdown_reduce``) are refused when
    the limits are built."""

    max_symbol_weight: float = Field(
        1.0, gt=0, le=1, description="largest target weight of one stock, fraction of equity (1.0 = no cap)"
    )
    max_industry_weight: float = Field(
        1.0, gt=0, le=1, description="largest summed target weight of one industry, fraction of equity"
    )
    industry_classification: str = Field(
        "sw2021_l1",
        description="industry_member classification the industry cap groups by (membership in force)",
    )
    max_sleeve_weight: dict[str, float] = Field(
        default_factory=dict, description="sleeve → largest summed weight, fraction: {satellite = 0.4}"
    )
    take_profit: float | None = Field(
        None, gt=0, description="exit when the price is this fraction above cost"
    )
    stop_loss: float | None = Field(
        None, gt=0, lt=1, description="exit when the price is this fraction below cost"
    )
    physical_stop: bool = Field(
        False, description="the loop sells when the physics' stop fires (T_f < T_i > Δt)"
    )
    drawdown_reduce: float | None = Field(
        None, gt=0, lt=1, description="equity drawdown from its peak (fraction) that sets REDUCING"
    )
    drawdown_halt: float | None = Field(None, gt=0, le=1, description="drawdown (fraction) that sets HALTED")
    max_orders_per_day: int = Field(1_000, ge=0, description="orders a day per account")
    max_cancels_per_day: int = Field(500, ge=0, description="cancels a day per account")
    max_orders_per_second: int = Field(10, ge=1, description="orders a second per account; faster sends wait")
    max_order_value: float | None = Field(None, gt=0, description="largest value of one order, CNY")


class Settings(BaseSettings):
    """All user configuration. Paths are absolute after validation."""

    model_config = SettingsConfigDict(env_prefix="TQ_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(
        DEFAULT_DATA_DIR, description="where the DuckDB file, feature Parquet and reports live"
    )
    database_url: str | None = Field(
        None,
        description="None = DuckDB file <data_dir>/tq.duckdb; or duckdb:///path/file.duckdb; "
        "or postgresql://user:pass@host:5432/dbname; or mysql://user:pass@host:3306/dbname",
    )
    tushare_token: SecretStr | None = Field(None, description="Tushare Pro token; never logged")
    lock_timeout: float = Field(
        60.0,
        ge=0,
        description="seconds a command waits for a DuckDB file that another process holds (TQ_LOCK_TIMEOUT)",
    )
    fees: FeeSettings = Field(default_factory=FeeSettings)
    strategies: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="per-strategy parameter overrides: [strategies.csi500_timing] breadth_low = 20 (-p wins)",
    )
    source_priority: dict[str, list[str]] = Field(
        default_factory=dict,
        description="source families best first, per table or `default`, for values two sources both have: "
        '[source_priority] daily_quote = ["tushare", "baostock", "akshare"] (thermoquant.data.merge)',
    )
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    daily: DailySettings = Field(default_factory=DailySettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    today: dt.date | None = Field(
        None, description="the date treated as today (TQ_TODAY); None = the current date in Asia/Shanghai"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = config_file_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def model_post_init(self, context: Any, /) -> None:
        """Register the secrets of these settings with :mod:`thermoquant.secrets` (masked in every output)."""
        from thermoquant.secrets import remember, secret_values

        remember(*secret_values(self))

    def __repr_args__(self) -> Any:
        from thermoquant.secrets import mask_url

        for name, value in super().__repr_args__():
            yield name, (mask_url(value) if name == "database_url" and isinstance(value, str) else value)

    @property
    def resolved_database_url(self) -> str:
        """The database URL with the DuckDB default filled in."""
        if self.database_url:
            return self.database_url
        return f"duckdb:///{(self.data_dir / 'tq.duckdb').expanduser().resolve()}"

    @property
    def reports_dir(self) -> Path:
        """Where HTML reports go unless a command is given `--out`: `<data_dir>/reports`."""
        return self.data_dir.expanduser().resolve() / "reports"

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed and return it."""
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path


def config_file_path() -> Path | None:
    """The TOML file in force, or None: `$TQ_CONFIG`, `./tq.toml`, `<data_dir>/tq.toml`."""
    explicit = os.environ.get("TQ_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"TQ_CONFIG points to {path}, which is not a file")
        return path
    candidates = [Path.cwd() / "tq.toml"]
    data_dir = Path(os.environ.get("TQ_DATA_DIR", str(DEFAULT_DATA_DIR))).expanduser()
    candidates.append(data_dir / "tq.toml")
    for path in candidates:
        if path.is_file():
            return path
    return None


def _settings_error(exc: ValidationError) -> SettingsError:
    """pydantic's error as field and reason only: its own message quotes every input value, and a value may be a
    token or a password."""
    from thermoquant.secrets import mask

    problems = [
        mask(f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}")
        for err in exc.errors(include_url=False, include_input=False)
    ]
    return SettingsError(config_file_path(), problems)


def load_settings(**overrides: Any) -> Settings:
    """Build fresh settings (no cache); keyword overrides win over every other source.

    Raises:
        SettingsError: a value does not validate (the message hides secrets).
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise _settings_error(exc) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once. Call `get_settings.cache_clear()` after changing the environment."""
    return load_settings()
