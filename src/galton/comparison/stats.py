"""The tests behind the verdict: the corrected resampled t-test, Ramsey's RESET, and the
verdict with the paragraph that explains it."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from galton.estimators import LinearRegression
from galton.exact.distributions import f_sf, t_ppf, t_sf


@dataclass(frozen=True)
class PairedTest:
    """The corrected resampled t-test on per-fold relative RMSE reductions."""

    reduction: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    df: int
    se: float


def corrected_resampled_t_test(
    diffs: np.ndarray, n_train: float, n_test: float, level: float = 0.95
) -> PairedTest:
    """Nadeau & Bengio's (2003) test for ``diffs`` (J,) from repeated cross-validation.

    Folds share training rows, so the plain t-test's variance ``s**2 / J`` is too small;
    the correction uses ``(1 / J + n_test / n_train) * s**2``. Two-sided p value.
    """
    J = len(diffs)
    mean = float(np.mean(diffs))
    var = float(np.var(diffs, ddof=1)) if J > 1 else math.nan
    se = math.sqrt((1 / J + n_test / n_train) * var) if J > 1 else math.nan
    if not se > 0:
        t = math.copysign(math.inf, mean) if mean else 0.0
        p = 0.0 if mean else 1.0
        return PairedTest(mean, mean, mean, t, p, J - 1, 0.0 if J > 1 else math.nan)
    t = mean / se
    p = float(2 * t_sf(abs(t), J - 1))
    q = float(t_ppf(0.5 + level / 2, J - 1))
    return PairedTest(mean, mean - q * se, mean + q * se, t, p, J - 1, se)


#: The interim look after the first repeat (Haybittle and Peto's boundary): later repeats
#: are skipped only when a 99.9% interval already lies wholly on one side of the threshold,
#: so the final test keeps its level and the verdict cannot turn.
INTERIM_LEVEL = 0.999


def settled(
    reductions: np.ndarray, n_train: float, n_test: float, threshold: float
) -> PairedTest | None:
    """The interim test on the first repeat's ``reductions`` (J,) when it settles the
    verdict: its ``INTERIM_LEVEL`` interval wholly above ``threshold`` (a significant gain
    worth having: yay) or wholly below it (no gain worth having: nay); else None."""
    test = corrected_resampled_t_test(reductions, n_train, n_test, INTERIM_LEVEL)
    if not (math.isfinite(test.ci_low) and math.isfinite(test.ci_high)):
        return None
    return test if test.ci_low > threshold or test.ci_high < threshold else None


def ramsey_reset(
    X: pd.DataFrame, y: np.ndarray, categories: dict, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Ramsey's RESET: do powers 2 and 3 of the fitted values improve the linear fit
    (weighted least squares with ``weights``)?

    Returns the F statistic, its degrees of freedom and the p value; a small p says the
    linear model misses a non-linearity.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = LinearRegression(categories=categories).fit(X, y, weights)
        fitted = base.predict(X)
        z = (fitted - fitted.mean()) / (fitted.std() or 1.0)  # powers of a scaled fit
        augmented = X.assign(__reset2=z**2, __reset3=z**3)
        full = LinearRegression(categories=categories).fit(augmented, y, weights)
    df1 = full.rank_ - base.rank_
    df2 = full.results_.df_resid
    rss_r, rss_u = base.results_.ssr, full.results_.ssr
    if df1 <= 0 or df2 <= 0 or rss_u <= 0:
        return {"F": math.nan, "df1": df1, "df2": df2, "p": math.nan}
    F = (rss_r - rss_u) / df1 / (rss_u / df2)
    return {"F": float(F), "df1": int(df1), "df2": int(df2), "p": float(f_sf(F, df1, df2))}


def format_p(p: float) -> str:
    """``p = 0.13`` or ``p < 0.001``."""
    if not math.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _unanimous(reductions: np.ndarray) -> str:
    """``lost on every fold (3 of 3)``, ``won on every fold (...)`` or empty."""
    folds = len(reductions)
    if folds > 1 and bool((reductions < 0).all()):
        return f"lost on every fold ({folds} of {folds})"
    if folds > 1 and bool((reductions > 0).all()):
        return f"won on every fold ({folds} of {folds})"
    return ""


def explain_verdict(
    test: PairedTest,
    threshold: float,
    alpha: float,
    fit_ratio: float,
    reset: dict[str, float],
    reductions: np.ndarray,
    baseline: tuple[str, str] = ("linear", ""),
) -> tuple[str, str]:
    """The verdict and one paragraph saying why (``reductions``: the per-fold relative RMSE
    reductions the test was run on; ``baseline``: the linear model they are measured
    against, ``linear`` or ``ridge``, and why)."""
    versus = "linear regression's" if baseline[0] == "linear" else "ridge regression's"
    red = test.reduction
    direction = "lower" if red >= 0 else "higher"
    if red >= 0:  # the interval of the change the sentence names
        ci = f"95% CI {test.ci_low:+.1%} to {test.ci_high:+.1%}, {format_p(test.p)}"
    else:
        ci = f"95% CI {-test.ci_high:+.1%} to {-test.ci_low:+.1%}, {format_p(test.p)}"
    cost = f"{fit_ratio:.0f}x" if fit_ratio >= 1.5 else "about as"
    significant = test.p < alpha
    if significant and red >= threshold:
        verdict = "yay"
        text = (
            f"yay: the network's RMSE is {red:.1%} lower than {versus} ({ci}), "
            f"above the {threshold:.0%} threshold that makes it worth having; it takes "
            f"{cost} {'longer' if fit_ratio >= 1.5 else 'long'} to train."
        )
    elif significant and red < 0:
        verdict = "nay"
        text = (
            f"nay: the network's RMSE is {-red:.1%} higher than {versus} ({ci}); "
            f"the linear model is better, {cost} {'faster' if fit_ratio >= 1.5 else 'fast'} "
            "to train and interpretable."
        )
    elif significant:
        verdict = "nay"
        text = (
            f"nay: the network's RMSE is {red:.1%} lower ({ci}), a real gain but below the "
            f"{threshold:.0%} threshold; the linear model is {cost} "
            f"{'faster' if fit_ratio >= 1.5 else 'fast'} to train and interpretable."
        )
    else:
        verdict = "nay"
        unanimous = _unanimous(reductions)
        noise = (
            f"the network {unanimous}, but the test cannot tell that from noise"
            if unanimous
            else "that is within noise"
        )
        text = (
            f"nay: the network's RMSE is {abs(red):.1%} {direction} ({ci}); {noise}, and the "
            f"linear model is {cost} {'faster' if fit_ratio >= 1.5 else 'fast'} to train and "
            "interpretable."
        )
    if baseline[0] == "ridge":
        text += f" The linear baseline is ridge regression: {baseline[1]}."
    if math.isfinite(reset["p"]):
        found = "finds" if reset["p"] < alpha else "finds no"
        p = format_p(reset["p"])
        text += f" Ramsey's RESET test {found} non-linearity in the linear fit ({p})."
    return verdict, text
