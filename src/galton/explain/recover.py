"""How much of the network's gain a readable model keeps: in every fold the network
(trained on that fold's training rows) suggests terms from its partial dependence and
pairwise interactions, computed on training rows' inputs only; least squares with those
terms is fitted on the training rows and scored on the fold's test rows, as the line and
the network were."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from galton.estimators import LinearRegression
from galton.estimators.inspection import ice_curves, numeric_features, sample_rows
from galton.explain.dependence import interaction_strength
from galton.explain.folds import Estimate, Fold, over_folds
from galton.explain.terms import Term, quoted, shape_of
from galton.metrics import regression_metrics

#: Rows of the training fold probed, grid points along each input.
PROBE_ROWS = 150
SHAPE_POINTS = 40
#: A curve's bend (or a pair's joint effect) smaller than this share of the target's
#: standard deviation is not worth a term; nor an interaction below this H squared.
SMALL = 0.03
INTERACTION_H2 = 0.1
#: A weaker interaction still counts when its own size reaches ``SMALL`` of the target's
#: standard deviation.
MIN_H2 = 0.01
PAIRS_FROM = 4


@dataclass
class Recovery:
    """The augmented linear model and the share of the network's gain it keeps.

    Attributes
    ----------
    terms : list of Term
        The extra terms proposed from all folds' networks on all rows.
    formula : str
        The model as ``galton fit --formula`` text.
    fold_terms : list of list of str
        The terms each fold's network proposed (what that fold's refit used).
    rmse : ndarray (k,)
        The augmented model's test RMSE in each fold.
    share : Estimate
        The share of the network's RMSE reduction over the line that the augmented
        model keeps (1: all of it), with a corrected 95% interval.
    network_gain : Estimate
        The network's relative RMSE reduction over the augmented model.
    model : LinearRegression
        The augmented model fitted on all rows (its summary: the full statistics).
    """

    terms: list[Term]
    formula: str
    fold_terms: list[list[str]]
    rmse: np.ndarray
    share: Estimate
    network_gain: Estimate
    model: Any = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "formula": self.formula,
            "terms": [t.formula() for t in self.terms],
            "fold_terms": self.fold_terms,
            "rmse": self.rmse.tolist(),
            "share_of_gain": self.share.to_dict(),
            "network_gain_over_it": self.network_gain.to_dict(),
            "coefficients": self.model.to_dict()["coefficients"] if self.model else None,
        }


def propose(
    predict: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    scale: float,
    categories: dict[str, list],
    rng: np.random.Generator,
) -> list[Term]:
    """Terms for the curves and interactions ``predict`` shows on rows ``X``; ``scale``
    is the target's standard deviation (bends smaller than ``SMALL`` of it are left)."""
    rows = sample_rows(X, PROBE_ROWS, rng)
    terms, reach = [], {}
    for name in numeric_features(X):
        grid = np.unique(np.quantile(X[name].dropna(), np.linspace(0.02, 0.98, SHAPE_POINTS)))
        curve = ice_curves(predict, rows, name, grid).mean(axis=0)
        reach[name] = float(np.ptp(curve))
        line = np.polyval(np.polyfit(grid, curve, 1), grid) if len(grid) > 1 else curve
        tolerance = SMALL * scale
        if np.std(curve - line) >= tolerance and (shape := shape_of(name, grid, curve, tolerance)):
            terms.append(shape)
    for name in categories:
        if name in X.columns:
            levels = categories[name]
            curve = ice_curves(predict, rows, name, np.asarray(levels, dtype=object)).mean(axis=0)
            reach[name] = float(np.ptp(curve))
    top = sorted(reach, key=lambda n: -reach[n])[:PAIRS_FROM]
    pairs = rows.iloc[: min(len(rows), 30)]
    shapes = {t.features[0]: t for t in terms}
    for a, first in enumerate(top):
        for second in top[a + 1 :]:
            if min(reach[first], reach[second]) < SMALL * scale:
                continue
            h2, size = interaction_strength(predict, pairs, first, second)
            if h2 >= INTERACTION_H2 or (h2 >= MIN_H2 and size >= SMALL * scale):
                coded = tuple(tuple(map(str, categories.get(f, [])[1:])) for f in (first, second))
                curved = [
                    shapes[f]
                    for f, lv in zip((first, second), coded, strict=True)
                    if not lv and f in shapes
                ]
                shape = curved[0] if any(coded) and curved else None
                terms.append(Term("product", (first, second), (), coded, shape))
    return terms


