"""Secrets never leave the process (issue 13 §5): one masker (`thermoquant.secrets`) for URLs, tokens, errors and logs.

The end-to-end test runs `tq demo`, `tq import`, `tq ingest` and failing connections as real processes against a
real PostgreSQL role created with a unique password and a Tushare token set, then searches every captured output,
every file of the data directory and every text column of every table for the secrets.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql as pgsql

from thermoquant.config import SettingsError, load_settings
from thermoquant.data.job_log import JobRecord
from thermoquant.data.store import StoreError, open_store
from thermoquant.secrets import MASK, install_log_masking, mask, mask_url, remember, url_secrets

ROOT = Path(__file__).resolve().parents[2]
TUSHARE_FIXTURE = ROOT / "tests" / "data" / "sources" / "fixtures" / "tushare"
CSV_DIR = ROOT / "tests" / "data" / "csv"


# ----------------------------------------------------------------------------------------------- the masker
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://tq:s3cret-pw@db:5432/tq", "postgresql://tq:***@db:5432/tq"),
        ("postgres://:s3cret-pw@db/tq", "postgres://:***@db/tq"),  # password without a user
        ("postgresql+psycopg://u:p%40ss%2Fw0rd@h/db?schema=x", "postgresql+psycopg://u:***@h/db?schema=x"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),  # an unencoded @ in the password
        ("postgresql://h/db?user=u&password=s3cret-pw&sslmode=require", "postgresql://h/db?user=u&password=***&sslmode=require"),
        ("host=h dbname=tq password='s3 cret' user=u", "host=h dbname=tq password=*** user=u"),
        ("cannot connect (postgresql://u:pw12@h/db): refused", "cannot connect (postgresql://u:***@h/db): refused"),
        ("postgresql://u@h:5432/db and duckdb:////tmp/x.duckdb", "postgresql://u@h:5432/db and duckdb:////tmp/x.duckdb"),
    ],
)  # fmt: skip
def test_url_passwords_are_masked_wherever_they_appear(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_a_url_password_echoed_on_its_own_is_masked_raw_and_decoded() -> None:
    secrets = url_secrets("postgresql://u:Tq%25pw-%7E42@h/db")
    assert (
        mask('invalid percent-encoded token: "Tq%pw-~42"', *secrets)
        == f'invalid percent-encoded token: "{MASK}"'
    )
    assert mask("echo Tq%25pw-%7E42", *secrets) == f"echo {MASK}"
    # too short to replace everywhere: "about", "tab" stay readable; in a URL it is still masked
    assert (
        mask("about a tab", "ab") == "about a tab"
        and mask("postgresql://u:ab@h/db") == "postgresql://u:***@h/db"
    )


def test_tokens_are_masked_process_wide_but_a_common_word_password_is_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TQ_CONFIG", raising=False)
    monkeypatch.setenv("TQ_TUSHARE_TOKEN", "TokWide-" + "9" * 20)
    monkeypatch.setenv("TQ_DATABASE_URL", "postgresql://postgres:postgres@localhost/tq")
    settings = load_settings()
    assert mask("vendor said: bad token TokWide-" + "9" * 20) == f"vendor said: bad token {MASK}"
    assert (
        mask_url(settings.resolved_database_url) == "postgresql://postgres:***@localhost/tq"
    )  # not ***ql://
    assert mask("user postgres") == "user postgres"


def test_describe_url_of_every_command_uses_the_one_masker() -> None:
    from thermoquant.cli.options import describe_url

    url = "postgresql://tq:Zz-9-secret@127.0.0.1:5432/tq?schema=s"
    assert describe_url(url) == mask_url(url) == "postgresql://tq:***@127.0.0.1:5432/tq?schema=s"


def test_job_log_rows_are_masked() -> None:
    record = JobRecord(
        "ingest",
        {"db": "postgresql://u:JobPw-123@h/db"},
        errors=["psycopg: password=JobPw-123 rejected"],
        gaps=[{"url": "postgresql://u:JobPw-123@h/db"}],
    )
    row = record.row()
    assert not any("JobPw-123" in str(v) for v in row.values())
    assert MASK in row["args"] and MASK in row["errors"] and MASK in row["gaps"]


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())  # restored afterwards
    install_log_masking()
    install_log_masking()  # idempotent: one masking layer
    remember("LogTok-0123456789")
    with caplog.at_level(logging.WARNING):
        logging.getLogger("some.vendor").warning(
            "token %s rejected at %s", "LogTok-0123456789", "postgresql://u:LogPw-1@h/d"
        )
    assert "LogTok-0123456789" not in caplog.text and "LogPw-1" not in caplog.text
    assert f"token {MASK} rejected at postgresql://u:{MASK}@h/d" in caplog.text


# ----------------------------------------------------------------------------------------------- settings
@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("TQ_CONFIG", "TQ_DATA_DIR", "TQ_DATABASE_URL", "TQ_TUSHARE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "line",
    [
        'tushare_token = ["{token}"]',  # a list instead of a string
        "tushare_token = {{ value = '{token}' }}",  # a table
        "tushare_token = 1{digits}",  # a bare number
    ],
)
def test_a_malformed_tushare_token_gives_an_error_without_the_token(clean_env: Path, line: str) -> None:
    token = "d1e2" + uuid.uuid4().hex + uuid.uuid4().hex[:20]
    digits = str(uuid.uuid4().int)[:30]
    (clean_env / "tq.toml").write_text(line.format(token=token, digits=digits) + "\n", encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert "tushare_token" in text and "tq.toml" in text
    assert token not in text and digits not in text and token not in repr(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__  # pydantic's message is not chained


def test_no_bad_value_is_echoed_only_the_fields(clean_env: Path) -> None:
    (clean_env / "tq.toml").write_text(
        'database_url = ["postgresql://u:TomlPw-77@h/db"]\n[fees]\ncommission_rate = 0.5\n', encoding="utf-8"
    )
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert "fees.commission_rate" in text and "database_url" in text and "less than or equal to 0.01" in text
    assert "TomlPw-77" not in text and "0.5" not in text
    assert err.value.problems == [
        "database_url: Input should be a valid string",
        "fees.commission_rate: Input should be less than or equal to 0.01",
    ]


def test_settings_repr_masks_the_database_password(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQ_DATABASE_URL", "postgresql://u:ReprPw-99@h/db")
    settings = load_settings()
    assert "ReprPw-99" not in repr(settings) and "postgresql://u:***@h/db" in repr(settings)
    assert settings.resolved_database_url == "postgresql://u:ReprPw-99@h/db"  # the value itself is intact


# ----------------------------------------------------------------------------------------------- PostgreSQL errors
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://tq:ConnPw-{u}@127.0.0.1:1/test",  # nothing listens: connection refused
        "postgresql://tq:ConnPw-{u}%zz@127.0.0.1:5432/test",  # psycopg quotes the malformed password
        "postgresql://tq:ConnPw-{u}@[::1/test",  # psycopg quotes the whole URI
        "mysql://tq:ConnPw-{u}@127.0.0.1:1/test",  # MySQL: connection refused
        "mariadb://tq:ConnPw-{u}@127.0.0.1:3306/test",  # the MariaDB server refuses the user
        "mysql://tq:ConnPw-{u}@127.0.0.1:3306/",  # no database named
        "sqlite://tq:ConnPw-{u}@127.0.0.1/test",  # not a supported URL at all
    ],
)
def test_connection_errors_do_not_echo_the_password(url: str) -> None:
    u = uuid.uuid4().hex
    with pytest.raises(StoreError) as err:
        open_store(url.format(u=u))
    assert f"ConnPw-{u}" not in str(err.value) and err.value.__cause__ is None


# ----------------------------------------------------------------------------------------------- end to end
@pytest.fixture
def pg_role() -> Iterator[tuple[str, str]]:
    """A login role with a unique password and its own schema on TQ_TEST_PG_URL; (url with password, password)."""
    admin_url = os.environ.get("TQ_TEST_PG_URL")
    if not admin_url:
        pytest.skip("TQ_TEST_PG_URL is not set: the PostgreSQL secrets test needs a real server")
    role = f"tq_secret_{uuid.uuid4().hex[:10]}"
    password = f"Pw/{uuid.uuid4().hex}:x@y%z"  # characters a URL must percent-encode
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                pgsql.Identifier(role), pgsql.Literal(password)
            )
        )
        db = conn.info.dbname
        conn.execute(
            pgsql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
                pgsql.Identifier(db), pgsql.Identifier(role)
            )
        )
        conn.execute(
            pgsql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                pgsql.Identifier(role), pgsql.Identifier(role)
            )
        )
    parts = urlsplit(admin_url)
    netloc = f"{role}:{quote(password, safe='')}@{parts.hostname}:{parts.port or 5432}"
    url = urlunsplit(parts._replace(netloc=netloc, query=f"schema={role}"))
    try:
        yield url, password
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(role)))
            conn.execute(pgsql.SQL("DROP OWNED BY {}").format(pgsql.Identifier(role)))
            conn.execute(
                pgsql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(
                    pgsql.Identifier(db), pgsql.Identifier(role)
                )
            )
            conn.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(role)))  # fmt: skip


def tq(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "thermoquant.cli.main", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)


def stored_text(url: str, schema: str) -> str:
    """Every value of every text or JSON column of every table in the schema, one per line."""
    admin = os.environ["TQ_TEST_PG_URL"]
    with psycopg.connect(admin) as conn:
        cols = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
            "AND data_type IN ('text', 'json', 'jsonb', 'character varying', 'character')",
            (schema,),
        ).fetchall()
        assert len(cols) > 50
        out = []
        for table, column in cols:
            query = pgsql.SQL("SELECT {}::text FROM {}.{} WHERE {} IS NOT NULL").format(
                pgsql.Identifier(column),
                pgsql.Identifier(schema),
                pgsql.Identifier(table),
                pgsql.Identifier(column),
            )
            out += [r[0] for r in conn.execute(query).fetchall()]
    return "\n".join(out)


@pytest.mark.postgres
@pytest.mark.slow
def test_demo_import_ingest_and_failures_never_show_a_secret(
    pg_role: tuple[str, str], tmp_path: Path
) -> None:
    url, password = pg_role
    schema = dict(p.split("=") for p in urlsplit(url).query.split("&"))["schema"]
    token = uuid.uuid4().hex + uuid.uuid4().hex[:24]  # shaped like a Tushare token (56 hex)
    secrets = {password, quote(password, safe=""), token}
    data_dir = tmp_path / "data"
    env = {**os.environ, "TQ_DATA_DIR": str(data_dir), "TQ_TUSHARE_TOKEN": token, "COLUMNS": "200"}
    env.pop("TQ_DATABASE_URL", None)
    env_url = {**env, "TQ_DATABASE_URL": url}  # the configured URL instead of --db
    host_bad = url.replace(f"{urlsplit(url).port}", "1", 1)  # the same credentials, a port nothing listens on
    parts = urlsplit(url)  # the password as a query parameter, which libpq accepts too
    in_query = urlunsplit(
        parts._replace(
            netloc=parts.netloc.replace(":" + quote(password, safe=""), "", 1),
            query=f"{parts.query}&password={quote(password, safe='')}",
        )
    )
    runs = [
        tq("demo", "--db", url, env=env),
        tq("init", "--db", in_query, env=env),
        tq("import", str(CSV_DIR / "sz.000025.csv"), str(CSV_DIR / "603083_broken.csv"), "--db", url, env=env),
        tq("ingest", "daily_quote", "--source", f"fixture:{TUSHARE_FIXTURE}", "--symbols", "600000.SH,000001.SZ",
           "--start", "2021-06-01", "--end", "2021-08-31", env=env_url),
        tq("db", "info", env=env_url),
        tq("doctor", env=env_url),
        tq("db", "info", "--db", host_bad, env=env),
        tq("init", "--db", url.replace("@", "%zz@", 1), env=env),
    ]  # fmt: skip
    assert [r.returncode for r in runs[:6]] == [0] * 6, [r.stderr[-2000:] for r in runs[:6]]
    assert all(r.returncode != 0 for r in runs[6:])
    outputs = "\n".join(r.stdout + r.stderr for r in runs)
    assert "rows received 130" in outputs and "数据库" in outputs  # the runs did their work and said so
    assert f":{MASK}@" in outputs  # the URL was shown, masked
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files)  # the demo's backtest report
    texts = {
        "outputs": outputs,
        "files": "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files),
        "tables": stored_text(url, schema),
    }
    assert (
        "603083_broken.csv" in outputs and "not_a_number" in outputs
    )  # the import report with its rejections
    assert (
        "600000.SH" in texts["tables"] and "run_backtest" in texts["tables"]
    )  # ingested rows, the demo's job_log
    leaks = {(where, s) for where, text in texts.items() for s in secrets if s in text}
    assert leaks == set()
