"""Standardised units: one implementation for rows in memory, chunks and partitions.

Networks train on inputs and a target shifted by their means and divided by their standard
deviations. ``Scaling`` holds those numbers, from whole arrays (``of_rows``, exact powers of
two taken out first) or from moments merged over chunks or partitions (``of_moments``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RunningMoments:
    """Column means and centred sums of squares merged over chunks (Chan et al.).

    Attributes
    ----------
    n : int
    mean : ndarray of shape (k,)
    m2 : ndarray of shape (k,)
    """

    n: int
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, A: np.ndarray) -> RunningMoments:
        """Moments of the rows of ``A`` (m, k)."""
        mean = A.mean(axis=0) if len(A) else np.zeros(A.shape[1])
        return cls(len(A), mean, ((A - mean) ** 2).sum(axis=0))

    def __add__(self, other: RunningMoments) -> RunningMoments:
        n = self.n + other.n
        if n == 0:
            return self
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        return RunningMoments(n, mean, self.m2 + other.m2 + delta**2 * self.n * other.n / n)

    @property
    def std(self) -> np.ndarray:
        """Population standard deviations (k,), as ``np.std`` gives."""
        return np.sqrt(self.m2 / max(self.n, 1))

    @property
    def scale(self) -> np.ndarray:
        """The standard deviations with 1 for constant columns: what to divide by when
        standardising."""
        std = self.std
        return np.where(std > 0, std, 1.0)


def mean_std(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``A`` (n, k), exact powers of two taken out
    first so values near 1e300 do not overflow when squared."""
    top = np.max(np.abs(A), axis=0) if len(A) else np.ones(A.shape[1])
    with np.errstate(divide="ignore"):
        power = np.where(top > 0, 2.0 ** np.round(np.log2(np.where(top > 0, top, 1.0))), 1.0)
    scaled = A / power
    return scaled.mean(axis=0) * power, scaled.std(axis=0) * power


@dataclass(frozen=True)
class Scaling:
    """Means and scales of the inputs (d,) and the target: ``Xs = (X - x_mean) / x_scale``.

    Scales of constant columns are 1, so they standardise to 0.
    """

    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float
    y_scale: float

    @classmethod
    def identity(cls, n_inputs: int) -> Scaling:
        """No standardisation (``standardize=False``)."""
        return cls(np.zeros(n_inputs), np.ones(n_inputs), 0.0, 1.0)

    @classmethod
    def of_rows(cls, X: np.ndarray, y: np.ndarray, standardize: bool = True) -> Scaling:
        """From inputs ``X`` (n, d) and target ``y`` (n,) in memory."""
        if not standardize:
            return cls.identity(X.shape[1])
        x_mean, x_std = mean_std(X)
        y_mean, y_std = mean_std(y[:, None])
        return cls(
            x_mean, np.where(x_std > 0, x_std, 1.0), float(y_mean[0]), float(y_std[0]) or 1.0
        )

    @classmethod
    def of_moments(cls, x: RunningMoments, y: RunningMoments, standardize: bool = True) -> Scaling:
        """From moments merged over chunks or partitions."""
        if not standardize:
            return cls.identity(len(x.mean))
        return cls(x.mean, x.scale, float(y.mean[0]), float(y.scale[0]))

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Standardised inputs (n, d)."""
        return (X - self.x_mean) / self.x_scale

    def target(self, y: np.ndarray) -> np.ndarray:
        """Standardised target (n,)."""
        return (y - self.y_mean) / self.y_scale

    def to_target_units(self, ys: np.ndarray) -> np.ndarray:
        """Standardised predictions (n,) back in the target's units."""
        return ys * self.y_scale + self.y_mean
