"""What every explanation reads from a comparison: each fold's rows and models, and the
corrected interval over folds the verdict uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from galton.comparison.stats import corrected_resampled_t_test
from galton.metrics import regression_metrics

if TYPE_CHECKING:  # a type only: Comparison.explain imports this package
    from galton.comparison.results import Comparison


@dataclass
class Fold:
    """One fold: training and test rows as frames and targets, weights, the models."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    w_train: np.ndarray | None
    w_test: np.ndarray | None
    models: dict[str, Any]

    def rmse(self, model: str, X: pd.DataFrame | None = None) -> float:
        """The model's test RMSE (weighted as the comparison), on ``X`` when given."""
        pred = self.models[model].predict(self.X_test if X is None else X)
        return float(regression_metrics(self.y_test, pred, self.w_test)["rmse"])


def folds_of(cmp: Comparison) -> list[Fold]:
    """The comparison's first-repeat folds with their fitted models."""
    if not cmp.fold_models:
        raise ValueError("this comparison kept no fitted folds: run compare again to explain it")
    out = []
    for fold in cmp.fold_models:
        w = cmp.weights
        out.append(
            Fold(
                cmp.X.iloc[fold.train],
                cmp.X.iloc[fold.test],
                cmp.y[fold.train],
                cmp.y[fold.test],
                None if w is None else w[fold.train],
                None if w is None else w[fold.test],
                fold.models,
            )
        )
    return out


@dataclass(frozen=True)
class Estimate:
    """A mean over folds with its corrected 95% interval (Nadeau & Bengio)."""

    mean: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high}


def over_folds(values: np.ndarray, folds: list[Fold]) -> Estimate:
    """The mean of per-fold ``values`` (k,) with the corrected resampled interval."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        v = float(values.mean()) if len(values) else math.nan
        return Estimate(v, math.nan, math.nan)
    n_train = float(np.mean([len(f.y_train) for f in folds]))
    n_test = float(np.mean([len(f.y_test) for f in folds]))
    test = corrected_resampled_t_test(values, n_train, n_test)
    return Estimate(test.reduction, test.ci_low, test.ci_high)
