"""Statistics of a least-squares fit: the numbers a statsmodels or R user expects."""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from galton.exact.distributions import f_sf, t_ppf, t_sf
from galton.exact.solver import LstsqSolution


class OLSResults:
    """Statistics derived from a least-squares solution.

    Parameters
    ----------
    solution : LstsqSolution
    names : list of str
        One name per design column (``const`` for the intercept).
    nobs : int
        Number of observations.
    has_intercept : bool
        Whether R-squared is centred (with intercept) or uncentred (without).
    log_weights_sum : float
        ``sum(log w)`` of the observation weights (0 for OLS), for the log-likelihood.
    """

    def __init__(
        self,
        solution: LstsqSolution,
        names: list[str],
        nobs: int,
        has_intercept: bool,
        log_weights_sum: float = 0.0,
    ) -> None:
        self.solution = solution
        self.names = names
        self.nobs = nobs
        self.has_intercept = has_intercept
        self.log_weights_sum = log_weights_sum

    @property
    def params(self) -> np.ndarray:
        """Coefficients of shape (p,), NaN for aliased columns."""
        return self.solution.coef

    @property
    def rank(self) -> int:
        """Numerical rank of the design."""
        return self.solution.rank

    @property
    def df_resid(self) -> int:
        """Residual degrees of freedom, ``n - rank``."""
        return self.nobs - self.rank

    @property
    def df_model(self) -> int:
        """Model degrees of freedom, not counting the intercept."""
        return self.rank - int(self.has_intercept)

    @cached_property
    def ssr(self) -> float:
        """Residual sum of squares (weighted; inf if beyond float64)."""
        return self.solution.rss

    @cached_property
    def scale_scaled(self) -> float:
        """Residual variance of the power-of-two scaled target."""
        return self.solution.rss_scaled / self.df_resid if self.df_resid > 0 else math.nan

    @cached_property
    def scale(self) -> float:
        """Residual variance estimate ``ssr / df_resid``."""
        return self.ssr / self.df_resid if self.df_resid > 0 else math.nan

    @cached_property
    def resid_std_err(self) -> float:
        """Residual standard error (NIST's residual standard deviation)."""
        if self.df_resid <= 0:
            return math.nan
        return math.sqrt(self.scale_scaled) / self.solution.y_scale

    @cached_property
    def bse(self) -> np.ndarray:
        """Standard errors of the coefficients, shape (p,), computed in scaled units."""
        sol = self.solution
        scaled = np.sqrt(self.scale_scaled * np.diag(sol.cov_scaled))
        return scaled * sol.col_scale / sol.y_scale

    @cached_property
    def tvalues(self) -> np.ndarray:
        """t statistics, shape (p,)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @cached_property
    def pvalues(self) -> np.ndarray:
        """Two-sided p values of the t statistics, shape (p,)."""
        if self.df_resid <= 0:
            return np.full_like(self.params, np.nan)
        return np.asarray(2 * t_sf(np.abs(self.tvalues), self.df_resid))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Confidence intervals of shape (p, 2) at level ``1 - alpha``."""
        q = t_ppf(1 - alpha / 2, self.df_resid) if self.df_resid > 0 else math.nan
        return np.column_stack([self.params - q * self.bse, self.params + q * self.bse])

    @cached_property
    def centered_tss(self) -> float:
        """Total sum of squares about the mean (about zero without an intercept)."""
        sol = self.solution
        return (sol.tss_scaled if self.has_intercept else sol.yy_scaled) / sol.y_scale**2

    @cached_property
    def _tss_scaled(self) -> float:
        sol = self.solution
        return sol.tss_scaled if self.has_intercept else sol.yy_scaled

    @cached_property
    def rsquared(self) -> float:
        """R-squared; uncentred (``1 - ssr / sum y**2``) without an intercept, as NIST."""
        tss = self._tss_scaled
        return 1 - self.solution.rss_scaled / tss if tss > 0 else math.nan

    @cached_property
    def rsquared_adj(self) -> float:
        """R-squared adjusted for the degrees of freedom."""
        if self.df_resid <= 0:
            return math.nan
        return 1 - (self.nobs - int(self.has_intercept)) / self.df_resid * (1 - self.rsquared)

    @cached_property
    def fvalue(self) -> float:
        """F statistic of the model against the intercept-only (or zero) model."""
        scale = self.scale_scaled
        if self.df_model <= 0 or self.df_resid <= 0 or scale == 0:
            return math.inf if scale == 0 and self.df_model > 0 else math.nan
        return (self._tss_scaled - self.solution.rss_scaled) / self.df_model / scale

    @cached_property
    def f_pvalue(self) -> float:
        """p value of the F statistic."""
        if not math.isfinite(self.fvalue):
            return 0.0 if self.fvalue == math.inf else math.nan
        return float(f_sf(self.fvalue, self.df_model, self.df_resid))

    @cached_property
    def llf(self) -> float:
        """Gaussian log-likelihood at the maximum-likelihood variance ``ssr / n``."""
        n, sol = self.nobs, self.solution
        if sol.rss_scaled <= 0:
            return math.inf
        log_rss = math.log(sol.rss_scaled) - 2 * math.log(sol.y_scale)  # no overflow
        return -n / 2 * (math.log(2 * math.pi / n) + log_rss + 1) + self.log_weights_sum / 2

    @cached_property
    def aic(self) -> float:
        """Akaike information criterion, ``-2 llf + 2 rank``."""
        return -2 * self.llf + 2 * self.rank

    @cached_property
    def bic(self) -> float:
        """Bayesian information criterion, ``-2 llf + log(n) rank``."""
        return -2 * self.llf + math.log(self.nobs) * self.rank

    def summary(self, title: str = "Least squares regression", target: str = "y") -> str:
        """A coefficient table with the fit statistics, like statsmodels' and R's."""
        sol = self.solution
        ci = self.conf_int()
        width = max(12, *(len(n) for n in self.names)) + 1
        lines = [
            title,
            "=" * (width + 78),
            f"Dep. variable: {target:<20} Observations: {self.nobs:<10} "
            f"Df residuals: {self.df_resid:<8} Df model: {self.df_model}",
            f"R-squared{'' if self.has_intercept else ' (uncentred)'}: {self.rsquared:<.6f}   "
            f"Adj. R-squared: {self.rsquared_adj:.6f}   "
            f"F: {self.fvalue:.6g} (p = {self.f_pvalue:.3g})",
            f"Residual std. error: {self.resid_std_err:.6g}   Log-likelihood: {self.llf:.6g}   "
            f"AIC: {self.aic:.6g}   BIC: {self.bic:.6g}",
            f"Condition number: {sol.condition_number:.3g} "
            f"(scaled {sol.scaled_condition_number:.3g})   "
            f"Rank: {sol.rank} of {len(self.names)} (tol {sol.rank_tol:.2g})   "
            f"Solver: {sol.method} ({sol.precision_bits} bits)",
            "-" * (width + 78),
            f"{'':<{width}}{'coef':>17}{'std err':>13}{'t':>10}{'P>|t|':>10}"
            f"{'[0.025':>14}{'0.975]':>14}",
            "-" * (width + 78),
        ]
        for k, name in enumerate(self.names):
            if sol.aliased[k]:
                lines.append(f"{name:<{width}}{'(aliased: not estimable)':>40}")
                continue
            lines.append(
                f"{name:<{width}}{self.params[k]:>17.9g}{self.bse[k]:>13.5g}"
                f"{self.tvalues[k]:>10.3f}{self.pvalues[k]:>10.3g}"
                f"{ci[k, 0]:>14.6g}{ci[k, 1]:>14.6g}"
            )
        lines.append("=" * (width + 78))
        return "\n".join(lines)
