"""What the single-fit page (``model.to_html()``, ``galton fit --report``) shows, computed
from a fitted model: plain numbers and frames, which ``galton.report.fit_html`` renders.

A least-squares fit gives its coefficient table, statistics, assumption tests, ANOVA,
the four panels of R's ``plot.lm``, partial-regression plots and its influential rows; a
network gives its learning curves, residuals and partial dependence with ICE curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from galton.estimators.inspection import (
    Dependence,
    numeric_features,
    partial_dependence,
    permutation_importance,
)
from galton.exact.diagnostics import added_variable

#: Partial-regression and partial-dependence panels drawn at most.
MAX_PANELS = 12
MAX_DEPENDENCE = 6
#: Influential rows listed at most (the page says how many were flagged).
MAX_LISTED = 20
#: The tests of the summary's diagnostic block, with their labels.
TESTS = {
    "omnibus": "Omnibus (D'Agostino)",
    "jarque_bera": "Jarque-Bera",
    "breusch_pagan": "Breusch-Pagan (Koenker)",
    "white": "White",
    "durbin_watson": "Durbin-Watson",
    "skew": "Skew",
    "kurtosis": "Kurtosis",
}

METRIC_LABELS = {
    "rmse": "training RMSE",
    "mae": "training MAE",
    "r2": "training R-squared",
    "val_rmse": "validation RMSE",
    "val_mae": "validation MAE",
    "val_r2": "validation R-squared",
}


@dataclass
class Residuals:
    """One value per row for the residual panels.

    Attributes
    ----------
    fitted, resid : ndarray of shape (n,)
        Fitted values and residuals (weighted fits: ``sqrt(w)`` times the residual).
    standardised : ndarray of shape (n,)
        Internally studentised residuals (networks: residuals over their RMS).
    leverage, cooks : ndarray of shape (n,), optional
        Hat values and Cook's distances (least squares only).
    rows : ndarray of shape (n,)
        Each row's number in the data (from 1).
    n_params : int
        Estimated coefficients (Cook's contours).
    """

    fitted: np.ndarray
    resid: np.ndarray
    standardised: np.ndarray
    rows: np.ndarray
    leverage: np.ndarray | None = None
    cooks: np.ndarray | None = None
    n_params: int = 1


@dataclass
class FitPage:
    """Everything the single-fit page shows; empty fields are left out of it."""

    title: str
    target: str
    summary: str
    statistics: dict[str, Any] = field(default_factory=dict)
    coefficients: pd.DataFrame | None = None
    tests: list[tuple[str, float, float]] = field(default_factory=list)
    anova: pd.DataFrame | None = None
    residuals: Residuals | None = None
    added_variable: list[tuple[str, np.ndarray, np.ndarray, float]] = field(default_factory=list)
    influential: pd.DataFrame | None = None
    influential_rule: str = ""
    history: dict[str, Any] | None = None
    dependence: list[Dependence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def row_numbers(model: Any, n: int, given: bool) -> np.ndarray:
    """The data rows (from 1) behind ``n`` rows: those the fit (or, ``given``, the last
    rows given) kept, when known, or all."""
    used = model.schema_.__dict__.get("rows_given_" if given else "rows_used_")
    return (np.arange(n) if used is None or len(used) != n else np.asarray(used)) + 1


def _tests(found: dict[str, float] | None) -> list[tuple[str, float, float]]:
    if not found:
        return []
    return [
        (label, found[key], found.get(f"{key}_p", math.nan))
        for key, label in TESTS.items()
        if key in found
    ]


def _statistics(model: Any) -> dict[str, Any]:
    s = model.to_dict()["statistics"]
    r = model.results_
    return {
        "observations": model.n_samples_,
        "R-squared": s["r_squared"],
        "adjusted R-squared": s["adj_r_squared"],
        "residual std. error": s["residual_std_err"],
        f"F ({r.df_model:g}, {r.df_resid:g})": s["f_statistic"],
        "p (F)": s["f_pvalue"],
        "log-likelihood": s["log_likelihood"],
        "AIC": s["aic"],
        "BIC": s["bic"],
        "condition number": s["condition_number"],
        "covariance": s["cov_type"],
    }


def flag_influential(found: pd.DataFrame, n_params: int) -> tuple[pd.DataFrame, str]:
    """Rows with Cook's distance above 4/n, an externally studentised residual beyond 3
    or leverage above 2p/n, most influential (Cook's) first."""
    n = len(found)
    rule = (
        f"Cook's distance > 4/n = {4 / n:.3g}, |externally studentised residual| > 3, or "
        f"leverage > 2p/n = {2 * n_params / n:.3g}"
    )
    flags = (
        (found["cooks_d"] > 4 / n)
        | (found["student_resid_external"].abs() > 3)
        | (found["hat"] > 2 * n_params / n)
    )
    return found[flags].sort_values("cooks_d", ascending=False), rule


def linear_page(model: Any, X: Any, y: Any, sample_weight: Any) -> FitPage:
    """The page of a least-squares fit, its panels from the training rows (or ``X``,
    ``y`` given again)."""
    page = FitPage(
        f"Least squares: {model.target_name_} on {len(model.results_.names)} terms",
        model.target_name_,
        model.summary(),
        _statistics(model),
        model.summary_frame(),
    )
    page.tests = _tests(model._diagnostics_if_known())
    try:
        page.anova = model.anova(2)
    except Exception as exc:  # no rows and no saved table: said on the page
        page.notes.append(f"ANOVA: {exc}")
    try:
        X_arr, y_arr, w = model._rows(X, y, sample_weight)
    except Exception as exc:
        page.notes.append(f"No residual plots: {exc}")
        return page
    _linear_panels(model, page, X_arr, y_arr, w, given=X is not None)
    return page


def _linear_panels(
    model: Any, page: FitPage, X: np.ndarray, y: np.ndarray, w: np.ndarray | None, given: bool
) -> None:
    """The four ``plot.lm`` panels, partial regression and the influential rows."""
    design, target = model._whitened_rows(X, y, w)  # once, for every panel
    found = model._influence_of(design, target)
    kept = ~model.results_.solution.aliased
    coef = model.results_.params[kept]
    rows = row_numbers(model, len(y), given)
    page.residuals = Residuals(
        design @ coef,
        target - design @ coef,
        found["student_resid_internal"].to_numpy(),
        rows,
        found["hat"].to_numpy(),
        found["cooks_d"].to_numpy(),
        int(kept.sum()),
    )
    names = [n for n, k in zip(model.results_.names, kept, strict=True) if k]
    for j, name in enumerate(names[: MAX_PANELS + 1]):
        if name != "const" and len(page.added_variable) < MAX_PANELS:
            ex, ey = added_variable(design, target, j)
            page.added_variable.append((name, ex, ey, float(coef[j])))
    flagged, page.influential_rule = flag_influential(found, int(kept.sum()))
    page.influential = flagged.assign(row=rows[flagged.index.to_numpy()])
    if len(names) - ("const" in names) > MAX_PANELS:
        page.notes.append(f"Partial-regression plots: the first {MAX_PANELS} terms")


def card(model: Any) -> FitPage:
    """A fitted model's tables without figures (a notebook's ``_repr_html_``): least
    squares' statistics and coefficients, else the training metrics."""
    if hasattr(model, "summary_frame"):
        return FitPage(
            f"Least squares: {model.target_name_} on {len(model.results_.names)} terms",
            model.target_name_,
            model.summary(),
            _statistics(model),
            model.summary_frame(),
        )
    return _summary_page(model, f"{type(model).__name__}: {model.target_name_}")


def network_page(model: Any, X: Any, y: Any, seed: int = 0) -> FitPage:
    """The page of a network: learning curves; with rows, residuals and partial
    dependence (with ICE curves) of the inputs it relies on most."""
    page = _summary_page(model, f"Neural network: {model.target_name_}")
    page.history = model.history_
    if X is None:
        page.notes.append(NO_ROWS)
        return page
    frame, target, rows = _frame_and_target(model, X, y)  # once, for both parts
    page.residuals = _prediction_residuals(model, frame, target, rows)
    page.dependence = _dependence(model, frame, target, seed)
    return page


#: The note of a page drawn without rows.
NO_ROWS = (
    "No residual plots: the model keeps no training rows here; give them, model.to_html(path, X, y)"
)


def prediction_page(model: Any, X: Any, y: Any, title: str) -> FitPage:
    """A page from predictions alone: the summary and, with rows, the residual panels."""
    page = _summary_page(model, title)
    if X is None:
        page.notes.append(NO_ROWS)
    else:
        page.residuals = _prediction_residuals(model, *_frame_and_target(model, X, y))
    return page


def _summary_page(model: Any, title: str) -> FitPage:
    """The page's head: the title, the text summary and the training metrics."""
    return FitPage(
        title,
        model.target_name_,
        model.summary(),
        statistics={
            METRIC_LABELS.get(k, k): v for k, v in model.metrics_.items() if np.isscalar(v)
        },
    )


def _prediction_residuals(
    model: Any, frame: pd.DataFrame, target: np.ndarray, rows: np.ndarray
) -> Residuals:
    """Residual panels from the predictions of ``frame`` (n, k) against ``target`` (n,),
    standardised by their root mean square."""
    fitted = model.predict(frame)
    resid = target - fitted
    scale = float(np.sqrt(np.mean(resid**2))) or 1.0
    return Residuals(fitted, resid, resid / scale, rows)


def _frame_and_target(model: Any, X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows with a target as a frame of the model's inputs, the target (n,) and the
    rows' numbers in ``X`` (n,), from 1."""
    if isinstance(y, str) or y is None:
        name = model.target_name_ if y is None else y
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        target = frame[name].to_numpy(dtype=float)
        frame = frame.drop(columns=[name])
    else:
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=float))
        target = np.asarray(y, dtype=float).ravel()
    known = [c for c in model.feature_names_in_ if c in frame.columns]
    frame = frame[known] if len(known) == model.n_features_in_ else frame
    ok = np.isfinite(target)
    return frame[ok], target[ok], np.flatnonzero(ok) + 1


def _dependence(model: Any, frame: pd.DataFrame, target: np.ndarray, seed: int) -> list[Any]:
    """Partial dependence of the inputs the network relies on most (permutation
    importance on the given rows)."""
    rng = np.random.default_rng(seed)
    names = [c for c in frame.columns if c in numeric_features(frame) or frame[c].nunique() <= 20]
    if not names:
        return []
    importance = permutation_importance(model.predict, frame, target, names, rng)
    top = sorted(names, key=lambda n: -importance[n])[:MAX_DEPENDENCE]
    return [partial_dependence(model.predict, frame, name, rng) for name in top]
