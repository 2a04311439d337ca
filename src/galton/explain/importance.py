"""Permutation importance of both models, out of fold: each fold's model predicts its own
test rows with one column shuffled; the RMSE it loses, averaged over folds, with the
corrected interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from galton.explain.folds import Estimate, Fold, over_folds


@dataclass
class Importance:
    """How much one model's RMSE grows when one input is shuffled.

    Attributes
    ----------
    feature, model : str
    rmse_increase : Estimate
        In the target's units, mean over folds with its 95% interval.
    share : float
        The mean increase as a share of the model's RMSE.
    """

    feature: str
    model: str
    rmse_increase: Estimate
    share: float

    def to_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "model": self.model,
            "rmse_increase": self.rmse_increase.to_dict(),
            "share": self.share,
        }


def permutation_importance(
    folds: list[Fold], models: list[str], features: list[str], seed: int
) -> list[Importance]:
    """Every (model, feature)'s importance, largest first within each model."""
    rng = np.random.default_rng(seed)
    out = []
    for model in models:
        base = np.array([f.rmse(model) for f in folds])
        found = []
        for feature in features:
            grown = np.array(
                [
                    f.rmse(
                        model,
                        f.X_test.assign(**{feature: rng.permutation(f.X_test[feature].to_numpy())}),
                    )
                    for f in folds
                ]
            )
            rise = grown - base
            found.append(
                Importance(
                    feature, model, over_folds(rise, folds), float(rise.mean() / base.mean())
                )
            )
        out += sorted(found, key=lambda i: -i.rmse_increase.mean)
    return out
