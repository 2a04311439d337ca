"""Design matrices described by terms, so powers can be formed exactly when accuracy needs it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Term:
    """One design column: ``X[:, column] ** power``, or the intercept when ``column`` is None."""

    column: int | None
    power: int = 1

    def name(self, feature_names: list[str]) -> str:
        """Readable name: ``const``, ``x`` or ``x^3``."""
        if self.column is None:
            return "const"
        base = feature_names[self.column]
        return base if self.power == 1 else f"{base}^{self.power}"


def polynomial_terms(
    n_features: int, degree: int, fit_intercept: bool, powered: list[bool] | None = None
) -> list[Term]:
    """Terms of a raw-power polynomial in each feature, without interactions.

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
    """
    powered = powered if powered is not None else [True] * n_features
    terms = [Term(None, 0)] if fit_intercept else []
    for j in range(n_features):
        top = degree if powered[j] else 1
        terms += [Term(j, k) for k in range(1, top + 1)]
    return terms


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
        elif term.power == 1:
            out[:, k] = X[:, term.column]
        else:
            out[:, k] = X[:, term.column] ** term.power
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
