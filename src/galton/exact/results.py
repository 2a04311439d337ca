"""Statistics of a least-squares fit: the numbers a statsmodels or R user expects."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np

from galton.exact.distributions import f_sf, norm_ppf, norm_sf, t_ppf, t_sf
from galton.exact.robust import RobustCovariance, robust_covariance
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
        #: A robust covariance (``LinearRegression(cov_type=...)``) that the standard
        #: errors, tests, intervals and F follow; None: the classical ``s^2 (X'WX)^-1``.
        self.robust: RobustCovariance | None = None
        #: The assumption tests (``exact.diagnostics``), once computed or read from a file.
        self.diagnostics: dict[str, float] | None = None
        #: The analysis-of-variance tables by type ("1", "2", "3"), once computed.
        self.anova: dict[str, list[dict[str, Any]]] | None = None

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
        """Standard errors of the coefficients, shape (p,), computed in scaled units (or
        from the robust covariance)."""
        if self.robust is not None:
            with np.errstate(invalid="ignore"):
                return np.sqrt(np.diag(self.robust.cov))
        sol = self.solution
        scaled = np.sqrt(self.scale_scaled * np.diag(sol.cov_scaled))
        return scaled * sol.col_scale / sol.y_scale

    @cached_property
    def tvalues(self) -> np.ndarray:
        """t statistics (z statistics under a robust covariance without ``use_t``), (p,)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @property
    def uses_normal(self) -> bool:
        """Whether tests and intervals use the normal distribution (robust, no ``use_t``)."""
        return self.robust is not None and not self.robust.use_t

    @property
    def df_inference(self) -> int:
        """Degrees of freedom of t and F: the residual ones, ``G - 1`` for clusters."""
        return self.robust.df if self.robust is not None else self.df_resid

    def quantile(self, probability: float) -> float:
        """The t (or normal) quantile the tests and intervals use."""
        if self.uses_normal:
            return norm_ppf(probability)
        return t_ppf(probability, self.df_inference) if self.df_inference > 0 else math.nan

    @cached_property
    def pvalues(self) -> np.ndarray:
        """Two-sided p values of the t (or z) statistics, shape (p,)."""
        if self.df_resid <= 0:
            return np.full_like(self.params, np.nan)
        if self.uses_normal:
            return np.asarray(2 * norm_sf(np.abs(self.tvalues)))
        return np.asarray(2 * t_sf(np.abs(self.tvalues), self.df_inference))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Confidence intervals of shape (p, 2) at level ``1 - alpha``."""
        q = self.quantile(1 - alpha / 2)
        return np.column_stack([self.params - q * self.bse, self.params + q * self.bse])

    def set_robust(
        self,
        design: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray | None,
        kind: str,
        options: dict[str, Any],
    ) -> None:
        """Make the robust covariance ``kind`` (``exact.robust``) the one the standard
        errors, tests and intervals follow, from the full design (n, p) and target (n,)
        of the fit; the bread is the solver's exact ``(X'WX)^-1``."""
        kept = ~self.solution.aliased
        bread = self.solution.cov_unscaled[np.ix_(kept, kept)]
        resid = y - design[:, kept] @ self.params[kept]
        found = robust_covariance(design[:, kept], resid, weights, bread, kind, options)
        full = np.full((len(kept), len(kept)), np.nan)
        full[np.ix_(kept, kept)] = found.cov
        found.cov = full
        self.robust = found
        for name in ("bse", "tvalues", "pvalues", "_robust_f", "fvalue", "f_pvalue", "cov_params"):
            self.__dict__.pop(name, None)  # cached under the classical covariance

    @cached_property
    def cov_params(self) -> np.ndarray:
        """The coefficients' covariance (p, p) in original units: the robust one, or
        ``s^2 (X'WX)^-1``; NaN rows and columns for aliased terms."""
        if self.robust is not None:
            return self.robust.cov
        sol = self.solution
        scale = sol.col_scale / sol.y_scale
        return self.scale_scaled * sol.cov_scaled * np.outer(scale, scale)

    def mean_variance(self, design: np.ndarray) -> np.ndarray:
        """The variance (n,) of the fitted mean at rows ``design`` (n, p), and the
        residual variance ``scale`` to add for a new observation, both in the scaled
        units of the solver (``/ y_scale**2`` for the target's): classical ``s^2 x'(X'WX)^-1
        x``, or ``x' V x`` under a robust covariance ``V``."""
        sol = self.solution
        kept = ~sol.aliased
        if self.robust is not None:
            V = self.robust.cov[np.ix_(kept, kept)] * sol.y_scale**2
            return np.einsum("ij,jk,ik->i", design[:, kept], V, design[:, kept])
        # in the solver's power-of-two scaled units, so extreme magnitudes stay finite
        scaled = design[:, kept] * sol.col_scale[kept]
        cov = sol.cov_scaled[np.ix_(kept, kept)]
        return self.scale_scaled * np.einsum("ij,jk,ik->i", scaled, cov, scaled)

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
        """F statistic of the model against the intercept-only (or zero) model; under a
        robust covariance the Wald statistic of every slope over its rank."""
        if self.robust is not None:
            return self._robust_f[0]
        scale = self.scale_scaled
        if self.df_model <= 0 or self.df_resid <= 0 or scale == 0:
            return math.inf if scale == 0 and self.df_model > 0 else math.nan
        return (self._tss_scaled - self.solution.rss_scaled) / self.df_model / scale

    @cached_property
    def f_pvalue(self) -> float:
        """p value of the F statistic."""
        if self.robust is not None:
            return self._robust_f[1]
        if not math.isfinite(self.fvalue):
            return 0.0 if self.fvalue == math.inf else math.nan
        return float(f_sf(self.fvalue, self.df_model, self.df_resid))

    @cached_property
    def _robust_f(self) -> tuple[float, float]:
        """The robust Wald F of the slopes and its p value, as statsmodels: the covariance
        of the restrictions pseudo-inverted, its rank the numerator's degrees of freedom,
        F(rank, df_inference) for the p value."""
        assert self.robust is not None
        kept = ~self.solution.aliased
        slopes = kept & np.array([n != "const" for n in self.names])
        if not slopes.any() or self.df_inference <= 0:
            return math.nan, math.nan
        b = self.params[slopes]
        V = self.robust.cov[np.ix_(slopes, slopes)]
        q = int(np.linalg.matrix_rank(V))
        F = float(b @ np.linalg.pinv(V) @ b) / q
        return F, float(f_sf(F, q, self.df_inference))

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
        test = "z" if self.uses_normal else "t"
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
            *([f"Covariance: {self.robust.description}"] if self.robust else []),
            "-" * (width + 78),
            f"{'':<{width}}{'coef':>17}{'std err':>13}{test:>10}{f'P>|{test}|':>10}"
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
