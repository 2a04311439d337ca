"""``LinearRegression``, ``RidgeRegression`` and ``NeuralRegressor``: scikit-learn style
estimators.

``__init__`` stores arguments, ``fit`` validates them, learns and returns ``self``;
fitted attributes end in ``_``. Both accept arrays, DataFrames (pandas or polars),
Arrow tables, file paths and bundled dataset names; with a table, ``y`` may be the name
of the target column.

``base`` holds what they share (parameters, input handling, saving), ``linear``,
``ridge`` and ``neural`` one estimator each, ``persistence`` turns model files back into estimators.
"""

from __future__ import annotations

from galton.estimators.base import AliasedColumnsWarning, PredictionInterval
from galton.estimators.linear import LinearRegression
from galton.estimators.linear_inference import anova
from galton.estimators.neural import NeuralRegressor
from galton.estimators.persistence import load
from galton.estimators.ridge import RidgeRegression
from galton.metrics import regression_metrics

__all__ = [
    "AliasedColumnsWarning",
    "LinearRegression",
    "NeuralRegressor",
    "PredictionInterval",
    "RidgeRegression",
    "anova",
    "load",
    "regression_metrics",
]
