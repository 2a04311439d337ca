"""Diagnostics of a least-squares fit: the assumption tests statsmodels' summary prints,
influence measures and variance inflation factors.

All work on the whitened rows ``sqrt(w) x`` and residuals ``sqrt(w) e`` (weighted least
squares as statsmodels' ``WLS``), with statsmodels' conventions: skew and kurtosis of the
residuals (biased, kurtosis not in excess), Jarque-Bera, D'Agostino's omnibus test
(``scipy.stats.normaltest``, from 8 rows), Durbin-Watson, Breusch-Pagan in Koenker's
studentised form and White's test (products of the design's columns, up to
``WHITE_MAX_TERMS`` terms). The design is formed a block of rows at a time, so memory is a
block plus vectors of n.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from scipy import stats

from galton.exact.distributions import chi2_sf, f_sf

#: White's test regresses on all products of the design's columns; above this many terms
#: (p (p + 1) / 2 columns) it is left out.
WHITE_MAX_TERMS = 20
#: Rows formed at a time.
BLOCK_ROWS = 65_536

Blocks = Callable[[], Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]]


def whitened_blocks(
    design_of: Callable[[slice], np.ndarray], y: np.ndarray, w: np.ndarray | None
) -> Blocks:
    """A re-iterable source of ``(sqrt(w) x, sqrt(w) y, sqrt(w))`` row blocks."""

    def blocks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for start in range(0, len(y), BLOCK_ROWS):
            rows = slice(start, start + BLOCK_ROWS)
            root = np.ones(len(y[rows])) if w is None else np.sqrt(w[rows])
            yield design_of(rows) * root[:, None], y[rows] * root, root

    return blocks


def residuals(blocks: Blocks, coef: np.ndarray) -> np.ndarray:
    """Whitened residuals (n,) of the kept terms' coefficients ``coef``."""
    return np.concatenate([yb - Xb @ coef for Xb, yb, _ in blocks()])


def residual_tests(e: np.ndarray) -> dict[str, float]:
    """Normality and autocorrelation of the (whitened) residuals ``e`` (n,)."""
    n = len(e)
    skew = float(stats.skew(e))
    kurtosis = float(stats.kurtosis(e, fisher=False))
    jb = n / 6 * (skew**2 + (kurtosis - 3) ** 2 / 4)
    omnibus, omnibus_p = (math.nan, math.nan)
    if n >= 8:
        found = stats.normaltest(e)
        omnibus, omnibus_p = float(found.statistic), float(found.pvalue)
    total = float(e @ e)
    return {
        "omnibus": omnibus,
        "omnibus_p": omnibus_p,
        "skew": skew,
        "kurtosis": kurtosis,
        "jarque_bera": float(jb),
        "jarque_bera_p": chi2_sf(jb, 2),
        "durbin_watson": float(np.sum(np.diff(e) ** 2) / total) if total > 0 else math.nan,
    }


def heteroskedasticity_tests(blocks: Blocks, e: np.ndarray) -> dict[str, float]:
    """Breusch-Pagan (Koenker) and White: the whitened ``e^2`` regressed on the design
    (unweighted, its intercept included), and on the products of its columns; LM = n R^2
    with chi2, and the regression's F."""
    u = e**2

    def design() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for Xb, yb, root in blocks():
            yield Xb / root[:, None], yb, root

    out: dict[str, float] = {}
    bp = _auxiliary(design, u, lambda X: X)
    out.update(breusch_pagan=bp[0], breusch_pagan_p=bp[1], breusch_pagan_f=bp[2])
    out["breusch_pagan_f_p"] = bp[3]
    first = next(blocks())[0]
    if first.shape[1] <= WHITE_MAX_TERMS:
        upper = np.triu_indices(first.shape[1])
        white = _auxiliary(design, u, lambda X: X[:, upper[0]] * X[:, upper[1]])
        out.update(white=white[0], white_p=white[1], white_f=white[2], white_f_p=white[3])
    return out


#: Auxiliary regressions with more cells than this are solved from cross-products summed
#: a block at a time (memory: the cross-products), not from the stacked columns.
STACKED_CELLS = 4_000_000


def _auxiliary(
    blocks: Blocks, u: np.ndarray, columns: Callable[[np.ndarray], np.ndarray]
) -> tuple[float, float, float, float]:
    """LM, its chi2 p, F and its p of the regression of ``u`` (n,) on ``columns`` of the
    design rows (statsmodels' ``het_breuschpagan``/``het_white`` on the model's exog, an
    intercept among it); dependent columns are left out, as its rank does."""
    n = len(u)
    width = columns(next(blocks())[0][:1]).shape[1]
    if n * width <= STACKED_CELLS:
        Z = np.vstack([columns(Xb) for Xb, _, _ in blocks()])
        Z = Z[:, _independent(Z)]
        fitted = Z @ np.linalg.lstsq(Z, u, rcond=None)[0]
        ss_res, k = float(np.sum((u - fitted) ** 2)), Z.shape[1]
    else:
        ss_res, k = _residual_sum_by_blocks(blocks, u, columns, width)
    ss_tot = float(np.sum((u - u.mean()) ** 2))
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else math.nan
    df_model = k - 1
    lm = n * r2
    if df_model <= 0 or n <= k or ss_res <= 0:
        return lm, chi2_sf(lm, df_model) if df_model > 0 else math.nan, math.nan, math.nan
    F = (ss_tot - ss_res) / df_model / (ss_res / (n - k))
    return lm, chi2_sf(lm, df_model), F, f_sf(F, df_model, n - k)


