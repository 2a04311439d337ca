"""Regression metrics shared by the estimators, the comparison and the report."""

from __future__ import annotations

import math

import numpy as np


def regression_metrics(
    y: np.ndarray, pred: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float]:
    """RMSE, MAE and R-squared of predictions ``pred`` (n,) against ``y`` (n,); with
    ``weights`` (n,), their weighted versions (weighted means, R-squared about the
    weighted mean, as statsmodels' WLS)."""
    if weights is not None:
        return _weighted_metrics(y, pred, np.asarray(weights, dtype=np.float64))
    err = y - pred
    tss = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1 - float(np.sum(err**2)) / tss if tss > 0 else math.nan,
    }


def _weighted_metrics(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> dict[str, float]:
    err = y - pred
    total = float(np.sum(w))
    centre = float(np.sum(w * y)) / total
    tss = float(np.sum(w * (y - centre) ** 2))
    sse = float(np.sum(w * err**2))
    return {
        "rmse": math.sqrt(sse / total),
        "mae": float(np.sum(w * np.abs(err))) / total,
        "r2": 1 - sse / tss if tss > 0 else math.nan,
    }


def metrics_from_sums(
    sse: float, sae: float, n_rows: int, variance: float, scale: float = 1.0
) -> dict[str, float]:
    """RMSE, MAE and R-squared from running sums over rows seen in chunks or partitions.

    Parameters
    ----------
    sse, sae : float
        Sums of squared and absolute errors over ``n_rows`` rows, in units ``scale`` times
        the target's (standardised sums: ``scale`` is the target's standard deviation).
    variance : float
        The target's variance per row in the same units as ``sse / n_rows``: R-squared is
        ``1 - (sse / n_rows) / variance`` (undefined for a constant target).
    """
    return {
        "rmse": math.sqrt(sse / n_rows) * scale,
        "mae": sae / n_rows * scale,
        "r2": 1 - sse / n_rows / variance if variance > 0 else math.nan,
    }
