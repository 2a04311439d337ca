"""Ridge regression by one SVD, its penalty chosen by exact leave-one-out.

The inputs are centred and scaled to unit (weighted) standard deviation, so the penalty
treats every column alike; the intercept is not penalised. With the SVD ``Z = U S V'`` of
the scaled inputs, every penalty ``lam`` costs O(n r) more: the coefficients are
``V diag(s / (s^2 + lam)) U' t``, the leverages ``h = w / sum(w) + (U o U) (s^2 / (s^2 +
lam))`` and the exact leave-one-out residuals ``e / (1 - h)`` (Allen's PRESS), so the whole
path is closed form, fast and deterministic. This is the linear baseline that exists when
least squares does not: more columns than rows, or aliased columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Penalties tried, relative to the largest squared singular value of the scaled inputs;
#: the first, 0, is least squares (its leave-one-out error is PRESS, infinite when least
#: squares is not identified), so the choice can fall back to it.
GRID = np.concatenate([[0.0], np.logspace(-8, 4, 61)])


@dataclass
class RidgeSolution:
    """A ridge fit and its penalty path.

    Attributes
    ----------
    coef : array (d,)
        Coefficients on the original scale of the inputs.
    intercept : float
    alpha : float
        The penalty on the standardised coefficients (``lam`` above).
    alphas, loo_mse, gcv : arrays (m,)
        The penalties tried, their leave-one-out mean squared errors (weighted) and
        generalised cross-validation scores.
    effective_df : float
        Trace of the hat matrix, intercept included.
    x_mean, x_scale : arrays (d,)
        The centring and scaling of the inputs.
    rss, tss : float
        Weighted residual and total sums of squares of the training rows.
    """

    coef: np.ndarray
    intercept: float
    alpha: float
    alphas: np.ndarray
    loo_mse: np.ndarray
    gcv: np.ndarray
    effective_df: float
    x_mean: np.ndarray
    x_scale: np.ndarray
    rss: float
    tss: float


def ridge_path(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    alpha: float | None = None,
    fit_intercept: bool = True,
) -> RidgeSolution:
    """Fit ridge regression on ``X`` (n, d) and ``y`` (n,) with row weights ``w`` (n,).

    ``alpha`` None chooses the penalty with the smallest exact leave-one-out error on
    ``GRID`` (scaled by the largest squared singular value); a number fixes it.
    """
    n = len(y)
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    wsum = float(w.sum())
    x_mean = (w @ X) / wsum if fit_intercept else np.zeros(X.shape[1])
    y_mean = float(w @ y) / wsum if fit_intercept else 0.0
    centred = X - x_mean
    x_scale = np.sqrt((w @ centred**2) / wsum)
    x_scale[x_scale == 0] = 1.0  # a constant column: all zeros after centring, coefficient 0
    root = np.sqrt(w)
    Z = centred / x_scale * root[:, None]
    t = (y - y_mean) * root
    U, s, _ = np.linalg.svd(Z, full_matrices=False)
    keep = s > s[0] * max(Z.shape) * np.finfo(float).eps if s.size and s[0] > 0 else s > 0
    U, s = U[:, keep], s[keep]
    projected = U.T @ t
    base = w / wsum if fit_intercept else np.zeros(n)
    top = float(s[0] ** 2) if s.size else 1.0
    alphas = GRID * top if alpha is None else np.array([float(alpha)])
    loo, gcv = _path_scores(U, s, projected, t, base, alphas, wsum)
    best = float(alphas[int(np.argmin(loo))])
    coef_z = _scaled_coef(Z, s, U, projected, best)
    coef = coef_z / x_scale
    fitted_t = U @ (s**2 / (s**2 + best) * projected)
    return RidgeSolution(
        coef=coef,
        intercept=y_mean - float(x_mean @ coef),
        alpha=best,
        alphas=alphas,
        loo_mse=loo,
        gcv=gcv,
        effective_df=float(np.sum(s**2 / (s**2 + best))) + float(fit_intercept),
        x_mean=x_mean,
        x_scale=x_scale,
        rss=float(np.sum((t - fitted_t) ** 2)),
        tss=float(np.sum(t**2)),
    )


def _path_scores(
    U: np.ndarray,
    s: np.ndarray,
    projected: np.ndarray,
    t: np.ndarray,
    base: np.ndarray,
    alphas: np.ndarray,
    wsum: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact leave-one-out MSE and GCV score of every penalty in ``alphas`` (m,)."""
    U2 = U**2
    n = len(t)
    loo, gcv = np.empty(len(alphas)), np.empty(len(alphas))
    for k, lam in enumerate(alphas):
        shrink = s**2 / (s**2 + lam)
        resid = t - U @ (shrink * projected)
        leverage = base + U2 @ shrink
        # a row the fit passes through (leverage 1) cannot be left out: infinite error
        with np.errstate(divide="ignore", invalid="ignore"):
            loo_resid = np.where(leverage < 1 - 1e-12, resid / (1 - leverage), np.inf)
        loo[k] = float(np.sum(loo_resid**2)) / wsum
        df = float(np.sum(shrink)) + float(base.sum())
        gcv[k] = float(np.sum(resid**2)) / wsum / max(1 - df / n, 1e-12) ** 2
    return loo, gcv


def _scaled_coef(
    Z: np.ndarray, s: np.ndarray, U: np.ndarray, projected: np.ndarray, lam: float
) -> np.ndarray:
    """Coefficients (d,) of the scaled inputs: ``V diag(s / (s^2 + lam)) U' t``, with
    ``V = Z' U / s`` (no second SVD factor kept)."""
    return Z.T @ (U @ (projected / (s**2 + lam)))
