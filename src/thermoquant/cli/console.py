"""The console of every `tq` command, and the rich progress bar behind :data:`thermoquant.progress.ProgressFn`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from thermoquant.progress import ProgressFn
from thermoquant.secrets import install_log_masking, mask

console = Console()
install_log_masking()  # every log record of a `tq` process, vendor libraries' included


@contextmanager
def progress_bar(enabled: bool = True, *, out: Console | None = None) -> Iterator[ProgressFn | None]:
    """A transient rich bar fed by a :data:`ProgressFn` callback; yields None when ``enabled`` is False."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out or console, transient=True) as bar:
        task = bar.add_task("", total=None)

        def update(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total)

        yield update


def error(message: object) -> None:
    """Print an error line (red ✗), secrets masked, the message escaped so brackets in it are not taken for
    markup."""
    from rich.markup import escape

    console.print(f"[red]✗ {escape(mask(message))}[/red]")
