"""Robust covariances of least-squares coefficients: HC0-HC3, HAC and cluster-robust.

Each is a sandwich ``B M B`` around the bread ``B = (X'WX)^-1`` (the solver's exact
inverse, back in original units) and a meat ``M`` from the whitened rows ``sqrt(w) x`` and
residuals ``sqrt(w) e``, with the small-sample corrections and inference conventions of
statsmodels' ``OLS(...).fit(cov_type=...)``: HC1 scales by ``n / (n - k)``, HC2 and HC3
divide by ``1 - h`` and ``(1 - h)^2``; HAC is Newey-West with Bartlett weights over
``maxlags`` lags (no correction unless asked); cluster is CRV1 with ``G / (G - 1) * (n - 1)
/ (n - k)``, and ``G - 1`` degrees of freedom for its tests. Robust tests use the normal
distribution unless ``use_t`` (statsmodels' default; R's ``coeftest`` uses t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The covariance types, as ``LinearRegression(cov_type=...)`` and ``--cov`` name them.
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "HAC", "cluster")


@dataclass
class RobustCovariance:
    """A robust covariance of the coefficients and how to test with it.

    Attributes
    ----------
    kind : str
        One of ``COV_TYPES`` other than ``nonrobust``.
    cov : array (p, p)
        In original units; NaN rows and columns for aliased terms.
    use_t : bool
        Student's t (and F) with ``df`` degrees of freedom, else the normal (and chi2 / q).
    df : int
        Degrees of freedom of the tests: the residual ones, ``G - 1`` for clusters.
    maxlags : int
        HAC's lags (0 otherwise).
    n_groups : int
        The clusters (0 otherwise).
    """

    kind: str
    cov: np.ndarray
    use_t: bool
    df: int
    maxlags: int = 0
    n_groups: int = 0

    @property
    def description(self) -> str:
        """The covariance in words, for the summary."""
        tests = "t tests" if self.use_t else "z tests"
        if self.kind == "HAC":
            return f"HAC (Newey-West, {self.maxlags} lags; {tests})"
        if self.kind == "cluster":
            return f"cluster-robust ({self.n_groups} clusters; {tests})"
        return f"{self.kind} ({tests})"

    def to_state(self) -> dict[str, Any]:
        """JSON-ready fields (the matrix goes to the arrays)."""
        return {
            "kind": self.kind,
            "use_t": self.use_t,
            "df": self.df,
            "maxlags": self.maxlags,
            "n_groups": self.n_groups,
        }


def robust_covariance(
    design: np.ndarray,
    resid: np.ndarray,
    weights: np.ndarray | None,
    bread: np.ndarray,
    kind: str,
    options: dict[str, Any],
) -> RobustCovariance:
    """The ``kind`` covariance of a fit.

    Parameters
    ----------
    design : array (n, k)
        The kept design columns, original units.
    resid : array (n,)
        Residuals ``y - design @ coef``.
    weights : array (n,) or None
    bread : array (k, k)
        ``(X'WX)^-1`` of the kept columns.
    options : dict
        ``maxlags`` (HAC), ``groups`` (n,) (cluster), ``use_correction``, ``use_t``.
    """
    root = np.ones(len(resid)) if weights is None else np.sqrt(weights)
    X, e = design * root[:, None], resid * root
    n, k = X.shape
    scores = X * e[:, None]
    df, n_groups, lags = n - k, 0, 0
    half = None  # a factor of the meat, meat = half' half, where there is one
    if kind in ("HC0", "HC1", "HC2", "HC3"):
        half = _hc_half(X, scores, e, bread, kind)
    elif kind == "HAC":
        lags = int(options["maxlags"])
        meat = _newey_west(scores, lags)
        if options.get("use_correction", False):
            meat *= n / (n - k)
    elif kind == "cluster":
        labels = np.unique(options["groups"], return_inverse=True)[1]
        n_groups = int(labels.max()) + 1
        half = np.zeros((n_groups, k))
        np.add.at(half, labels, scores)
        if options.get("use_correction", True):
            half *= math.sqrt(n_groups / (n_groups - 1) * (n - 1) / (n - k))
        df = n_groups - 1
    else:
        raise ValueError(f"unknown covariance type {kind!r}")
    if half is not None:
        # (half bread)' (half bread): the sandwich as a Gram matrix, as statsmodels forms
        # it; no product of the bread's large entries cancelling in the meat's
        spread = half @ bread
        cov = spread.T @ spread
    else:
        cov = bread @ meat @ bread
    return RobustCovariance(
        kind, (cov + cov.T) / 2, bool(options.get("use_t", False)), df, lags, n_groups
    )


def _hc_half(
    X: np.ndarray, scores: np.ndarray, e: np.ndarray, bread: np.ndarray, kind: str
) -> np.ndarray:
    """A factor (n, k) of White's meat ``X' diag(u) X``: the scores, corrected."""
    n, k = X.shape
    if kind in ("HC0", "HC1"):
        return scores * math.sqrt(n / (n - k)) if kind == "HC1" else scores
    leverage = np.einsum("ij,jk,ik->i", X, bread, X)
    power = 1 if kind == "HC2" else 2
    return X * (e / (1 - leverage) ** (power / 2))[:, None]


def _newey_west(scores: np.ndarray, lags: int) -> np.ndarray:
    """``sum_l w_l (G_l + G_l')`` with Bartlett weights ``w_l = 1 - l / (lags + 1)``."""
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        weight = 1 - lag / (lags + 1)
        cross = scores[lag:].T @ scores[:-lag]
        meat += weight * (cross + cross.T)
    return meat


def parse_cov(text: str) -> tuple[str, dict[str, Any]]:
    """``--cov`` as ``(cov_type, cov_kwds)``: ``HC3``, ``hac:4``, ``cluster:COLUMN``."""
    kind, _, argument = text.partition(":")
    canonical = {c.lower(): c for c in COV_TYPES}.get(kind.strip().lower())
    if canonical is None:
        raise ValueError(f"--cov must be one of {', '.join(COV_TYPES)}, got {text!r}")
    if canonical == "HAC":
        if not argument.strip().isdigit():
            raise ValueError(f"--cov hac:LAGS needs a number of lags, e.g. hac:4 (got {text!r})")
        return canonical, {"maxlags": int(argument)}
    if canonical == "cluster":
        if not argument.strip():
            raise ValueError("--cov cluster:COLUMN needs the column of clusters")
        return canonical, {"groups": argument.strip()}
    if argument:
        raise ValueError(f"--cov {canonical} takes no argument (got {text!r})")
    return canonical, {}
