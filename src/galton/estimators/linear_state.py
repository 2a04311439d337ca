"""A least-squares fit as a model file's fields and arrays, and back."""

from __future__ import annotations

from typing import Any

import numpy as np

from galton.exact import LstsqSolution
from galton.exact.qr_summary import QRSummary
from galton.exact.results import OLSResults
from galton.exact.robust import RobustCovariance

#: The solver's scalars a model file keeps.
SOLUTION_FIELDS = (
    "y_scale",
    "rss_scaled",
    "tss_scaled",
    "yy_scaled",
    "rank",
    "rank_tol",
    "condition_number",
    "scaled_condition_number",
    "method",
    "precision_bits",
)
SUMMARY_FIELDS = ("nobs", "wsum", "wmean", "wm2", "log_w")


def results_state(
    results: OLSResults, summary: QRSummary | None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The fields and arrays of a fit: the solution, the robust covariance if any, and
    the factor ``galton update`` merges new rows into."""
    sol = results.solution
    meta: dict[str, Any] = {
        "solution": {name: getattr(sol, name) for name in SOLUTION_FIELDS},
        "log_weights_sum": results.log_weights_sum,
    }
    arrays = {
        "coef": sol.coef,
        "cov_scaled": sol.cov_scaled,
        "col_scale": sol.col_scale,
        "aliased": sol.aliased.astype(np.uint8),
    }
    if summary is not None:
        arrays["qr_r"] = summary.r
        meta["qr_summary"] = {name: getattr(summary, name) for name in SUMMARY_FIELDS}
    if results.robust is not None:
        arrays["cov_robust"] = results.robust.cov
        meta["robust"] = results.robust.to_state()
    if results.diagnostics is not None:
        meta["diagnostics"] = results.diagnostics
    if results.anova is not None:
        meta["anova"] = results.anova
    return meta, arrays


def solution_of(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> LstsqSolution:
    """The solver's result a file holds (validated before)."""
    return LstsqSolution(
        coef=arrays["coef"],
        cov_scaled=arrays["cov_scaled"],
        col_scale=arrays["col_scale"],
        aliased=arrays["aliased"].astype(bool),
        **meta["solution"],
    )


def restore_extras(
    results: OLSResults, meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> QRSummary | None:
    """Put a file's robust covariance back on ``results``; return its update factor (absent
    in files from before updates)."""
    if meta.get("robust") is not None:
        results.robust = RobustCovariance(cov=arrays["cov_robust"], **meta["robust"])
    results.diagnostics = meta.get("diagnostics")
    results.anova = meta.get("anova")
    sums = meta.get("qr_summary")
    return QRSummary(arrays["qr_r"], **sums) if sums else None
