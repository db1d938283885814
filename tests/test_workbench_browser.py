"""The workbench as a statistician uses it: JupyterLab headless, the notebook opened in
Chromium, run, the budget slider moved, the visit split changed, the charts drawn.

Needs the Debian packages chromium and chromium-driver and selenium (as
tests/reports/test_report_browser.py); without them the test is skipped and says why.
"""

from __future__ import annotations

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

from konsel_analysis.synth import generate_konsel

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "workbench.ipynb"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")


def _skip_reason() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists() and not shutil.which(path.name):
            return f"{path} not found: install the Debian package {package} (.ci/run does)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a scratch project (a 3,000-household regency), the app exposed."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("project")
    (root / "data" / "raw").mkdir(parents=True)
    data = generate_konsel(households=3_000, seed=41, survey_households=400)
    data.survey.to_parquet(root / "data" / "raw" / "survey.parquet")
    data.register.to_parquet(root / "data" / "raw" / "register.parquet")
    (root / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, root / "notebooks")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "KONSEL_PROJECT_ROOT": str(root), "JUPYTER_CONFIG_DIR": str(root / ".j")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root / 'notebooks'}",
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
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=1400,2200",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
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
    first = _wait(lambda: _split_text(browser), 300, "the workbench to load and draw")
    assert "prioritas" in first and "audit" in first
    images = _wait(
        lambda: [
            i
            for i in browser.find_elements("css selector", ".jp-OutputArea-output img")
            if browser.execute_script("return arguments[0].naturalWidth", i) > 300
        ],
        60,
        "the charts",
    )
    assert images
    readout = browser.find_elements("css selector", ".widget-readout")[0]  # the budget slider
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("1000", Keys.ENTER)
    changed = _wait(lambda: (t := _split_text(browser)) != first and t, 60, "a new visit split")
    assert changed.startswith("900 prioritas + 100 audit") or "900 prioritas" in changed
    shot = tmp_path / "workbench.png"
    browser.save_screenshot(str(shot))
    # the screenshot shows drawn charts: many distinct colours, not a blank page
    from PIL import Image

    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 200
