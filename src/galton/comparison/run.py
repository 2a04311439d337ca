"""Running the comparison: the same folds for exact least squares, the linear neuron and a
network; each model fits its own preprocessing inside every training fold."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from galton.comparison.budget import interim_verdict, linear_baseline, within_budget
from galton.comparison.extra import check_also, extra_models, holm
from galton.comparison.folds import cv_splits, default_folds, group_splits, time_splits
from galton.comparison.network import compare_network
from galton.comparison.parallel import WORTH_SECONDS, run_parallel, workers_for
from galton.comparison.prepare import Prepared, prepare
from galton.comparison.results import MODELS, Comparison, FoldModels, ModelScores
from galton.comparison.stats import (
    PairedTest,
    corrected_resampled_t_test,
    explain_verdict,
    ramsey_reset,
)
from galton.data.preprocess import MISSING_POLICIES
from galton.errors import DataError, ParameterError
from galton.estimators import LinearRegression, NeuralRegressor, RidgeRegression
from galton.metrics import regression_metrics
from galton.training.progress import task_progress

#: Architectures tried by inner validation with ``hidden="auto"``.
CANDIDATES: tuple[tuple[int, ...], ...] = ((32,), (64, 64), (128, 64))
#: Training rows x widest hidden layer from which a fold's network takes a second or more:
#: folds then run in parallel from the first (concrete's folds: 927 x 64), where otherwise
#: the first fold is timed alone to decide.
HEAVY_FOLD = 50_000
#: Fewer degrees of freedom than this in the paired test earn a low-power note.
LOW_POWER_DF = 10


@dataclass
class _Plan:
    """The data and settings every fold shares."""

    X: pd.DataFrame
    y: np.ndarray
    hidden: tuple[int, ...] | str
    backend: str
    missing: str
    categories: dict[str, list]
    max_epochs: int | None = None
    notes: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    groups: np.ndarray | None = None
    times: np.ndarray | None = None
    also: tuple[str, ...] = ()
    n_jobs: int | None = None
    settled_early: bool = False  # the first repeat settled the verdict (interim_verdict)

    @property
    def names(self) -> tuple[str, ...]:
        """Every row of the table: ``MODELS`` and the extra ones asked for."""
        return MODELS + self.also

    def splits(self, folds: int, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The folds every model shares: grouped, forward-chaining in time, or random."""
        if self.groups is not None:
            return group_splits(self.groups, folds, repeats, seed)
        if self.times is not None:
            return time_splits(self.times, folds)
        return cv_splits(len(self.y), folds, repeats, seed)

    def weights_of(self, rows: np.ndarray) -> np.ndarray | None:
        return None if self.weights is None else self.weights[rows]

    def network(self, hidden: tuple[int, ...], seed: int) -> NeuralRegressor:
        return compare_network(
            hidden, self.backend, seed, self.categories, self.missing, self.max_epochs
        )

    def heavy(self, train_rows: int) -> bool:
        """Whether a fold's network surely takes long enough (``HEAVY_FOLD``) for parallel
        folds to pay from the first fold on, without timing one."""
        shapes = CANDIDATES if self.hidden == "auto" else (tuple(map(int, self.hidden)),)
        widths = [w for hidden in shapes for w in hidden]
        return train_rows * max(widths) >= HEAVY_FOLD

    def choose_hidden(
        self, X: pd.DataFrame, y: np.ndarray, train: np.ndarray, seed: int
    ) -> tuple[int, ...]:
        """Inner validation inside a training fold: the candidate with the lowest RMSE."""
        order = np.random.default_rng(seed).permutation(len(y))
        cut = int(len(y) * 0.8)
        inner, held = order[:cut], order[cut:]
        best, best_rmse = CANDIDATES[0], math.inf
        w = self.weights_of(train)
        for hidden in CANDIDATES:
            weights = None if w is None else w[inner]
            model = self.network(hidden, seed).fit(X.iloc[inner], y[inner], weights)
            held_w = None if w is None else w[held]
            rmse = regression_metrics(y[held], model.predict(X.iloc[held]), held_w)["rmse"]
            if rmse < best_rmse:
                best, best_rmse = hidden, rmse
        return best

    def models(self, chosen: tuple[int, ...], seed: int) -> dict[str, Any]:
        return {
            "linear": LinearRegression(missing=self.missing, categories=self.categories),
            "ridge": RidgeRegression(missing=self.missing, categories=self.categories),
            "neuron": NeuralRegressor(
                hidden=(),
                backend=self.backend,
                seed=seed,
                missing=self.missing,
                categories=self.categories,
                progress=False,
            ),
            "network": self.network(chosen, seed),
            **extra_models(self.also, self.categories, self.missing, seed),
        }

    def run_fold(
        self, train: np.ndarray, test: np.ndarray, seed: int, advance: Callable[[], None]
    ) -> dict[str, Any]:
        """Fit every model on ``train`` and score it on ``test``: per model its metrics,
        fit and predict seconds and predictions; ``hidden``: the network's layers."""
        Xtr, Xte, ytr, yte = self.X.iloc[train], self.X.iloc[test], self.y[train], self.y[test]
        auto = self.hidden == "auto"
        chosen = self.choose_hidden(Xtr, ytr, train, seed) if auto else tuple(map(int, self.hidden))
        out: dict[str, Any] = {"hidden": list(chosen)}
        for name, model in self.models(chosen, seed).items():
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # aliased one-hot levels in small folds
                model.fit(Xtr, ytr, self.weights_of(train))
            t1 = time.perf_counter()
            pred = model.predict(Xte)
            t2 = time.perf_counter()
            metrics = regression_metrics(yte, pred, self.weights_of(test))
            out[name] = (metrics, t1 - t0, t2 - t1, pred)
            out.setdefault("fitted", {})[name] = model  # for explanations, out of fold
            advance()
            if name == "network":
                out["weight_decay"] = float(model.train_config_.weight_decay)
            elif name == "linear":  # is least squares identified on this training fold?
                out["identified"] = (model.rank_, len(model.terms_), len(ytr))
            elif name == "ridge":  # inner leave-one-out: least squares (alpha 0), ridge
                out["inner_loo"] = (float(model.loo_mse_[0]), float(model.loo_mse_.min()))
        return out