def augmented(X: pd.DataFrame, terms: list[Term]) -> pd.DataFrame:
    """``X`` with the terms' columns added."""
    extra: dict[str, np.ndarray] = {}
    for term in terms:
        extra.update(term.columns(X))
    return X.assign(**extra) if extra else X


def _fit(
    X: pd.DataFrame, y: np.ndarray, w: np.ndarray | None, categories: dict, missing: str
) -> LinearRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aliased levels in small folds
        return LinearRegression(categories=categories, missing=missing).fit(X, y, w)


def formula_of(target: str, X: pd.DataFrame, categories: dict, terms: list[Term]) -> str:
    """The augmented model as formula text."""
    base = [f"C({quoted(c)})" if c in categories else quoted(str(c)) for c in X.columns]
    return f"{quoted(target)} ~ " + " + ".join(base + [t.formula() for t in terms])


def ratio_over_folds(a: np.ndarray, b: np.ndarray, folds: list[Fold]) -> Estimate:
    """``mean(a) / mean(b)`` with a delta-method interval, the variance corrected as the
    resampled t-test's (Nadeau & Bengio)."""
    ratio = float(a.mean() / b.mean()) if b.mean() else math.nan
    if len(a) < 2 or not math.isfinite(ratio):
        return Estimate(ratio, math.nan, math.nan)
    # the linearised ratio a - ratio b has mean 0; its corrected interval, over |mean(b)|
    spread = over_folds(a - ratio * b, folds)
    half = (spread.ci_high - spread.ci_low) / 2 / abs(b.mean())
    return Estimate(ratio, ratio - half, ratio + half)


def recover(
    folds: list[Fold],
    cmp: Any,
    baseline: str,
    seed: int,
) -> Recovery:
    """The augmented model in every fold, its share of the gain, and the model on all
    rows (``cmp``: the comparison, for its rows, target, categories and fold scores)."""
    rng = np.random.default_rng(seed)
    categories, missing = cmp.categories, cmp.missing
    scale = float(np.std(cmp.y)) or 1.0
    fold_terms, rmse = [], []
    for fold in folds:
        terms = propose(fold.models["network"].predict, fold.X_train, scale, categories, rng)
        model = _fit(
            augmented(fold.X_train, terms), fold.y_train, fold.w_train, categories, missing
        )
        pred = model.predict(augmented(fold.X_test, terms))
        rmse.append(regression_metrics(fold.y_test, pred, fold.w_test)["rmse"])
        fold_terms.append([t.formula() for t in terms])
    rmse_arr = np.array(rmse)
    k = len(folds)
    line = cmp.scores[baseline].rmse[:k]
    net = cmp.scores["network"].rmse[:k]
    share = ratio_over_folds(line - rmse_arr, line - net, folds)
    gain = over_folds((rmse_arr - net) / rmse_arr, folds)
    final = _pooled_terms(folds, cmp, scale, rng)
    model = _fit(augmented(cmp.X, final), cmp.y, cmp.weights, categories, missing)
    formula = formula_of(cmp.target, cmp.X, categories, final)
    return Recovery(final, formula, fold_terms, rmse_arr, share, gain, model)


def _pooled_terms(
    folds: list[Fold], cmp: Any, scale: float, rng: np.random.Generator
) -> list[Term]:
    """The terms all folds' networks together suggest on all rows (their mean
    prediction): the formula reported."""

    def predict(X: pd.DataFrame) -> np.ndarray:
        return np.mean([f.models["network"].predict(X) for f in folds], axis=0)

    return propose(predict, cmp.X, scale, cmp.categories, rng)
