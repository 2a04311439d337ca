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
