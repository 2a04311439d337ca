"""Inference on a fitted least-squares model: the covariance, tests of linear
restrictions and the coefficient table as data frames (statsmodels' names)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from galton.data.preprocess import output_names
from galton.errors import ParameterError
from galton.estimators.base import PredictionInterval, _Estimator
from galton.estimators.page import FitPage, linear_page
from galton.estimators.params import check as _check
from galton.exact import build_design
from galton.exact.anova import anova_rows, formula_factors, nested_test, term_groups
from galton.exact.diagnostics import (
    Blocks,
    heteroskedasticity_tests,
    influence_measures,
    residual_tests,
    residuals,
    variance_inflation,
    whitened_blocks,
)
from galton.exact.hypotheses import (
    LinearTest,
    RestrictionError,
    parse_restrictions,
    t_test,
    wald,
)
from galton.exact.results import OLSResults


class LinearInference(_Estimator):
    """What ``LinearRegression`` offers on top of its fit, from its ``results_`` (an
    ``OLSResults``) and, for diagnostics, the training rows an in-memory fit keeps
    (``_training``)."""

    results_: OLSResults
    terms_: list[Any]
    cov_type: str
    aliased_: list[str]
    _training: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None

    def _predict_design(self, X_arr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _interval(
        self, X_arr: np.ndarray, pred: np.ndarray, interval: str, level: float, return_std: bool
    ) -> PredictionInterval | tuple[np.ndarray, np.ndarray]:
        """``predict``'s interval (or standard deviation) of the rows ``X_arr`` (n, d)."""
        _check(
            "predict",
            "interval",
            interval,
            interval in ("confidence", "prediction"),
            "None, 'confidence', 'prediction' or a float level",
        )
        _check("predict", "level", level, 0 < level < 1, "a float in (0, 1)")
        r, sol = self.results_, self.results_.solution
        var_mean = r.mean_variance(build_design(X_arr, self.terms_))
        var = var_mean + (r.scale_scaled if interval == "prediction" else 0.0)
        if return_std:
            return pred, np.sqrt(var) / sol.y_scale
        half = r.quantile(0.5 + level / 2) * np.sqrt(var) / sol.y_scale
        return PredictionInterval(pred, pred - half, pred + half)

    def leverage(self, X_arr: np.ndarray) -> np.ndarray:
        """Each row's leverage (n,) under the fit's exact factor, ``x' (X'WX)^-1 x``
        (rows of the design inputs, as ``_inputs`` gives them)."""
        kept = ~self.results_.solution.aliased
        design = build_design(X_arr, self.terms_)[:, kept]
        bread = self.results_.solution.cov_unscaled[np.ix_(kept, kept)]
        return np.einsum("ij,jk,ik->i", design, bread, design)

    def _page(self, X: Any, y: Any, sample_weight: Any) -> FitPage:
        return linear_page(self, X, y, sample_weight)

    def to_dict(self) -> dict[str, Any]:
        """Coefficients with their standard errors, tests and intervals, and the fit's
        statistics and diagnostics, JSON-ready."""
        out = super().to_dict()
        ci = self.results_.conf_int()
        r = self.results_
        out["coefficients"] = [
            {
                "term": name,
                "coef": r.params[k],
                "std_err": r.bse[k],
                "t": r.tvalues[k],
                "p": r.pvalues[k],
                "ci_low": ci[k, 0],
                "ci_high": ci[k, 1],
                "aliased": name in self.aliased_,
            }
            for k, name in enumerate(r.names)
        ]
        out["statistics"] = {
            "r_squared": r.rsquared,
            "adj_r_squared": r.rsquared_adj,
            "residual_std_err": r.resid_std_err,
            "f_statistic": r.fvalue,
            "f_pvalue": r.f_pvalue,
            "log_likelihood": r.llf,
            "aic": r.aic,
            "bic": r.bic,
            "condition_number": r.solution.condition_number,
            "rank": r.solution.rank,
            "rank_tol": r.solution.rank_tol,
            "solver": r.solution.method,
            "df_resid": r.df_resid,
            "cov_type": self.cov_type,
            "tests": "z" if r.uses_normal else "t",
        }
        out["diagnostics"] = self._diagnostics_if_known()
        return out

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of the coefficients at level ``1 - alpha``: a frame (p, 2)
        by term name, columns 0 (lower) and 1 (upper), as statsmodels'."""
        self._require_fitted()
        return pd.DataFrame(self.results_.conf_int(alpha), index=self.results_.names)

    @property
    def fittedvalues_(self) -> np.ndarray:
        """The fitted values (n,) of the training rows (an in-memory fit's)."""
        X, _, _ = self._rows(None, None, None)
        return self._predict_design(X)

    @property
    def resid_(self) -> np.ndarray:
        """The residuals (n,) of the training rows, ``y - fittedvalues_`` (unweighted)."""
        _, y, _ = self._rows(None, None, None)
        return y - self.fittedvalues_

    def summary(self) -> str:
        """A coefficient table with R-squared, F, log-likelihood, AIC/BIC, conditioning
        and, under it, the assumption tests (``diagnostics``)."""
        self._require_fitted()
        text = self.results_.summary(target=self.target_name_)
        found = self._diagnostics_if_known()
        return text + "\n" + diagnostics_block(found) if found else text

    def diagnostics(self) -> dict[str, float]:
        """The assumption tests of the residuals, as statsmodels' summary prints them:
        omnibus, skew, kurtosis, Jarque-Bera, Durbin-Watson, and Breusch-Pagan and White
        for heteroskedasticity (each with its p value). Computed once from the training
        rows of an in-memory fit, and kept in the model file."""
        self._require_fitted()
        r = self.results_
        if r.diagnostics is None:
            X, y, w = self._rows(None, None, None)
            blocks = self._blocks(X, y, w)
            kept = ~r.solution.aliased
            e = residuals(blocks, r.params[kept])
            # none for a fit with no residual degrees of freedom or no residual at all
            if r.df_resid <= 1 or not np.any(e):
                r.diagnostics = {}
            else:
                r.diagnostics = {**residual_tests(e), **heteroskedasticity_tests(blocks, e)}
        return r.diagnostics

    def _diagnostics_if_known(self) -> dict[str, float] | None:
        if self.results_.diagnostics is None and getattr(self, "_training", None) is None:
            return None  # streamed, Dask and updated fits keep no rows
        return self.diagnostics() or None

    def influence(self, X: Any = None, y: Any = None, sample_weight: Any = None) -> pd.DataFrame:
        """Leverage, studentized residuals (internal, external), Cook's distance (and its
        F p value), DFFITS and DFBETAS of every training row (statsmodels'
        ``OLSInfluence``); ``X``, ``y`` give the rows again for a model loaded from a file.

        Returns
        -------
        DataFrame (n, 7 + p): ``hat``, ``student_resid_internal``,
        ``student_resid_external``, ``cooks_d``, ``cooks_d_p``, ``dffits`` and one
        ``dfb_<term>`` column per estimated term.
        """
        X_arr, y_arr, w = self._rows(X, y, sample_weight)
        return self._influence_of(*self._whitened_rows(X_arr, y_arr, w))

    def _whitened_rows(
        self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The estimated design columns (n, k) and the target (n,), times ``sqrt(w)``."""
        design, target, _ = _whole(self._blocks(X, y, w))
        return design, target

    def _influence_of(self, Xw: np.ndarray, yw: np.ndarray) -> pd.DataFrame:
        """``influence``'s frame from whitened rows: design (n, k), target (n,)."""
        r = self.results_
        kept = ~r.solution.aliased
        e = yw - Xw @ r.params[kept]
        bread = r.solution.cov_unscaled[np.ix_(kept, kept)]
        found = influence_measures(Xw, e, bread, r.df_resid)
        dfbetas = found.pop("dfbetas")
        frame = pd.DataFrame(found)
        names = [n for n, k in zip(r.names, kept, strict=True) if k]
        for j, name in enumerate(names):
            frame[f"dfb_{name}"] = dfbetas[:, j]
        return frame

    def vif(self, X: Any = None) -> pd.Series:
        """Variance inflation factors of the estimated terms (NaN for the intercept), from
        the training rows, or ``X`` for a model loaded from a file."""
        X_arr, y_arr, w = self._rows(X, None if X is None else "__vif__", None)
        r = self.results_
        kept = ~r.solution.aliased
        design, _, _ = _whole(self._blocks(X_arr, y_arr, None))
        names = [n for n, k in zip(r.names, kept, strict=True) if k]
        intercept = names.index("const") if "const" in names else None
        return pd.Series(variance_inflation(design, intercept), index=names, name="vif")

    def _blocks(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> Blocks:
        kept = ~self.results_.solution.aliased
        terms = self.terms_
        return whitened_blocks(lambda rows: build_design(X[rows], terms)[:, kept], y, w)

    def _rows(self, X: Any, y: Any, w: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The given rows preprocessed, or the training rows."""
        self._require_fitted()
        if X is not None:
            if isinstance(y, str) and y == "__vif__":  # inputs only: any target will do
                X_arr = self._inputs(X)
                return X_arr, np.zeros(len(X_arr)), None
            return self.schema_.new_rows(X, y, w)
        training = getattr(self, "_training", None)
        if training is None:
            raise ParameterError(
                "no training rows here (a streamed, distributed, updated or loaded model; a "
                "saved file keeps the diagnostics and, for small fits, the ANOVA tables): "
                "give the rows, e.g. influence(X, y)"
            )
        return training

    def anova(self, typ: int = 2) -> pd.DataFrame:
        """The analysis-of-variance table of the model's terms (``exact.anova``): type 1
        (sequential, in the model's order), 2 or 3; one row per term (a text column's
        indicators or a formula factor together) and the residual row. Computed from the
        training rows once, and kept in the model file."""
        self._require_fitted()
        if typ not in (1, 2, 3):
            raise ParameterError(f"anova: typ must be 1, 2 or 3, got {typ!r}")
        r = self.results_
        if r.anova is None:
            X, y, w = self._rows(None, None, None)
            design, target, _ = _whole(
                whitened_blocks(lambda rows: build_design(X[rows], self.terms_), y, w)
            )
            groups = term_groups(r.names, self._term_sources())
            intercept = r.names.index("const") if "const" in r.names else None
            r.anova = {str(t): anova_rows(design, target, groups, intercept, t) for t in (1, 2, 3)}
        return _anova_frame(r.anova[str(typ)], typ)

    def _term_sources(self) -> list[tuple[str, ...]]:
        """The factors of every design column's term: its input column (a text column's
        indicators, a date's parts, a formula factor's levels together) or power, and
        for an interaction the factors it multiplies."""
        schema = self.schema_
        if schema.formula_ is not None:
            return [formula_factors(name) for name in self.results_.names]
        source = {
            out: info["name"] for info in schema.preprocessor.columns_ for out in output_names(info)
        }

        def factor(column: int, power: int) -> str:
            name = schema.feature_names_[column]
            own = source.get(name, name)
            return own if power == 1 else f"{own}^{power}"

        return [
            tuple(factor(c, q) for c, q in term.factors) if term.column is not None else ("const",)
            for term in self.terms_
        ]

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


def _whole(blocks: Blocks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blocks stacked: whitened design (n, k), target (n,), root weights (n,)."""
    parts = list(blocks())
    design, target, roots = (np.concatenate([p[j] for p in parts]) for j in range(3))
    return design, target, roots


def diagnostics_block(found: dict[str, float]) -> str:
    """The assumption tests as two or three summary lines."""

    def p(key: str) -> str:
        return f"{found.get(key, math.nan):.4g} (p = {found.get(key + '_p', math.nan):.3g})"

    lines = [
        f"Omnibus: {p('omnibus')}   Skew: {found.get('skew', math.nan):.4g}   Kurtosis: "
        f"{found.get('kurtosis', math.nan):.4g}   Jarque-Bera: {p('jarque_bera')}",
        f"Durbin-Watson: {found.get('durbin_watson', math.nan):.4g}   Breusch-Pagan: "
        f"{p('breusch_pagan')}" + (f"   White: {p('white')}" if "white" in found else ""),
    ]
    return "\n".join(lines)


def _anova_frame(rows: list[dict[str, Any]], typ: int) -> pd.DataFrame:
    """statsmodels' ``anova_lm`` layout for one type."""
    frame = pd.DataFrame(rows).set_index("term").rename(columns={"p": "PR(>F)"})
    frame.index.name = None
    if typ == 1:
        frame["mean_sq"] = frame["sum_sq"] / frame["df"]
        return frame[["df", "sum_sq", "mean_sq", "F", "PR(>F)"]]
    return frame[["sum_sq", "df", "F", "PR(>F)"]]


def anova(*models: Any, typ: int = 2) -> pd.DataFrame:
    """One least-squares model: its analysis-of-variance table (``typ`` 1, 2 or 3).
    Several, smallest first, each nested in the next: the F and likelihood-ratio tests of
    each against the one before (statsmodels' ``anova_lm(m0, m1, ...)`` and
    ``compare_lr_test``)."""
    if len(models) == 1:
        return models[0].anova(typ)
    rows = []
    for k, model in enumerate(models):
        r = model.results_
        row: dict[str, float] = {"df_resid": r.df_resid, "ssr": r.ssr}
        if k:
            before = models[k - 1].results_
            try:
                found = nested_test(
                    (before.ssr, before.df_resid, before.llf), (r.ssr, r.df_resid, r.llf)
                )
            except ValueError as exc:
                raise ParameterError(f"anova: model {k + 1}: {exc}") from None
            row.update(
                df_diff=found.df_diff,
                ss_diff=found.ss_diff,
                F=found.F,
                **{"Pr(>F)": found.F_p, "lr": found.lr, "Pr(>Chi2)": found.lr_p},
            )
        rows.append(row)
    return pd.DataFrame(rows)
