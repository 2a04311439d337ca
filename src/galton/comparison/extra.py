"""Cheaper nonlinear rows ``compare`` can add (``also``): gradient-boosted trees and an
additive spline model, each fitting its own preprocessing inside the training fold as the
other rows do, and the Holm correction that keeps more rows from meaning more false yays."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from galton.errors import ParameterError
from galton.estimators import LinearRegression

EXTRA = ("gbm", "spline")
#: Hinges per numeric input of the additive spline (knots at quantiles of the training fold).
KNOTS = 5


class GradientBoosting:
    """scikit-learn's histogram gradient boosting with text columns as categories."""

    def __init__(self, categories: dict[str, list], seed: int) -> None:
        try:
            from sklearn.ensemble import HistGradientBoostingRegressor
        except ImportError:
            raise ParameterError("also=gbm needs scikit-learn: pip install scikit-learn") from None
        self.categories = categories
        self.model = HistGradientBoostingRegressor(
            random_state=seed, categorical_features="from_dtype"
        )

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for name in X.columns:
            if name in self.categories:
                out[name] = pd.Categorical(
                    X[name].astype(str), categories=list(map(str, self.categories[name]))
                )
            else:
                out[name] = pd.to_numeric(X[name], errors="coerce").astype(float)
        return pd.DataFrame(out, index=X.index)

    def fit(
        self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> GradientBoosting:
        self.model.fit(self._frame(X), y, sample_weight=sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict(self._frame(X)), dtype=float)

    def get_params(self) -> dict[str, Any]:
        return {"categories": self.categories, "seed": self.model.random_state}


class AdditiveSpline:
    """Least squares on every input plus ``KNOTS`` hinges ``max(x - k, 0)`` per numeric
    input (a piecewise-linear additive model), knots at the training fold's quantiles."""

    def __init__(self, categories: dict[str, list], missing: str) -> None:
        self.categories, self.missing = categories, missing
        self.knots: dict[str, np.ndarray] = {}

    def _design(self, X: pd.DataFrame) -> pd.DataFrame:
        extra = {
            f"{name} hinge {j}": np.maximum(X[name].to_numpy(dtype=float) - k, 0)
            for name, knots in self.knots.items()
            for j, k in enumerate(knots)
        }
        return X.assign(**extra)

    def fit(
        self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> AdditiveSpline:
        numeric = [c for c in X.columns if c not in self.categories and X[c].nunique() > KNOTS]
        quantiles = np.linspace(0, 1, KNOTS + 2)[1:-1]
        self.knots = {
            c: np.unique(np.nanquantile(X[c].to_numpy(dtype=float), quantiles)) for c in numeric
        }
        self.model = LinearRegression(categories=self.categories, missing=self.missing)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model.fit(self._design(X), y, sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict(self._design(X))

    def get_params(self) -> dict[str, Any]:
        return {"categories": self.categories, "missing": self.missing}


def extra_models(
    also: tuple[str, ...], categories: dict[str, list], missing: str, seed: int
) -> dict[str, Any]:
    """The unfitted extra rows named in ``also``."""
    made: dict[str, Any] = {}
    for name in also:
        if name == "gbm":
            made[name] = GradientBoosting(categories, seed)
        elif name == "spline":
            made[name] = AdditiveSpline(categories, missing)
    return made


def check_also(also: Any) -> tuple[str, ...]:
    """``also`` as a tuple of known names (a comma-separated string is split)."""
    names = (
        tuple(a.strip() for a in also.split(",") if a.strip())
        if isinstance(also, str)
        else tuple(also or ())
    )
    unknown = [n for n in names if n not in EXTRA]
    if unknown:
        raise ParameterError(f"also: unknown model {unknown[0]!r}; choose from {', '.join(EXTRA)}")
    return tuple(dict.fromkeys(names))


def holm(p: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment of the p values ``p`` (by name)."""
    order = sorted(p, key=lambda k: p[k])
    m, running, out = len(order), 0.0, {}
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[name]))
        out[name] = running
    return out
