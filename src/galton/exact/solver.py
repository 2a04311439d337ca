"""Least-squares solvers: normal equations, float64 QR and an extended-precision path.

Large well-conditioned problems are solved from chunked cross-products by Cholesky with a
corrected semi-normal equations step (``galton.exact.normal_equations``), at about the cost
of one ``X.T @ X``. Everything else goes through the careful path below.

The careful path is a column-equilibrated, column-pivoted Householder QR in float64: it finds
the numerical rank, the aliased columns and the condition number. When the equilibrated
design is ill conditioned (or the problem is so small that care costs nothing) the
solution is recomputed in extended precision: the cross-product matrix is accumulated
exactly in integer arithmetic (powers of a column are formed exactly, not rounded to
float64), then solved with mpmath at a precision chosen from the condition number. This
is what reproduces NIST's certified values to 9+ digits on designs with condition numbers
near 1e15, where float64 algorithms lose every digit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import mpmath
import numpy as np
import scipy.linalg

from galton.exact.design import Term, build_design, exact_integers
from galton.exact.normal_equations import solve_normal_equations

#: Above this condition number of the equilibrated design the float64 QR error bound
#: (about cond**2 * eps for problems with large residuals) can reach the 9th digit.
EXTENDED_CONDITION = 1e4
#: Problems with n * p**2 at most this are always solved in extended precision (milliseconds).
SMALL_PROBLEM = 200_000
#: Beyond this condition number even a corrected semi-normal equations step leaves
#: fewer than about 8 correct digits, so ``solver="cholesky"`` hands over to QR.
CHOLESKY_MAX_CONDITION = 1e6
#: The extended path inverts a p-by-p matrix in mpmath: beyond this many columns it is too slow.
EXTENDED_MAX_COLUMNS = 200
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class LstsqSolution:
    """What a least-squares solve returns.

    The data were scaled by powers of two before solving (so values near 1e300 neither
    overflow nor underflow); quantities that could leave float64's range are kept scaled,
    with the exact factors to undo it.

    Attributes
    ----------
    coef : ndarray of shape (p,)
        Coefficients in original units, NaN for aliased columns.
    cov_scaled : ndarray of shape (p, p)
        ``(X' W X)^-1`` of the scaled design, NaN rows and columns for aliased columns.
    col_scale : ndarray of shape (p,)
        Power-of-two factor of every design column (scaled = original * factor).
    y_scale : float
        Power-of-two factor of the target.
    rss_scaled, tss_scaled, yy_scaled : float
        Weighted residual, centred and uncentred sums of squares of the scaled target.
    rank : int
        Numerical rank of the design.
    aliased : ndarray of bool, shape (p,)
        Columns dropped because they are (numerically) combinations of earlier ones.
    rank_tol : float
        Relative tolerance on the pivoted R diagonal used to decide the rank.
    condition_number : float
        2-norm condition number of the raw design (kept columns).
    scaled_condition_number : float
        The same after scaling every column to unit norm.
    method : str
        ``"cholesky"`` (normal equations with a CSNE step), ``"qr"`` (float64) or
        ``"extended"`` (exact cross-products, mpmath solve).
    precision_bits : int
        Working precision of the extended path (53 for float64).
    fit_metrics : dict of str to float, optional
        Unweighted training RMSE, MAE and R-squared, when the solver's own residual pass
        computed them (saves the caller a pass over the data).
    factor : ndarray of shape (p, p), optional
        A factor ``M`` of the weighted cross-products in original units, ``M'M = D'WD``
        (the solver's own triangular factor, columns in design order), from which a fit
        can later be updated with new rows (``galton.exact.qr_summary``).
    """

    coef: np.ndarray
    cov_scaled: np.ndarray
    col_scale: np.ndarray
    y_scale: float
    rss_scaled: float
    tss_scaled: float
    yy_scaled: float
    rank: int
    aliased: np.ndarray
    rank_tol: float
    condition_number: float
    scaled_condition_number: float
    method: str
    precision_bits: int
    fit_metrics: dict[str, float] | None = None
    factor: np.ndarray | None = None

    @property
    def rss(self) -> float:
        """Weighted residual sum of squares in original units (inf beyond float64)."""
        with np.errstate(over="ignore"):
            return float(np.float64(self.rss_scaled) / np.float64(self.y_scale) ** 2)

    @property
    def cov_unscaled(self) -> np.ndarray:
        """``(X' W X)^-1`` in original units, shape (p, p)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.cov_scaled * np.outer(self.col_scale, self.col_scale)


def solve_least_squares(
    X: np.ndarray,
    y: np.ndarray,
    terms: list[Term],
    weights: np.ndarray | None = None,
    method: str = "auto",
    rank_tol: float | None = None,
) -> LstsqSolution:
    """Solve ``min_b sum_i w_i (y_i - design(X)_i . b)**2``.

    Parameters
    ----------
    X : ndarray of shape (n, k)
        Base columns; the design is ``build_design(X, terms)``.
    y : ndarray of shape (n,)
    terms : list of Term
        The p design columns.
    weights : ndarray of shape (n,), optional
        Positive observation weights (WLS); ones when omitted.
    method : {"auto", "cholesky", "qr", "extended"}
        ``auto`` measures the condition number and chooses: normal equations for large
        well-conditioned problems, exact extended precision for ill-conditioned or tiny
        ones, float64 QR otherwise. ``cholesky`` uses the normal equations at any size
        while the condition number is at most ``CHOLESKY_MAX_CONDITION`` (QR otherwise).
    rank_tol : float, optional
        Relative tolerance for the rank decision; default ``max(n, p) * eps``.
    """
    fast = solve_by_normal_equations(X, y, terms, weights, method, rank_tol)
    if fast is not None:
        return fast
    method = "qr" if method == "cholesky" else method
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # Scale every column and the target by a power of two (exact) so values near 1e300 or
    # 1e-300 neither overflow nor underflow in the cross-products; undone on the way out.
    base = np.array([_power_of_two_scale(X[:, j]) for j in range(X.shape[1])])
    y_scale = _power_of_two_scale(y)
    col = np.array([math.prod(base[c] ** q for c, q in t.factors) for t in terms])
    sol = _solve(X * base, y * y_scale, terms, weights, method, rank_tol, col)
    return replace(sol, coef=sol.coef * col / y_scale, col_scale=col, y_scale=y_scale)


def solve_by_normal_equations(
    X: np.ndarray,
    y: np.ndarray,
    terms: list[Term],
    weights: np.ndarray | None = None,
    method: str = "auto",
    rank_tol: float | None = None,
) -> LstsqSolution | None:
    """The fast path of ``solve_least_squares`` alone: None where it does not apply.

    With ``method="auto"`` it applies to problems with ``n * p**2`` above
    ``SMALL_PROBLEM`` whose equilibrated design has a condition number of at most
    ``EXTENDED_CONDITION``; with ``"cholesky"`` to every full-rank problem with a condition
    number up to ``CHOLESKY_MAX_CONDITION``. ``X`` may hold
    missing or infinite values (the answer is then None): nothing is copied to check.
    """
    n, p = len(y), len(terms)
    if not (method == "cholesky" or (method == "auto" and n * p * p > SMALL_PROBLEM)):
        return None
    limit = CHOLESKY_MAX_CONDITION if method == "cholesky" else EXTENDED_CONDITION
    fast = solve_normal_equations(X, np.asarray(y), terms, weights, limit, rank_tol)
    if fast is None:
        return None
    return LstsqSolution(
        coef=fast.coef,
        cov_scaled=fast.cov,
        col_scale=np.ones(p),
        y_scale=1.0,
        rss_scaled=fast.rss,
        tss_scaled=fast.tss,
        yy_scaled=fast.yy,
        rank=p,
        aliased=np.zeros(p, dtype=bool),
        rank_tol=rank_tol if rank_tol is not None else max(n, p) * _EPS,
        condition_number=fast.condition_number,
        scaled_condition_number=fast.scaled_condition_number,
        method="cholesky",
        precision_bits=53,
        fit_metrics=fast.metrics,
        factor=fast.factor,
    )


def _power_of_two_scale(values: np.ndarray) -> float:
    """``2**-k`` bringing the largest absolute value of ``values`` into [0.5, 1) (1 for
    zeros). Exact: a power of two, subnormal ones included, so values up to 1.8e308 scale
    without overflow (callers refuse columns too small for the factor to exist)."""
    top = float(np.max(np.abs(values))) if values.size else 0.0
    if not (top > 0 and np.isfinite(top)):
        return 1.0
    return float(np.ldexp(1.0, -int(np.frexp(top)[1])))


def _solve(
    X: np.ndarray,
    y: np.ndarray,
    terms: list[Term],
    weights: np.ndarray | None,
    method: str,
    rank_tol: float | None,
    col_scale: np.ndarray,
) -> LstsqSolution:
    """``solve_least_squares`` on data already scaled; ``col_scale`` (p,) recovers the raw
    design for its condition number."""
    n, p = X.shape[0], len(terms)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    design = build_design(X, terms)
    sqrt_w = np.sqrt(w)
    A = design * sqrt_w[:, None]
    b = y * sqrt_w

    decision = decide_rank(A, n, rank_tol, with_q=True)
    scale, As, q, r, perm = decision.scale, decision.scaled, decision.q, decision.r, decision.perm
    rank, kept, aliased, tol = decision.rank, decision.kept, decision.aliased, decision.tol

    # M'M = D'WD in original units: As[:, perm] = Q r, As = D diag(scale * col_scale)
    factor = np.zeros((p, p))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        factor[: r.shape[0], perm] = r / (scale * col_scale)[perm][None, :]
    kept_order = perm[:rank]  # columns of ``r`` in pivot order
    if rank < p:  # refactor without the aliased columns, keeping their original order
        q, r = scipy.linalg.qr(As[:, kept], mode="economic")
        kept_order = kept
    r_kept = r[:rank, :rank]
    scaled_cond = float(np.linalg.cond(r_kept)) if rank else math.inf
    raw = scale[kept_order] * col_scale[kept_order]
    raw_cond = float(np.linalg.cond(r_kept / raw[None, :])) if rank else math.inf

    wsum = float(w.sum())
    ybar = float(np.dot(w, y) / wsum)
    tss = float(np.dot(w, (y - ybar) ** 2))
    yy = float(np.dot(b, b))

    use_extended = method == "extended" or (
        method == "auto"
        and rank <= EXTENDED_MAX_COLUMNS
        and (scaled_cond > EXTENDED_CONDITION or n * p * p <= SMALL_PROBLEM)
    )
    coef = np.full(p, np.nan)
    cov = np.full((p, p), np.nan)
    if use_extended and rank:
        beta, cov_kept, rss, tss, yy, bits = _extended_solve(
            X, y, w, [terms[j] for j in kept], scaled_cond
        )
        coef[kept] = beta
        cov[np.ix_(kept, kept)] = cov_kept
        used = "extended"
    elif rank:
        assert q is not None  # decide_rank(..., with_q=True)
        beta_s = scipy.linalg.solve_triangular(r_kept, q[:, :rank].T @ b)
        rinv = scipy.linalg.solve_triangular(r_kept, np.eye(rank))
        s = scale[kept_order]
        coef[kept_order] = beta_s * s
        cov[np.ix_(kept_order, kept_order)] = (rinv @ rinv.T) * np.outer(s, s)
        resid = b - A[:, kept_order] @ (beta_s * s)
        rss = float(np.dot(resid, resid))
        bits = 53
        used = "qr"
    else:
        rss, bits, used = yy, 53, "qr"
    return LstsqSolution(
        coef=coef,
        cov_scaled=cov,
        col_scale=np.ones(p),
        y_scale=1.0,
        rss_scaled=rss,
        tss_scaled=tss,
        yy_scaled=yy,
        rank=rank,
        aliased=aliased,
        rank_tol=float(tol),
        condition_number=raw_cond,
        scaled_condition_number=scaled_cond,
        method=used,
        precision_bits=bits,
        factor=factor if np.isfinite(factor).all() else None,
    )


@dataclass(frozen=True)
class RankDecision:
    """The numerical rank of a matrix ``A`` (m, p) by equilibrated, pivoted QR.

    Attributes
    ----------
    scale : ndarray of shape (p,)
        1 / the column norms (1 for a zero column).
    scaled : ndarray of shape (m, p)
        ``A * scale``: unit-norm columns.
    q : ndarray of shape (m, min(m, p)), optional
    r : ndarray of shape (min(m, p), p)
        Pivoted factor: ``scaled[:, perm] = q r``.
    perm : ndarray of int, shape (p,)
    rank : int
        Diagonal entries of ``r`` above ``tol`` times the first.
    kept, aliased : ndarrays
        The first ``rank`` pivots in column order, and a mask (p,) of the others.
    tol : float
    """

    scale: np.ndarray
    scaled: np.ndarray
    q: np.ndarray | None
    r: np.ndarray
    perm: np.ndarray
    rank: int
    kept: np.ndarray
    aliased: np.ndarray
    tol: float


def decide_rank(
    A: np.ndarray, n_rows: int, rank_tol: float | None, with_q: bool = False
) -> RankDecision:
    """Rank of ``A`` (m, p) standing for ``n_rows`` rows of a design (``A`` may be their
    triangular factor); ``rank_tol`` defaults to ``max(n_rows, p) * eps``. The in-memory
    careful path and the merged factors of streams and updates decide alike."""
    p = A.shape[1]
    tol = rank_tol if rank_tol is not None else max(n_rows, p) * _EPS
    norms = np.linalg.norm(A, axis=0)
    scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 1.0)
    scaled = A * scale
    if with_q:
        q, r, perm = scipy.linalg.qr(scaled, mode="economic", pivoting=True)
    else:
        q = None
        r, perm = scipy.linalg.qr(scaled, mode="r", pivoting=True, check_finite=False)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > tol * diag[0])) if diag.size and diag[0] > 0 else 0
    kept = np.sort(perm[:rank])
    aliased = np.ones(p, dtype=bool)
    aliased[kept] = False
    return RankDecision(scale, scaled, q, r, perm, rank, kept, aliased, float(tol))


