"""What ``compare`` returns: per-model scores, the test, the verdict, and their renderings
as JSON-ready data, text and (through ``galton.report``) HTML."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from galton.comparison.stats import PairedTest, format_p

MODELS = ("linear", "ridge", "neuron", "network")
LABELS = {
    "linear": "linear regression (exact least squares)",
    "ridge": "ridge regression (penalty by leave-one-out)",
    "neuron": "linear neuron (gradient descent)",
    "network": "neural network",
    "gbm": "gradient-boosted trees (scikit-learn)",
    "spline": "additive spline (least squares, hinges)",
}


@dataclass(frozen=True)
class ModelScores:
    """One model's per-fold test metrics and timings, each of shape (folds * repeats,)."""

    name: str
    rmse: np.ndarray
    mae: np.ndarray
    r2: np.ndarray
    fit_seconds: np.ndarray
    predict_seconds: np.ndarray

    @property
    def label(self) -> str:
        """What the model is, in words."""
        return LABELS[self.name]

    def mean_se(self, metric: str) -> tuple[float, float]:
        """Mean over folds and its standard error."""
        values = getattr(self, metric)
        se = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
        return float(values.mean()), se

    def to_dict(self) -> dict[str, Any]:
        """Means, standard errors and per-fold values."""
        out: dict[str, Any] = {"label": self.label}
        for metric in ("rmse", "mae", "r2", "fit_seconds", "predict_seconds"):
            mean, se = self.mean_se(metric)
            out[metric] = {"mean": mean, "se": se, "folds": getattr(self, metric).tolist()}
        return out