def _check_settings(hidden: Any, threshold: float) -> None:
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


def _run_tasks(
    plan: _Plan,
    splits: list[tuple[np.ndarray, np.ndarray]],
    results: list[dict[str, Any]],
    upto: int,
    seed: int,
    per_fold: float,
    advance: Callable[[], None],
) -> list[dict[str, Any]]:
    """``results`` with the folds after them up to split ``upto`` run, in parallel
    processes where that pays (fold ``j`` always on seed ``seed * 1000 + j``)."""
    rest = [(*splits[j], seed * 1000 + j) for j in range(len(results), upto)]
    workers = workers_for(plan.n_jobs, len(rest), per_fold, plan.backend)
    if workers > 1:
        return results + run_parallel(plan, rest, workers, advance)
    return results + [plan.run_fold(train, test, s, advance) for train, test, s in rest]


def _run_folds(
    plan: _Plan,
    counts: tuple[int, int],
    seed: int,
    time_budget: float | None,
    progress: bool | None,
    start: float,
    threshold: float | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[np.ndarray, np.ndarray]], int, int]:
    """Every fold's results and splits, and the folds and repeats actually run: with a
    ``time_budget`` the first fold's time scales them (and the epochs) down; with a
    ``threshold`` the repeats after the first are skipped when it already settles the
    verdict (``interim_verdict``)."""
    folds, repeats = counts
    # one BLAS thread for every fold, serial or in a worker: the same arithmetic either way
    with (
        task_progress(folds * repeats * len(plan.names), "cross-validating", progress) as advance,
        threadpool_limits(1),
    ):
        splits = plan.splits(folds, repeats, seed)
        if time_budget is None and plan.heavy(len(splits[0][0])):
            results, per_fold = [], WORTH_SECONDS  # no need to time a fold first
        else:
            first = time.perf_counter()
            results = [plan.run_fold(*splits[0], seed * 1000, advance)]
            per_fold = time.perf_counter() - first
        if time_budget is not None:
            spent = time.perf_counter() - start  # the rows' preparation and the first fold
            splits, results, folds, repeats = within_budget(
                plan, splits, results, (folds, repeats), spent, time_budget, seed
            )
        if threshold is not None and repeats > 1:
            results = _run_tasks(plan, splits, results, folds, seed, per_fold, advance)
            settled = interim_verdict(
                results, threshold, repeats, _fold_sizes(splits, len(plan.y), folds, plan)
            )
            if settled:
                plan.notes.insert(0, settled)
                plan.settled_early, splits, repeats = True, splits[:folds], 1
        results = _run_tasks(plan, splits, results, len(splits), seed, per_fold, advance)
    return results, splits, folds, repeats


def _scores(results: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, ModelScores]:
    scores = {}
    for name in names:
        metrics = [r[name][0] for r in results]
        scores[name] = ModelScores(
            name=name,
            rmse=np.array([m["rmse"] for m in metrics]),
            mae=np.array([m["mae"] for m in metrics]),
            r2=np.array([m["r2"] for m in metrics]),
            fit_seconds=np.array([r[name][1] for r in results]),
            predict_seconds=np.array([r[name][2] for r in results]),
        )
    return scores


