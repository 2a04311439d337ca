"""NIST StRD linear regression: every certified value to at least 9 significant digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import NIST_DIR, digits

import galton
from galton.data.nist import read_nist
from galton.errors import DataError

NIST_FILES = sorted(NIST_DIR.glob("*.dat"))
REQUIRED_DIGITS = 9.0


def test_reference_files_present() -> None:
    names = {p.stem for p in NIST_FILES}
    assert {
        "Norris",
        "Pontius",
        "NoInt1",
        "NoInt2",
        "Longley",
        "Wampler1",
        "Wampler2",
        "Wampler3",
    } <= names


@pytest.mark.parametrize("path", NIST_FILES, ids=lambda p: p.stem)
def test_certified_values(path: Path) -> None:
    problem = read_nist(path)
    model = galton.LinearRegression(fit_intercept=problem.fit_intercept, degree=problem.degree)
    model.fit(problem.X, problem.y)
    assert len(model.params_) == len(problem.params)
    assert digits(model.params_, problem.params).min() >= REQUIRED_DIGITS
    assert digits(model.bse_, problem.param_sds).min() >= REQUIRED_DIGITS
    assert digits(model.resid_std_err_, problem.residual_sd).min() >= REQUIRED_DIGITS
    assert digits(model.rsquared_, problem.r_squared).min() >= REQUIRED_DIGITS


def test_float64_alone_loses_digits_where_extended_does_not() -> None:
    """The auto solver matters: forcing float64 QR on Wampler3 loses digits."""
    problem = read_nist(NIST_DIR / "Wampler1.dat")
    fast = galton.LinearRegression(degree=5, solver="qr").fit(problem.X, problem.y)
    auto = galton.LinearRegression(degree=5).fit(problem.X, problem.y)
    assert auto.solver_ == "extended"
    assert digits(auto.params_, problem.params).min() > digits(fast.params_, problem.params).min()


def _write_nist(path: Path, model_line: str, n_params: int, rows: list[str]) -> None:
    """A file in NIST's layout: certified values from line 31, data from line 61."""
    lines = [""] * 60
    lines[0] = "NIST/ITL StRD"
    lines[4] = "               Certified Values  (lines 31 to 50)"
    lines[5] = f"               Data              (lines 61 to {60 + len(rows)})"
    lines[23] = "               " + model_line
    for k in range(n_params):
        lines[30 + k] = f"        B{k}        1.00000000000000        0.000000000000000"
    lines[44] = "     Standard Deviation   0.000000000000000"
    lines[46] = "     R-Squared            1.00000000000000"
    lines[59] = "Data:       y     x"
    path.write_text("\r\n".join(lines + rows) + "\r\n", encoding="latin-1")


def test_parser_expands_elided_polynomial(tmp_path: Path) -> None:
    """NIST writes long polynomials with '...' (as in Filip): the degree comes from B0..Bk."""
    x = np.arange(-6.0, 7.0)
    y = sum(x**k for k in range(5))
    rows = [f"   {yi:.1f}   {xi:.1f}" for xi, yi in zip(x, y, strict=True)]
    path = tmp_path / "Elided.dat"
    _write_nist(path, "y = B0 + B1*x + B2*(x**2) + ... + B4*(x**4) + e", 5, rows)
    problem = read_nist(path)
    assert problem.degree == 4 and problem.fit_intercept
    model = galton.LinearRegression(degree=problem.degree).fit(problem.X, problem.y)
    np.testing.assert_allclose(model.params_, np.ones(5), rtol=1e-12)


def test_parser_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "plain.dat"
    path.write_text("x y\n1 2\n")
    with pytest.raises(DataError, match="not a NIST StRD file"):
        read_nist(path)
