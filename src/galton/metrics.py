"""Regression metrics shared by the estimators, the comparison and the report."""

from __future__ import annotations

import math

import numpy as np


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R-squared of predictions ``pred`` (n,) against ``y`` (n,)."""
    err = y - pred
    tss = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1 - float(np.sum(err**2)) / tss if tss > 0 else math.nan,
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