def _fold_models(
    splits: list[tuple[np.ndarray, np.ndarray]], results: list[dict[str, Any]], folds: int
) -> list[FoldModels]:
    """The first repeat's fitted models with their rows (later repeats' are let go)."""
    kept = [
        FoldModels(train, test, r.pop("fitted"))
        for (train, test), r in zip(splits[:folds], results[:folds], strict=False)
    ]
    for r in results[folds:]:
        r.pop("fitted", None)
    return kept


def _out_of_fold(
    n: int,
    splits: list[tuple[np.ndarray, np.ndarray]],
    results: list[dict[str, Any]],
    folds: int,
    names: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Each model's predictions of every row from the fold that held it out (first repeat)."""
    oof: dict[str, np.ndarray] = {name: np.full(n, np.nan) for name in names}
    for (_train, test_rows), r in zip(splits[:folds], results[:folds], strict=False):
        for name in names:
            oof[name][test_rows] = r[name][3]
    return oof


def _notes(
    notes: list[str],
    test: PairedTest,
    scores: dict[str, ModelScores],
    baseline: str,
    challengers: dict[str, Any],
    settled_early: bool = False,
) -> float:
    """The verdict's notes: Holm's correction, low power (unless the first repeat
    ``settled_early`` the verdict), a linear neuron that did not converge; returns the
    neuron's relative RMSE gap to least squares."""
    if challengers:
        notes.append(
            f"p values Holm-corrected over {len(challengers)} models against the linear "
            f"baseline ({', '.join(challengers)})"
        )
    if test.df < LOW_POWER_DF and not settled_early:
        notes.append(
            f"low power: the paired test has {test.df} degrees of freedom ({test.df + 1} "
            "folds in all); more folds or repeats give a firmer verdict"
        )
    neuron_gap = float(abs(scores["neuron"].rmse.mean() / scores["linear"].rmse.mean() - 1))
    if neuron_gap > 1e-3 and baseline == "linear":
        notes.append(
            f"the linear neuron's RMSE differs from least squares by {neuron_gap:.2%}: "
            "gradient descent did not fully converge"
        )
    return neuron_gap


def _challengers(
    scores: dict[str, ModelScores],
    baseline: str,
    also: tuple[str, ...],
    sizes: tuple[float, float],
    network: PairedTest,
) -> dict[str, dict[str, Any]]:
    """With extra rows: each challenger's corrected test against the baseline, the p
    values Holm-adjusted together (none without extra rows)."""
    if not also:
        return {}
    base = scores[baseline].rmse
    tests = {"network": network}
    for name in also:
        tests[name] = corrected_resampled_t_test((base - scores[name].rmse) / base, *sizes)
    p = holm({name: t.p for name, t in tests.items()})
    return {name: {"test": replace(t, p=p[name]), "p_unadjusted": t.p} for name, t in tests.items()}


def _clock() -> float:
    return time.perf_counter()  # ``compare``'s ``time`` argument hides the module there


def _fold_counts(
    data: Prepared, folds: int | None, repeats: int | None, notes: list[str]
) -> tuple[int, int]:
    """Folds and repeats: the defaults from the number of rows, at most one fold per
    group, one pass for time order (each with its note)."""
    n = len(data.y)
    k_default, r_default = default_folds(n)
    folds, repeats = folds or k_default, repeats or r_default
    if data.groups is not None:
        n_groups = len(np.unique(data.groups))
        if n_groups < 2:
            raise DataError(f"the groups column has {n_groups} group: need at least 2")
        folds = min(folds, n_groups)
        notes.append(f"grouped folds: {n_groups} groups, none in both training and test of a fold")
    elif data.times is not None:
        folds, repeats = min(folds, 5), 1
        notes.append(
            f"forward-chaining folds in time order ({folds} test blocks, each after all its "
            "training rows); the corrected t-test assumes exchangeable folds, so errors "
            "correlated in time make its p value approximate"
        )
    if not 2 <= folds <= n // 2:
        raise ParameterError(f"folds must be between 2 and {n // 2} for {n} rows, got {folds}")
    return folds, repeats


def _weighted(sample_weight: Any) -> str:
    """How rows were weighted, in words ('' when they were not)."""
    if sample_weight is None:
        return ""
    return f"weighted by '{sample_weight}'" if isinstance(sample_weight, str) else "weighted"


def _scheme(groups: Any, time: Any) -> str:
    """How rows were dealt to folds, in words."""
    if groups is not None:
        return f"grouped by '{groups}'" if isinstance(groups, str) else "grouped"
    if time is not None:
        return f"forward-chaining in '{time}'" if isinstance(time, str) else "forward-chaining"
    return "random"


def _fold_sizes(
    splits: list[tuple[np.ndarray, np.ndarray]], n: int, folds: int, plan: _Plan
) -> tuple[float, float]:
    """Training and test rows per fold for the test's correction: ``n - n // folds`` and
    ``n // folds`` for random folds, the mean sizes for grouped and time folds."""
    if plan.groups is None and plan.times is None:
        return n - n // folds, n // folds
    return (
        float(np.mean([len(train) for train, _ in splits])),
        float(np.mean([len(test) for _, test in splits])),
    )


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
    sample_weight: Any = None,
    groups: Any = None,
    time: Any = None,
    max_levels: int | None = None,
    group_rare: bool = False,
    also: Any = (),
    n_jobs: int | None = None,
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
    sample_weight : array of shape (n,) or str, optional
        Row weights (or a weight column's name): every model trains on them and every
        fold's RMSE, MAE and R-squared are weighted, so the test is on weighted errors.
    groups : array of shape (n,) or str, optional
        Grouped K-fold: rows of one group (a patient, a store) are never both trained on
        and tested; at most one fold per group.
    time : array of shape (n,) or str, optional
        Forward-chaining folds: train on the past, test on the next block of time.
    max_levels, group_rare
        How text columns are taken, as for the estimators.
    also : tuple of {"gbm", "spline"} or str
        Extra rows on the same folds: gradient-boosted trees (scikit-learn) and an additive
        spline model; the network's and their tests against the linear baseline are then
        Holm-corrected together.
    n_jobs : int, optional
        Processes for the folds after the first (one BLAS thread each; the results are
        identical to a serial run). Default: every core when the remaining folds would
        take more than a few seconds serially; 1 runs them in this process.
    """
    started = _clock()
    if missing not in MISSING_POLICIES:
        raise ParameterError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    if groups is not None and time is not None:
        raise ParameterError("give groups or time, not both")
    special = {"weights": sample_weight, "groups": groups, "time": time}
    columns = {"max_levels": max_levels, "group_rare": group_rare}
    data = prepare(X, y, features, missing, special, columns)
    Xf, y_arr, target, categories, roles = data.X, data.y, data.target, data.categories, data.roles
    _check_settings(hidden, threshold)
    n = len(y_arr)
    plan = _Plan(Xf, y_arr, hidden, backend, missing, categories, also=check_also(also))
    plan.n_jobs = n_jobs
    plan.weights, plan.groups, plan.times = data.weights, data.groups, data.times
    counts = _fold_counts(data, folds, repeats, plan.notes)
    interim = threshold if repeats is None and time_budget is None else None
    results, splits, folds, repeats = _run_folds(
        plan, counts, seed, time_budget, progress, started, interim
    )
    scores = _scores(results, plan.names)
    baseline, reason = linear_baseline(results)
    base = scores[baseline].rmse
    reductions = (base - scores["network"].rmse) / base
    sizes = _fold_sizes(splits, n, folds, plan)
    test = corrected_resampled_t_test(reductions, *sizes)
    challengers = _challengers(scores, baseline, plan.also, sizes, test)
    test = challengers["network"]["test"] if challengers else test
    fit_ratio = float(scores["network"].fit_seconds.mean() / scores[baseline].fit_seconds.mean())
    reset = ramsey_reset(Xf, y_arr, categories, data.weights)
    verdict, explanation = explain_verdict(
        test, threshold, alpha, fit_ratio, reset, reductions, (baseline, reason)
    )
    neuron_gap = _notes(plan.notes, test, scores, baseline, challengers, plan.settled_early)
    return Comparison(
        verdict=verdict,
        explanation=explanation,
        target=target,
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
        predict_ratio=float(
            scores["network"].predict_seconds.mean() / scores[baseline].predict_seconds.mean()
        ),
        reset=reset,
        neuron_gap=neuron_gap,
        network_params={
            "hidden": hidden if hidden == "auto" else list(hidden),
            "backend": backend,
            "max_epochs": plan.max_epochs,
        },
        chosen_hidden=[r["hidden"] for r in results],
        chosen_weight_decay=[r["weight_decay"] for r in results],
        notes=plan.notes,
        oof=_out_of_fold(n, splits, results, folds, plan.names),
        fold_models=_fold_models(splits, results, folds),
        weights=data.weights,
        missing=missing,
        challengers=challengers,
        time_budget=time_budget,
        X=Xf,
        y=y_arr,
        categories=categories,
        elapsed_seconds=_clock() - started,
        baseline=baseline,
        baseline_reason=reason,
        columns=roles,
        scheme=_scheme(groups, time),
        weighted=_weighted(sample_weight),
    )
