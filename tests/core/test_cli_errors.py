"""Expected failures print one or two lines (Chinese, then English, then what to do) and exit with a documented code;
the traceback only with `--debug` / TQ_DEBUG=1. Run as a user runs them: the real `tq` console script where the
process matters (tracebacks, locks), Typer's CliRunner on real files elsewhere."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.cli.errors import EXIT_CORRUPT, EXIT_FAILURE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from thermoquant.config import get_settings
from thermoquant.data.store import open_store

runner = CliRunner()
TQ = Path(sys.executable).with_name("tq")
DEAD_PG = "postgresql://postgres@127.0.0.1:1/test"
CSV = Path(__file__).resolve().parents[1] / "data" / "csv"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory in force for CliRunner and subprocesses alike (no tq.toml, no TQ_DATABASE_URL)."""
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "home"))
    for var in ("TQ_DATABASE_URL", "TQ_CONFIG", "TQ_DEBUG", "TQ_LOCK_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def tq(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, as a user does."""
    return subprocess.run(
        [str(TQ), *args],
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def short(output: str, most: int = 3) -> list[str]:
    """The non-empty lines of an error output; asserts there are at most `most` and no traceback."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output and "╭" not in output, output
    assert 1 <= len(lines) <= most, output
    return lines


def test_exit_codes_are_documented_in_the_help() -> None:
    out = tq("--help").stdout
    assert "退出码 exit codes" in out and "--debug" in out
    for code in ("0 成功", "1 失败", "2 用法或配置错误", "3 数据库不可用", "4 数据库已损坏"):
        assert code in out, code


# ------------------------------------------------------------------------------------- database unavailable
def test_dead_postgres_port(home: Path) -> None:
    done = tq("db", "info", "--db", DEAD_PG)
    assert done.returncode == EXIT_UNAVAILABLE
    first, hint = short(done.stderr, 2)
    assert first.startswith("✗ 无法连接数据库 / the database is unavailable")
    assert "no PostgreSQL server answers at 127.0.0.1:1" in first and "--db" in hint


def test_missing_postgres_database(home: Path, pg_url_or_skip: str) -> None:
    base = pg_url_or_skip.rsplit("/", 1)[0]
    result = runner.invoke(app, ["init", "--db", f"{base}/tq_no_such_database"])
    assert result.exit_code == EXIT_UNAVAILABLE
    (line, _hint) = short(result.output, 2)
    assert 'database "tq_no_such_database" does not exist' in line and "createdb tq_no_such_database" in line


@pytest.fixture
def pg_url_or_skip() -> str:
    url = os.environ.get("TQ_TEST_PG_URL")
    if not url:
        pytest.skip("TQ_TEST_PG_URL is not set")
    return url


def test_traceback_only_with_debug(home: Path) -> None:
    plain = tq("db", "info", "--db", DEAD_PG)
    assert "Traceback" not in plain.stderr
    for done in (
        tq("--debug", "db", "info", "--db", DEAD_PG),
        tq("db", "info", "--db", DEAD_PG, env={"TQ_DEBUG": "1"}),
    ):
        assert done.returncode == 1  # Python's own exit status for an uncaught exception
        assert "Traceback" in done.stderr and "StoreUnavailableError" in done.stderr


HOLDER = (
    "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"
)


def test_locked_file_is_announced_at_once_and_the_wait_is_bounded(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home / "tq.duckdb")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        proc = subprocess.Popen(
            [str(TQ), "import", str(CSV / "603083.csv")],
            env={**os.environ, "TQ_LOCK_TIMEOUT": "4", "COLUMNS": "200"},
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        first = proc.stderr.readline()  # told while still waiting, not after
        told_after = time.monotonic() - start
        assert proc.poll() is None, "the message comes while the command waits"
        _out, rest = proc.communicate(timeout=60)
        waited = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    assert "数据库文件被另一个进程占用" in first and f"PID {holder.pid}" in first and "4 秒" in first
    assert told_after < 4
    assert proc.returncode == EXIT_UNAVAILABLE and 4 <= waited < 30
    (line, hint) = short(rest, 2)
    assert f"PID {holder.pid}" in line and "for 4 s" in line and "TQ_LOCK_TIMEOUT" in hint


# ---------------------------------------------------------------------------------------- not initialised
def test_db_info_and_doctor_before_init_say_run_init(home: Path) -> None:
    info = runner.invoke(app, ["db", "info"])
    assert info.exit_code == EXIT_FAILURE
    (line, hint) = short(info.output, 2)
    assert "数据库尚未初始化" in line and "tq init" in hint
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == EXIT_FAILURE
    assert "schema v0" not in doctor.output and "✓ 数据库可用" not in doctor.output
    assert "✗ 数据库尚未初始化" in doctor.output and "run `tq init` first" in doctor.output
    assert not (home / "tq.duckdb").exists(), "looking does not create the database"


def test_empty_database(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["physics", "report", "000025.SZ"])
    assert result.exit_code == EXIT_FAILURE
    (line, hint) = short(result.output, 2)
    assert "数据库中没有所需数据" in line and "daily_quote" in line and "tq import" in hint


# ------------------------------------------------------------------------------------ usage and configuration
def test_bad_symbol(home: Path) -> None:
    result = runner.invoke(app, ["physics", "report", "999999.XX"])
    assert result.exit_code == EXIT_USAGE
    (line, hint) = short(result.output, 2)
    assert "不是证券代码 / not a security code" in line and "'999999.XX'" in line and "600000.SH" in hint


def test_missing_file(home: Path) -> None:
    result = runner.invoke(app, ["import", "no_such_file.csv"])
    assert result.exit_code == EXIT_USAGE and "no_such_file.csv" in result.output
    missing = runner.invoke(app, ["db", "info"], env={"TQ_CONFIG": str(home / "absent.toml")})
    assert missing.exit_code == EXIT_USAGE
    assert short(missing.output, 2)[0].startswith("✗ 文件不存在 / file not found: TQ_CONFIG points to")


def test_bad_tq_toml(home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "tq.toml"
    broken.write_text('data_dir = "x"\n[fees\ncommission_rate = 1\n', encoding="utf-8")
    result = runner.invoke(app, ["db", "info"])
    assert result.exit_code == EXIT_USAGE
    (line, hint) = short(result.output, 2)
    assert "配置文件语法错误" in line and str(broken) in line and "line 2" in line and "TQ_CONFIG" in hint
    broken.write_text('[fees]\ncommission_rate = "secret-looking-value"\n', encoding="utf-8")
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "info"])
    assert result.exit_code == EXIT_USAGE
    (line, _hint) = short(result.output, 2)
    assert "配置值无效 / invalid setting" in line and "fees.commission_rate" in line
    assert "secret-looking-value" not in result.output  # the offending value is never echoed
    get_settings.cache_clear()
    doctor = runner.invoke(app, ["doctor"])  # the doctor reports it too, and goes on with the calendar
    assert doctor.exit_code == EXIT_USAGE and "配置值无效" in doctor.output and "交易日历" in doctor.output


# --------------------------------------------------------------------------------------------- corrupt file
def test_damaged_file_stops_init_import_and_is_reported(home: Path) -> None:
    from store_damage import damage_table, digest, filled_database

    db = filled_database(home / "tq.duckdb")
    damage_table(db, "daily_quote")
    before = digest(db)
    for args in (["init"], ["import", str(CSV / "603083.csv")]):
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_CORRUPT, result.output
        (line, hint) = short(result.output, 2)
        assert line.startswith("✗ 数据库已损坏 / the database is damaged") and "table daily_quote" in line
        assert "tq db restore" in hint
    info = runner.invoke(app, ["db", "info"])
    assert info.exit_code == EXIT_CORRUPT and "✗ 已损坏 damaged" in info.output
    assert "表 daily_quote 已损坏" in info.output and "tq db restore" in info.output
    assert digest(db) == before, "nothing was written into the damaged file"


# ----------------------------------------------------------------------------------------------- imports
def test_truncated_gzip_is_named_and_the_other_files_are_imported(home: Path, tmp_path: Path) -> None:
    whole = gzip.compress((CSV / "603083.csv").read_bytes())
    cut = tmp_path / "603083.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    done = tq("import", str(cut), str(CSV / "sz.000025.csv"))
    assert done.returncode == EXIT_FAILURE, done.stdout + done.stderr
    assert "Aborted" not in done.stdout + done.stderr
    assert "压缩文件不完整 / truncated gzip file" in done.stdout and "603083.csv.gz" in done.stdout
    with open_store(init=False) as store:
        symbols = store.read("daily_quote", columns=["symbol"])["symbol"].unique().to_list()
    assert symbols == ["000025.SZ"]  # the good file was written, nothing of the cut one


def test_every_row_rejected_exits_non_zero(home: Path, tmp_path: Path) -> None:
    lines = (CSV / "603083.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    close = header.index("收盘价")
    bad = [",".join(v if i != close else "n/a-" + v for i, v in enumerate(r.split(","))) for r in lines[1:]]
    path = tmp_path / "603083.csv"
    path.write_text("\n".join([lines[0], *bad]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == EXIT_FAILURE
    assert "✗ 603083.csv: 未写入：所有行都被拒绝 / nothing written: every row was rejected" in result.output
    # the rejected column counts rows, the issues are listed apart (each bad close is two issues)
    assert f"{len(bad)} 行 rows, {2 * len(bad)} 个问题 issues" in result.output


def test_header_only_and_reference_only_files_say_why_nothing_was_written(home: Path, tmp_path: Path) -> None:
    header_only = tmp_path / "sz.000025.csv"
    header_only.write_text((CSV / "sz.000025.csv").read_text(encoding="utf-8").splitlines()[0] + "\n")
    result = runner.invoke(app, ["import", str(header_only)], env={"COLUMNS": "250"})
    assert result.exit_code == EXIT_FAILURE
    assert "未写入：文件没有数据行 / nothing written: the file has no data rows" in result.output
    result = runner.invoke(app, ["import", str(CSV / "csi500_breadth_daily.csv")], env={"COLUMNS": "250"})
    assert result.exit_code == EXIT_OK
    assert "参考序列，按设计不入库 / reference series, not stored by design" in result.output


def test_report_counts_rows_and_names_symbol_and_date(home: Path) -> None:
    result = runner.invoke(app, ["import", str(CSV / "603083_broken.csv")], env={"COLUMNS": "250"})
    assert result.exit_code == EXIT_OK  # default mode: clean rows written, rejected rows reported
    assert "603083_broken.csv: 2 行 rows, 3 个问题 issues" in result.output
    summary = next(line for line in result.output.splitlines() if line.startswith("│ 603083_broken.csv"))
    assert [c.strip() for c in summary.split("│")][6] == "2"  # 拒绝行 rejected rows
    result = runner.invoke(app, ["import", str(CSV / "sh.000905.csv")], env={"COLUMNS": "250"})
    sci = next(line for line in result.output.splitlines() if "sci_notation" in line)
    assert "000905.SH 2019-02-19, 2019-02-21" in sci
    again = runner.invoke(app, ["import", str(CSV / "603083_broken.csv")], env={"COLUMNS": "250"})
    assert again.exit_code == EXIT_OK and "无变化（已导入过）/ unchanged" in again.output
