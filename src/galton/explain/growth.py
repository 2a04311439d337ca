"""Will more data change the verdict? The paired gain on nested subsamples of the rows
(the same folds, each fold's rows kept only where the subsample has them), refitting the
line and the network as each fold did, with the gain's interval at every size and a
cautious projection of the rows that would make it significant."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from galton.explain.folds import Estimate, Fold, over_folds
from galton.metrics import regression_metrics

#: The shares of the rows refitted (the whole is the comparison itself).
SHARES = (0.25, 0.5)
#: A projection further than this many times the rows is not made.
FURTHEST = 20


@dataclass
class Growth:
    """The network's relative RMSE reduction by the number of rows.

    Attributes
    ----------
    rows : list of int
        Rows used (the last: all).
    gain : list of Estimate
        The mean per-fold reduction with its corrected 95% interval at each size.
    trend : {"growing", "flat", "shrinking"}
    needed : int or None
        Rows at which the gain would likely reach significance (t = 2), when it is
        positive and not significant yet.
    text : str
    """

    rows: list[int]
    gain: list[Estimate]
    trend: str
    needed: int | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "gain": [g.to_dict() for g in self.gain],
            "trend": self.trend,
            "rows_needed": self.needed,
            "text": self.text,
        }


def _refit(model: Any, fold: Fold, keep_train: np.ndarray, keep_test: np.ndarray) -> float:
    """A fresh copy of ``model`` fitted on the kept training rows, its kept-test RMSE."""
    fresh = type(model)(**model.get_params())
    w = None if fold.w_train is None else fold.w_train[keep_train]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh.fit(fold.X_train.iloc[keep_train], fold.y_train[keep_train], w)
    w_test = None if fold.w_test is None else fold.w_test[keep_test]
    pred = fresh.predict(fold.X_test.iloc[keep_test])
    return float(regression_metrics(fold.y_test[keep_test], pred, w_test)["rmse"])


def _gain_at(
    folds: list[Fold],
    inside: np.ndarray,
    trains: list[np.ndarray],
    tests: list[np.ndarray],
    baseline: str,
) -> Estimate:
    reductions = []
    for fold, train, test in zip(folds, trains, tests, strict=True):
        keep_train, keep_test = inside[train], inside[test]
        if keep_test.sum() < 2 or keep_train.sum() < 5:
            continue
        line = _refit(fold.models[baseline], fold, keep_train, keep_test)
        net = _refit(fold.models["network"], fold, keep_train, keep_test)
        reductions.append((line - net) / line)
    return over_folds(np.array(reductions), folds)


def _trend(gain: list[Estimate]) -> str:
    first, last = gain[0], gain[-1]
    spread = max(last.ci_high - last.ci_low, 1e-12) / 2
    if last.mean - first.mean > spread / 2:
        return "growing"
    return "shrinking" if first.mean - last.mean > spread / 2 else "flat"


def _words(n: int, gain: Estimate, trend: str, needed: int | None) -> str:
    if gain.ci_low > 0:
        return f"the gain is significant at {n} rows ({trend} with more rows)"
    if gain.mean <= 0 or trend == "shrinking":
        return f"no gain at {n} rows and {trend}: more data is unlikely to change the verdict"
    if needed is None:
        return (
            f"a small gain at {n} rows, {trend}: more data than {FURTHEST}x would be needed to tell"
        )
    return (
        f"not significant at {n} rows; the gain is {trend} — about {needed} rows would likely "
        "make it significant (a projection from the interval's width, not a promise)"
    )


def learning_curve(cmp: Any, folds: list[Fold], baseline: str, seed: int) -> Growth:
    """The gain at ``SHARES`` of the rows (nested random subsamples) and at all of them."""
    n = len(cmp.y)
    rng = np.random.default_rng([seed, 1])
    trains = [np.asarray(f.train) for f in cmp.fold_models]
    tests = [np.asarray(f.test) for f in cmp.fold_models]
    # each fold's test rows in a random order: a share of every fold is a nested subsample
    # that leaves every fold (and so every training set) that share of its rows
    orders = [rng.permutation(t) for t in tests]
    untested = np.setdiff1d(np.arange(n), np.concatenate(tests))  # forward chaining
    if len(untested):
        orders.append(rng.permutation(untested))
    rows, gain = [], []
    for share in SHARES:
        inside = np.zeros(n, dtype=bool)
        for order in orders:
            inside[order[: int(round(share * len(order)))]] = True
        rows.append(int(inside.sum()))
        gain.append(_gain_at(folds, inside, trains, tests, baseline))
    k = len(folds)
    line, net = cmp.scores[baseline].rmse[:k], cmp.scores["network"].rmse[:k]
    rows.append(n)
    gain.append(over_folds((line - net) / line, folds))
    trend = _trend(gain)
    needed = rows_needed(n, gain[-1])
    return Growth(rows, gain, trend, needed, _words(n, gain[-1], trend, needed))


def rows_needed(n: int, gain: Estimate) -> int | None:
    """The rows at which a positive, not yet significant gain would likely be: the
    interval's half width (about two standard errors) shrinks as 1 / sqrt(rows); None
    when the gain is not positive, already significant, or further than ``FURTHEST``x."""
    if not (gain.mean > 0 and gain.ci_low <= 0):
        return None
    grow = ((gain.ci_high - gain.ci_low) / 2 / gain.mean) ** 2
    return int(math.ceil(n * grow)) if grow <= FURTHEST else None
