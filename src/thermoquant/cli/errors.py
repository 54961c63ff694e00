"""Failures a person can read: every `tq` command runs inside :class:`TqGroup`, which turns the project's typed
exceptions into one or two lines (Chinese first, English after) saying what happened and what to do, and an exit
code a script can rely on. The traceback is shown only with ``tq --debug …`` (or ``TQ_DEBUG=1``), and always for an
exception this module does not know (a bug: the traceback is what a report needs).

Exit codes (also in ``tq --help``):

====  ==========================================================================================================
0     成功 success
1     失败 failure: rows rejected or nothing written, database not initialised, a check failed, a job failed
2     用法或配置错误 usage or configuration error: bad option or argument, bad symbol, missing file, bad tq.toml
3     数据库不可用 database unavailable: server down or unreachable, database missing, file held by another
      process past the wait — retrying later may succeed
4     数据库已损坏 database damaged: restore a backup (``tq db restore``)
====  ==========================================================================================================
"""

from __future__ import annotations

import errno
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from thermoquant.data.store.waiting import LockWait, lock_wait_handler
from thermoquant.secrets import mask

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_CORRUPT",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "Failure",
    "TqGroup",
    "describe",
    "err_console",
    "show_failure",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_CORRUPT = 4

EXIT_CODES_HELP = (
    "退出码 exit codes: 0 成功 ok · 1 失败 failure · 2 用法或配置错误 usage/config error · "
    "3 数据库不可用（可稍后重试）database unavailable (retry later) · 4 数据库已损坏 database damaged "
    "(tq db restore). 加 --debug（或 TQ_DEBUG=1）显示完整回溯 / shows the full traceback."
)

err_console = Console(stderr=True)
"""Where failures and waits are told: standard error, so that a command's output stays clean."""

RESTORE_HINT = (
    "从备份恢复：tq db restore <备份目录>（tq db backup 默认写在 <数据目录>/backups/）；tq doctor 列出所有损坏的表 / "
    "restore a backup; tq doctor lists every damaged table"
)


@dataclass(frozen=True)
class Failure:
    """What to print for an expected failure: `title` (Chinese / English), the `detail` from the exception, a
    `hint` saying what to do (None: the title says it), and the exit `code`."""

    title: str
    detail: str
    hint: str | None
    code: int

    def lines(self) -> list[str]:
        head = f"✗ {self.title}: {self.detail}" if self.detail else f"✗ {self.title}"
        return [head] + ([f"  → {self.hint}"] if self.hint else [])


def _store_failure(exc: Exception) -> Failure | None:
    from thermoquant.data.store import (
        NoDataError,
        NotInitializedError,
        StoreCorruptError,
        StoreError,
        StoreLockedError,
        StoreUnavailableError,
        ValidationError,
    )

    if isinstance(exc, StoreCorruptError):
        return Failure("数据库已损坏 / the database is damaged", str(exc), RESTORE_HINT, EXIT_CORRUPT)
    if isinstance(exc, StoreLockedError):
        return Failure(
            "数据库文件被另一个进程占用 / the database file is held by another process",
            str(exc),
            "等它结束后重试，或结束该进程 / retry when it has finished, or stop it "
            "(等待时长 wait: TQ_LOCK_TIMEOUT, 秒 seconds)",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, StoreUnavailableError):
        return Failure(
            "无法连接数据库 / the database is unavailable",
            str(exc),
            "检查 --db、TQ_DATABASE_URL 或 tq.toml 中的 database_url / check the database URL",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, NotInitializedError):
        return Failure(
            "数据库尚未初始化 / the database is not initialised",
            str(exc),
            "先运行 tq init（或导入数据：tq import / tq demo）/ run `tq init` first",
            EXIT_FAILURE,
        )
    if isinstance(exc, NoDataError):
        return Failure(
            "数据库中没有所需数据 / no data stored for this",
            str(exc),
            "先导入或采集数据 / load data first: tq import 文件 files, tq ingest, tq demo",
            EXIT_FAILURE,
        )
    if isinstance(exc, ValidationError):
        return Failure(
            "数据不符合表结构，未写入 / data does not fit the table, nothing written", str(exc), None, 1
        )
    if isinstance(exc, StoreError):
        return Failure("数据库操作失败 / database operation failed", str(exc), None, EXIT_FAILURE)
    return None


