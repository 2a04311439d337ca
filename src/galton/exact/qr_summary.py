"""Least squares from a triangular factor that merges: streaming, updates, distributed fits.

A block of rows — design ``D`` (n, p), target ``y``, weights ``w`` — is summarised by the
upper-triangular factor ``R`` ((p+1) x (p+1)) of the weighted augmented matrix
``[sqrt(w) D | sqrt(w) y]`` plus a few sums of the target. Two summaries merge by one QR of
their stacked factors (TSQR), so chunks of a file, partitions on Dask workers and new rows
for a saved model all combine the same way, with Householder QR's accuracy: no
cross-product squares the condition number, and the coefficients carry a relative error
of about ``cond(D) * 1e-16``, whatever the order the blocks arrive in.

A model fitted in memory is turned into a summary by an *anchored* factor: any ``M`` with
``M'M = D'WD`` (the solver's own triangular factor) and ``c = M b*`` for its accurate
coefficients ``b*``, with ``rss`` as the last diagonal entry. Since
``||D b - y||^2 = ||M (b - b*)||^2 + rss`` at the least-squares ``b*``, this stands for the
old rows exactly, and a later update only has to get the (small) correction right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from galton.exact.solver import LstsqSolution, decide_rank


@dataclass(frozen=True)
class QRSummary:
    """Sufficient statistics of a weighted least-squares problem, as a mergeable factor.

    Attributes
    ----------
    r : ndarray of shape (p + 1, p + 1)
        Upper-triangular: ``r' r = [D | y]' W [D | y]``.
    nobs : int
        Rows summarised.
    wsum : float
        ``sum(w)``.
    wmean : float
        Weighted mean of ``y``.
    wm2 : float
        Weighted sum of squares of ``y`` about ``wmean`` (merged as Chan et al. do, so no
        cancellation between large sums).
    log_w : float
        ``sum(log(w))``, for the weighted log-likelihood.
    """

    r: np.ndarray
    nobs: int
    wsum: float
    wmean: float
    wm2: float
    log_w: float = 0.0

    @property
    def n_terms(self) -> int:
        """Number of design columns ``p``."""
        return self.r.shape[1] - 1

    @classmethod
    def empty(cls, n_terms: int) -> QRSummary:
        """The summary of no rows, for ``n_terms`` design columns."""
        return cls(np.zeros((n_terms + 1, n_terms + 1)), 0, 0.0, 0.0, 0.0, 0.0)

    @classmethod
    def of_rows(
        cls, design: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
    ) -> QRSummary:
        """Summarise rows: ``design`` (n, p), ``y`` (n,), positive ``weights`` (n,).

        The values must be finite (callers check, naming the row).
        """
        return cls.empty(design.shape[1]).add_rows(design, y, weights)

    def add_rows(
        self, design: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
    ) -> QRSummary:
        """This summary with more rows: one QR of the factor stacked on the weighted rows."""
        y = np.asarray(y, dtype=np.float64)
        if len(y) == 0:
            return self
        block = np.column_stack([np.asarray(design, dtype=np.float64), y])
        if weights is not None:
            block *= np.sqrt(np.asarray(weights, dtype=np.float64))[:, None]
        return self._merged(_target_sums(y, weights), np.vstack([self.r, block]))

    def __add__(self, other: QRSummary) -> QRSummary:
        if other.n_terms != self.n_terms:
            raise ValueError(f"cannot merge summaries of {self.n_terms} and {other.n_terms} terms")
        return self._merged(other, np.vstack([self.r, other.r]))

    def _merged(self, other: QRSummary, stacked: np.ndarray) -> QRSummary:
        """``self + other`` whose factors' stacked rows are ``stacked``."""
        p1 = self.n_terms + 1
        r = scipy.linalg.qr(stacked, mode="r", check_finite=False)[0][:p1]
        if r.shape[0] < p1:  # fewer rows than columns so far
            r = np.vstack([r, np.zeros((p1 - r.shape[0], p1))])
        wsum = self.wsum + other.wsum
        if wsum == 0:
            return QRSummary(r, 0, 0.0, 0.0, 0.0, 0.0)
        delta = other.wmean - self.wmean
        return QRSummary(
            r=r,
            nobs=self.nobs + other.nobs,
            wsum=wsum,
            wmean=self.wmean + delta * other.wsum / wsum,
            wm2=self.wm2 + other.wm2 + delta * delta * self.wsum * other.wsum / wsum,
            log_w=self.log_w + other.log_w,
        )

    @classmethod
    def anchored(
        cls,
        factor: np.ndarray,
        coef: np.ndarray,
        rss: float,
        y: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> QRSummary:
        """The summary of rows already solved: ``factor`` (p, p) with ``factor' factor =
        D'WD``, the accurate coefficients ``coef`` (p,; NaN for aliased columns), the
        weighted residual sum of squares ``rss`` and the target ``y`` (n,) with its
        ``weights`` (n,)."""
        p = len(coef)
        r = np.zeros((p + 1, p + 1))
        r[:p, :p] = factor
        r[:p, p] = factor @ np.nan_to_num(coef, nan=0.0)
        r[p, p] = math.sqrt(max(rss, 0.0))
        sums = _target_sums(np.asarray(y, dtype=np.float64), weights)
        return cls(r, sums.nobs, sums.wsum, sums.wmean, sums.wm2, sums.log_w)

    def solve(self, rank_tol: float | None = None) -> LstsqSolution:
        """Least squares from the factor: equilibrated, column-pivoted QR of ``R11`` for
        the rank (the same decision the in-memory careful path makes), then a triangular
        solve. ``rank_tol`` defaults to ``max(n, p) * eps``."""
        p = self.n_terms
        r11, c, rho = self.r[:p, :p], self.r[:p, p], float(self.r[p, p])
        # R11's columns have the design's norms: the same decision as the in-memory path
        decision = decide_rank(r11, self.nobs, rank_tol)
        scale, rs, rank, kept = decision.scale, decision.scaled, decision.rank, decision.kept
        coef = np.full(p, np.nan)
        cov = np.full((p, p), np.nan)
        rss = rho * rho
        scaled_cond = raw_cond = math.inf
        if rank:
            q2, r2 = scipy.linalg.qr(rs[:, kept], mode="economic", check_finite=False)
            qc = q2.T @ c
            beta = scipy.linalg.solve_triangular(r2, qc, check_finite=False)
            rinv = scipy.linalg.solve_triangular(r2, np.eye(rank), check_finite=False)
            s = scale[kept]
            coef[kept] = beta * s
            cov[np.ix_(kept, kept)] = (rinv @ rinv.T) * np.outer(s, s)
            if rank < p:  # what the kept columns cannot reach (zero at full rank)
                left = c - rs[:, kept] @ beta
                rss += float(left @ left)
            scaled_cond = float(np.linalg.cond(r2))
            raw_cond = float(np.linalg.cond(r2 / s[None, :]))
        tss = self.wm2
        metrics = {
            "rmse": math.sqrt(rss / self.wsum) if self.wsum > 0 else math.nan,
            "r2": 1 - rss / tss if tss > 0 else math.nan,
        }
        return LstsqSolution(
            coef=coef,
            cov_scaled=cov,
            col_scale=np.ones(p),
            y_scale=1.0,
            rss_scaled=rss,
            tss_scaled=tss,
            yy_scaled=tss + self.wsum * self.wmean**2,
            rank=rank,
            aliased=decision.aliased,
            rank_tol=decision.tol,
            condition_number=raw_cond,
            scaled_condition_number=scaled_cond,
            method="tsqr",
            precision_bits=53,
            fit_metrics=metrics,
        )


def _target_sums(y: np.ndarray, weights: np.ndarray | None) -> QRSummary:
    """A summary holding only the target's sums of ``y`` (n,) (its factor is empty): the
    part of ``add_rows`` that needs no QR, without copies of ``y``'s size."""
    if weights is None:
        wsum, wmean, log_w = float(len(y)), float(np.mean(y)), 0.0
        wm2 = float(np.var(y)) * len(y)
    else:
        w = np.asarray(weights, dtype=np.float64)
        wsum = float(w.sum())
        wmean = float(w @ y) / wsum
        wm2 = float(w @ np.square(y - wmean))
        log_w = float(np.sum(np.log(w)))
    return QRSummary(np.zeros((0, 0)), len(y), wsum, wmean, wm2, log_w)
