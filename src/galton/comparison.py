"""Yay or nay: does a neural network beat linear regression on this data?

Repeated K-fold cross-validation on identical folds for exact least squares, the linear
neuron (a sanity row that must match it) and a neural network; every model fits its own
preprocessing inside each training fold. The verdict comes from the per-fold paired
relative RMSE reductions, tested with the corrected resampled t-test of Nadeau & Bengio
(2003), and a practical threshold; Ramsey's RESET test on the linear fit is supporting
evidence.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from galton.data.loading import table_and_target
from galton.data.preprocess import (
    MISSING_POLICIES,
    Preprocessor,
    apply_missing_policy,
    numeric_column,
)
from galton.errors import DataError, ParameterError
from galton.estimators import LinearRegression, NeuralRegressor
from galton.exact.distributions import f_sf, t_ppf, t_sf
from galton.metrics import regression_metrics
from galton.training.progress import task_progress

MODELS = ("linear", "neuron", "network")
LABELS = {
    "linear": "linear regression (exact least squares)",
    "neuron": "linear neuron (gradient descent)",
    "network": "neural network",
}
#: Architectures tried by inner validation with ``hidden="auto"``.
CANDIDATES: tuple[tuple[int, ...], ...] = ((32,), (64, 64), (128, 64))
#: The networks' weight decay: the middle of ``NeuralRegressor``'s own search (whose three
#: trainings per fit would triple the time of every fold).
NETWORK_WEIGHT_DECAY = 1e-3


@dataclass(frozen=True)
class ModelScores:
    """One model's per-fold test metrics and timings, each of shape (folds * repeats,)."""

    name: str
    rmse: np.ndarray
    mae: np.ndarray
    r2: np.ndarray
    fit_seconds: np.ndarray
    predict_seconds: np.ndarray

    def mean_se(self, metric: str) -> tuple[float, float]:
        """Mean over folds and its standard error."""
        values = getattr(self, metric)
        se = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
        return float(values.mean()), se

    def to_dict(self) -> dict[str, Any]:
        """Means, standard errors and per-fold values."""
        out: dict[str, Any] = {"label": LABELS[self.name]}
        for metric in ("rmse", "mae", "r2", "fit_seconds", "predict_seconds"):
            mean, se = self.mean_se(metric)
            out[metric] = {"mean": mean, "se": se, "folds": getattr(self, metric).tolist()}
        return out


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
    diffs: np.ndarray, n_train: int, n_test: int, level: float = 0.95
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


def ramsey_reset(X: pd.DataFrame, y: np.ndarray, categories: dict) -> dict[str, float]:
    """Ramsey's RESET: do powers 2 and 3 of the fitted values improve the linear fit?

    Returns the F statistic, its degrees of freedom and the p value; a small p says the
    linear model misses a non-linearity.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = LinearRegression(categories=categories).fit(X, y)
        fitted = base.predict(X)
        z = (fitted - fitted.mean()) / (fitted.std() or 1.0)  # powers of a scaled fit
        augmented = X.assign(__reset2=z**2, __reset3=z**3)
        full = LinearRegression(categories=categories).fit(augmented, y)
    df1 = full.rank_ - base.rank_
    df2 = full.results_.df_resid
    rss_r, rss_u = base.results_.ssr, full.results_.ssr
    if df1 <= 0 or df2 <= 0 or rss_u <= 0:
        return {"F": math.nan, "df1": df1, "df2": df2, "p": math.nan}
    F = (rss_r - rss_u) / df1 / (rss_u / df2)
    return {"F": float(F), "df1": int(df1), "df2": int(df2), "p": float(f_sf(F, df1, df2))}


def default_folds(n: int) -> tuple[int, int]:
    """Folds and repeats from the number of rows: more repeats where data are few."""
    folds = max(2, min(10, n // 10)) if n < 5000 else 5
    repeats = 3 if n <= 2000 else (2 if n <= 20000 else 1)
    return folds, repeats


def cv_splits(n: int, folds: int, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train_rows, test_rows)`` for every fold of every repeat, the same for every model."""
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(repeats):
        parts = np.array_split(rng.permutation(n), folds)
        for k in range(folds):
            test = np.sort(parts[k])
            train = np.sort(np.concatenate([parts[j] for j in range(folds) if j != k]))
            splits.append((train, test))
    return splits


