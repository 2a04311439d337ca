"""galton: exact least squares and neural networks side by side.

Does a neural network beat linear regression on your data? Fit both, compare, decide.
Public names are imported on first use, so ``galton --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

try:  # written by setuptools-scm at install time from the git tags
    from galton._version import __version__
except ImportError:  # a source tree never installed
    __version__ = "0+unknown"

_PUBLIC = {
    "AliasedColumnsWarning": "galton.estimators",
    "LinearRegression": "galton.estimators",
    "NeuralRegressor": "galton.estimators",
    "PredictionInterval": "galton.estimators",
    "RidgeRegression": "galton.estimators",
    "load": "galton.estimators",
    "anova": "galton.estimators",
    "compare": "galton.comparison",
    "describe": "galton.data.describe",
    "Comparison": "galton.comparison",
    "BackendUnavailableError": "galton.errors",
    "DataError": "galton.errors",
    "GaltonError": "galton.errors",
    "ModelFileError": "galton.errors",
    "NotFittedError": "galton.errors",
    "ParameterError": "galton.errors",
    "TrainingInterrupted": "galton.errors",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'galton' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
