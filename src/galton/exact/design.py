"""Design matrices described by terms, so powers can be formed exactly when accuracy needs it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Term:
    """One design column: ``X[:, column] ** power`` times ``X[:, c] ** q`` for each
    ``(c, q)`` of ``others`` (an interaction), or the intercept when ``column`` is None."""

    column: int | None
    power: int = 1
    others: tuple[tuple[int, int], ...] = ()

    @property
    def factors(self) -> tuple[tuple[int, int], ...]:
        """The ``(column, power)`` pairs multiplied (none for the intercept)."""
        return () if self.column is None else ((self.column, self.power), *self.others)

    @property
    def degree(self) -> int:
        """The total power (0 for the intercept)."""
        return sum(power for _, power in self.factors)

    def name(self, feature_names: list[str]) -> str:
        """Readable name: ``const``, ``x``, ``x^3`` or, for an interaction, ``x:z^2``."""
        if self.column is None:
            return "const"
        return ":".join(
            feature_names[c] if q == 1 else f"{feature_names[c]}^{q}" for c, q in self.factors
        )

    def to_list(self) -> list[Any]:
        """The model file's form: ``[column, power]``, with the other factors third."""
        head: list[Any] = [self.column, self.power]
        return head + [[list(f) for f in self.others]] if self.others else head

    @classmethod
    def from_list(cls, entry: list[Any]) -> Term:
        others = tuple((int(c), int(q)) for c, q in entry[2]) if len(entry) > 2 else ()
        return cls(entry[0], entry[1], others)


def polynomial_terms(
    n_features: int,
    degree: int,
    fit_intercept: bool,
    powered: list[bool] | None = None,
    interactions: bool = False,
    sources: list[int] | None = None,
) -> list[Term]:
    """Terms of a raw-power polynomial in each feature, and with ``interactions`` every
    product of the features up to total power ``degree``.

    Parameters
    ----------
    n_features : int
        Number of input columns.
    degree : int
        Highest power (1 = a plain linear model).
    fit_intercept : bool
        Whether the first term is the intercept.
    powered : list of bool, optional
        Which columns receive powers above 1 (one-hot columns do not: ``d**2 == d``).
    interactions : bool
        Also the products of different columns (graded: all terms of total power 1, then
        2, ...; as scikit-learn's ``PolynomialFeatures``).
    sources : list of int, optional
        The input each column comes from: indicators of one text column are never
        multiplied together (their product is zero).
    """
    powered = powered if powered is not None else [True] * n_features
    terms = [Term(None, 0)] if fit_intercept else []
    if interactions:
        return terms + _products(n_features, degree, powered, sources or list(range(n_features)))
    for j in range(n_features):
        top = degree if powered[j] else 1
        terms += [Term(j, k) for k in range(1, top + 1)]
    return terms


def _products(n: int, degree: int, powered: list[bool], sources: list[int]) -> list[Term]:
    """Every monomial of total power 1..``degree`` in ``n`` columns, graded."""
    out = []
    for total in range(1, degree + 1):
        for combo in combinations_with_replacement(range(n), total):
            counts = sorted(Counter(combo).items())
            if any(q > 1 and not powered[c] for c, q in counts):
                continue
            columns = [c for c, _ in counts]
            kinds = [sources[c] for c in columns if not powered[c]]
            if len(kinds) != len(set(kinds)):
                continue  # two indicators of one text column: always zero
            (c0, q0), *rest = counts
            out.append(Term(c0, q0, tuple(rest)))
    return out


def build_design(X: np.ndarray, terms: list[Term]) -> np.ndarray:
    """The float64 design matrix.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    terms : list of Term

    Returns
    -------
    ndarray of shape (n_samples, len(terms))
    """
    X = np.asarray(X, dtype=np.float64)
    out = np.empty((X.shape[0], len(terms)), dtype=np.float64)
    for k, term in enumerate(terms):
        if term.column is None:
            out[:, k] = 1.0
            continue
        column = X[:, term.column] if term.power == 1 else X[:, term.column] ** term.power
        for c, q in term.others:
            column = column * (X[:, c] if q == 1 else X[:, c] ** q)
        out[:, k] = column
    return out


def exact_integers(values: np.ndarray, power: int = 1) -> tuple[np.ndarray, int]:
    """Represent ``values ** power`` exactly as Python integers times a power of two.

    Every float64 is ``m * 2**e`` with an integer ``m``; its powers are exact in integers.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Finite float64 values.
    power : int
        Non-negative power.

    Returns
    -------
    ints : ndarray of object, shape (n,)
        Python integers.
    exponent : int
        ``values ** power == ints * 2**exponent`` exactly.
    """
    mant, expo = np.frexp(np.asarray(values, dtype=np.float64))
    mant_int = (mant * 2.0**53).astype(np.int64)
    shift = (expo.astype(np.int64) - 53) * power
    nonzero = mant_int != 0
    base = int(shift[nonzero].min()) if nonzero.any() else 0
    ints = np.empty(len(mant_int), dtype=object)
    for i, (m, s) in enumerate(zip(mant_int.tolist(), shift.tolist(), strict=True)):
        ints[i] = (m**power) << (s - base) if m else 0
    return ints, base