@dataclass
class Comparison:
    """The result of ``compare``: scores, the test, the verdict and its explanation."""

    verdict: str
    explanation: str
    target: str
    n_samples: int
    features: list[str]
    folds: int
    repeats: int
    seed: int
    threshold: float
    alpha: float
    scores: dict[str, ModelScores]
    test: PairedTest
    fold_reductions: np.ndarray
    fit_ratio: float
    predict_ratio: float
    reset: dict[str, float]
    neuron_gap: float
    network_params: dict[str, Any]
    chosen_hidden: list[list[int]]
    notes: list[str] = field(default_factory=list)
    oof: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    X: pd.DataFrame | None = field(default=None, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)
    categories: dict[str, list] = field(default_factory=dict, repr=False)
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Every number, JSON-ready."""
        t = self.test
        return {
            "verdict": self.verdict,
            "explanation": self.explanation,
            "target": self.target,
            "n_samples": self.n_samples,
            "features": self.features,
            "folds": self.folds,
            "repeats": self.repeats,
            "seed": self.seed,
            "threshold": self.threshold,
            "alpha": self.alpha,
            "models": {name: s.to_dict() for name, s in self.scores.items()},
            "rmse_reduction": {
                "mean": t.reduction,
                "ci_low": t.ci_low,
                "ci_high": t.ci_high,
                "se": t.se,
                "t": t.t,
                "df": t.df,
                "p": t.p,
                "folds": self.fold_reductions.tolist(),
            },
            "cost": {"fit_ratio": self.fit_ratio, "predict_ratio": self.predict_ratio},
            "reset": self.reset,
            "neuron_gap": self.neuron_gap,
            "network": self.network_params,
            "chosen_hidden": self.chosen_hidden,
            "notes": self.notes,
            "elapsed_seconds": self.elapsed_seconds,
        }

    def summary(self) -> str:
        """The verdict, its explanation and the metrics table as text."""
        lines = [
            f"Verdict: {self.verdict.upper()}",
            self.explanation,
            "",
            f"{self.n_samples} rows, target {self.target}; {self.folds}-fold cross-validation "
            f"x {self.repeats} repeat{'s' if self.repeats > 1 else ''} (seed {self.seed})",
            f"{'model':<42}{'RMSE':>22}{'MAE':>22}{'R2':>20}{'fit s':>10}{'predict s':>11}",
        ]
        for name, s in self.scores.items():
            cells = []
            for metric, width in (("rmse", 22), ("mae", 22), ("r2", 20)):
                mean, se = s.mean_se(metric)
                cells.append(f"{f'{mean:.4g} ± {se:.2g}':>{width}}")
            lines.append(
                f"{LABELS[name]:<42}{''.join(cells)}{s.fit_seconds.mean():>10.3g}"
                f"{s.predict_seconds.mean():>11.2g}"
            )
        r = self.reset
        lines.append(
            f"RESET test of the linear fit: F = {r['F']:.4g} on ({r['df1']}, {r['df2']}) df, "
            f"{_p(r['p'])}"
        )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_html(self, path: str | Path, plots_dir: str | Path | None = None) -> None:
        """Write the self-contained HTML report (see ``galton.report.html``)."""
        from galton.report.html import write_report  # the report layer renders comparisons

        write_report(self, path, plots_dir)


def _p(p: float) -> str:
    """``p = 0.13`` or ``p < 0.001``."""
    if not math.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _explain(
    test: PairedTest, threshold: float, alpha: float, fit_ratio: float, reset: dict[str, float]
) -> tuple[str, str]:
    """The verdict and one paragraph saying why."""
    red = test.reduction
    direction = "lower" if red >= 0 else "higher"
    if red >= 0:  # the interval of the change the sentence names
        ci = f"95% CI {test.ci_low:+.1%} to {test.ci_high:+.1%}, {_p(test.p)}"
    else:
        ci = f"95% CI {-test.ci_high:+.1%} to {-test.ci_low:+.1%}, {_p(test.p)}"
    cost = f"{fit_ratio:.0f}x" if fit_ratio >= 1.5 else "about as"
    significant = test.p < alpha
    if significant and red >= threshold:
        verdict = "yay"
        text = (
            f"yay: the network's RMSE is {red:.1%} lower than linear regression's ({ci}), "
            f"above the {threshold:.0%} threshold that makes it worth having; it takes "
            f"{cost} {'longer' if fit_ratio >= 1.5 else 'long'} to train."
        )
    elif significant and red < 0:
        verdict = "nay"
        text = (
            f"nay: the network's RMSE is {-red:.1%} higher than linear regression's ({ci}); "
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
        text = (
            f"nay: the network's RMSE is {abs(red):.1%} {direction} ({ci}); that is within "
            f"noise, and the linear model is {cost} {'faster' if fit_ratio >= 1.5 else 'fast'} "
            "to train and interpretable."
        )
    if math.isfinite(reset["p"]):
        found = "finds" if reset["p"] < alpha else "finds no"
        text += f" Ramsey's RESET test {found} non-linearity in the linear fit ({_p(reset['p'])})."
    return verdict, text


def _network(
    hidden: tuple[int, ...],
    backend: str,
    seed: int,
    missing: str,
    categories: dict,
    max_epochs: int | None,
) -> NeuralRegressor:
    return NeuralRegressor(
        hidden=hidden,
        backend=backend,
        seed=seed,
        missing=missing,
        categories=categories,
        max_epochs=max_epochs,
        weight_decay=NETWORK_WEIGHT_DECAY,
        progress=False,
    )


def _choose_hidden(
    X: pd.DataFrame,
    y: np.ndarray,
    backend: str,
    seed: int,
    missing: str,
    categories: dict,
    max_epochs: int | None,
) -> tuple[int, ...]:
    """Inner validation inside a training fold: the candidate with the lowest RMSE."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    cut = int(len(y) * 0.8)
    inner, held = order[:cut], order[cut:]
    best, best_rmse = CANDIDATES[0], math.inf
    for hidden in CANDIDATES:
        model = _network(hidden, backend, seed, missing, categories, max_epochs)
        model.fit(X.iloc[inner], y[inner])
        rmse = regression_metrics(y[held], model.predict(X.iloc[held]))["rmse"]
        if rmse < best_rmse:
            best, best_rmse = hidden, rmse
    return best


