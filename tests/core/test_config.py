"""Settings precedence: keyword > environment > tq.toml > defaults; secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermoquant.config import config_file_path, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "TQ_CONFIG",
        "TQ_DATA_DIR",
        "TQ_DATABASE_URL",
        "TQ_TUSHARE_TOKEN",
        "TQ_FEES__COMMISSION_RATE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_point_at_a_duckdb_file_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "d"))
    settings = load_settings()
    assert settings.data_dir == tmp_path / "d"
    assert settings.resolved_database_url == f"duckdb:///{(tmp_path / 'd' / 'tq.duckdb').resolve()}"
    assert settings.fees.commission_rate == pytest.approx(0.00025)
    assert settings.fees.min_commission == 5.0
    assert settings.fees.stamp_duty_rate is None


def test_toml_in_cwd_is_read_and_env_wins_over_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "tq.toml").write_text(
        'database_url = "postgresql://u@h:5432/db"\n[fees]\ncommission_rate = 0.0003\nmin_commission = 0.0\n',
        encoding="utf-8",
    )
    assert config_file_path() == tmp_path / "tq.toml"
    settings = load_settings()
    assert settings.resolved_database_url == "postgresql://u@h:5432/db"
    assert settings.fees.commission_rate == pytest.approx(0.0003)
    assert settings.fees.min_commission == 0.0
    monkeypatch.setenv("TQ_FEES__COMMISSION_RATE", "0.0001")
    assert load_settings().fees.commission_rate == pytest.approx(0.0001)
    assert load_settings(database_url="duckdb:///x.duckdb").resolved_database_url == "duckdb:///x.duckdb"


def test_explicit_config_path_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TQ_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(FileNotFoundError, match=r"missing\.toml"):
        load_settings()


def test_tushare_token_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQ_TUSHARE_TOKEN", "abc123secret")
    settings = load_settings()
    assert settings.tushare_token is not None
    assert settings.tushare_token.get_secret_value() == "abc123secret"
    assert "abc123secret" not in repr(settings)
    assert "abc123secret" not in str(settings.model_dump())


def test_bad_fee_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQ_FEES__COMMISSION_RATE", "-1")
    with pytest.raises(ValueError, match="commission_rate"):
        load_settings()
