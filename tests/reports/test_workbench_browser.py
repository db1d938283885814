"""The workbench as a statistician uses it: JupyterLab headless on the tables of the
session's report build (tests/reports/conftest.py: what `make reports` leaves, on a small
regency), the notebook opened in Chromium and run, the budget slider moved, the visit
split and the impact line changed, the charts drawn and screenshotted.

Needs the Debian packages chromium and chromium-driver and selenium (as
tests/reports/test_report_browser.py); without them the test is skipped and says why.
The screenshots stay in pytest's temporary folder (``workbench.png``, ``charts.png``).
"""

from __future__ import annotations

import base64
import io
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "workbench.ipynb"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(chromium, built, tmp_path_factory):
    """JupyterLab on the workbench notebook, reading the session build's data/processed."""
    root = built.root  # KONSEL_PROJECT_ROOT: the workbench reads root/data/processed
    notebooks = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, notebooks)
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "KONSEL_PROJECT_ROOT": str(root),
        "JUPYTER_CONFIG_DIR": str(notebooks / ".jupyter"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            "--LabApp.expose_app_in_browser=True",
            "--allow-root",  # CI containers run as root
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start within 2 minutes")
    yield f"{url}/lab/tree/workbench.ipynb?token={token}"
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(chromium):
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    flags = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
    for flag in [*flags.split(), "--window-size=1400,2200"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    yield driver
    driver.quit()


def _wait(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"waited {seconds:.0f} s for {what}")


def _split_text(driver) -> str:
    found = driver.find_elements("css selector", "#visit-split")
    return found[0].text if found else ""


def _charts(driver) -> list:
    """The drawn figures: output images wider than 300 pixels."""
    return [
        i
        for i in driver.find_elements("css selector", ".jp-OutputArea-output img")
        if driver.execute_script("return arguments[0].naturalWidth", i) > 300
    ]


def _drawn_charts(driver) -> list:
    """The figures once the first is a drawn PNG of some size; [] meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = _charts(driver)
        src = found[0].get_attribute("src") or "" if found else ""
    except StaleElementReferenceException:  # replaced while we looked: look again
        return []
    if not src.startswith("data:image/png;base64,"):
        return []
    return found if len(base64.b64decode(src.split(",", 1)[1])) > 30_000 else []


def _colours(png: bytes) -> int:
    from PIL import Image

    colours = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1_000_000)
    return len(colours or [])


def test_budget_slider_changes_the_visit_split_and_charts_show(lab, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    browser.get(lab)
    _wait(
        lambda: browser.execute_script(
            "return !!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session)"
        ),
        120,
        "the notebook",
    )
    browser.execute_script(
        "const w = window.jupyterapp.shell.currentWidget;"
        "w.sessionContext.ready.then(() => window.jupyterapp.commands.execute("
        "'notebook:run-all-cells'));"
    )
    first = _wait(lambda: _split_text(browser), 180, "the workbench to load and draw")
    assert "prioritas" in first and "audit" in first
    impact = browser.find_element("css selector", "#impact").text
    assert "terangkat" in impact or "terlalu sedikit" in impact
    assert not browser.find_elements("css selector", "#workbench-missing")
    readout = browser.find_elements("css selector", ".widget-readout")[0]  # the budget slider
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("1000", Keys.ENTER)
    changed = _wait(lambda: (t := _split_text(browser)) != first and t, 60, "a new visit split")
    assert changed.startswith("900 prioritas + 100 audit")
    # The output is cleared and drawn again after a move: wait for the drawn figure (a PNG
    # of four charts), not whatever the page holds in between.
    charts = _wait(lambda: _drawn_charts(browser), 90, "the drawn charts")
    assert len(charts) == 1  # one figure of four charts, redrawn in place
    chart = charts[0]
    _wait(lambda: browser.execute_script("return arguments[0].complete", chart), 30, "the PNG")
    time.sleep(2)  # let JupyterLab finish laying the output out before the screenshot
    # a PNG of four charts, decoded in the page at the figure's size (10 x 7 in)
    src = chart.get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    png = base64.b64decode(src.split(",", 1)[1])
    assert len(png) > 30_000
    size = browser.execute_script(
        "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", chart
    )
    assert size[0] > 700 and size[1] > 450
    browser.execute_script("arguments[0].scrollIntoView()", chart)
    shown = chart.screenshot_as_png  # what the page shows where the figure is
    (tmp_path / "charts.png").write_bytes(shown)
    browser.save_screenshot(str(tmp_path / "workbench.png"))
    assert _colours(shown) > 200  # bars, lines and text in many shades: drawn, not blank
