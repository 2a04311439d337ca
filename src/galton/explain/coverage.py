"""Are the intervals honest where it matters? Out-of-fold coverage and width of both
models' 90% prediction intervals (least squares: t intervals; the network: its calibrated
intervals) by decile of each model's prediction and by the regions of ``regions``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from galton.explain.folds import Fold
from galton.explain.regions import Region, path_mask

LEVEL = 0.9
DECILES = 10


@dataclass
class Coverage:
    """Coverage and mean width of one model's intervals in groups of rows.

    Attributes
    ----------
    model : str
    overall : float
        The share of held-out rows inside their interval.
    groups : DataFrame
        One row per group (``decile 1`` ... or a region): rows, coverage, mean width and
        ``under`` (coverage below the level by more than two binomial standard errors).
    """

    model: str
    overall: float
    groups: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "level": LEVEL,
            "overall": self.overall,
            "groups": self.groups.reset_index().to_dict(orient="records"),
        }


def _intervals(folds: list[Fold], cmp: Any, model: str) -> tuple[np.ndarray, ...]:
    """Out-of-fold prediction, lower and upper bounds (n,) of ``model`` (first repeat)."""
    n = len(cmp.y)
    pred, low, high = (np.full(n, np.nan) for _ in range(3))
    for fold, rows in zip(folds, cmp.fold_models, strict=True):
        found = fold.models[model].predict(fold.X_test, interval=LEVEL)
        test = np.asarray(rows.test)
        pred[test], low[test], high[test] = found.prediction, found.lower, found.upper
    return pred, low, high


def _group(
    name: str, inside: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray
) -> dict[str, Any]:
    k = int(inside.sum())
    hit = (
        float(np.mean((y[inside] >= low[inside]) & (y[inside] <= high[inside]))) if k else math.nan
    )
    se = math.sqrt(LEVEL * (1 - LEVEL) / k) if k else math.nan
    return {
        "group": name,
        "rows": k,
        "coverage": hit,
        "mean_width": float(np.mean(high[inside] - low[inside])) if k else math.nan,
        "under": bool(k and hit < LEVEL - 2 * se),
    }


def coverage(folds: list[Fold], cmp: Any, regions: list[Region]) -> list[Coverage]:
    """Coverage of least squares' and the network's 90% intervals, by decile and region."""
    y = cmp.y
    out = []
    for model in ("linear", "network"):
        pred, low, high = _intervals(folds, cmp, model)
        tested = ~np.isnan(pred)
        edges = np.quantile(pred[tested], np.linspace(0, 1, DECILES + 1))
        which = np.clip(np.searchsorted(edges, pred, side="right") - 1, 0, DECILES - 1)
        rows = [
            _group(f"decile {d + 1}", tested & (which == d), y, low, high) for d in range(DECILES)
        ]
        for region in regions:
            inside = path_mask(region.rules, cmp.X)
            rows.append(_group(region.where, tested & inside, y, low, high))
        overall = _group("all", tested, y, low, high)["coverage"]
        out.append(Coverage(model, overall, pd.DataFrame(rows).set_index("group")))
    return out
