"""How many folds a comparison runs: fewer to fit a time budget, and only the first repeat
when it already settles the verdict; and the linear model the network is measured against."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from galton.comparison.stats import settled

#: Ridge replaces least squares as the baseline when its inner leave-one-out MSE is lower
#: by more than this share.
RIDGE_GAIN = 0.01


def linear_baseline(results: list[dict[str, Any]]) -> tuple[str, str]:
    """The linear model the network must beat, and why: ridge regression when least
    squares is not identified in some training fold (more design columns than rows, or
    aliased ones) or when leave-one-out inside the training folds prefers it; least
    squares otherwise. Decided on training rows only, never on the test folds."""
    unidentified = [r["identified"] for r in results if r["identified"][0] < r["identified"][1]]
    if unidentified:
        rank, terms, rows = unidentified[0]
        return "ridge", (
            f"least squares is not identified in {len(unidentified)} of {len(results)} "
            f"training folds: rank {rank} for {terms} coefficients on {rows} rows"
        )
    ols, ridge = (float(np.mean([r["inner_loo"][k] for r in results])) for k in (0, 1))
    if ridge < (1 - RIDGE_GAIN) * ols:
        return "ridge", (
            f"leave-one-out inside the training folds prefers it: RMSE {math.sqrt(ridge):.4g} "
            f"against least squares' {math.sqrt(ols):.4g}"
        )
    return "linear", ""


def interim_verdict(
    results: list[dict[str, Any]], threshold: float, repeats: int, sizes: tuple[float, float]
) -> str:
    """After the first repeat's ``results``: a note saying why the other repeats were
    skipped when the verdict is already settled (``stats.settled``), else ''."""
    baseline, _ = linear_baseline(results)
    base = np.array([r[baseline][0]["rmse"] for r in results])
    network = np.array([r["network"][0]["rmse"] for r in results])
    test = settled((base - network) / base, *sizes, threshold)
    if test is None:
        return ""
    side = "above" if test.ci_low > threshold else "below"
    return (
        f"ran 1 repeat of {repeats}: after it the reduction's 99.9% interval "
        f"({test.ci_low:+.1%} to {test.ci_high:+.1%}) lay wholly {side} the {threshold:.0%} "
        "threshold, so more repeats could not change the verdict (give repeats to run them)"
    )


def within_budget(
    plan: Any,
    splits: list[tuple[np.ndarray, np.ndarray]],
    results: list[dict[str, Any]],
    counts: tuple[int, int],
    spent: float,
    time_budget: float,
    seed: int,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[dict[str, Any]], int, int]:
    """The splits, results so far, folds and repeats scaled down so that the whole run
    fits ``time_budget`` at ``spent`` seconds a fold (then the epochs, as a last resort)."""
    folds, repeats = counts
    affordable = max(1, int(time_budget / max(spent, 1e-9)))
    if affordable >= folds * repeats:
        return splits, results, folds, repeats
    new_repeats = max(1, affordable // folds)
    new_folds = folds if affordable >= folds else max(3, min(folds, affordable))
    if new_folds != folds:
        results = []
        splits = plan.splits(new_folds, 1, seed)
        if spent * new_folds > time_budget:
            plan.max_epochs = max(20, int(200 * time_budget / (spent * new_folds)))
            plan.notes.append(f"network epochs capped at {plan.max_epochs}")
    else:
        splits = splits[: new_folds * new_repeats]
    ran_repeats = new_repeats if new_folds == folds else 1
    plan.notes.insert(
        0,
        f"time budget {time_budget:g} s: ran {new_folds} folds x {ran_repeats} "
        f"repeats instead of {folds} x {repeats}",
    )
    return splits, results, new_folds, ran_repeats
