"""Inference on a fitted least-squares model: the covariance, tests of linear
restrictions and the coefficient table as data frames (statsmodels' names)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from galton.errors import ParameterError
from galton.exact.hypotheses import (
    LinearTest,
    RestrictionError,
    parse_restrictions,
    t_test,
    wald,
)
from galton.exact.results import OLSResults


class LinearInference:
    """Methods ``LinearRegression`` gets from its ``results_`` (an ``OLSResults``)."""

    results_: OLSResults
    _require_fitted: Callable[[], None]  # the estimator's own (an annotation, no override)

    def cov_params(self) -> pd.DataFrame:
        """The coefficients' covariance (classical or robust), indexed by term name."""
        self._require_fitted()
        names = self.results_.names
        return pd.DataFrame(self.results_.cov_params, index=names, columns=names)

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """The coefficient table: coef, std err, t (or z), p and the interval, by term."""
        self._require_fitted()
        r = self.results_
        test = "z" if r.uses_normal else "t"
        ci = r.conf_int(alpha)
        return pd.DataFrame(
            {
                "coef": r.params,
                "std err": r.bse,
                test: r.tvalues,
                f"P>|{test}|": r.pvalues,
                f"[{alpha / 2:g}": ci[:, 0],
                f"{1 - alpha / 2:g}]": ci[:, 1],
            },
            index=r.names,
        )

    def t_test(self, restrictions: Any, q: Any = None) -> LinearTest:
        """One t (or z) test per restriction: ``"x1 = x2, x3 = 0"`` or a matrix ``R``
        (k, p) with right-hand side ``q`` (k,) (default 0)."""
        R, rhs = self._restrictions(restrictions, q)
        params, cov, df = self._kept()
        return t_test(params, cov, R, rhs, df)

    def f_test(self, restrictions: Any, q: Any = None) -> LinearTest:
        """The joint F test of the restrictions (Wald statistic over its rank)."""
        R, rhs = self._restrictions(restrictions, q)
        params, cov, df = self._kept()
        return wald(params, cov, R, rhs, self.results_.df_inference, use_f=True)

    def wald_test(self, restrictions: Any, q: Any = None) -> LinearTest:
        """The joint Wald chi-squared test of the restrictions."""
        R, rhs = self._restrictions(restrictions, q)
        params, cov, _ = self._kept()
        return wald(params, cov, R, rhs, self.results_.df_inference, use_f=False)

    def _kept(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Coefficients and covariance with aliased terms as 0 (restrictions may not name
        them), and the tests' degrees of freedom (inf: normal)."""
        r = self.results_
        df = math.inf if r.uses_normal else float(r.df_inference)
        return np.nan_to_num(r.params), np.nan_to_num(r.cov_params), df

    def _restrictions(self, restrictions: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
        self._require_fitted()
        names = self.results_.names
        try:
            if isinstance(restrictions, str):
                R, rhs = parse_restrictions(restrictions, names)
            else:
                R = np.atleast_2d(np.asarray(restrictions, dtype=float))
                rhs = np.zeros(len(R)) if q is None else np.atleast_1d(np.asarray(q, float))
                if R.shape[1] != len(names) or len(rhs) != len(R):
                    raise RestrictionError(
                        f"R must be (k, {len(names)}) and q (k,), got {R.shape} and {rhs.shape}"
                    )
        except RestrictionError as exc:
            raise ParameterError(str(exc)) from None
        aliased = self.results_.solution.aliased
        if np.any(R[:, aliased] != 0):
            raise ParameterError("a restriction names an aliased term (not estimated)")
        return R, rhs
