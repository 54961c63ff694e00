"""Two executors of :func:`thermoquant.evolve.task.run_task`: a local process pool (default) and Ray.

Both ship the bars once, never per task:

* **local** — the bundle's arrays are copied once into one ``multiprocessing.shared_memory`` block; each worker
  (started with ``spawn``: no forked Numba thread pools) attaches to it in its initializer, builds read-only
  NumPy views, sets Numba to one thread and loads the kernels from the on-disk cache (``cache=True``; the parent
  warms the cache first, so workers do not compile concurrently). A task carries only its stock range and
  settings. ``workers=0`` runs the tasks in the calling process (same code, same results).
* **ray** — ``ray.put(bundle)`` once; every task receives the object reference and reads the arrays zero-copy
  from the node's object store (one copy per node). Tasks ask for ``num_cpus=1``. Every node needs the same
  thermoquant, NumPy, Numba and Polars versions as the driver (docs/scale-out.md).

``run(tasks)`` yields results as they complete (the caller writes each chunk's packs at once); the order of
completion does not change any result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context, shared_memory
from typing import Any, Protocol

import numpy as np

from thermoquant.evolve.features import BarBundle
from thermoquant.evolve.task import Task, TaskResult, run_task

EXECUTORS: tuple[str, ...] = ("local", "ray")


class Executor(Protocol):
    name: str

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult]: ...

    def close(self) -> None: ...


# --- local pool ------------------------------------------------------------------------------------------------

_WORKER_BUNDLE: BarBundle | None = None
_WORKER_SHM: shared_memory.SharedMemory | None = None


def _layout(bundle: BarBundle) -> tuple[list[tuple[str, str, int, int]], int]:
    """(name, dtype, offset, length) of each array in the shared block, and the block's size in bytes."""
    items, pos = [], 0
    for name, arr in [("offsets", bundle.offsets), *bundle.arrays.items()]:
        items.append((name, arr.dtype.str, pos, arr.shape[0]))
        pos += arr.nbytes + (-arr.nbytes) % 64
    return items, max(pos, 1)


def _attach(shm_name: str, layout: list[tuple[str, str, int, int]], symbols: tuple[str, ...]) -> None:
    """Worker initializer: map the shared block, one Numba thread, kernels loaded from the cache."""
    global _WORKER_BUNDLE, _WORKER_SHM
    import numba

    numba.set_num_threads(1)
    _WORKER_SHM = shared_memory.SharedMemory(name=shm_name)
    views = {}
    for name, dtype, pos, n in layout:
        view = np.ndarray((n,), dtype=np.dtype(dtype), buffer=_WORKER_SHM.buf, offset=pos)
        view.flags.writeable = False
        views[name] = view
    offsets = views.pop("offsets")
    _WORKER_BUNDLE = BarBundle(symbols, offsets, views)
    from thermoquant.evolve.kernels import warm

    warm()


def _pool_task(task: Task) -> TaskResult:
    assert _WORKER_BUNDLE is not None, "worker not initialised"
    return run_task(task, _WORKER_BUNDLE)


class LocalExecutor:
    """A ``spawn`` process pool over one shared-memory copy of the bars (``workers=0``: in this process)."""

    name = "local"

    def __init__(self, bundle: BarBundle, workers: int | None = None) -> None:
        from thermoquant.evolve.kernels import warm

        warm()  # compile once here, so the workers only load the cache
        self.bundle = bundle
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self._shm: shared_memory.SharedMemory | None = None
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 0:
            layout, size = _layout(bundle)
            self._shm = shared_memory.SharedMemory(create=True, size=size)
            for name, _, pos, n in layout:
                src = bundle.offsets if name == "offsets" else bundle.arrays[name]
                np.ndarray((n,), dtype=src.dtype, buffer=self._shm.buf, offset=pos)[:] = src
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_attach,
                initargs=(self._shm.name, layout, bundle.symbols),
            )  # fmt: skip

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        if self._pool is None:
            for t in tasks:
                yield run_task(t, self.bundle)
            return
        pending = {self._pool.submit(_pool_task, t) for t in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: id(f)):
                yield fut.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._shm is not None:
            self._shm.close()
            self._shm.unlink()
            self._shm = None


# --- Ray -------------------------------------------------------------------------------------------------------


def _ray_task(task: Task, bundle: BarBundle) -> TaskResult:
    import numba

    numba.set_num_threads(1)
    return run_task(task, bundle)


RAY_CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a TCP connection to a ``HOST:PORT`` Ray address before giving up (Ray itself retries for
minutes)."""


class RayUnavailableError(RuntimeError):
    """The Ray cluster address does not answer."""


def _check_reachable(address: str) -> None:
    """Fail fast, naming the address, when ``HOST:PORT`` does not accept a TCP connection."""
    import socket

    if address in ("auto", "local") or address.startswith("ray://") or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=RAY_CONNECT_TIMEOUT):
            return
    except (OSError, ValueError) as exc:
        raise RayUnavailableError(f"Ray 集群不可达 cluster unreachable at {address}: {exc}") from None


class RayExecutor:
    """Tasks on a Ray cluster (``address``: ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``); the bars are put
    into the object store once."""

    name = "ray"

    def __init__(self, bundle: BarBundle, address: str = "auto", memory_mb: int = 0) -> None:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("Ray is not installed: pip install 'thermoquant[ray]'") from exc
        self._ray = ray
        self._own = not ray.is_initialized()
        if self._own:
            _check_reachable(address)
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        self._ref = ray.put(bundle)
        opts: dict[str, Any] = {"num_cpus": 1, "max_retries": 2}
        if memory_mb:
            opts["memory"] = memory_mb * 1024 * 1024
        self._remote = ray.remote(_ray_task).options(**opts)

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        ray = self._ray
        pending = [self._remote.remote(t, self._ref) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])

    def close(self) -> None:
        del self._ref
        if self._own:
            self._ray.shutdown()


def make_executor(
    name: str, bundle: BarBundle, *, workers: int | None = None, address: str = "auto"
) -> Executor:
    """``local`` (default) or ``ray``."""
    if name == "local":
        return LocalExecutor(bundle, workers)
    if name == "ray":
        return RayExecutor(bundle, address)
    raise ValueError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}")
