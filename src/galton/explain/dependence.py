"""Partial dependence with ICE curves of both models, and Friedman's H of the network's
pairwise interactions, out of fold: each fold's models probe its own test rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from galton.estimators.inspection import ice_curves, probe_grid, sample_rows
from galton.explain.folds import Estimate, Fold, over_folds

#: Test rows probed per fold for the curves, and for each H statistic.
CURVE_ROWS = 300
H_ROWS = 30


@dataclass
class Curve:
    """One input's partial dependence.

    Attributes
    ----------
    feature : str
    grid : ndarray (g,)
        Numbers (5-95% quantiles), or a text column's levels.
    categorical : bool
    network, linear : ndarray (g,)
        Each model's mean prediction over the probed rows (pooled over folds).
    ice : ndarray (m, g)
        The network's individual curves of some of those rows.
    """

    feature: str
    grid: np.ndarray
    categorical: bool
    network: np.ndarray
    linear: np.ndarray
    ice: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "grid": [str(v) if self.categorical else float(v) for v in self.grid],
            "network": self.network.tolist(),
            "linear": self.linear.tolist(),
        }


def dependence_curves(
    folds: list[Fold], X: pd.DataFrame, features: list[str], baseline: str, seed: int
) -> list[Curve]:
    """Partial dependence of ``features`` for the network and the linear ``baseline``."""
    rng = np.random.default_rng(seed)
    per_fold = max(10, CURVE_ROWS // len(folds))
    probes = [sample_rows(f.X_test, per_fold, rng) for f in folds]
    out = []
    for name in features:
        grid, categorical = probe_grid(X[name])
        net = np.vstack(
            [
                ice_curves(f.models["network"].predict, p, name, grid)
                for f, p in zip(folds, probes, strict=True)
            ]
        )
        lin = np.vstack(
            [
                ice_curves(f.models[baseline].predict, p, name, grid)
                for f, p in zip(folds, probes, strict=True)
            ]
        )
        out.append(Curve(name, grid, categorical, net.mean(axis=0), lin.mean(axis=0), net[:40]))
    return out


@dataclass
class Interaction:
    """Friedman's H squared of a pair for the network: the share of the pair's joint
    partial dependence that is not the sum of the two alone (0: none, 1: all)."""

    first: str
    second: str
    h2: Estimate

    def to_dict(self) -> dict[str, Any]:
        return {"pair": [self.first, self.second], "h2": self.h2.to_dict()}


def _pd_at_rows(predict: Any, rows: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The partial dependence on ``names`` at each row's own values (m,), centred:
    the mean prediction over ``rows`` with those columns set to row i's."""
    m = len(rows)
    blocks = []
    for i in range(m):
        blocks.append(rows.assign(**{n: rows[n].iloc[i] for n in names}))
    values = predict(pd.concat(blocks, ignore_index=True)).reshape(m, m).mean(axis=1)
    return values - values.mean()


def friedman_h2(predict: Any, rows: pd.DataFrame, first: str, second: str) -> float:
    """Friedman & Popescu's (2008) H squared of ``first`` and ``second`` on ``rows``."""
    return interaction_strength(predict, rows, first, second)[0]


def interaction_strength(
    predict: Any, rows: pd.DataFrame, first: str, second: str
) -> tuple[float, float]:
    """H squared of the pair on ``rows``, and the interaction's own size: the standard
    deviation of the joint partial dependence less the two alone (target units)."""
    joint = _pd_at_rows(predict, rows, [first, second])
    alone = _pd_at_rows(predict, rows, [first]) + _pd_at_rows(predict, rows, [second])
    rest = joint - alone
    total = float(joint @ joint)
    h2 = float(rest @ rest / total) if total > 0 else 0.0
    return h2, float(np.sqrt(np.mean(rest**2)))


def interactions(folds: list[Fold], features: list[str], seed: int) -> list[Interaction]:
    """H squared of every pair of ``features`` for the network, over folds, largest first."""
    rng = np.random.default_rng(seed)
    probes = [sample_rows(f.X_test, H_ROWS, rng) for f in folds]
    out = []
    for a, name in enumerate(features):
        for other in features[a + 1 :]:
            values = [
                friedman_h2(f.models["network"].predict, p, name, other)
                for f, p in zip(folds, probes, strict=True)
            ]
            out.append(Interaction(name, other, over_folds(np.array(values), folds)))
    return sorted(out, key=lambda i: -i.h2.mean)
