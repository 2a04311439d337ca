"""Predictive spread of a network or an ensemble, calibrated on held-out rows.

A network trained on squared error predicts a mean only; its spread is taken as the same
for every row. A network trained on the Gaussian negative log-likelihood predicts a mean
and a variance per row; an ensemble of them is the equal-weight Gaussian mixture (Deep
Ensembles, Lakshminarayanan et al. 2017). Either way the spread is then calibrated on
rows no member trained on:

- intervals by split-conformal prediction (Lei et al. 2018, normalised by the spread):
  the level-quantile of ``|y - mean| / spread`` on the held-out rows, with the finite-sample
  rank ``ceil((n + 1) * level)``, scales the spread into a half-width, so the coverage of
  new rows is at least the level whatever the spread's shape;
- the predictive standard deviation (for log-likelihoods) by one scale factor, the root
  mean square of the same normalised residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from galton.backends.common import MIN_VARIANCE, predicted_variance
from galton.exact.distributions import t_ppf


def mixture(outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean (n,) and spread (n,) of the members' outputs, in standardised units.

    Parameters
    ----------
    outputs : list of arrays
        One per member: shape (n,) for a squared-error network (spread 1 for every row),
        or (n, 2) mean and raw scale for a Gaussian-loss network (spread: the standard
        deviation of the mixture of the members' Gaussians).
    """
    if outputs[0].ndim == 1:
        return np.mean(outputs, axis=0), np.ones(len(outputs[0]))
    means = np.stack([o[:, 0] for o in outputs])
    variances = np.stack([predicted_variance(o[:, 1]) for o in outputs])
    mean = means.mean(axis=0)
    second_moment = (variances + means**2).mean(axis=0)
    return mean, np.sqrt(np.maximum(second_moment - mean**2, MIN_VARIANCE))


@dataclass(frozen=True)
class Calibration:
    """Normalised absolute residuals of held-out rows, sorted, and what follows from them.

    Attributes
    ----------
    scores : array of shape (m,)
        ``|y - mean| / spread`` on the calibration rows, ascending.
    source : str
        ``"validation"`` (rows held out from training), ``"cross-validation"`` (every row,
        predicted by networks trained on the other folds) or ``"training"`` (no rows were held
        out: the scores are scaled up for the parameters fitted to them, ``params``).
    params : int
        The effective parameters of the model that fitted training rows (0: held out).
    """

    scores: np.ndarray
    source: str
    params: int = 0  # parameters of the model that fitted training rows (0: held out)

    @classmethod
    def from_rows(
        cls, y: np.ndarray, mean: np.ndarray, spread: np.ndarray, source: str, n_params: int = 0
    ) -> Calibration:
        """From targets ``y`` (m,), predicted means (m,) and spreads (m,) in one unit.

        Training rows (``source="training"``) were fitted by a model of ``n_params``
        parameters, whose residuals are smaller than a new row's error: as for least
        squares' prediction intervals, their scores are scaled by ``sqrt(m / (m - p))`` (the
        residual degrees of freedom) and ``sqrt(1 + p / m)`` (a new row's average leverage).
        """
        scores = np.abs(y - mean) / spread
        m = len(scores)
        p = n_params if source == "training" and 0 < n_params < m else 0
        if p:
            scores = scores * math.sqrt(m / (m - p) * (1 + p / m))
        return cls(np.sort(scores), source, p)

    def multiplier(self, level: float) -> float:
        """Half-width per unit of spread at coverage ``level``: the conformal quantile
        (rank ``ceil((m + 1) * level)``) where the ``m`` rows reach it, else (too few rows:
        fewer than 9 for 90%) their root mean square score times Student's t quantile on
        their degrees of freedom (``m - params``), which widens as rows get fewer instead of
        stopping at the largest score."""
        m = len(self.scores)
        if m == 0:
            return math.nan
        rank = int(math.ceil((m + 1) * level))
        if rank <= m:
            return float(self.scores[rank - 1])
        return self.std_scale * float(t_ppf(0.5 + level / 2, max(m - self.params, 1)))

    @property
    def std_scale(self) -> float:
        """Factor from spread to predictive standard deviation (root mean square score)."""
        if len(self.scores) == 0:
            return math.nan
        return float(np.sqrt(np.mean(self.scores**2)))
