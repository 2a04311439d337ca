"""What a fitted model does with its inputs, measured by predicting on probed copies of
rows: permutation importance, and partial dependence with its individual (ICE) curves.
Any estimator with ``predict`` will do; the single-fit page and the comparison's
report both draw from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from galton.metrics import regression_metrics

#: Rows whose curves are averaged (and at most this many ICE curves are kept).
PROBE_ROWS = 300
ICE_CURVES = 40
GRID_POINTS = 20

Predict = Callable[[pd.DataFrame], np.ndarray]


@dataclass
class Dependence:
    """How the predictions move as one input varies.

    Attributes
    ----------
    name : str
        The input column.
    grid : ndarray of shape (g,)
        The values given to it (numbers; a text column's levels as strings).
    mean : ndarray of shape (g,)
        The mean prediction over the probed rows: the partial dependence.
    ice : ndarray of shape (m, g)
        The predictions of ``m`` of those rows: individual conditional expectation.
    categorical : bool
        Whether ``grid`` holds levels rather than numbers.
    """

    name: str
    grid: np.ndarray
    mean: np.ndarray
    ice: np.ndarray
    categorical: bool = False


def numeric_features(X: pd.DataFrame) -> list[str]:
    """Columns with more than two numeric values (those a curve can be drawn along)."""
    return [
        c
        for c in X.columns
        if pd.api.types.is_numeric_dtype(X[c])
        and not pd.api.types.is_bool_dtype(X[c])
        and X[c].nunique() > 2
    ]


def permutation_importance(
    predict: Predict,
    X: pd.DataFrame,
    y: np.ndarray,
    names: list[str],
    rng: np.random.Generator,
) -> dict[str, float]:
    """How much the RMSE of ``predict`` on ``X`` (n, k), ``y`` (n,) grows when each column
    of ``names`` is shuffled."""
    base = regression_metrics(y, predict(X))["rmse"]
    out = {}
    for name in names:
        shuffled = X.assign(**{name: rng.permutation(X[name].to_numpy())})
        out[name] = regression_metrics(y, predict(shuffled))["rmse"] - base
    return out


def sample_rows(X: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """``X`` itself, or ``rows`` of its rows drawn by ``rng`` without replacement."""
    return X if len(X) <= rows else X.iloc[rng.choice(len(X), rows, replace=False)]


def probe_grid(column: pd.Series) -> tuple[np.ndarray, bool]:
    """The values to probe: quantiles 5-95% of a numeric column, else its levels."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.dropna().to_numpy(dtype=float)
        return np.unique(np.quantile(values, np.linspace(0.05, 0.95, GRID_POINTS))), False
    levels = column.dropna().value_counts().index[:GRID_POINTS]
    return np.asarray(levels, dtype=object), True


def partial_dependence(
    predict: Predict, X: pd.DataFrame, name: str, rng: np.random.Generator
) -> Dependence:
    """The partial dependence of ``predict`` on column ``name`` of ``X`` with ICE curves,
    over at most ``PROBE_ROWS`` rows drawn by ``rng``."""
    rows = sample_rows(X, PROBE_ROWS, rng)
    grid, categorical = probe_grid(X[name])
    curves = ice_curves(predict, rows, name, grid)
    return Dependence(name, grid, curves.mean(axis=0), curves[:ICE_CURVES], categorical)


def ice_curves(predict: Predict, rows: pd.DataFrame, name: str, grid: np.ndarray) -> np.ndarray:
    """Each row's prediction (m, g) as column ``name`` takes each value of ``grid``."""
    probes = pd.concat([rows.assign(**{name: value}) for value in grid], ignore_index=True)
    return predict(probes).reshape(len(grid), len(rows)).T
