"""The fast least-squares path: cross-products in row chunks, Cholesky, one refinement step.

For a well-conditioned design, least squares is as fast as one ``X.T @ X``: the
cross-product matrix ``D' W D`` (``D`` the design, ``W`` the weights) is accumulated over
row chunks of about a megabyte, so the design is never copied whole and each chunk's
products stay in cache. The Gram matrix is equilibrated (unit diagonal), its condition
number computed from its eigenvalues, and only when that is small enough for float64 normal
equations is it solved by Cholesky; then one corrected semi-normal equations step (a second
pass forms the residual ``r = y - D b`` and ``D' W r``, and solves for the correction with
the same Cholesky factor) brings the answer to the accuracy of a QR solve. That pass also
yields the residual sums of squares and the training metrics. Anything unusual — non-finite
or extreme values, rank deficiency, ill conditioning — returns ``None`` so the caller takes
the careful path (pivoted QR or exact extended precision) instead.

The cross products are sufficient statistics: ``CrossProducts`` of two row blocks add up,
which is what streaming and distributed fits build on.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from galton.exact.design import Term, build_design
from galton.row_ranges import chunk_rows, chunks, over_row_ranges

#: The normal equations are used only when every diagonal entry of the Gram matrix and
#: ``y' W y`` lie in this range (so no product can overflow or lose digits to underflow).
SAFE_RANGE = (2.0**-600, 2.0**600)


@dataclass
class CrossProducts:
    """Sufficient statistics of a weighted least-squares problem over some rows.

    Attributes
    ----------
    gram : ndarray of shape (p, p)
        ``D' W D`` in the order of the terms.
    xty : ndarray of shape (p,)
        ``D' W y``.
    yy : float
        ``y' W y``.
    wsum, wy : float
        ``sum(w)`` and ``sum(w * y)``.
    y_sum : float
        ``sum(y)`` (unweighted), for the training metrics.
    nobs : int
        Number of rows.
    """

    gram: np.ndarray
    xty: np.ndarray
    yy: float
    wsum: float
    wy: float
    y_sum: float
    nobs: int

    def __add__(self, other: CrossProducts) -> CrossProducts:
        return CrossProducts(
            self.gram + other.gram,
            self.xty + other.xty,
            self.yy + other.yy,
            self.wsum + other.wsum,
            self.wy + other.wy,
            self.y_sum + other.y_sum,
            self.nobs + other.nobs,
        )


@dataclass(frozen=True)
class _Layout:
    """Where the intercept sits among the terms, and how to build the other columns."""

    intercept: int | None  # index of the intercept term
    others: np.ndarray  # indices (p - 1 or p,) of the non-intercept terms
    other_terms: list[Term]
    plain: bool  # the non-intercept columns are exactly X's columns in order

    @classmethod
    def of(cls, terms: list[Term], n_features: int) -> _Layout:
        intercept = next((k for k, t in enumerate(terms) if t.column is None), None)
        others = [k for k, t in enumerate(terms) if t.column is not None]
        other_terms = [terms[k] for k in others]
        plain = [t.factors for t in other_terms] == [((j, 1),) for j in range(n_features)]
        return cls(intercept, np.array(others, dtype=int), other_terms, plain)

    def columns(self, X_rows: np.ndarray) -> np.ndarray:
        """The non-intercept design columns of some rows, float64 (a view when possible)."""
        if self.plain:
            return np.asarray(X_rows, dtype=np.float64)
        return build_design(X_rows, self.other_terms)


def _one_blas_thread() -> threadpool_limits:
    """BLAS limited to one thread (the row ranges run in parallel instead; the small p-by-p
    factorisations are faster single-threaded too)."""
    return threadpool_limits(1, user_api="blas")


def cross_products(
    X: np.ndarray, y: np.ndarray, terms: list[Term], weights: np.ndarray | None = None
) -> CrossProducts:
    """Accumulate ``D' W D``, ``D' W y`` and the target sums over row chunks.

    Parameters
    ----------
    X : ndarray of shape (n, k)
        Base columns, any real dtype (chunks are converted to float64, never the whole).
    y : ndarray of shape (n,)
    terms : list of Term
        The p design columns.
    weights : ndarray of shape (n,), optional
    """
    layout = _Layout.of(terms, X.shape[1])
    rows = chunk_rows(len(layout.other_terms))
    parts = over_row_ranges(
        len(y), rows, lambda lo, hi: _cross_products_of(X, y, weights, layout, lo, hi, rows)
    )
    return functools.reduce(operator.add, parts)


def _cross_products_of(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    layout: _Layout,
    lo: int,
    hi: int,
    rows: int,
) -> CrossProducts:
    """``cross_products`` of rows ``lo:hi``."""
    q = len(layout.other_terms)
    g_oo = np.zeros((q, q))
    sums = np.zeros((q, 2))  # D'W1 and D'Wy of the non-intercept columns
    yy = wsum = wy = y_sum = 0.0
    ones_and_y = np.ones((rows, 2))
    for chunk in chunks(lo, hi, rows):
        A = layout.columns(X[chunk])
        yc = np.asarray(y[chunk], dtype=np.float64)
        both = ones_and_y[: len(yc)]
        if weights is None:
            both[:, 1] = yc
            wsum += len(yc)
        else:
            root = np.sqrt(np.asarray(weights[chunk], dtype=np.float64))
            A = A * root[:, None]
            both[:, 0] = root
            both[:, 1] = yc * root
            wsum += float(root @ root)
        g_oo += A.T @ A
        sums += A.T @ both  # the chunk is still in cache: D'W1 and D'Wy in one call
        yy += float(both[:, 1] @ both[:, 1])
        wy += float(both[:, 0] @ both[:, 1])
        y_sum += float(yc.sum())
    p = len(layout.other_terms) + (layout.intercept is not None)
    gram = np.empty((p, p))
    xty = np.empty(p)
    o = layout.others
    gram[np.ix_(o, o)] = g_oo
    xty[o] = sums[:, 1]
    if layout.intercept is not None:
        i = layout.intercept
        gram[i, o] = gram[o, i] = sums[:, 0]
        gram[i, i] = wsum
        xty[i] = wy
    return CrossProducts(gram, xty, yy, wsum, wy, y_sum, hi - lo)


@dataclass(frozen=True)
class NormalSolution:
    """What the fast path found: coefficients, ``(D'WD)^-1`` and the sums of squares.

    Attributes
    ----------
    coef : ndarray of shape (p,)
    cov : ndarray of shape (p, p)
        ``(D' W D)^-1``.
    rss, tss, yy : float
        Weighted residual, centred and uncentred sums of squares.
    condition_number, scaled_condition_number : float
        2-norm condition numbers of the design, raw and with unit-norm columns.
    metrics : dict of str to float
        Unweighted training RMSE, MAE and R-squared.
    factor : ndarray of shape (p, p)
        The Cholesky factor ``U`` of ``D' W D`` (``U'U = D'WD``), kept for updates.
    """

    coef: np.ndarray
    cov: np.ndarray
    rss: float
    tss: float
    yy: float
    condition_number: float
    scaled_condition_number: float
    metrics: dict[str, float]
    factor: np.ndarray


def solve_normal_equations(
    X: np.ndarray,
    y: np.ndarray,
    terms: list[Term],
    weights: np.ndarray | None = None,
    max_condition: float = math.inf,
    rank_tol: float | None = None,
) -> NormalSolution | None:
    """Least squares by Cholesky of the equilibrated Gram matrix plus one CSNE step.

    Parameters
    ----------
    X : ndarray of shape (n, k)
    y : ndarray of shape (n,)
    terms : list of Term
    weights : ndarray of shape (n,), optional
        Positive weights.
    max_condition : float
        Give up (return None) when the equilibrated design's condition number exceeds this.
    rank_tol : float, optional
        Give up when the smallest scaled singular value is below ``rank_tol`` times the
        largest (the careful path then decides which columns are aliased).

    Returns
    -------
    NormalSolution, or None when the careful path should be taken.
    """
    with _one_blas_thread():
        return _solve(X, y, terms, weights, max_condition, rank_tol)


def _solve(
    X: np.ndarray,
    y: np.ndarray,
    terms: list[Term],
    weights: np.ndarray | None,
    max_condition: float,
    rank_tol: float | None,
) -> NormalSolution | None:
    stats = cross_products(X, y, terms, weights)
    diag = np.diag(stats.gram)
    low, high = SAFE_RANGE
    if not (
        np.isfinite(stats.gram).all()
        and np.isfinite(stats.xty).all()
        and np.all((diag >= low) & (diag <= high))
        and low <= stats.yy <= high
    ):
        return None  # missing, infinite, zero or extreme values: the careful path knows
    d = 1.0 / np.sqrt(diag)
    try:  # equilibrated: unit diagonal, so the condition number measures what matters
        upper = scipy.linalg.cholesky(stats.gram * np.outer(d, d), check_finite=False)
    except np.linalg.LinAlgError:
        return None  # not positive definite: rank deficient
    singular = scipy.linalg.svdvals(upper, check_finite=False)
    scaled_cond = float(singular[0] / singular[-1]) if singular[-1] > 0 else math.inf
    tol = rank_tol if rank_tol is not None else max(len(y), len(terms)) * np.finfo(float).eps
    if not scaled_cond <= max_condition or 1 / scaled_cond < tol:
        return None

    def solve(rhs: np.ndarray) -> np.ndarray:
        return d * scipy.linalg.cho_solve((upper, False), d * rhs, check_finite=False)

    coef = solve(stats.xty)
    # corrected semi-normal equations: one step on the residual of a second pass
    correction, resid = _residual_pass(X, y, terms, weights, coef, stats)
    step = solve(correction)
    coef = coef + step
    # ||r - D step||_W^2 = ||r||_W^2 - step' D'W r, since D'WD step = D'W r
    rss = max(resid["rss_w"] - float(step @ correction), 0.0)
    inverse, info = scipy.linalg.lapack.dpotri(upper, lower=0)
    if info != 0:
        return None
    inverse = np.triu(inverse) + np.triu(inverse, 1).T
    n = len(y)
    metrics = {
        "rmse": math.sqrt(resid["sse"] / n),
        "mae": resid["sae"] / n,
        "r2": 1 - resid["sse"] / resid["tss"] if resid["tss"] > 0 else math.nan,
    }
    raw = scipy.linalg.svdvals(upper / d[None, :], check_finite=False)
    return NormalSolution(
        coef=coef,
        cov=inverse * np.outer(d, d),
        rss=rss,
        tss=resid["tss_w"],
        yy=stats.yy,
        condition_number=float(raw[0] / raw[-1]) if raw[-1] > 0 else math.inf,
        scaled_condition_number=scaled_cond,
        metrics=metrics,
        factor=upper / d[None, :],
    )


_RESIDUAL_SUMS = ("rss_w", "tss_w", "sse", "sae", "tss")


def _residual_pass(
    X: np.ndarray,
    y: np.ndarray,
    terms: list[Term],
    weights: np.ndarray | None,
    coef: np.ndarray,
    stats: CrossProducts,
) -> tuple[np.ndarray, dict[str, float]]:
    """One pass for ``D' W r`` (p,) and the residual and total sums of squares.

    Returns the correction right-hand side and a dict with ``rss_w`` (weighted RSS),
    ``tss_w`` (weighted, about the weighted mean), ``sse``, ``sae`` and ``tss``
    (unweighted, for the training metrics).
    """
    layout = _Layout.of(terms, X.shape[1])
    rows = chunk_rows(len(layout.other_terms))
    centres = (stats.y_sum / stats.nobs, stats.wy / stats.wsum)
    parts = over_row_ranges(
        len(y),
        rows,
        lambda lo, hi: _residuals_of(X, y, weights, layout, coef, centres, lo, hi, rows),
    )
    grads, sums = (np.sum(values, axis=0) for values in zip(*parts, strict=True))
    totals = dict(zip(_RESIDUAL_SUMS, map(float, sums), strict=True))
    if weights is None:
        totals["rss_w"], totals["tss_w"] = totals["sse"], totals["tss"]
    correction = np.empty(len(terms))
    correction[layout.others] = grads[:-1]
    if layout.intercept is not None:
        correction[layout.intercept] = grads[-1]
    return correction, totals


def _residuals_of(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    layout: _Layout,
    coef: np.ndarray,
    centres: tuple[float, float],
    lo: int,
    hi: int,
    rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``_residual_pass`` of rows ``lo:hi``: ``[D_o' W r, 1' W r]`` (q + 1,) and the sums
    named in ``_RESIDUAL_SUMS`` (5,)."""
    b_o = coef[layout.others]
    b_0 = coef[layout.intercept] if layout.intercept is not None else 0.0
    y_mean, wy_mean = centres
    grad = np.zeros(len(b_o) + 1)
    sums = np.zeros(len(_RESIDUAL_SUMS))
    for chunk in chunks(lo, hi, rows):
        A = layout.columns(X[chunk])
        yc = np.asarray(y[chunk], dtype=np.float64)
        e = yc - A @ b_o - b_0
        dev = yc - y_mean
        sums[2:] += (e @ e, np.abs(e).sum(), dev @ dev)
        if weights is None:
            we = e
        else:
            wc = np.asarray(weights[chunk], dtype=np.float64)
            we = wc * e
            wdev = yc - wy_mean
            sums[:2] += (we @ e, wc @ (wdev * wdev))
        grad[:-1] += A.T @ we  # the chunk is still in cache
        grad[-1] += we.sum()
    return grad, sums