@dataclass
class FoldModels:
    """One fold of the first repeat: its training and test rows (positions) and every
    model fitted on the training rows (``MODELS``' names)."""

    train: np.ndarray
    test: np.ndarray
    models: dict[str, Any]


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
    #: Each fold's network weight decay, chosen inside its training fold (on held-out rows,
    #: or by cross-validation over it on small data).
    chosen_weight_decay: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    oof: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    X: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    y: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    categories: dict[str, list] = field(default_factory=dict, repr=False)
    elapsed_seconds: float = 0.0
    #: The linear model the network is measured against (``linear`` or ``ridge``) and why.
    baseline: str = "linear"
    baseline_reason: str = ""
    #: Each column's type and role (``galton.describe``'s rows).
    columns: list[dict[str, str]] = field(default_factory=list)
    #: How rows were dealt to folds: ``random``, ``grouped by 'g'`` or ``time order of 't'``.
    scheme: str = "random"
    #: ``weighted by 'w'`` when rows were weighted, else ''.
    weighted: str = ""
    #: The first repeat's folds with their fitted models (what ``explain`` reads).
    fold_models: list[FoldModels] = field(default_factory=list, repr=False)
    #: Row weights (n,) and the missing-value policy, for explanations' refits.
    weights: np.ndarray | None = field(default=None, repr=False)
    missing: str = "error"
    #: With ``also``: every challenger's paired test against the linear baseline, its p
    #: value Holm-adjusted over the challengers (the network's verdict uses its own).
    challengers: dict[str, Any] = field(default_factory=dict, repr=False)
    #: The seconds ``compare`` was asked to aim for (``explain`` keeps to them too).
    time_budget: float | None = None
    #: The ``Explanation``, once ``explain()`` has run (the report then shows it).
    explained: Any = field(default=None, repr=False)

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
            "fold_scheme": self.scheme,
            "weights": self.weighted or None,
            "seed": self.seed,
            "threshold": self.threshold,
            "alpha": self.alpha,
            "models": {name: s.to_dict() for name, s in self.scores.items()},
            "baseline": {"model": self.baseline, "reason": self.baseline_reason},
            "columns": self.columns,
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
            "chosen_weight_decay": self.chosen_weight_decay,
            "challengers": {
                name: {**c["test"].__dict__, "p_unadjusted": c["p_unadjusted"]}
                for name, c in self.challengers.items()
            },
            "notes": self.notes,
            "elapsed_seconds": self.elapsed_seconds,
        }

    def summary(self) -> str:
        """The verdict, its explanation and the metrics table as text."""
        lines = [
            f"Verdict: {self.verdict.upper()}",
            self.explanation,
            "",
            f"{self.n_samples} rows{', ' + self.weighted if self.weighted else ''}, target "
            f"{self.target}; {self.folds}-fold cross-validation "
            f"({self.scheme}) x {self.repeats} repeat{'s' if self.repeats > 1 else ''} "
            f"(seed {self.seed})",
            f"{'model':<42}{'RMSE':>22}{'MAE':>22}{'R2':>20}{'fit s':>10}{'predict s':>11}",
        ]
        for s in self.scores.values():
            cells = []
            for metric, width in (("rmse", 22), ("mae", 22), ("r2", 20)):
                mean, se = s.mean_se(metric)
                cells.append(f"{f'{mean:.4g} ± {se:.2g}':>{width}}")
            lines.append(
                f"{s.label:<42}{''.join(cells)}{s.fit_seconds.mean():>10.3g}"
                f"{s.predict_seconds.mean():>11.2g}"
            )
        lines.append(
            f"linear baseline: {LABELS[self.baseline]}"
            + (f" ({self.baseline_reason})" if self.baseline_reason else "")
        )
        r = self.reset
        lines.append(
            f"RESET test of the linear fit: F = {r['F']:.4g} on ({r['df1']}, {r['df2']}) df, "
            f"{format_p(r['p'])}"
            if math.isfinite(r["F"])
            else "RESET test of the linear fit: not available (too few rows for the columns)"
        )
        for name, c in self.challengers.items():
            t = c["test"]
            lines.append(
                f"{LABELS[name]} vs the baseline: RMSE {t.reduction:.1%} lower (95% CI "
                f"{t.ci_low:+.1%} to {t.ci_high:+.1%}), {format_p(t.p)} Holm-adjusted "
                f"({format_p(c['p_unadjusted'])} alone)"
            )
        lines += self._cheaper()
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _cheaper(self) -> list[str]:
        """Extra rows that do at least as well as the network, in words."""
        net = self.scores["network"].rmse.mean()
        return [
            f"a cheaper model does as well: {LABELS[name]} (RMSE "
            f"{self.scores[name].rmse.mean():.4g} against the network's {net:.4g})"
            for name in self.challengers
            if name != "network" and self.scores[name].rmse.mean() <= net
        ]

    def explain(self, seed: int | None = None) -> Any:
        """Why and where the network differs from the line, out of fold on these folds
        (``galton.explain``): importance, partial dependence, interactions, regions and
        the readable model that keeps the network's gain."""
        from galton.explain import explain

        self.explained = explain(self, seed)
        return self.explained

    def _repr_html_(self) -> str:
        """In a notebook: the verdict banner, the scores and each fold's reduction."""
        from galton.report.notebook import comparison_html

        return comparison_html(self)

    def plot(self) -> Any:
        """Each fold's RMSE reduction by the network, with its mean, 95% interval and
        the threshold (a matplotlib ``Figure``)."""
        from galton.report.figures import fold_differences

        t = self.test
        return fold_differences(
            self.fold_reductions, t.reduction, t.ci_low, t.ci_high, self.threshold, as_figure=True
        )

    def to_html(self, path: str | Path, plots_dir: str | Path | None = None) -> None:
        """Write the self-contained HTML report: ``galton.comparison.illustrate`` fits what
        the figures show, ``galton.report.html`` renders it (and imports no model)."""
        from galton.comparison.illustrate import illustrate
        from galton.report.html import write_report
        from galton.report.parts import check_destination

        check_destination(path)  # before the work
        write_report(self, illustrate(self), path, plots_dir)
