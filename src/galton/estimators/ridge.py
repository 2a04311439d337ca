"""RidgeRegression: the linear baseline that exists when least squares does not."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from galton.estimators import params as rules
from galton.estimators.base import _Estimator, _require_finite, fitted_attribute
from galton.exact.ridge import RidgeSolution, ridge_path
from galton.metrics import regression_metrics

RULES = {
    "fit_intercept": rules.BOOL,
    "missing": rules.one_of(("error", "drop", "mean", "median")),
    **rules.COLUMN_RULES,
}


def _solution(name: str, doc: str) -> property:
    return fitted_attribute(lambda s: getattr(s, name), doc, of="solution_")


class RidgeRegression(_Estimator):
    """Ridge regression, its penalty chosen by exact leave-one-out from one SVD.

    The inputs are standardised (centred, unit standard deviation) so the penalty treats
    every column alike; the intercept is not penalised. Unlike least squares it is
    identified with more columns than rows or with aliased columns, which makes it the
    linear baseline ``compare`` uses there.

    Parameters
    ----------
    alpha : float or "auto"
        The penalty on the standardised coefficients: minimises
        ``sum w (y - b0 - z b)^2 + alpha |b|^2``. ``auto`` takes the penalty with the
        smallest exact leave-one-out error among 0 (least squares) and 61 on a log grid
        (``GRID`` times the largest squared singular value of the scaled inputs).
    fit_intercept : bool
    missing, categories, formula, max_levels, group_rare
        As for ``LinearRegression``.
    """

    _kind = "ridge"

    def __init__(
        self,
        alpha: float | str = "auto",
        fit_intercept: bool = True,
        missing: str = "error",
        categories: dict[str, list] | None = None,
        formula: str | None = None,
        max_levels: int | None = None,
        group_rare: bool = False,
    ) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.missing = missing
        self.categories = categories
        self.formula = formula
        self.max_levels = max_levels
        self.group_rare = group_rare

    solution_: RidgeSolution
    coef_ = _solution("coef", "Coefficients (d,) on the inputs' own scale.")
    intercept_ = _solution("intercept", "The intercept.")
    alpha_ = _solution("alpha", "The penalty used (chosen or given).")
    alphas_ = _solution("alphas", "The penalties tried (m,).")
    loo_mse_ = _solution("loo_mse", "Exact leave-one-out MSE of each penalty tried (m,).")
    gcv_ = _solution("gcv", "Generalised cross-validation score of each penalty (m,).")
    effective_df_ = _solution("effective_df", "Effective degrees of freedom (hat trace).")

    @property
    def loo_rmse_(self) -> float:
        """The leave-one-out RMSE at the chosen penalty."""
        self._require_fitted()
        return float(np.sqrt(self.loo_mse_[int(np.argmin(np.abs(self.alphas_ - self.alpha_)))]))

    def _validate(self) -> None:
        name = type(self).__name__
        rules.validate(name, self.get_params(), RULES)
        ok = self.alpha == "auto" or (
            isinstance(self.alpha, int | float)
            and not isinstance(self.alpha, bool)
            and 0 <= self.alpha < np.inf
        )
        rules.check(name, "alpha", self.alpha, ok, "'auto' or a float >= 0")

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> RidgeRegression:
        """Fit on ``X`` (n, k) and ``y`` (n,), weighted by ``sample_weight`` (array or a
        weight column's name)."""
        self._validate()
        start = time.perf_counter()
        X_arr, y_arr, w = self._new_schema().training_data(X, y, sample_weight)
        intercept = self.fit_intercept if self.formula_ is None else self.formula_.intercept_
        alpha = None if self.alpha == "auto" else float(self.alpha)
        self.solution_ = ridge_path(X_arr, y_arr, w, alpha, intercept)
        self.n_samples_ = len(y_arr)
        self.fit_seconds_ = time.perf_counter() - start
        self.metrics_ = regression_metrics(y_arr, self._predict_design(X_arr))
        return self

    def _predict_design(self, X_arr: np.ndarray) -> np.ndarray:
        return X_arr @ self.coef_ + self.intercept_

    def _point(self, X: Any) -> np.ndarray:
        return self._predict_design(self._inputs(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predictions (n,) for new rows ``X``."""
        return _require_finite(self._point(X), "the ridge model predicts")

    def summary(self) -> str:
        """The coefficients (original and standardised), the penalty and its path."""
        self._require_fitted()
        s = self.solution_
        names = ["const", *self.feature_names_] if self.fit_intercept else self.feature_names_
        coefs = [s.intercept, *s.coef] if self.fit_intercept else list(s.coef)
        standard = [np.nan, *(s.coef * s.x_scale)] if self.fit_intercept else s.coef * s.x_scale
        width = max(12, *(len(n) for n in names)) + 1
        lines = [
            "Ridge regression (penalty by exact leave-one-out)",
            "=" * (width + 34),
            f"Dep. variable: {self.target_name_}   Observations: {self.n_samples_}   "
            f"Effective df: {s.effective_df:.3f}",
            f"Penalty alpha: {s.alpha:.4g}   Leave-one-out RMSE: {self.loo_rmse_:.6g}   "
            f"R-squared: {self.metrics_['r2']:.6f}",
            "-" * (width + 34),
            f"{'':<{width}}{'coef':>17}{'standardised':>17}",
            "-" * (width + 34),
        ]
        for name, coef, std in zip(names, coefs, standard, strict=True):
            shown = "" if np.isnan(std) else f"{std:>17.6g}"
            lines.append(f"{name:<{width}}{coef:>17.9g}{shown}")
        lines.append("=" * (width + 34))
        lines.append("No standard errors: a penalised estimate is biased by design.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Coefficients, the penalty and the path, JSON-ready."""
        out = super().to_dict()
        s = self.solution_
        out["coefficients"] = [
            {"term": name, "coef": float(c)}
            for name, c in zip(["const", *self.feature_names_], [s.intercept, *s.coef], strict=True)
        ]
        out["statistics"] = {
            "alpha": s.alpha,
            "effective_df": s.effective_df,
            "loo_rmse": self.loo_rmse_,
        }
        return out

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        s = self.solution_
        meta = {
            **self._common_state(),
            "ridge": {
                "intercept": s.intercept,
                "alpha": s.alpha,
                "effective_df": s.effective_df,
                "rss": s.rss,
                "tss": s.tss,
            },
        }
        arrays = {
            "coef": s.coef,
            "x_mean": s.x_mean,
            "x_scale": s.x_scale,
            "alphas": s.alphas,
            # an infinite error (a row the fit passes through) is kept as NaN
            "loo_mse": np.where(np.isfinite(s.loo_mse), s.loo_mse, np.nan),
            "gcv": np.where(np.isfinite(s.gcv), s.gcv, np.nan),
        }
        return meta, arrays

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> RidgeRegression:
        model = cls(**meta["params"])
        model._restore_fit_record(meta)
        r = meta["ridge"]
        model.solution_ = RidgeSolution(
            coef=arrays["coef"],
            intercept=r["intercept"],
            alpha=r["alpha"],
            alphas=arrays["alphas"],
            loo_mse=np.nan_to_num(arrays["loo_mse"], nan=np.inf),
            gcv=np.nan_to_num(arrays["gcv"], nan=np.inf),
            effective_df=r["effective_df"],
            x_mean=arrays["x_mean"],
            x_scale=arrays["x_scale"],
            rss=r["rss"],
            tss=r["tss"],
        )
        return model
