"""``explain``: every part of an explanation from one comparison's folds and models."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from galton.explain.coverage import coverage
from galton.explain.dependence import dependence_curves, interactions
from galton.explain.folds import Fold, folds_of
from galton.explain.growth import learning_curve
from galton.explain.importance import permutation_importance
from galton.explain.recover import Recovery, recover
from galton.explain.regions import Region, where_the_network_wins
from galton.explain.results import Explanation, versus

if TYPE_CHECKING:  # a type only: Comparison.explain imports this module
    from galton.comparison.results import Comparison

#: Inputs whose importance is measured, curves drawn, and pairs tested for interaction.
MAX_FEATURES = 40
CURVES = 6
PAIRS_FROM = 4


def _regions(cmp: Comparison, folds: list[Fold], baseline: str, seed: int) -> list[Region]:
    """The tree grown on the test rows of the even folds, measured on the odd ones'."""
    tested = [np.asarray(f.test) for f in cmp.fold_models]
    halves = (np.concatenate(tested[0::2]), np.concatenate(tested[1::2]))
    lin = (cmp.y - cmp.oof[baseline]) ** 2
    net = (cmp.y - cmp.oof["network"]) ** 2
    return where_the_network_wins(cmp.X, lin, net, cmp.weights, halves, seed)


def _affordable(cmp: Comparison, notes: list[str]) -> bool:
    """Whether the learning curve fits in what is left of ``compare``'s time budget: its
    refits cost about three quarters of the first repeat's fits (25% and 50% of the rows)."""
    if cmp.time_budget is None:
        return True
    k = len(cmp.fold_models)
    cost = 0.75 * sum(float(cmp.scores[m].fit_seconds[:k].sum()) for m in (cmp.baseline, "network"))
    left = cmp.time_budget - cmp.elapsed_seconds
    if cost <= left:
        return True
    notes.append(
        f"learning curve left out: it would take about {cost:.0f} s, {max(left, 0):.0f} s of "
        "the time budget were left"
    )
    return False


def third_answer(cmp: Comparison, recovery: Recovery) -> tuple[str, str]:
    """The verdict with the readable model in view: a network that beats the line but
    not the line with its terms earns ``nay: a readable model does``."""
    terms = sum(len(t.formula().split(" + ")) for t in recovery.terms)
    share, gain = recovery.share, recovery.network_gain
    kept = (
        f"least squares with {terms} extra term{'s' if terms != 1 else ''} keeps "
        f"{share.mean:.0%} of the network's gain (95% CI {share.ci_low:.0%} to "
        f"{share.ci_high:.0%})"
    )
    if cmp.verdict != "yay":
        return cmp.verdict, f"nay to the network; {kept}." if terms else "nay to the network."
    if gain.ci_low > 0 and gain.mean >= cmp.threshold:
        return "yay", (
            f"yay: the network beats even the readable model ({kept}; the network's RMSE is "
            f"{gain.mean:.1%} lower than it)."
        )
    return "nay: a readable model does", (
        f"yay for a curve, but {kept}, and the network is not clearly better: "
        f"{versus(recovery)}. Nay to the network."
    )


def explain(cmp: Comparison, seed: int | None = None) -> Explanation:
    """Why and where the network differs from the line in ``cmp``, out of fold.

    Parameters
    ----------
    cmp : Comparison
        A comparison (``compare``) with its fitted folds.
    seed : int, optional
        For the shuffles and samples (default: the comparison's seed).
    """
    seed = cmp.seed if seed is None else seed
    folds = folds_of(cmp)
    baseline = cmp.baseline
    features = [str(c) for c in cmp.X.columns][:MAX_FEATURES]
    notes = []
    if len(cmp.X.columns) > MAX_FEATURES:
        notes.append(f"importance measured for the first {MAX_FEATURES} inputs only")
    importance = permutation_importance(folds, [baseline, "network"], features, seed)
    ranked = [i.feature for i in importance if i.model == "network"]
    curves = dependence_curves(folds, cmp.X, ranked[:CURVES], baseline, seed)
    pairs = interactions(folds, ranked[:PAIRS_FROM], seed)
    regions = _regions(cmp, folds, baseline, seed)
    recovery = recover(folds, cmp, baseline, seed)
    verdict, text = third_answer(cmp, recovery)
    found = Explanation(
        cmp.target, baseline, verdict, text, importance, curves, pairs, regions, recovery, notes
    )
    if _affordable(cmp, notes):
        found.growth = learning_curve(cmp, folds, baseline, seed)
    found.coverage = coverage(folds, cmp, regions)
    return found
