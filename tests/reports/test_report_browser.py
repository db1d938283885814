"""The rendered reports in headless Chromium: they render, images load, nothing leaves the file.

Needs the Debian packages chromium and chromium-driver (.ci/run installs them)
and selenium; without them the test is skipped and says why.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")


def _skip_reason() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists() and not shutil.which(path.name):
            return f"{path} not found: install the Debian package {package} (.ci/run does)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def _requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_every_page_renders_offline_with_all_its_images(built, browser):
    pages = sorted(built.reports.rglob("*.html"))
    assert len(pages) == 4  # index, regency, two kecamatan
    for page in pages:
        browser.get_log("performance")  # drop what earlier pages logged
        browser.get(page.as_uri())
        assert browser.title.strip(), f"{page.name}: no title"
        heading = browser.find_element("css selector", "h1").text
        assert heading.strip(), f"{page.name}: no heading"
        widths = browser.execute_script(
            "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0);"
        )
        assert all(w > 0 for w in widths), f"{page.name}: an image did not load ({widths})"
        if page.parent.name == "kecamatan":
            # expected errors, targeting errors, welfare, coverage, visits, poverty pockets
            assert len(widths) == 6
        elif page.name == "regency.html":
            # and poverty by kecamatan, the impact, and exclusion error by group (issue 18),
            # and the poverty map's direct against model estimates (issue 17)
            assert len(widths) == 9
        urls = _requested_urls(browser)
        assert urls, f"{page.name}: the performance log saw no request at all"
        outside = [u for u in urls if not u.startswith(("file:", "data:"))]
        assert outside == [], f"{page.name} fetched {outside}"