def _residual_sum_by_blocks(
    blocks: Blocks, u: np.ndarray, columns: Callable[[np.ndarray], np.ndarray], width: int
) -> tuple[float, int]:
    """The residual sum of squares and rank of ``u`` on the columns, from ``Z'Z`` and
    ``Z'u`` summed a block at a time (a pseudo-inverse for dependent columns)."""
    gram, cross, start = np.zeros((width, width)), np.zeros(width), 0
    for Xb, _, _ in blocks():
        Z = columns(Xb)
        gram += Z.T @ Z
        cross += Z.T @ u[start : start + len(Z)]
        start += len(Z)
    coef = np.linalg.pinv(gram, hermitian=True) @ cross
    return float(u @ u - 2 * coef @ cross + coef @ gram @ coef), int(
        np.linalg.matrix_rank(gram, hermitian=True)
    )


def _independent(Z: np.ndarray) -> np.ndarray:
    """Columns of ``Z`` that are not combinations of earlier ones (pivoted QR)."""
    from scipy.linalg import qr

    _, R, pivots = qr(Z, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > diag[0] * max(Z.shape) * np.finfo(float).eps)) if diag.size else 0
    return np.sort(pivots[:rank])


def influence_measures(
    X: np.ndarray, e: np.ndarray, bread: np.ndarray, df_resid: int
) -> dict[str, Any]:
    """Leverage, studentized residuals, Cook's distance, DFFITS and DFBETAS (statsmodels'
    ``OLSInfluence``) from whitened rows ``X`` (n, k), residuals ``e`` (n,) and the bread
    ``(X'WX)^-1`` (k, k)."""
    k = X.shape[1]
    hat = np.einsum("ij,jk,ik->i", X, bread, X)
    ssr = float(e @ e)
    sigma = math.sqrt(ssr / df_resid)
    internal = e / (sigma * np.sqrt(1 - hat))
    # the residual scale without row i: statsmodels' sigma(i)
    sigma_i = np.sqrt((ssr - e**2 / (1 - hat)) / (df_resid - 1))
    external = e / (sigma_i * np.sqrt(1 - hat))
    cooks = internal**2 * hat / (k * (1 - hat))
    dffits = external * np.sqrt(hat / (1 - hat))
    change = (X @ bread) * (e / (1 - hat))[:, None]  # b - b(i), per row
    dfbetas = change / (sigma_i[:, None] * np.sqrt(np.diag(bread))[None, :])
    return {
        "hat": hat,
        "student_resid_internal": internal,
        "student_resid_external": external,
        "cooks_d": cooks,
        "cooks_d_p": stats.f.sf(cooks, k, df_resid),
        "dffits": dffits,
        "dfbetas": dfbetas,
    }


def variance_inflation(X: np.ndarray, intercept: int | None) -> np.ndarray:
    """VIF of every column of ``X`` (n, k) but the intercept's (NaN there): ``1 / (1 -
    R^2)`` of the column regressed on all the others, as statsmodels'
    ``variance_inflation_factor`` (R^2 about the mean when the design has an intercept)."""
    out = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        if j == intercept:
            continue
        others = np.delete(X, j, axis=1)
        target = X[:, j]
        fitted = others @ np.linalg.lstsq(others, target, rcond=None)[0]
        ss_res = float(np.sum((target - fitted) ** 2))
        centre = target.mean() if intercept is not None else 0.0
        ss_tot = float(np.sum((target - centre) ** 2))
        out[j] = ss_tot / ss_res if ss_res > 0 else math.inf
    return out


def added_variable(X: np.ndarray, y: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """The partial-regression (added-variable) plot of column ``j`` of the whitened design
    ``X`` (n, k): the residuals (n,) of ``X[:, j]`` and of ``y`` each regressed on the other
    columns. The least-squares slope through them is column ``j``'s coefficient
    (Frisch-Waugh-Lovell)."""
    others = np.delete(X, j, axis=1)
    if others.shape[1] == 0:
        return X[:, j].copy(), y.copy()
    q, _ = np.linalg.qr(others)
    both = np.column_stack([X[:, j], y])
    resid = both - q @ (q.T @ both)
    return resid[:, 0], resid[:, 1]
