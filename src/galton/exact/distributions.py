"""The t and F distribution functions galton needs, from ``scipy.special`` (which imports in
a fraction of the time ``scipy.stats`` takes, and start-up time matters for the CLI)."""

from __future__ import annotations

import numpy as np
from scipy import special


def t_sf(x: np.ndarray | float, df: float) -> np.ndarray | float:
    """Survival function of Student's t with ``df`` degrees of freedom."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q: float, df: float) -> float:
    """Quantile function of Student's t."""
    return float(special.stdtrit(df, q))


def f_sf(x: float, dfn: float, dfd: float) -> float:
    """Survival function of the F distribution."""
    return float(special.fdtrc(dfn, dfd, x))


def norm_sf(x: np.ndarray | float) -> np.ndarray | float:
    """Survival function of the standard normal."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q: float) -> float:
    """Quantile function of the standard normal."""
    return float(special.ndtri(q))


def chi2_sf(x: float, df: float) -> float:
    """Survival function of chi-squared with ``df`` degrees of freedom."""
    return float(special.chdtrc(df, x))
