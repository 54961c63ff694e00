"""`tq ui [--host 127.0.0.1] [--port 8501]`: start the Streamlit dashboard (thermoquant/ui/app.py).

Bound to 127.0.0.1 unless told otherwise, headless (no browser is opened, no e-mail prompt), no usage statistics
sent, no file watcher; the dashboard only reads the database (see thermoquant/ui/source.py for how it shares a
DuckDB file with running jobs).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from thermoquant.cli.console import console
from thermoquant.cli.options import DbUrl, describe_url

APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"
"""The Streamlit script `tq ui` runs."""


def streamlit_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the dashboard (this interpreter, so the same environment)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
        "--theme.base", "light",
    ]  # fmt: skip


def ui(
    host: Annotated[
        str,
        typer.Option("--host", help="监听地址（默认仅本机）/ address to bind (default: this machine only)"),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口 / port", min=1, max=65535)] = 8501,
    db: DbUrl = None,
) -> None:
    """启动看板（Streamlit，只读数据库）/ start the dashboard (Streamlit; reads the database, never writes)."""
    env = dict(os.environ)
    if db:
        env["TQ_DATABASE_URL"] = db
    console.print(
        f"看板 dashboard: [bold]http://{host}:{port}[/bold]  数据库 database: {describe_url(db)}  "
        "（Ctrl-C 停止 / to stop）",
        soft_wrap=True,
    )
    proc = subprocess.Popen(streamlit_command(host, port), env=env)
    # a SIGTERM to `tq ui` (a service manager, a test) stops the server too instead of orphaning it
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches the server too (same process group); wait for it to finish
        code = 0 if proc.wait() in (0, -signal.SIGINT) else proc.returncode
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code and code != -signal.SIGTERM:
        raise typer.Exit(code=code)