def _exact_column(X: np.ndarray, term: Term) -> tuple[np.ndarray, int]:
    """The term's column as exact integers times a power of two (products of factors
    stay exact: integers multiply, exponents add)."""
    ints = np.array([1] * X.shape[0], dtype=object)
    exponent = 0
    for column, power in term.factors:
        part, shift = exact_integers(X[:, column], power)
        ints, exponent = ints * part, exponent + shift
    return ints, exponent


def _extended_solve(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, terms: list[Term], scaled_cond: float
) -> tuple[np.ndarray, np.ndarray, float, float, float, int]:
    """Exact cross-products in integers, then a Cholesky solve in mpmath.

    Returns coefficients (p,), ``(X'WX)^-1`` (p, p), RSS, TSS, ``y'Wy`` and the bits used.
    """
    cols = [_exact_column(X, t) for t in terms]
    A = np.stack([c for c, _ in cols], axis=1)  # (n, p) of Python ints
    col_exp = [e for _, e in cols]
    w_int, w_exp = exact_integers(w)
    y_int, y_exp = exact_integers(y)
    Aw = A * w_int[:, None]
    gram = A.T.dot(Aw)  # exact: sum_i w_i a_ij a_ik
    cross = Aw.T.dot(y_int)
    wy = w_int * y_int
    yy_int = int(wy.dot(y_int))
    wsum_int = int(w_int.sum())
    wy_sum_int = int(wy.sum())

    cond = max(scaled_cond, 1.0) if math.isfinite(scaled_cond) else 1e30
    bits = int(2 * math.log2(cond) + 160)
    ctx = mpmath.MPContext()
    ctx.prec = bits
    p = len(terms)

    def mp(value: int, exponent: int) -> mpmath.mpf:
        return ctx.ldexp(ctx.mpf(value), exponent)

    G = ctx.matrix(p, p)
    c = ctx.matrix(p, 1)
    for j in range(p):
        c[j] = mp(int(cross[j]), col_exp[j] + w_exp + y_exp)
        for k in range(p):
            G[j, k] = mp(int(gram[j, k]), col_exp[j] + col_exp[k] + w_exp)
    d = [1 / ctx.sqrt(G[j, j]) for j in range(p)]
    for j in range(p):
        c[j] *= d[j]
        for k in range(p):
            G[j, k] *= d[j] * d[k]
    L = ctx.cholesky(G)
    Linv = ctx.inverse(L)
    Ginv = Linv.T * Linv
    beta = Ginv * c
    yy = mp(yy_int, 2 * y_exp + w_exp)
    wsum = mp(wsum_int, w_exp)
    wy_sum = mp(wy_sum_int, w_exp + y_exp)
    # RSS = y'Wy - b'c exactly for the least-squares b; kept to many digits by the precision.
    rss = yy - sum(beta[j] * c[j] for j in range(p))
    tss = yy - wy_sum**2 / wsum
    coef = np.array([float(beta[j] * d[j]) for j in range(p)])
    cov = np.array([[float(Ginv[j, k] * d[j] * d[k]) for k in range(p)] for j in range(p)])
    return coef, cov, max(float(rss), 0.0), float(tss), float(yy), bits
