"""MySQL/MariaDB-specific behaviour of the store: key length, values MySQL cannot hold, the server's own refusals
through LOAD DATA, session settings, reconnecting, non-transactional DDL, URLs (server tests need
TQ_TEST_MYSQL_URL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl
import pymysql
import pytest

from thermoquant.data.schema import TABLES
from thermoquant.data.store import MIGRATIONS, Migration, Store, StoreError, ValidationError, open_store
from thermoquant.data.store.ddl import MYSQL_KEY_CHARS, MYSQL_MAX_KEY_BYTES, mysql_key_bytes
from thermoquant.data.store.migrations import MigrationContext
from thermoquant.data.store.mysql_store import SQL_MODE, parse_url


@pytest.fixture
def mysql_store(mysql_db_url: str) -> Iterator[Store]:
    with open_store(mysql_db_url) as s:
        yield s


def test_every_primary_key_fits_an_innodb_index() -> None:
    for table in TABLES.values():
        assert mysql_key_bytes(table) <= MYSQL_MAX_KEY_BYTES, table.name


def test_url_forms() -> None:
    args = parse_url("mysql+pymysql://tq:p%40ss@db.example:3307/quant?unix_socket=/run/mysqld/mysqld.sock")
    assert args == {
        "host": "db.example",
        "port": 3307,
        "user": "tq",
        "password": "p@ss",
        "database": "quant",
        "unix_socket": "/run/mysqld/mysqld.sock",
    }
    assert parse_url("mariadb://root@127.0.0.1/tq")["port"] == 3306
    with pytest.raises(StoreError, match="names no database"):
        parse_url("mysql://root@127.0.0.1:3306/")
    with pytest.raises(StoreError, match=r"unsupported MySQL URL parameter 'ssl'.*\*\*\*@"):
        parse_url("mysql://root:secret@127.0.0.1/tq?ssl=1")


@pytest.mark.mysql
def test_a_too_long_key_is_refused_naming_table_column_and_row(mysql_store: Store) -> None:
    ok = "长" * MYSQL_KEY_CHARS  # 255 four-byte-safe characters fit exactly
    frame = pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 3,
            "trade_date": [dt.date(2021, 1, 4)] * 3,
            "reason": [ok, "涨幅偏离", ok + "x"],
        }
    )
    with pytest.raises(
        ValidationError, match=r"dragon_tiger.*'reason' at row 3 of the batch.*255 characters"
    ):
        mysql_store.upsert("dragon_tiger", frame)
    assert mysql_store.read("dragon_tiger").height == 0, "nothing of the batch is written"
    assert mysql_store.upsert("dragon_tiger", frame.head(2)) == 2
    assert mysql_store.read("dragon_tiger", columns=["reason"])["reason"].to_list() == ["涨幅偏离", ok]


@pytest.mark.mysql
def test_a_value_the_server_refuses_fails_the_batch_naming_the_row(mysql_store: Store) -> None:
    """LOAD DATA LOCAL only warns about bad values (and would store them mangled): the store fails the batch."""
    mysql_store.upsert("trade_calendar", pl.DataFrame({"cal_date": [dt.date(2021, 1, 4)], "is_open": [True]}))
    days = [dt.date(2021, 1, 5), dt.date(2021, 1, 6), dt.date(2021, 1, 7)]
    with pytest.raises(
        StoreError,
        match=r"trade_calendar failed, nothing written.*at row 2 of the batch.*2021, 1, 6.*is_open",
    ):  # is_open is NOT NULL: LOAD DATA would store false
        mysql_store.upsert("trade_calendar", pl.DataFrame({"cal_date": days, "is_open": [True, None, False]}))
    assert mysql_store.read("trade_calendar")["cal_date"].to_list() == [dt.date(2021, 1, 4)]


@pytest.mark.mysql
def test_malformed_json_names_the_row_it_was_in(mysql_store: Store) -> None:
    frame = pl.DataFrame(
        {
            "strategy": ["t"] * 3,
            "symbol": ["600000.SH", "600001.SH", "600002.SH"],
            "signal_time": [dt.datetime(2021, 1, 4, 15)] * 3,
            "details": ['{"a": 1}', "{not json", "[]"],
        }
    )
    with pytest.raises(StoreError, match=r"at row 2 of the batch \(key .*600001\.SH.*details"):
        mysql_store.upsert("signals", frame)
    assert mysql_store.read("signals").height == 0


@pytest.mark.mysql
def test_session_is_strict_with_ansi_quotes(mysql_store: Store) -> None:
    mode = set(str(mysql_store.query("SELECT @@SESSION.sql_mode AS m").item()).split(","))
    assert set(SQL_MODE.split(",")) <= mode
    assert mysql_store.query("SELECT 1 AS \"x\", 'a' || 'b' AS y").rows() == [(1, "ab")]


@pytest.mark.mysql
def test_reconnects_after_the_server_drops_the_connection(mysql_store: Store, mysql_url: str) -> None:
    mysql_store.upsert("stock_info", pl.DataFrame({"symbol": ["600000.SH"]}))
    conn_id = mysql_store.query("SELECT CONNECTION_ID() AS id").item()
    with pymysql.connect(**parse_url(mysql_url)) as admin, admin.cursor() as cur:
        cur.execute(f"KILL {int(conn_id)}")  # what wait_timeout does to an idle dashboard's connection
    assert mysql_store.read("stock_info")["symbol"].to_list() == ["600000.SH"]
    assert mysql_store.query("SELECT CONNECTION_ID() AS id").item() != conn_id
    assert mysql_store.upsert("stock_info", pl.DataFrame({"symbol": ["600001.SH"]})) == 1


@pytest.mark.mysql
def test_a_failed_migration_is_not_recorded_and_reruns(mysql_store: Store) -> None:
    """DDL commits by itself on MySQL: a failing step keeps its DDL but not its version, so it runs again."""
    fail = [True]

    def step(ctx: MigrationContext) -> None:
        ctx.execute("CREATE TABLE IF NOT EXISTS half_done (a INTEGER)")
        if fail[0]:
            ctx.execute("SELECT * FROM no_such_table")

    steps = [*MIGRATIONS, Migration(2, "re-runnable", step)]
    with pytest.raises(Exception, match="no_such_table"):
        mysql_store.init(steps)
    assert mysql_store.schema_version() == 1
    fail[0] = False
    assert mysql_store.init(steps) == [2]
    assert "half_done" in mysql_store.table_names()


@pytest.mark.mysql
def test_tables_use_innodb_utf8mb4_and_a_byte_wise_collation(mysql_store: Store) -> None:
    rows = mysql_store.query(
        "SELECT table_name, engine, table_collation, table_comment FROM information_schema.tables "
        "WHERE table_schema = DATABASE()"
    )
    assert rows.height == len(TABLES)
    assert set(rows["engine"]) == {"InnoDB"}
    assert set(rows["table_collation"]) == {mysql_store.collation}
    assert (
        rows.filter(pl.col("table_name") == "daily_quote")["table_comment"].item()
        == TABLES["daily_quote"].doc
    )
    key = mysql_store.query(
        "SELECT column_type FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND table_name = 'daily_quote' AND column_name = 'symbol'"
    ).item()
    assert key == f"varchar({MYSQL_KEY_CHARS})"
