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
    result.explain()  # the report then holds the explanation's section
    path = folder / "report.html"
    result.to_html(path)
    return path


def _chromium(tmp_path: Path):
    """A headless Chromium session (skipped with the reason where none is installed,
    failed in CI)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

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
    return webdriver.Chrome(service=Service(driver_path), options=options)


def _check_page(driver, page: Path, tmp_path: Path, shown: list[str], images: int) -> None:
    """Every image decoded, the named elements displayed, no browser error, and a
    screenshot taken (kept in GALTON_SCREENSHOT_DIR when set)."""
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())
    loaded = driver.execute_script(
        "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
    )
    assert len(loaded) >= images and all(loaded)
    for element in shown:
        assert driver.find_element(By.ID, element).is_displayed(), element
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    shot = tmp_path / f"{page.stem}.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("GALTON_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["GALTON_SCREENSHOT_DIR"]) / shot.name)


def test_report_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = _chromium(tmp_path)
    try:
        shown = ["verdict", "metrics", "explanation", "importance", "regions", "formula", "growth"]
        shown += ["coverage-linear", "coverage-network", "recovered-coefficients"]
        _check_page(driver, report, tmp_path, shown, images=8)
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.text.split()[0] in ("YAY", "NAY")
    finally:
        driver.quit()


def test_fit_pages_render_in_chromium(tmp_path: Path) -> None:
    """The single-fit page of least squares (tables, the four panels, partial regression,
    influential rows) and of a network (learning curves, residuals, partial dependence)."""
    from selenium.webdriver.common.by import By

    from galton.data.datasets import load_dataset

    frame = load_dataset("yacht")
    target = "residuary_resistance"
    linear = galton.LinearRegression().fit(frame, target)
    linear.to_html(tmp_path / "linear.html")
    network = galton.NeuralRegressor(hidden=(8,), max_epochs=60, progress=False)
    network.fit(frame, target).to_html(tmp_path / "network.html", frame, target)
    driver = _chromium(tmp_path)
    try:
        tables = ["title", "statistics", "coefficients", "tests", "anova", "influential"]
        _check_page(driver, tmp_path / "linear.html", tmp_path, tables, images=2)
        assert "Residuals vs fitted" in driver.find_element(By.ID, "fig-residual_panels").text
        shown = ["title", "statistics", "fig-learning_curves", "fig-partial_dependence"]
        _check_page(driver, tmp_path / "network.html", tmp_path, shown, images=3)
    finally:
        driver.quit()
