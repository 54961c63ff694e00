"""The one progress-reporting convention of long work: a plain callback, so domain code never draws anything.

``progress(description, done, total)`` is called as work advances: ``done`` units of ``total`` finished, with a
short description of what runs now (Chinese first). The CLI draws a rich bar from it, the scheduler logs it, the
dashboard shows it; ``None`` means nobody is listening.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[str, int, int], None]
"""``(description, done, total) -> None``."""


def tick(progress: ProgressFn | None, description: str, done: int, total: int) -> None:
    """Call ``progress`` when there is one."""
    if progress is not None:
        progress(description, done, total)
