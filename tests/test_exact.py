"""Least squares: statistics, weights, intervals, rank deficiency and solver choice."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import galton
from galton.exact import polynomial_terms, solve_least_squares


@pytest.fixture
def simple() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = 1.5 + X @ np.array([2.0, -1.0]) + rng.normal(scale=0.5, size=60)
    return X, y


def test_statistics_match_textbook_formulas(simple) -> None:
    X, y = simple
    m = galton.LinearRegression().fit(X, y)
    A = np.column_stack([np.ones(len(y)), X])
    beta = np.linalg.solve(A.T @ A, A.T @ y)
    resid = y - A @ beta
    n, p = A.shape
    s2 = resid @ resid / (n - p)
    se = np.sqrt(s2 * np.diag(np.linalg.inv(A.T @ A)))
    np.testing.assert_allclose(m.params_, beta, rtol=1e-12)
    np.testing.assert_allclose(m.bse_, se, rtol=1e-10)
    np.testing.assert_allclose(m.pvalues_, 2 * stats.t.sf(np.abs(beta / se), n - p), rtol=1e-8)
    tss = np.sum((y - y.mean()) ** 2)
    r2 = 1 - resid @ resid / tss
    assert m.rsquared_ == pytest.approx(r2, rel=1e-12)
    assert m.rsquared_adj_ == pytest.approx(1 - (1 - r2) * (n - 1) / (n - p), rel=1e-12)
    f = (tss - resid @ resid) / (p - 1) / s2
    assert m.fvalue_ == pytest.approx(f, rel=1e-10)
    assert m.f_pvalue_ == pytest.approx(stats.f.sf(f, p - 1, n - p), rel=1e-8)
    llf = -n / 2 * (math.log(2 * math.pi * (resid @ resid) / n) + 1)
    assert m.llf_ == pytest.approx(llf, rel=1e-12)
    assert m.aic_ == pytest.approx(-2 * llf + 2 * p, rel=1e-12)
    assert m.bic_ == pytest.approx(-2 * llf + math.log(n) * p, rel=1e-12)
    ci = m.conf_int(0.05)
    q = stats.t.ppf(0.975, n - p)
    np.testing.assert_allclose(ci[0], beta - q * se, rtol=1e-10)
    assert list(ci.index) == m.term_names_  # a frame by term, as statsmodels'
    assert m.condition_number_ == pytest.approx(np.linalg.cond(A), rel=1e-6)
    assert m.rank_ == 3 and m.aliased_ == []


def test_summary_reads_like_statsmodels(simple) -> None:
    X, y = simple
    text = galton.LinearRegression().fit(X, y).summary()
    for needle in (
        "coef",
        "std err",
        "P>|t|",
        "[0.025",
        "R-squared",
        "AIC",
        "BIC",
        "const",
        "x0",
        "Condition number",
    ):
        assert needle in text


def test_weighted_least_squares_matches_scaled_rows(simple) -> None:
    X, y = simple
    w = np.linspace(0.5, 3.0, len(y))
    m = galton.LinearRegression().fit(X, y, sample_weight=w)
    A = np.column_stack([np.ones(len(y)), X])
    beta = np.linalg.solve(A.T @ (w[:, None] * A), A.T @ (w * y))
    np.testing.assert_allclose(m.params_, beta, rtol=1e-12)
    # WLS equals OLS on rows scaled by sqrt(w) (with the intercept column scaled too).
    sw = np.sqrt(w)
    ols = galton.LinearRegression(fit_intercept=False).fit(A * sw[:, None], y * sw)
    np.testing.assert_allclose(m.bse_, ols.bse_, rtol=1e-10)


def test_no_intercept_uses_uncentred_r_squared() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.1, 3.9, 6.2, 7.8])
    m = galton.LinearRegression(fit_intercept=False).fit(x[:, None], y)
    b = (x @ y) / (x @ x)
    assert m.coef_[0] == pytest.approx(b, rel=1e-14)
    assert m.intercept_ == 0.0
    assert m.rsquared_ == pytest.approx(1 - np.sum((y - b * x) ** 2) / np.sum(y**2), rel=1e-12)


def test_prediction_and_confidence_intervals(simple) -> None:
    X, y = simple
    m = galton.LinearRegression().fit(X, y)
    new = np.array([[0.0, 0.0], [1.0, -2.0]])
    A = np.column_stack([np.ones(len(y)), X])
    a0 = np.column_stack([np.ones(2), new])
    inv = np.linalg.inv(A.T @ A)
    s2 = m.resid_std_err_**2
    q = stats.t.ppf(0.95, len(y) - 3)
    conf = m.predict(new, interval="confidence", level=0.9)
    pred = m.predict(new, interval="prediction", level=0.9)
    var_mean = s2 * np.einsum("ij,jk,ik->i", a0, inv, a0)
    np.testing.assert_allclose(conf.upper - conf.prediction, q * np.sqrt(var_mean), rtol=1e-9)
    np.testing.assert_allclose(pred.upper - pred.prediction, q * np.sqrt(var_mean + s2), rtol=1e-9)
    # A float is shorthand for a prediction interval at that level.
    short = m.predict(new, interval=0.9)
    np.testing.assert_allclose(short.lower, pred.lower)
    with pytest.raises(galton.ParameterError, match="'interval' parameter"):
        m.predict(new, interval="bogus")


def test_duplicate_and_constant_columns_are_aliased_not_fatal() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    X = np.column_stack([x, 2 * x, np.full(30, 5.0), rng.normal(size=30)])
    y = 1 + 3 * x + rng.normal(scale=0.1, size=30)
    with pytest.warns(galton.AliasedColumnsWarning, match="x1, x2"):
        m = galton.LinearRegression().fit(X, y)
    assert m.aliased_ == ["x1", "x2"] and m.rank_ == 3
    assert np.isnan(m.params_[["x1", "x2"]]).all()
    ref = galton.LinearRegression().fit(X[:, [0, 3]], y)
    np.testing.assert_allclose(m.params_.iloc[[0, 1, 4]], ref.params_, rtol=1e-10)
    assert "aliased" in m.summary()
    assert np.isfinite(m.predict(X)).all()


def test_more_columns_than_rows() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 6))
    y = rng.normal(size=4)
    with pytest.warns(galton.AliasedColumnsWarning):
        m = galton.LinearRegression().fit(X, y)
    assert m.rank_ == 4 and len(m.aliased_) == 3
    np.testing.assert_allclose(m.predict(X), y, atol=1e-9)  # saturated: fits exactly


def test_solver_choice_follows_conditioning() -> None:
    rng = np.random.default_rng(2)
    n = 30_000
    X = rng.normal(size=(n, 3))
    y = X.sum(axis=1) + rng.normal(size=n)
    terms = polynomial_terms(3, 1, True)
    assert solve_least_squares(X, y, terms).method == "cholesky"  # large and well conditioned
    x = rng.uniform(10, 11, size=n)
    ill = solve_least_squares(x[:, None], x**2, polynomial_terms(1, 4, True))
    assert ill.method == "extended"  # large but ill conditioned
    small = solve_least_squares(X[:20], y[:20], terms)
    assert small.method == "extended"  # tiny: care costs nothing
    fast = solve_least_squares(X, y, terms, method="qr")
    exact = solve_least_squares(X, y, terms, method="extended")
    np.testing.assert_allclose(fast.coef, exact.coef, rtol=1e-12)
    assert fast.rss == pytest.approx(exact.rss, rel=1e-10)


def test_categorical_features_get_reference_coding() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "g": ["a", "b", "c", "a", "b", "c", "a", "b"],
            "y": [1.0, 2.0, 3.0, 1.1, 2.1, 2.9, 0.9, 2.0],
        }
    )
    m = galton.LinearRegression().fit(frame, "y")
    assert m.term_names_ == ["const", "g=b", "g=c"]
    assert m.intercept_ == pytest.approx(1.0, abs=1e-12)


def test_parameter_validation_message() -> None:
    with pytest.raises(galton.ParameterError) as info:
        galton.LinearRegression(degree=0).fit(np.ones((3, 1)), np.ones(3))
    assert str(info.value) == (
        "The 'degree' parameter of LinearRegression must be an int in [1, 30]. Got 0 instead."
    )
    assert isinstance(info.value, ValueError)


def test_not_fitted() -> None:
    with pytest.raises(galton.NotFittedError):
        galton.LinearRegression().predict(np.ones((2, 1)))


def test_warnings_silent_on_full_rank(simple) -> None:
    X, y = simple
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        galton.LinearRegression().fit(X, y)
