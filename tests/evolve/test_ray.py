"""The Ray executor against a real local Ray head (started here, stopped after): same packs as the local pool."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import thermoquant
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.executors import LocalExecutor, RayExecutor
from thermoquant.evolve.features import BarBundle, day_number
from thermoquant.evolve.testing import run_passes

ray = pytest.importorskip("ray")
AUTH = "RAY_AUTH_MODE"
CUT = dt.date(2021, 12, 1)
CFG = EvolveConfig(chunk_size=12, train_days=100, test_days=30, warmup_days=40)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_head() -> Iterator[tuple[str, str]]:
    """``ray start --head --block`` in its own process group on a free port and temp dir; (address, temp dir);
    the group is killed after."""
    exe = Path(sys.executable).with_name("ray")
    if not exe.exists():
        pytest.skip(f"ray CLI not found next to {sys.executable}")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="tqray")
    # token auth off on both sides, explicitly: Ray >= 2.5x turns it on by default once a local ray.init() has
    # written ~/.ray/auth_token, and the head and this driver must agree
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(thermoquant.__file__).parents[1]),
        "RAY_USAGE_STATS_ENABLED": "0",
        AUTH: "disabled",
    }
    saved = os.environ.get(AUTH)
    os.environ[AUTH] = "disabled"
    cmd = [str(exe), "start", "--head", f"--port={port}", "--num-cpus=1", "--node-ip-address=127.0.0.1",
           "--include-dashboard=false", f"--temp-dir={temp}", "--block"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray head did not start (exit {proc.poll()})")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", temp
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)
        if saved is None:
            os.environ.pop(AUTH, None)
        else:
            os.environ[AUTH] = saved


@pytest.mark.slow
def test_ray_head_gives_the_local_pools_packs_bit_for_bit(
    sample_bars: pl.DataFrame, ray_head: tuple[str, str]
) -> None:
    bundle = BarBundle.from_frame(
        sample_bars.filter(pl.col("symbol").is_in(sample_bars["symbol"].unique().sort()[:24].implode()))
    )
    vf = day_number(CUT)
    local = LocalExecutor(bundle, 1)
    try:
        expected = run_passes(local, bundle, vf, CFG)
    finally:
        local.close()
    address, temp = ray_head
    # the head's own temp dir: its session (address, auth) — never another Ray session of this machine
    ray.init(address=address, _temp_dir=temp, logging_level="ERROR", log_to_driver=False)
    try:
        remote = RayExecutor(bundle, address=address)
        got = run_passes(remote, bundle, vf, CFG)
        remote.close()
    finally:
        ray.shutdown()
    assert len(expected["calibrate"]) >= 20
    assert got == expected