def compare(
    X: Any,
    y: Any = None,
    *,
    hidden: tuple[int, ...] | str = (64, 64),
    folds: int | None = None,
    repeats: int | None = None,
    seed: int = 0,
    threshold: float = 0.02,
    alpha: float = 0.05,
    backend: str = "numpy",
    time_budget: float | None = None,
    missing: str = "error",
    features: list[str] | None = None,
    progress: bool | None = None,
) -> Comparison:
    """Cross-validate linear regression against a neural network and decide.

    Parameters
    ----------
    X : table, path, dataset name or array of shape (n, k)
    y : array of shape (n,), or the target column's name when ``X`` is a table
    hidden : tuple of int or "auto"
        The network's hidden layers; ``auto`` picks one of ``CANDIDATES`` by inner
        validation inside each training fold.
    folds, repeats : int, optional
        K-fold cross-validation repeated; defaults from the number of rows.
    seed : int
        Fixes the folds and every model's initialisation: same seed, same verdict.
    threshold : float
        Smallest relative RMSE reduction worth a network (default 2%).
    alpha : float
        Significance level of the paired test.
    backend : str
        Engine for the neural models.
    time_budget : float, optional
        Seconds to aim for: folds, repeats and then epochs are scaled down to fit, and the
        output says so.
    missing : {"error", "drop", "mean", "median"}
    features : list of str, optional
        Feature columns (default: all but the target).
    progress : bool, optional
        Rich progress bar over folds and models on stderr (default: when a terminal).
    """
    start = time.perf_counter()
    Xf, yf, source = table_and_target(X, y, "compare", features)
    if missing not in MISSING_POLICIES:
        raise ParameterError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    Xf, yf = apply_missing_policy(Xf, yf, missing, source)
    y_arr = numeric_column(yf, str(yf.name), source, role="target")
    Xf = Xf.reset_index(drop=True)
    n = len(y_arr)
    if n < 10:
        raise DataError(f"{source}: {n} rows are too few to cross-validate (need at least 10)")
    if hidden != "auto" and not (
        isinstance(hidden, tuple | list)
        and all(isinstance(h, int) and h > 0 for h in hidden)
        and len(hidden) > 0
    ):
        raise ParameterError(
            f"The 'hidden' parameter of compare must be a non-empty tuple of positive ints "
            f"or 'auto'. Got {hidden!r} instead."
        )
    if not 0 <= threshold < 1:
        raise ParameterError(f"threshold must be in [0, 1), got {threshold}")
    # Text levels come from all rows, so a level absent from a training fold is still known;
    # the column kinds are the preprocessor's own.
    schema = Preprocessor(missing).fit(Xf, source)
    categories = {c["name"]: c["categories"] for c in schema.columns_ if "categories" in c}
    k_default, r_default = default_folds(n)
    folds = folds or k_default
    repeats = repeats or r_default
    if not 2 <= folds <= n // 2:
        raise ParameterError(f"folds must be between 2 and {n // 2} for {n} rows, got {folds}")
    notes: list[str] = []
    max_epochs: int | None = None

    def run_fold(train: np.ndarray, test: np.ndarray, fold_seed: int, advance) -> dict[str, Any]:
        Xtr, Xte, ytr, yte = Xf.iloc[train], Xf.iloc[test], y_arr[train], y_arr[test]
        chosen = (
            _choose_hidden(Xtr, ytr, backend, fold_seed, missing, categories, max_epochs)
            if hidden == "auto"
            else tuple(hidden)
        )
        models = {
            "linear": LinearRegression(missing=missing, categories=categories),
            "neuron": NeuralRegressor(
                hidden=(),
                backend=backend,
                seed=fold_seed,
                missing=missing,
                categories=categories,
                progress=False,
            ),
            "network": _network(chosen, backend, fold_seed, missing, categories, max_epochs),
        }
        out: dict[str, Any] = {"hidden": list(chosen)}
        for name, model in models.items():
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # aliased one-hot levels in small folds
                model.fit(Xtr, ytr)
            t1 = time.perf_counter()
            pred = model.predict(Xte)
            t2 = time.perf_counter()
            out[name] = (regression_metrics(yte, pred), t1 - t0, t2 - t1, pred)
            advance()
        return out

    planned = folds * repeats
    with task_progress(planned * len(MODELS), "cross-validating", progress) as advance:
        splits = cv_splits(n, folds, repeats, seed)
        results = [run_fold(*splits[0], seed * 1000, advance)]
        if time_budget is not None:
            per_fold = time.perf_counter() - start
            affordable = max(1, int(time_budget / max(per_fold, 1e-9)))
            if affordable < planned:
                new_repeats = max(1, affordable // folds)
                new_folds = folds if affordable >= folds else max(3, min(folds, affordable))
                if new_folds != folds:
                    results = []
                    splits = cv_splits(n, new_folds, 1, seed)
                    if per_fold * new_folds > time_budget:
                        max_epochs = max(20, int(200 * time_budget / (per_fold * new_folds)))
                        notes.append(f"network epochs capped at {max_epochs}")
                else:
                    splits = splits[: new_folds * new_repeats]
                notes.insert(
                    0,
                    f"time budget {time_budget:g} s: ran {new_folds} folds x "
                    f"{new_repeats if new_folds == folds else 1} repeats instead of "
                    f"{folds} x {repeats}",
                )
                folds, repeats = new_folds, (new_repeats if new_folds == folds else 1)
        for j in range(len(results), len(splits)):
            results.append(run_fold(*splits[j], seed * 1000 + j, advance))

    scores = {}
    for name in MODELS:
        metrics = [r[name][0] for r in results]
        scores[name] = ModelScores(
            name=name,
            rmse=np.array([m["rmse"] for m in metrics]),
            mae=np.array([m["mae"] for m in metrics]),
            r2=np.array([m["r2"] for m in metrics]),
            fit_seconds=np.array([r[name][1] for r in results]),
            predict_seconds=np.array([r[name][2] for r in results]),
        )
    lin, net = scores["linear"].rmse, scores["network"].rmse
    reductions = (lin - net) / lin
    n_test = n // folds
    test = corrected_resampled_t_test(reductions, n - n_test, n_test)
    fit_ratio = float(scores["network"].fit_seconds.mean() / scores["linear"].fit_seconds.mean())
    predict_ratio = float(
        scores["network"].predict_seconds.mean() / scores["linear"].predict_seconds.mean()
    )
    reset = ramsey_reset(Xf, y_arr, categories)
    verdict, explanation = _explain(test, threshold, alpha, fit_ratio, reset)
    neuron_gap = float(abs(scores["neuron"].rmse.mean() / lin.mean() - 1))
    if neuron_gap > 1e-3:
        notes.append(
            f"the linear neuron's RMSE differs from least squares by {neuron_gap:.2%}: "
            "gradient descent did not fully converge"
        )
    oof: dict[str, np.ndarray] = {name: np.full(n, np.nan) for name in MODELS}
    for (_train, test_rows), r in zip(splits[:folds], results[:folds], strict=False):
        for name in MODELS:
            oof[name][test_rows] = r[name][3]
    return Comparison(
        verdict=verdict,
        explanation=explanation,
        target=str(yf.name),
        n_samples=n,
        features=[str(c) for c in Xf.columns],
        folds=folds,
        repeats=repeats,
        seed=seed,
        threshold=threshold,
        alpha=alpha,
        scores=scores,
        test=test,
        fold_reductions=reductions,
        fit_ratio=fit_ratio,
        predict_ratio=predict_ratio,
        reset=reset,
        neuron_gap=neuron_gap,
        network_params={
            "hidden": hidden if hidden == "auto" else list(hidden),
            "backend": backend,
            "max_epochs": max_epochs,
        },
        chosen_hidden=[r["hidden"] for r in results],
        notes=notes,
        oof=oof,
        X=Xf,
        y=y_arr,
        categories=categories,
        elapsed_seconds=time.perf_counter() - start,
    )
