"""An experiment for issue 19's small-data shortfall: choose the weight decay by K-fold
cross-validation over the training rows instead of on the 10% held out.

For each kind of ``bench/noise.py`` data and each seed: the given number of training rows,
2,000 test rows from the same law; ``compare``'s network with ``weight_decay="auto"``
(today) against the same network at the decay that 5-fold cross-validation chooses
(``line_if_tied`` on the pooled out-of-fold losses), both relative to least squares' test
RMSE.

    .venv/bin/python bench/decay_cv.py 40 8 gaussian,heteroscedastic
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from noise import frame

from galton.comparison.network import compare_network
from galton.estimators import LinearRegression, NeuralRegressor
from galton.estimators.fitting.memory import line_if_tied
from galton.estimators.fitting.recipe import weight_decays
from galton.metrics import regression_metrics

FOLDS = 5


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return regression_metrics(y, pred)["rmse"]


def network(decay: float | str = "auto") -> NeuralRegressor:
    model = compare_network((64, 64), "numpy", 0, None)
    model.weight_decay = decay
    return model


def cross_validated_decay(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """The decay ``line_if_tied`` picks on every row's out-of-fold squared error."""
    decays = weight_decays(True)
    folds = np.array_split(np.random.default_rng(seed).permutation(len(y)), FOLDS)
    losses = np.zeros((len(decays), len(y)))
    for rows in folds:
        train = np.setdiff1d(np.arange(len(y)), rows)
        for j, decay in enumerate(decays):
            fitted = network(decay).fit(X[train], y[train])
            losses[j, rows] = (y[rows] - fitted.predict(X[rows])) ** 2
    return decays[line_if_tied(losses, None)]


def main() -> None:
    warnings.filterwarnings("ignore")
    rows, seeds, kinds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
    for kind in kinds:
        today, cross = [], []
        for seed in range(seeds):
            data = frame(kind, rows + 2000, seed)
            X, y = data[list("abcd")].to_numpy(), data["y"].to_numpy()
            X_fit, y_fit, X_test, y_test = X[:rows], y[:rows], X[rows:], y[rows:]
            line = rmse(y_test, LinearRegression().fit(X_fit, y_fit).predict(X_test))
            auto = rmse(y_test, network().fit(X_fit, y_fit).predict(X_test))
            decay = cross_validated_decay(X_fit, y_fit)
            chosen = rmse(y_test, network(decay).fit(X_fit, y_fit).predict(X_test))
            today.append(auto / line - 1)
            cross.append(chosen / line - 1)
            print(f"{kind} seed {seed}: auto {today[-1]:+.1%}, cv ({decay:g}) {cross[-1]:+.1%}")
        print(f"{kind} {rows} rows: mean auto {np.mean(today):+.1%}, cv {np.mean(cross):+.1%}")


if __name__ == "__main__":
    main()
