"""Where the network wins: every row's out-of-fold paired loss difference (the line's
squared error minus the network's) described by a depth-2 tree. The tree is grown on the
rows of half the folds and its leaves are measured on the other half, so a region is
reported only where rows it never saw confirm it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Splits tried per numeric input (quantiles), the tree's depth, and bootstrap draws.
THRESHOLDS = 24
DEPTH = 2
DRAWS = 400


@dataclass(frozen=True)
class Rule:
    """One split: ``feature <= value`` (or ``==`` a level), or its negation."""

    feature: str
    value: Any
    categorical: bool
    holds: bool

    def mask(self, X: pd.DataFrame) -> np.ndarray:
        column = X[self.feature]
        inside = (column == self.value) if self.categorical else (column <= self.value)
        inside = inside.to_numpy(dtype=bool)
        return inside if self.holds else ~inside

    def text(self) -> str:
        if self.categorical:
            return f"{self.feature} {'=' if self.holds else '≠'} {self.value}"
        return f"{self.feature} {'≤' if self.holds else '>'} {self.value:.4g}"


@dataclass
class Region:
    """A leaf, measured on the rows the tree did not see.

    Attributes
    ----------
    rules : list of Rule
    rows : int
        Held-out rows in the leaf.
    reduction, ci_low, ci_high : float
        The network's relative RMSE reduction there (above 0: the network is better),
        with a bootstrap 95% interval.
    """

    rules: list[Rule]
    rows: int
    reduction: float
    ci_low: float
    ci_high: float

    @property
    def where(self) -> str:
        """The leaf's rules in words, one interval per numeric input."""
        return describe(self.rules)

    @property
    def finding(self) -> str:
        """``better``, ``worse`` or ``same`` for the network there."""
        if self.ci_low > 0:
            return "better"
        return "worse" if self.ci_high < 0 else "same"

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "rows": self.rows,
            "rmse_reduction": {
                "mean": self.reduction,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            },
            "network": self.finding,
        }


def path_mask(rules: list[Rule], X: pd.DataFrame) -> np.ndarray:
    """The rows (n,) of ``X`` that every rule of a leaf's path holds for."""
    inside = np.ones(len(X), dtype=bool)
    for rule in rules:
        inside &= rule.mask(X)
    return inside


def describe(rules: list[Rule]) -> str:
    """``22.1 < age ≤ 75.9 and city ≠ Rome``: a path's rules with the bounds on one input
    merged into an interval."""
    parts: list[str] = []
    for name in dict.fromkeys(r.feature for r in rules):
        own = [r for r in rules if r.feature == name]
        if own[0].categorical:
            parts += [r.text() for r in own]
            continue
        low = max((r.value for r in own if not r.holds), default=None)
        high = min((r.value for r in own if r.holds), default=None)
        if low is not None and high is not None:
            parts.append(f"{low:.4g} < {name} ≤ {high:.4g}")
        else:
            parts.append(f"{name} > {low:.4g}" if low is not None else f"{name} ≤ {high:.4g}")
    return " and ".join(parts) or "all rows"


def _candidates(X: pd.DataFrame) -> list[Rule]:
    rules = []
    for name in X.columns:
        column = X[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = np.unique(np.quantile(column.dropna(), np.linspace(0.05, 0.95, THRESHOLDS)))
            rules += [Rule(str(name), float(v), False, True) for v in values]
        else:
            levels = column.dropna().value_counts().index[:20]
            rules += [Rule(str(name), level, True, True) for level in levels]
    return rules


def _best_split(X: pd.DataFrame, d: np.ndarray, min_rows: int, rules: list[Rule]) -> Rule | None:
    """The split of the rows that most reduces the squared error of ``d`` around the
    leaves' means, with at least ``min_rows`` on each side."""
    best, best_gain = None, 0.0
    total = float(d.sum())
    for rule in rules:
        inside = rule.mask(X)
        k = int(inside.sum())
        if k < min_rows or len(d) - k < min_rows:
            continue
        left = float(d[inside].sum())
        gain = left**2 / k + (total - left) ** 2 / (len(d) - k) - total**2 / len(d)
        if gain > best_gain:
            best, best_gain = rule, gain
    return best


def grow(X: pd.DataFrame, d: np.ndarray, min_rows: int) -> list[list[Rule]]:
    """The leaves of a depth-``DEPTH`` regression tree of ``d`` on ``X``, as rule lists."""
    rules = _candidates(X)
    leaves: list[list[Rule]] = [[]]
    for _ in range(DEPTH):
        grown = []
        for path in leaves:
            inside = path_mask(path, X)
            split = _best_split(X[inside], d[inside], min_rows, rules)
            if split is None:
                grown.append(path)
                continue
            other = Rule(split.feature, split.value, split.categorical, False)
            grown += [[*path, split], [*path, other]]
        leaves = grown
    return leaves


def _reduction(lin: np.ndarray, net: np.ndarray, w: np.ndarray) -> float:
    a = float(w @ lin)
    return 1 - math.sqrt(float(w @ net) / a) if a > 0 else 0.0


def measure(
    leaves: list[list[Rule]],
    X: pd.DataFrame,
    lin: np.ndarray,
    net: np.ndarray,
    w: np.ndarray,
    seed: int,
) -> list[Region]:
    """Each leaf's RMSE reduction on rows ``X`` with squared errors ``lin``, ``net``."""
    rng = np.random.default_rng(seed)
    out = []
    for path in leaves:
        inside = path_mask(path, X)
        rows = np.flatnonzero(inside)
        if len(rows) < 2:
            continue
        draws = [rng.choice(rows, len(rows)) for _ in range(DRAWS)]
        boot = np.array([_reduction(lin[b], net[b], w[b]) for b in draws])
        low, high = np.quantile(boot, [0.025, 0.975])
        out.append(
            Region(
                path, len(rows), _reduction(lin[rows], net[rows], w[rows]), float(low), float(high)
            )
        )
    return out


def where_the_network_wins(
    X: pd.DataFrame,
    lin_sq: np.ndarray,
    net_sq: np.ndarray,
    weights: np.ndarray | None,
    halves: tuple[np.ndarray, np.ndarray],
    seed: int,
) -> list[Region]:
    """Grow the tree on rows ``halves[0]`` and measure its leaves on ``halves[1]``.

    Parameters
    ----------
    X : DataFrame (n, k)
    lin_sq, net_sq : ndarray (n,)
        Out-of-fold squared errors of the linear baseline and of the network.
    weights : ndarray (n,), optional
    halves : (ndarray, ndarray)
        Row positions: the test rows of half the folds, and of the others.
    """
    w = np.ones(len(lin_sq)) if weights is None else np.asarray(weights, dtype=float)
    grow_rows, test_rows = halves
    d = w[grow_rows] * (lin_sq[grow_rows] - net_sq[grow_rows])
    min_rows = max(20, len(grow_rows) // 20)
    leaves = grow(X.iloc[grow_rows], d, min_rows)
    held = X.iloc[test_rows]
    return measure(leaves, held, lin_sq[test_rows], net_sq[test_rows], w[test_rows], seed)
