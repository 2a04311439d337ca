"""What the comparison report shows beyond the cross-validation, computed here so the
report only renders: both models refitted on 80% of the rows, the network's partial
dependence for the features it relies on most, its learning curve, and the
fault-tolerance experiment on the other 20%."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from galton.comparison.network import compare_network
from galton.estimators import LinearRegression, NeuralRegressor
from galton.estimators.inspection import numeric_features, permutation_importance
from galton.metrics import regression_metrics

if TYPE_CHECKING:  # a type only: Comparison.to_html imports this module
    from galton.comparison.results import Comparison

KNOCKOUT_FRACTIONS = [0.0, 0.1, 0.25, 0.5]
KNOCKOUT_DRAWS = 20


@dataclass
class Illustration:
    """Numbers for the report's figures and tables.

    Attributes
    ----------
    hidden : tuple of int
        The network's layers (the folds' most chosen).
    coefficients : LinearRegression
        The linear model fitted on all rows (its coefficient table).
    single_input : tuple, optional
        With one numeric feature: its values, a grid, and both models' predictions on it.
    curves : list of (name, grid, linear means, network means)
        Partial dependence for up to four features, by the network's importance.
    history : dict
        The network's losses per epoch.
    knockout_fractions, knockout_means, knockout_spreads : list of float
        Held-out RMSE with a fraction of every hidden layer's units zeroed.
    linear_rmse : float
        The linear model's held-out RMSE.
    """

    hidden: tuple[int, ...]
    coefficients: LinearRegression
    history: dict[str, Any]
    linear_rmse: float
    single_input: tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    curves: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    knockout_fractions: list[float] = field(default_factory=lambda: list(KNOCKOUT_FRACTIONS))
    knockout_draws: int = KNOCKOUT_DRAWS
    knockout_means: list[float] = field(default_factory=list)
    knockout_spreads: list[float] = field(default_factory=list)


def _curves(
    cmp: Comparison,
    linear: LinearRegression,
    network: NeuralRegressor,
    held: pd.DataFrame,
    y_held: np.ndarray,
    rng: np.random.Generator,
    out: Illustration,
) -> None:
    """The fitted line and curve for one numeric input, or partial dependence."""
    X = cmp.X
    numeric = numeric_features(X)
    if len(X.columns) == 1 and numeric:
        name = numeric[0]
        grid = np.linspace(X[name].min(), X[name].max(), 200)
        frame = pd.DataFrame({name: grid})
        out.single_input = (
            name,
            X[name].to_numpy(),
            grid,
            linear.predict(frame),
            network.predict(frame),
        )
        return
    if not numeric:
        return
    importance = permutation_importance(network.predict, held, y_held, numeric, rng)
    top = sorted(numeric, key=lambda n: -importance[n])[:4]
    sample = X.sample(min(len(X), 300), random_state=cmp.seed)
    for name in top:
        grid = np.quantile(X[name], np.linspace(0.05, 0.95, 20))
        lin, net = [], []
        for value in grid:
            probe = sample.assign(**{name: value})
            lin.append(float(linear.predict(probe).mean()))
            net.append(float(network.predict(probe).mean()))
        out.curves.append((name, grid, np.array(lin), np.array(net)))


def _knockouts(
    network: NeuralRegressor,
    held: pd.DataFrame,
    y_held: np.ndarray,
    rng: np.random.Generator,
    out: Illustration,
) -> None:
    for fraction in out.knockout_fractions:
        draws = 1 if fraction == 0 else out.knockout_draws
        rmses = [
            regression_metrics(y_held, network.knockout_predict(held, fraction, rng))["rmse"]
            for _ in range(draws)
        ]
        out.knockout_means.append(float(np.mean(rmses)))
        out.knockout_spreads.append(float(np.std(rmses)))


def illustrate(cmp: Comparison) -> Illustration:
    """Refit both models on 80% of ``cmp``'s rows (seeded by ``cmp.seed``) and measure
    what the report draws."""
    X, y = cmp.X, cmp.y
    rng = np.random.default_rng(cmp.seed)
    order = rng.permutation(len(y))
    cut = int(0.8 * len(y))
    fit_rows, held_rows = order[:cut], order[cut:]
    held, y_held = X.iloc[held_rows], y[held_rows]
    hidden = Counter(tuple(h) for h in cmp.chosen_hidden).most_common(1)[0][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linear = LinearRegression(categories=cmp.categories).fit(X.iloc[fit_rows], y[fit_rows])
        full_linear = LinearRegression(categories=cmp.categories).fit(X, y)
        network = compare_network(
            hidden,
            cmp.network_params["backend"],
            cmp.seed,
            cmp.categories,
            max_epochs=cmp.network_params["max_epochs"],
        ).fit(X.iloc[fit_rows], y[fit_rows])
    linear_rmse = regression_metrics(y_held, linear.predict(held))["rmse"]
    out = Illustration(hidden, full_linear, network.history_, linear_rmse)
    _curves(cmp, linear, network, held, y_held, rng, out)
    _knockouts(network, held, y_held, rng, out)
    return out
