"""Yay or nay: does a neural network beat linear regression on this data?

Repeated K-fold cross-validation on identical folds for exact least squares, the linear
neuron (a sanity row that must match it) and a neural network; every model fits its own
preprocessing inside each training fold. The verdict comes from the per-fold paired
relative RMSE reductions, tested with the corrected resampled t-test of Nadeau & Bengio
(2003), and a practical threshold; Ramsey's RESET test on the linear fit is supporting
evidence.

``run`` runs the folds, ``stats`` holds the tests, ``results`` what comes back,
``illustrate`` fits what the report's figures show; ``galton.report`` only renders.
"""

from galton.comparison.folds import cv_splits, default_folds
from galton.comparison.results import LABELS, MODELS, Comparison, ModelScores
from galton.comparison.run import CANDIDATES, compare
from galton.comparison.stats import PairedTest, corrected_resampled_t_test, ramsey_reset

__all__ = [
    "CANDIDATES",
    "LABELS",
    "MODELS",
    "Comparison",
    "ModelScores",
    "PairedTest",
    "compare",
    "corrected_resampled_t_test",
    "cv_splits",
    "default_folds",
    "ramsey_reset",
]
