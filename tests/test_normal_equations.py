"""The fast least-squares path (chunked Gram, Cholesky, CSNE step) and the switch to the
careful paths: accuracy against QR and exact arithmetic, no copies of X, the fall-backs."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import galton
from galton.exact import polynomial_terms, solve_least_squares
from galton.exact.normal_equations import CrossProducts, chunk_rows, cross_products

N = 30_000  # n * p**2 above the small-problem limit, so "auto" may take the fast path


def make(n: int = N, p: int = 6, seed: int = 0, offset: float = 3.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + offset * rng.normal(size=p)
    y = 2.0 + X @ rng.normal(size=p) + rng.normal(size=n)
    return X, y


def test_auto_takes_the_fast_path_and_agrees_with_exact_arithmetic() -> None:
    X, y = make()
    terms = polynomial_terms(X.shape[1], 1, True)
    fast = solve_least_squares(X, y, terms)
    exact = solve_least_squares(X, y, terms, method="extended")
    qr = solve_least_squares(X, y, terms, method="qr")
    assert fast.method == "cholesky"
    np.testing.assert_allclose(fast.coef, exact.coef, rtol=1e-12)
    assert fast.rss == pytest.approx(exact.rss, rel=1e-12)
    assert fast.tss_scaled / fast.y_scale**2 == pytest.approx(
        exact.tss_scaled / exact.y_scale**2, rel=1e-12
    )
    np.testing.assert_allclose(fast.cov_unscaled, exact.cov_unscaled, rtol=1e-9)
    assert fast.scaled_condition_number == pytest.approx(qr.scaled_condition_number, rel=1e-6)
    assert fast.condition_number == pytest.approx(qr.condition_number, rel=1e-6)


def test_the_correction_step_recovers_digits_the_normal_equations_lose() -> None:
    """With a scaled condition number near 1e3 plain normal equations lose ~6 digits."""
    rng = np.random.default_rng(5)
    t = rng.uniform(0, 1, size=N)
    X = np.column_stack([t, t + 1e-3 * rng.normal(size=N), rng.normal(size=N)])
    y = X @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=N)
    terms = polynomial_terms(3, 1, True)
    fast = solve_least_squares(X, y, terms)
    exact = solve_least_squares(X, y, terms, method="extended")
    assert fast.method == "cholesky" and 1e2 < fast.scaled_condition_number < 1e4
    A = np.column_stack([np.ones(N), X])
    plain = np.linalg.solve(A.T @ A, A.T @ y)
    plain_error = np.max(np.abs(plain - exact.coef) / np.abs(exact.coef))
    fast_error = np.max(np.abs(fast.coef - exact.coef) / np.abs(exact.coef))
    assert fast_error < 1e-12 < plain_error


def test_ill_conditioned_designs_switch_to_the_accurate_path() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(10, 11, size=N)
    y = x**2 + rng.normal(size=N)
    terms = polynomial_terms(1, 4, True)
    auto = solve_least_squares(x[:, None], y, terms)
    assert auto.method == "extended" and auto.scaled_condition_number > 1e4
    model = galton.LinearRegression(degree=4).fit(x[:, None], y)
    assert model.solver_ == "extended"
    np.testing.assert_allclose(model.params_, auto.coef, rtol=1e-12)
    # even when asked for, the normal equations are not used past what one CSNE step mends
    forced = galton.LinearRegression(degree=4, solver="cholesky").fit(x[:, None], y)
    assert forced.solver_ == "qr"
    moderate = galton.LinearRegression(degree=3, solver="cholesky").fit(x[:, None], y)
    assert moderate.solver_ == "cholesky"
    assert 1e4 < moderate.results_.solution.scaled_condition_number < 1e6
    exact = galton.LinearRegression(degree=3, solver="extended").fit(x[:, None], y)
    np.testing.assert_allclose(moderate.params_, exact.params_, rtol=1e-7)


def test_small_problems_stay_exact_unless_forced() -> None:
    X, y = make(n=40, p=3)
    assert galton.LinearRegression().fit(X, y).solver_ == "extended"
    forced = galton.LinearRegression(solver="cholesky").fit(X, y)
    exact = galton.LinearRegression(solver="extended").fit(X, y)
    assert forced.solver_ == "cholesky"
    np.testing.assert_allclose(forced.params_, exact.params_, rtol=1e-12)
    np.testing.assert_allclose(forced.bse_, exact.bse_, rtol=1e-10)


def test_rank_deficiency_goes_to_qr_with_aliasing() -> None:
    X, y = make()
    X = np.column_stack([X, X[:, 0] - 2 * X[:, 1]])
    for solver in ("auto", "cholesky"):
        with pytest.warns(galton.AliasedColumnsWarning):
            model = galton.LinearRegression(solver=solver).fit(X, y)
        assert model.solver_ in ("qr", "extended") and len(model.aliased_) == 1


def test_statistics_and_metrics_equal_the_careful_path() -> None:
    X, y = make()
    fast = galton.LinearRegression().fit(X, y)
    slow = galton.LinearRegression(solver="qr").fit(pd.DataFrame(X).astype(object), y)
    assert fast.solver_ == "cholesky" and slow.solver_ == "qr"
    for name in ("params_", "bse_", "tvalues_", "pvalues_"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-9)
    for name in ("rsquared_", "rsquared_adj_", "fvalue_", "llf_", "aic_", "resid_std_err_"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name), rel=1e-11)
    for key in ("rmse", "mae", "r2"):
        assert fast.metrics_[key] == pytest.approx(slow.metrics_[key], rel=1e-11)
    lo, hi = fast.predict(X[:5], interval="prediction")[1:]
    np.testing.assert_allclose(lo, slow.predict(X[:5], interval="prediction").lower, rtol=1e-10)
    assert fast.feature_names_in_ == [f"x{j}" for j in range(6)]


def test_weights_float32_fortran_and_dataframes_agree() -> None:
    X, y = make()
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=N)
    ref = galton.LinearRegression(solver="qr").fit(X, y, sample_weight=w)
    weighted = galton.LinearRegression().fit(X, y, sample_weight=w)
    assert weighted.solver_ == "cholesky"
    np.testing.assert_allclose(weighted.params_, ref.params_, rtol=1e-11)
    np.testing.assert_allclose(weighted.bse_, ref.bse_, rtol=1e-9)
    assert weighted.rsquared_ == pytest.approx(ref.rsquared_, rel=1e-11)
    assert weighted.llf_ == pytest.approx(ref.llf_, rel=1e-11)
    plain = galton.LinearRegression().fit(X, y)
    fortran = galton.LinearRegression().fit(np.asfortranarray(X), y)
    np.testing.assert_allclose(fortran.params_, plain.params_, rtol=1e-13)
    frame = pd.DataFrame(X, columns=list("abcdef")).assign(target=y)
    named = galton.LinearRegression().fit(frame.drop(columns="target"), frame["target"])
    assert named.solver_ == "cholesky" and named.target_name_ == "target"
    assert named.term_names_[1:] == list("abcdef")
    np.testing.assert_allclose(named.params_, plain.params_, rtol=1e-13)
    X32 = X.astype(np.float32)
    single = galton.LinearRegression().fit(X32, y)
    ref32 = galton.LinearRegression(solver="qr").fit(X32.astype(np.float64), y)
    np.testing.assert_allclose(single.params_, ref32.params_, rtol=1e-11)


def test_no_copy_of_x() -> None:
    X, y = make(n=200_000, p=20)
    galton.LinearRegression().fit(X[:1000], y[:1000])  # warm imports and the thread pool
    tracemalloc.start()
    model = galton.LinearRegression().fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert model.solver_ == "cholesky"
    assert peak < 0.1 * X.nbytes, peak / X.nbytes


def test_bad_values_in_a_large_array_get_the_careful_error() -> None:
    X, y = make()
    X[12_345, 2] = np.nan
    with pytest.raises(galton.DataError, match="x2"):
        galton.LinearRegression().fit(X, y)
    model = galton.LinearRegression(missing="drop").fit(X, y)
    assert model.n_samples_ == N - 1
    X[12_345, 2] = np.inf
    with pytest.raises(galton.DataError, match="infinite"):
        galton.LinearRegression().fit(X, y)
    X[12_345, 2] = 1e250  # finite, but its square is not: the scaled careful path
    model = galton.LinearRegression().fit(X, y)
    assert model.solver_ != "cholesky" and np.isfinite(model.params_).all()


def test_cross_products_add_up_over_row_blocks() -> None:
    X, y = make(n=5_000)
    terms = polynomial_terms(X.shape[1], 2, True)
    w = np.random.default_rng(0).uniform(1, 3, size=len(y))
    whole = cross_products(X, y, terms, w)
    halves: CrossProducts = cross_products(X[:1234], y[:1234], terms, w[:1234]) + cross_products(
        X[1234:], y[1234:], terms, w[1234:]
    )
    design = galton.exact.build_design(X, terms)
    np.testing.assert_allclose(whole.gram, design.T @ (design * w[:, None]), rtol=1e-12)
    np.testing.assert_allclose(halves.gram, whole.gram, rtol=1e-12)
    np.testing.assert_allclose(halves.xty, design.T @ (w * y), rtol=1e-12)
    assert halves.nobs == whole.nobs == len(y) and halves.wsum == pytest.approx(w.sum())
    assert chunk_rows(50) * 50 * 8 <= 2**20 < chunk_rows(50) * 51 * 8


def test_polynomial_designs_are_built_chunk_by_chunk() -> None:
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(N, 3))
    y = 1 + X[:, 0] ** 2 - X[:, 1] ** 3 + 0.1 * rng.normal(size=N)
    model = galton.LinearRegression(degree=3).fit(X, y)
    exact = galton.LinearRegression(degree=3, solver="extended").fit(X, y)
    assert model.solver_ == "cholesky"
    np.testing.assert_allclose(model.params_, exact.params_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(2_100_003, 3), (700_001, 6), (40, 2)])
def test_column_ranges_equal_nanmin_and_nanmax(shape: tuple[int, int]) -> None:
    """The training inputs' ranges, read once in parallel chunks reduced by halving (odd
    row counts, NaN, float32 and an all-NaN column included), are NumPy's nanmin and
    nanmax exactly."""
    import warnings

    from galton.row_ranges import column_ranges

    rng = np.random.default_rng(shape[0])
    X = rng.standard_t(3, size=shape)
    X[rng.integers(0, shape[0], 50), 0] = np.nan
    X[:, -1] = np.nan
    X[shape[0] // 2, 1] = -1e30  # one extreme row in the middle of a chunk (float32 too)
    for data in (X, X.astype(np.float32)):
        low, high = column_ranges(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the all-NaN column
            np.testing.assert_array_equal(low, np.nanmin(data, axis=0))
            np.testing.assert_array_equal(high, np.nanmax(data, axis=0))
