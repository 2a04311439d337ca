"""Readable terms a network's partial dependence suggests, as formula text and as the
columns they add: a square, a log, a step, hinges (a piecewise-linear spline) and
products. Each term is exactly what ``galton fit --formula`` computes from its text."""

from __future__ import annotations

import keyword
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Significant digits of a knot (readable, and the same in the formula and the columns).
KNOT_DIGITS = 3
#: The hinges (knots at quantiles) tried after the one-column shapes.
HINGES = (3, 5, 8)


def quoted(name: str) -> str:
    """A column's name as a formula names it (``Q("odd name")`` unless an identifier)."""
    plain = name.isidentifier() and not keyword.iskeyword(name)
    return name if plain else f'Q("{name}")'


@dataclass(frozen=True)
class Term:
    """One proposed term.

    Attributes
    ----------
    kind : {"square", "log", "step", "hinges", "product"}
    features : tuple of str
        The input (two for a product).
    knots : tuple of float
        The step's place or the hinges' knots.
    levels : tuple of str
        A text column's levels other than the first (products with text columns).
    """

    kind: str
    features: tuple[str, ...]
    knots: tuple[float, ...] = ()
    levels: tuple[tuple[str, ...], ...] = ()
    #: A product of a text column with a curved input: that input's shape term, whose
    #: columns are multiplied by the levels too.
    shape: Term | None = None

    def formula(self) -> str:
        """The term as ``galton fit --formula`` text."""
        x = quoted(self.features[0])
        if self.kind == "square":
            return f"I({x} ** 2)"
        if self.kind == "log":
            return f"np.log({x})"
        if self.kind == "step":
            return f"np.sign({x} - {self.knots[0]:.{KNOT_DIGITS}g})"
        if self.kind == "hinges":
            return " + ".join(f"np.maximum({x} - {k:.{KNOT_DIGITS}g}, 0)" for k in self.knots)
        factors = [
            f"C({quoted(f)})" if self.levels[i] else quoted(f) for i, f in enumerate(self.features)
        ]
        text = ":".join(factors)
        if self.shape is not None:  # the levels times the curve's own terms too
            level = next(f for f, lv in zip(factors, self.levels, strict=True) if lv)
            text += "".join(f" + {level}:{part}" for part in self.shape.formula().split(" + "))
        return text

    def columns(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """The design columns the term adds to the rows ``X``, named as the formula."""
        if self.kind == "product":
            return self._products(X)
        x = X[self.features[0]].to_numpy(dtype=float)
        if self.kind == "square":
            return {self.formula(): x**2}
        if self.kind == "log":
            return {self.formula(): np.log(x)}
        if self.kind == "step":
            return {self.formula(): np.sign(x - round_knot(self.knots[0]))}
        name = quoted(self.features[0])
        return {
            f"np.maximum({name} - {k:.{KNOT_DIGITS}g}, 0)": np.maximum(x - round_knot(k), 0)
            for k in self.knots
        }

    def _products(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        parts: list[dict[str, np.ndarray]] = []
        for feature, levels in zip(self.features, self.levels, strict=True):
            column = X[feature]
            if levels:
                parts.append(
                    {f"{feature}={lv}": (column.astype(str) == lv).to_numpy(float) for lv in levels}
                )
            else:
                parts.append({feature: column.to_numpy(dtype=float)})
        if self.shape is not None:
            numeric = 1 if self.levels[0] else 0
            parts[numeric].update(self.shape.columns(X))
        out = {}
        for a, u in parts[0].items():
            for b, v in parts[1].items():
                out[f"{a}:{b}"] = u * v
        return out


def round_knot(value: float) -> float:
    """A knot as the formula prints it (``KNOT_DIGITS`` significant digits), so the
    formula and the columns compute alike."""
    return float(f"{value:.{KNOT_DIGITS}g}")


def _misfit(curve: np.ndarray, design: np.ndarray) -> float:
    """The root-mean-square residual of a least-squares fit of ``curve`` (g,) on an
    intercept and ``design`` (g, k)."""
    A = np.column_stack([np.ones(len(curve)), design])
    fitted = A @ np.linalg.lstsq(A, curve, rcond=None)[0]
    return float(np.sqrt(np.mean((curve - fitted) ** 2)))


def _candidates(name: str, x: np.ndarray, curve: np.ndarray) -> list[Term]:
    """Shapes for a curve, simplest first: square, log (positive inputs), a step at the
    steepest change, then hinges at 3, 5 and 8 quantiles."""
    jump = int(np.argmax(np.abs(np.diff(curve)))) if len(curve) > 1 else 0
    found = [Term("square", (name,))]
    if x.min() > 0:
        found.append(Term("log", (name,)))
    found.append(Term("step", (name,), (round_knot((x[jump] + x[min(jump + 1, len(x) - 1)]) / 2),)))
    for count in HINGES:
        knots = np.quantile(x, np.linspace(0, 1, count + 2)[1:-1])
        found.append(Term("hinges", (name,), tuple(dict.fromkeys(round_knot(k) for k in knots))))
    return found


def shape_of(name: str, grid: np.ndarray, curve: np.ndarray, tolerance: float) -> Term | None:
    """The simplest term that, with the line, follows the partial-dependence ``curve``
    (g,) on ``grid`` (g,) within ``tolerance`` (root-mean-square, target units); None when
    the line alone does; the closest when none does."""
    x = grid.astype(float)
    if _misfit(curve, x[:, None]) <= tolerance:
        return None
    frame = pd.DataFrame({name: x})
    scored = []
    for term in _candidates(name, x, curve):
        extra = np.column_stack(list(term.columns(frame).values()))
        scored.append((_misfit(curve, np.column_stack([x, extra])), term))
        if scored[-1][0] <= tolerance:
            return term
    return min(scored, key=lambda s: s[0])[1]
