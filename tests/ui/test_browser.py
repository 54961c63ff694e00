"""A real headless Chromium opens every page of a running `tq ui` on the demo database: charts rendered (Plotly's
SVG present), no error box, a screenshot of each page under build/screenshots/ (CI keeps them as artifacts)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import data_env

pytestmark = pytest.mark.slow

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

#: (URL path, screenshot name, title the page shows, Plotly charts it must draw)
PAGES = (
    ("", "overview", "市场总览", 3),
    ("stock?symbol=000025.SZ", "stock", "个股", 1),
    ("signals", "signals", "信号与评分", 0),
    ("portfolio", "portfolio", "组合与风控", 0),
    ("backtest", "backtest", "回测", 1),  # after the replay button is pressed
    ("logs", "logs", "任务与日志", 0),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_dir: Path) -> Iterator[str]:
    """`tq ui` on a free port of 127.0.0.1, serving the demo database; stopped after the module."""
    port = free_port()
    code = "from thermoquant.cli.main import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "ui", "--port", str(port)], env=data_env(demo_dir),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("tq ui did not answer within 60 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="tq-chromium-")
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1600,2200", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_rendered(driver: object, title: str, charts: int, timeout: float = 90) -> None:
    """Until the page's title shows, the script is no longer running and ``charts`` Plotly charts are drawn."""
    from selenium.webdriver.common.by import By

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        heads = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h1")]  # type: ignore[attr-defined]
        running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')  # type: ignore[attr-defined]
        drawn = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot svg.main-svg")  # type: ignore[attr-defined]
        if any(title in h for h in heads) and not running and len(drawn) >= 2 * charts:
            time.sleep(1.0)  # let the last frame paint
            return
        time.sleep(0.3)
    raise AssertionError(f"page {title!r} did not render {charts} chart(s) within {timeout:g} s")


@pytest.mark.parametrize(("path", "name", "title", "charts"), PAGES, ids=[p[1] for p in PAGES])
def test_page_renders_in_chromium(
    server: str, browser: object, path: str, name: str, title: str, charts: int
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{server}/{path}")  # type: ignore[attr-defined]
    if name == "backtest":
        wait_rendered(driver, title, 0)
        buttons = driver.find_elements(By.XPATH, "//button[contains(., '重放')]")  # type: ignore[attr-defined]
        assert buttons, "the replay button is missing"
        buttons[0].click()
    wait_rendered(driver, title, charts)
    errors = driver.find_elements(
        By.CSS_SELECTOR, '[data-testid="stException"], [data-testid="stAlertContentError"]'
    )  # type: ignore[attr-defined]
    assert not errors, [e.text for e in errors]
    plots = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")  # type: ignore[attr-defined]
    assert len(plots) >= charts
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]
    # everything the page loaded came from the dashboard itself: no CDN
    hosts = driver.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).host)"
    )
    assert set(hosts) <= {server.removeprefix("http://")}, set(hosts)