def _config_failure(exc: Exception) -> Failure | None:
    import pydantic

    from thermoquant.config import SettingsError, config_file_path

    def where() -> str:
        try:
            path = config_file_path()
        except OSError:
            path = None
        return str(path) if path else "TQ_* 环境变量 environment"

    if isinstance(exc, tomllib.TOMLDecodeError):
        return Failure(
            "配置文件语法错误 / tq.toml is not valid TOML",
            f"{where()}: {exc}",
            "修正该文件，或用 TQ_CONFIG 指向另一个文件 / fix it, or point TQ_CONFIG to another file",
            EXIT_USAGE,
        )
    if isinstance(exc, SettingsError):  # load_settings: field and reason, never the value
        return Failure(
            "配置值无效 / invalid setting",
            f"{exc.path or where()}: {'; '.join(exc.problems)}",
            "修正 tq.toml 或对应的 TQ_* 环境变量 / fix tq.toml or the TQ_* variable",
            EXIT_USAGE,
        )
    if isinstance(exc, pydantic.ValidationError) and exc.title == "Settings":
        # field and reason only: the offending value is never echoed (it may be a token or a password)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '?'}: {err['msg']}" for err in exc.errors()
        )
        return Failure(
            "配置值无效 / invalid setting",
            f"{where()}: {problems}",
            "修正 tq.toml 或对应的 TQ_* 环境变量 / fix tq.toml or the TQ_* variable",
            EXIT_USAGE,
        )
    return None


def _domain_failure(exc: Exception) -> Failure | None:
    from thermoquant.data.sources.base import SourceError
    from thermoquant.data.sources.csv_layouts import UnknownLayoutError
    from thermoquant.market.symbols import SymbolError
    from thermoquant.strategies.base import ParamError

    if isinstance(exc, SymbolError):
        return Failure(
            "不是证券代码 / not a security code",
            str(exc),
            "写法如 600000.SH、000025.SZ、830799.BJ / write codes like 600000.SH",
            EXIT_USAGE,
        )
    if isinstance(exc, ParamError):
        return Failure("参数错误 / bad parameter", str(exc), "tq strategies list 列出参数 / lists them", 2)
    if isinstance(exc, UnknownLayoutError):
        return Failure("无法识别的文件格式 / unknown file layout", str(exc), None, EXIT_FAILURE)
    if isinstance(exc, SourceError):
        return Failure("数据源失败 / data source failed", str(exc), None, EXIT_FAILURE)
    from thermoquant.jobs.lock import ChainLockedError
    from thermoquant.trading.errors import BrokerUnavailableError, TradingError

    if isinstance(exc, ChainLockedError):
        return Failure(
            "流程已在运行 / the chain is already running",
            str(exc),
            "等它结束后重试；该进程已退出时锁会被自动接管 / retry when it has finished (a dead run's lock is taken over)",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, BrokerUnavailableError):
        return Failure("券商不可用 / broker unavailable", str(exc), "docs/trading.md", EXIT_UNAVAILABLE)
    if isinstance(exc, TradingError):
        return Failure("交易被拒 / trading refused", str(exc), "tq trade status --account …", EXIT_FAILURE)
    return None


def _os_failure(exc: Exception) -> Failure | None:
    if isinstance(exc, FileNotFoundError):
        return Failure("文件不存在 / file not found", _os_detail(exc), None, EXIT_USAGE)
    if isinstance(exc, PermissionError):
        return Failure("没有权限 / permission denied", _os_detail(exc), None, EXIT_FAILURE)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return Failure("磁盘空间不足 / no space left on device", _os_detail(exc), None, EXIT_FAILURE)
    return None


def _os_detail(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename} ({exc.strerror})"
    return str(exc)


_DESCRIBERS: tuple[Callable[[Exception], Failure | None], ...] = (
    _store_failure,
    _config_failure,
    _domain_failure,
    _os_failure,
)


def describe(exc: BaseException) -> Failure | None:
    """The :class:`Failure` to print for an expected failure, None for anything else (shown as a traceback)."""
    if not isinstance(exc, Exception):
        return None
    for describer in _DESCRIBERS:
        failure = describer(exc)
        if failure is not None:
            return failure
    return None


def show_failure(failure: Failure, out: Console | None = None) -> None:
    """Print a failure (red title line, then the hint), secrets masked."""
    console = out or err_console
    first, *rest = (mask(line) for line in failure.lines())
    console.print(f"[red]{escape(first)}[/red]", soft_wrap=True)
    for line in rest:
        console.print(escape(line), soft_wrap=True)


def announce_lock_wait(wait: LockWait) -> None:
    """Tell at once that the database file is held and for how long the command waits."""
    err_console.print(
        f"[yellow]… 数据库文件被另一个进程占用 / the database file is held by {escape(wait.holder())}: "
        f"{escape(wait.path)}；最多等待 waiting up to {wait.timeout:g} 秒 s（Ctrl-C 取消 / to cancel）[/yellow]",
        soft_wrap=True,
    )


def debug_requested(ctx: Any) -> bool:
    """``tq --debug …`` or ``TQ_DEBUG`` set to a true value."""
    if ctx is not None and ctx.params.get("debug"):
        return True
    return os.environ.get("TQ_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


class TqGroup(TyperGroup):
    """The root `tq` group: runs the chosen command with waits announced and expected failures told briefly."""

    def invoke(self, ctx: Any) -> Any:
        with lock_wait_handler(announce_lock_wait):
            try:
                return super().invoke(ctx)
            except Exception as exc:
                failure = None if debug_requested(ctx) else describe(exc)
                if failure is None:
                    raise
                show_failure(failure)
                raise typer.Exit(code=failure.code) from None
