"""Tests of linear restrictions ``R b = q`` on least-squares coefficients.

Restrictions come as a matrix (and right-hand side) or as text, ``"x1 = x2, x3 = 0"`` or
``"2*x1 - x2 = 1"``: the text is parsed against the model's term names, never evaluated.
The tests use the fit's covariance (classical or robust) and its distribution (t and F, or
under a robust covariance without ``use_t`` the normal), as statsmodels' ``t_test``,
``f_test`` and ``wald_test`` do.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from galton.exact.distributions import chi2_sf, f_sf, norm_ppf, norm_sf, t_ppf, t_sf

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


class RestrictionError(ValueError):
    """A restriction that cannot be read against the model's terms."""


def parse_restrictions(text: str, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``R`` (q, p) and ``q`` (q,) from ``"a = b, 2*c - d = 1"`` over the terms ``names``.

    Each equation is a sum of signed terms, each an optional number (``2*``, ``0.5 x``)
    times a term name, or a number alone; an equation without ``=`` means ``= 0``. Term
    names are matched whole, longest first, so names holding ``=`` or ``-`` (one-hot
    levels such as ``city=Rome``) work.
    """
    masked = _mask(text, names)  # once: names may hold ",", "=" or "-"
    equations = [e for e in masked.split(",") if e.strip()]
    if not equations:
        raise RestrictionError("no restriction given")
    rows, rhs = [], []
    for equation in equations:
        sides = equation.split("=")
        if len(sides) > 2:
            shown = _unmask(equation, names).strip()
            raise RestrictionError(f"restriction {shown!r} has more than one '='")
        row, constant = np.zeros(len(names)), 0.0
        for sign, side in zip((1.0, -1.0), sides, strict=False):
            for coef, index in _terms(side, names):
                if index is None:
                    constant -= sign * coef
                else:
                    row[index] += sign * coef
        if not row.any():
            shown = _unmask(equation, names).strip()
            raise RestrictionError(f"restriction {shown!r} names no term")
        rows.append(row)
        rhs.append(constant)
    return np.array(rows), np.array(rhs)


def _mask(text: str, names: list[str]) -> str:
    """``text`` with every term name replaced by ``\x00k\x00`` (longest names first)."""
    for index in sorted(range(len(names)), key=lambda i: -len(names[i])):
        if names[index]:
            text = text.replace(names[index], f"\x00{index}\x00")
    return text


def _unmask(text: str, names: list[str]) -> str:
    """``text`` with its term tokens back as names (for messages)."""
    return re.sub("\x00(\\d+)\x00", lambda m: names[int(m.group(1))], text)


def _terms(masked: str, names: list[str]) -> list[tuple[float, int | None]]:
    """The signed terms of one masked side: (coefficient, term index or None)."""
    compact = masked.replace(" ", "")
    if not compact:
        return []
    pattern = re.compile(rf"([-+]?)(?:({_NUMBER})\*?)?(?:\x00(\d+)\x00)?")
    terms, position = [], 0
    while position < len(compact):
        match = pattern.match(compact, position)
        if match is None or match.end() == position or not (match.group(2) or match.group(3)):
            raise RestrictionError(
                f"cannot read {_unmask(masked, names).strip()!r}: use term names "
                f"({', '.join(names)}), numbers, +, - and *"
            )
        sign = -1.0 if match.group(1) == "-" else 1.0
        number = float(match.group(2)) if match.group(2) else 1.0
        index = int(match.group(3)) if match.group(3) else None
        terms.append((sign * number, index))
        position = match.end()
    return terms


@dataclass
class LinearTest:
    """The result of a test of ``R b = q``.

    Attributes
    ----------
    kind : str
        ``t`` (one row each), ``F`` or ``chi2`` (joint).
    statistic : array (q,) or float
    pvalue : array (q,) or float
    df : tuple
        ``(df_num, df_denom)`` for F, ``(q,)`` for chi2, ``(df,)`` for t (inf for z).
    effect, se : arrays (q,)
        ``R b`` and its standard error (``conf_int`` is around it, as statsmodels').
    """

    kind: str
    statistic: np.ndarray | float
    pvalue: np.ndarray | float
    df: tuple[float, ...]
    effect: np.ndarray
    se: np.ndarray

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Confidence intervals (q, 2) of the effects (t tests)."""
        df = self.df[0]
        q = norm_ppf(1 - alpha / 2) if math.isinf(df) else t_ppf(1 - alpha / 2, df)
        return np.column_stack([self.effect - q * self.se, self.effect + q * self.se])


def t_test(
    params: np.ndarray, cov: np.ndarray, R: np.ndarray, q: np.ndarray, df: float
) -> LinearTest:
    """One t (``df`` finite) or z (``df`` inf) test per row of ``R``."""
    effect = R @ params
    se = np.sqrt(np.einsum("ij,jk,ik->i", R, cov, R))
    t = (effect - q) / se
    p = 2 * (norm_sf(np.abs(t)) if math.isinf(df) else t_sf(np.abs(t), df))
    return LinearTest("t", t, np.asarray(p), (df,), effect, se)


def wald(
    params: np.ndarray, cov: np.ndarray, R: np.ndarray, q: np.ndarray, df: float, use_f: bool
) -> LinearTest:
    """The joint Wald test: ``F = W / rank`` with F(rank, ``df``), or ``W`` with chi2(rank);
    the restrictions' covariance pseudo-inverted where singular, as statsmodels."""
    effect = R @ params
    middle = R @ cov @ R.T
    rank = int(np.linalg.matrix_rank(middle))
    W = float((effect - q) @ np.linalg.pinv(middle) @ (effect - q))
    se = np.sqrt(np.diag(middle))
    if use_f:
        return LinearTest("F", W / rank, f_sf(W / rank, rank, df), (rank, df), effect, se)
    return LinearTest("chi2", W, chi2_sf(W, rank), (rank,), effect, se)
