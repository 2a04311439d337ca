"""The HTML report in a real browser: headless Chromium through chromedriver.

``make test`` installs Debian's ``chromium`` and ``chromium-driver`` where it can (as root
with apt-get); where it cannot, the test is skipped with the reason. CI (``.ci/run``) sets
``GALTON_REQUIRE_BROWSER=1``: there a missing browser fails the test instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import galton

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1100,2600",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    result = galton.compare("yacht", "residuary_resistance", hidden=(16,), folds=3, repeats=1)
    path = folder / "report.html"
    result.to_html(path)
    return path


def test_report_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    missing = "Debian's chromium and chromium-driver are not installed"
    if not (chromium and driver_path) and os.environ.get("GALTON_REQUIRE_BROWSER") != "1":
        pytest.skip(f"{missing}: the report was not checked in a browser")
    assert chromium and driver_path, missing
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(report.as_uri())
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.is_displayed()
        assert verdict.text.split()[0] in ("YAY", "NAY")
        loaded = driver.execute_script(
            "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
        )
        assert len(loaded) >= 6 and all(loaded)
        assert driver.find_element(By.ID, "metrics").is_displayed()
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        if os.environ.get("GALTON_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["GALTON_SCREENSHOT_DIR"]) / "report.png")
    finally:
        driver.quit()
