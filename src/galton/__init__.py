"""galton: exact least squares and neural networks side by side.

Does a neural network beat linear regression on your data? Fit both, compare, decide.
"""

__version__ = "0.1.0"

from galton.errors import (  # noqa: E402
    BackendUnavailableError,
    DataError,
    GaltonError,
    ModelFileError,
    NotFittedError,
    ParameterError,
)
from galton.estimators import (  # noqa: E402
    AliasedColumnsWarning,
    LinearRegression,
    NeuralRegressor,
    PredictionInterval,
    load,
)

__all__ = [
    "AliasedColumnsWarning",
    "BackendUnavailableError",
    "DataError",
    "GaltonError",
    "LinearRegression",
    "ModelFileError",
    "NeuralRegressor",
    "NotFittedError",
    "ParameterError",
    "PredictionInterval",
    "load",
]
