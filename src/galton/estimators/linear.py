"""LinearRegression: exact least squares with the full statistics."""

from __future__ import annotations

import math
import time
import warnings
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from galton.data.chunks import DEFAULT_CHUNK_ROWS, iter_chunks
from galton.data.dialect import ReadOptions
from galton.data.loading import describe_source, read_table, weight_column
from galton.data.preprocess import (
    MISSING_POLICIES,
)
from galton.errors import (
    DataError,
    ParameterError,
)
from galton.estimators import params as rules
from galton.estimators.base import (
    AliasedColumnsWarning,
    PredictionInterval,
    _check,
    _check_engine,
    _require_finite,
    fitted_attribute,
)
from galton.estimators.linear_inference import LinearInference
from galton.estimators.linear_state import restore_extras, results_state, solution_of
from galton.exact import LstsqSolution, Term, build_design, polynomial_terms, solve_least_squares
from galton.exact.qr_summary import QRSummary
from galton.exact.results import OLSResults
from galton.exact.robust import COV_TYPES
from galton.exact.solver import solve_by_normal_equations
from galton.metrics import regression_metrics

#: Streamed and updated fits solve in float64 QR: above this condition number they warn
#: that fewer than 10 digits remain (the in-memory fit switches to extended precision).
STREAM_CONDITION_WARNING = 1e6


#: Constructor parameters and what each accepts (``engine`` and ``scheduler``, which
#: depend on each other, and the covariance, checked apart).
RULES = {
    "fit_intercept": rules.BOOL,
    "interactions": rules.BOOL,
    "degree": rules.Rule(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 30,
        "an int in [1, 30]",
    ),
    "solver": rules.one_of(("auto", "cholesky", "qr", "extended")),
    "rank_tol": rules.Rule(
        lambda v: v is None or (isinstance(v, float) and 0 < v < 1), "None or a float in (0, 1)"
    ),
    "missing": rules.one_of(MISSING_POLICIES),
}


def check_cov(owner: str, cov_type: Any, cov_kwds: Any, engine: str) -> None:
    """A covariance type galton knows, with the keywords it needs, on data in memory."""
    _check(owner, "cov_type", cov_type, cov_type in COV_TYPES, f"a str among {set(COV_TYPES)}")
    kwds = cov_kwds or {}
    _check(owner, "cov_kwds", cov_kwds, isinstance(kwds, dict), "None or a dict")
    if cov_type == "HAC":
        lags = kwds.get("maxlags")
        ok = isinstance(lags, int) and not isinstance(lags, bool) and lags >= 0
        _check(owner, "cov_kwds", cov_kwds, ok, "{'maxlags': a non-negative int} for HAC")
    if cov_type == "cluster":
        _check(owner, "cov_kwds", cov_kwds, "groups" in kwds, "{'groups': ...} for cluster")
    if cov_type != "nonrobust" and engine == "dask":
        raise ParameterError(f"{owner}: cov_type={cov_type!r} needs the rows in memory, not Dask")


def _named(values: np.ndarray, results: OLSResults) -> pd.Series:
    """Per-term values (p,) as a Series indexed by term name (statsmodels' layout)."""
    return pd.Series(values, index=results.names)


#: A fit of up to this many design cells keeps its ANOVA tables in its file (computed at
#: save time from the rows; larger fits compute them on request only).
ANOVA_SAVED_CELLS = 20_000_000


class LinearRegression(LinearInference):
    """Exact least squares with the full statistics.

    Parameters
    ----------
    fit_intercept : bool
        Include an intercept column.
    degree : int
        Raw-power polynomial degree in every numeric feature (1: a plain linear model).
        Powers are formed exactly by the extended-precision solver.
    interactions : bool
        With ``degree``: also every product of features up to that total power (``a:b``,
        ``a^2:b``; a text column's indicators times the others, never times each other).
    solver : {"auto", "cholesky", "qr", "extended"}
        ``auto`` measures the condition number: for large well-conditioned problems the
        normal equations (Gram matrix in row chunks, Cholesky, one corrected semi-normal
        equations step: about the time of one ``X.T @ X``, no copy of a numeric array);
        exact cross-products solved in mpmath for ill-conditioned or tiny ones; float64
        pivoted QR otherwise. ``qr`` and ``extended`` force one path; ``cholesky`` uses the
        normal equations at any size unless the design is rank deficient or its scaled
        condition number exceeds 1e6 (then QR).
    rank_tol : float, optional
        Relative tolerance on the pivoted QR diagonal for the rank; ``max(n, p) * eps``.
    missing : {"error", "drop", "mean", "median"}
        What to do with missing values.
    categories : dict of str to list, optional
        Levels of text columns, when they should not be learned from the training rows.
    formula : str, optional
        ``"y ~ a + I(b**0.5) + C(region)"`` (formulaic syntax): the design and target come
        from the formula, ``fit`` takes only the table, and ``- 1`` drops the intercept.
    engine : {"local", "dask"}
        ``dask``: ``fit(data, target)`` reads a dask DataFrame or Parquet/CSV files as
        partitions on a Dask cluster and solves by a tree of QR merges of per-partition
        factors (``galton.distributed``), equal to the in-memory fit; ``sample_weight``
        then names a weight column.
    scheduler : str, optional
        Address of the Dask scheduler (``tcp://host:8786``); default: a ``LocalCluster``
        started for the fit, one worker process per core.
    max_levels : int, optional
        The most levels a text column may have (default: a tenth of the rows, between 10
        and 50); a column with more is an error naming it, unless ``group_rare``.
    group_rare : bool
        Keep a text column's ``max_levels - 1`` most frequent levels and group the others
        (and levels first seen in new rows) as ``"(other)"``.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "HAC", "cluster"}
        The covariance the standard errors, tests, intervals and F follow
        (``galton.exact.robust``, statsmodels' conventions: robust tests are z tests).
    cov_kwds : dict, optional
        ``{"maxlags": L}`` for HAC; ``{"groups": column name or array (n,)}`` for
        cluster; ``use_t`` (t tests with robust covariances), ``use_correction``.
    """

    _kind = "linear"

    term_names_ = fitted_attribute(lambda r: r.names, "Names of the design columns (p,).")
    params_ = fitted_attribute(
        lambda r: _named(r.params, r), "Coefficients (p,) by term name, intercept first."
    )
    intercept_ = fitted_attribute(
        lambda r: float(r.params[0]) if r.has_intercept else 0.0, "The intercept (0 without)."
    )
    coef_ = fitted_attribute(
        lambda r: r.params[1:] if r.has_intercept else r.params, "Slopes (p - intercept,)."
    )
    bse_ = fitted_attribute(lambda r: _named(r.bse, r), "Standard errors (p,) by term.")
    tvalues_ = fitted_attribute(lambda r: _named(r.tvalues, r), "t (or z) statistics by term.")
    pvalues_ = fitted_attribute(lambda r: _named(r.pvalues, r), "Two-sided p-values by term.")
    rsquared_ = fitted_attribute(lambda r: r.rsquared, "R-squared.")
    rsquared_adj_ = fitted_attribute(lambda r: r.rsquared_adj, "Adjusted R-squared.")
    fvalue_ = fitted_attribute(lambda r: r.fvalue, "F statistic of the model.")
    f_pvalue_ = fitted_attribute(lambda r: r.f_pvalue, "p-value of the F statistic.")
    llf_ = fitted_attribute(lambda r: r.llf, "Log-likelihood.")
    aic_ = fitted_attribute(
        lambda r: r.aic,
        "Akaike information criterion, -2 llf + 2 rank (statsmodels'; R's "
        "AIC(lm) also counts the variance: + 2).",
    )
    bic_ = fitted_attribute(lambda r: r.bic, "Bayesian information criterion.")
    resid_std_err_ = fitted_attribute(lambda r: r.resid_std_err, "Residual standard error.")
    condition_number_ = fitted_attribute(
        lambda r: r.solution.condition_number, "Condition number of the design."
    )
    rank_ = fitted_attribute(lambda r: r.solution.rank, "Numerical rank of the design.")
    rank_tol_ = fitted_attribute(lambda r: r.solution.rank_tol, "Tolerance of the rank.")
    aliased_ = fitted_attribute(
        lambda r: [n for n, a in zip(r.names, r.solution.aliased, strict=True) if a],
        "Design columns not estimated (aliased).",
    )
    solver_ = fitted_attribute(lambda r: r.solution.method, "The least-squares method used.")

    def __init__(
        self,
        fit_intercept: bool = True,
        degree: int = 1,
        solver: str = "auto",
        rank_tol: float | None = None,
        missing: str = "error",
        categories: dict[str, list] | None = None,
        formula: str | None = None,
        engine: str = "local",
        scheduler: str | None = None,
        max_levels: int | None = None,
        group_rare: bool = False,
        cov_type: str = "nonrobust",
        cov_kwds: dict[str, Any] | None = None,
        interactions: bool = False,
    ) -> None:
        self.fit_intercept = fit_intercept
        self.degree = degree
        self.interactions = interactions
        self.solver = solver
        self.rank_tol = rank_tol
        self.missing = missing
        self.categories = categories
        self.formula = formula
        self.engine = engine
        self.scheduler = scheduler
        self.max_levels = max_levels
        self.group_rare = group_rare
        self.cov_type = cov_type
        self.cov_kwds = cov_kwds

    def _validate(self) -> None:
        name = type(self).__name__
        rules.validate(name, self.get_params(), RULES)
        _check_engine(name, self.engine, self.scheduler)
        rules.validate(name, self.get_params(), rules.COLUMN_RULES)
        check_cov(name, self.cov_type, self.cov_kwds, self.engine)
        if self.interactions and (self.degree < 2 or self.formula is not None):
            raise ParameterError(
                f"{name}: interactions=True needs degree >= 2 and no formula (a formula "
                "writes its own: a:b, a*b)"
            )

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> LinearRegression:
        """Fit by least squares (weighted with ``sample_weight``).

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
        y : array of shape (n,), or the target column's name when ``X`` is a table
        sample_weight : array of shape (n,) or str, optional
            Row weights, or the name of a weight column of ``X``.
        """
        self._validate()
        start = time.perf_counter()
        if self.engine == "dask":
            self._fit_dask(X, y, sample_weight, start)
            return self
        solution = None
        schema = self._new_schema()
        X, groups = self._cluster_groups(X)
        plain = schema.plain_arrays(X, y, sample_weight) if self.solver != "extended" else None
        if plain is not None:  # large numeric arrays: the fast path, never copying X
            X_arr, y_arr, w = plain
            self.terms_ = self._terms(X_arr.shape[1], self.fit_intercept, typed=False)
            solution = solve_by_normal_equations(
                X_arr, y_arr, self.terms_, w, self.solver, self.rank_tol
            )
        rows: Any = slice(None)  # the rows of X the fit used (for the clusters)
        if solution is None:  # tables, odd values, ill conditioning: the careful path
            X_arr, y_arr, w = schema.training_data(X, y, sample_weight)
            rows = schema.rows_used_
            intercept = self.fit_intercept if self.formula_ is None else self.formula_.intercept_
            self.terms_ = self._terms(X_arr.shape[1], intercept)
            solution = solve_least_squares(X_arr, y_arr, self.terms_, w, self.solver, self.rank_tol)
        self.n_samples_ = int(len(y_arr))
        log_w = float(np.sum(np.log(w))) if w is not None else 0.0
        self._set_results(solution, log_w)
        # the solver's factor stands for these rows in later updates (see qr_summary)
        self.qr_summary_ = None
        if solution.factor is not None:
            summary = QRSummary.anchored(solution.factor, solution.coef, solution.rss, y_arr, w)
            self.qr_summary_ = summary if np.isfinite(summary.r).all() else None
        self.fit_seconds_ = time.perf_counter() - start
        self.metrics_ = solution.fit_metrics or regression_metrics(
            y_arr, self._predict_design(X_arr)
        )
        self._warn_aliased(solution)
        self._training = (X_arr, y_arr, w)  # for diagnostics (a view for plain arrays)
        if self.cov_type != "nonrobust":
            options = {**(self.cov_kwds or {}), "groups": None if groups is None else groups[rows]}
            design = build_design(X_arr, self.terms_)
            self.results_.set_robust(design, y_arr, w, self.cov_type, options)
        return self

    def _terms(self, width: int, intercept: bool, typed: bool = True) -> list[Term]:
        """The design's terms over ``width`` inputs: powers, and products when asked
        (``typed``: the inputs' kinds are known, so indicators are not powered)."""
        pre = self.preprocessor_ if typed else None
        return polynomial_terms(
            width,
            self.degree,
            intercept,
            None if pre is None else pre.powered_,
            self.interactions,
            None if pre is None else pre.sources_,
        )

    def _cluster_groups(self, X: Any) -> tuple[Any, np.ndarray | None]:
        """``X`` without its cluster column (``cov_kwds={"groups": name}``) and the
        clusters (n,), or None when the covariance is not clustered."""
        groups = (self.cov_kwds or {}).get("groups") if self.cov_type == "cluster" else None
        if isinstance(groups, str):
            table = X if isinstance(X, pd.DataFrame) else read_table(X)
            rest, column = weight_column(table, groups, describe_source(X), "cluster")
            # a formula may name the column; without one it is no feature
            return table if self.formula is not None else rest, column.astype(str).to_numpy()
        if groups is None:
            return X, None
        groups = np.asarray(groups).ravel()
        if hasattr(X, "__len__") and not isinstance(X, str) and len(X) != len(groups):
            raise DataError(f"cov_kwds: {len(groups)} cluster groups for {len(X)} rows")
        return X, groups

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> LinearRegression:
        """Add rows to a fitted model: an exact update, equal to a refit on all the rows.

        The first call (on an unfitted model) is ``fit``. Later calls merge the new rows
        into the model's triangular factor by one QR (``galton.exact.qr_summary``), so
        coefficients and every statistic are those of least squares on old plus new
        rows, to float64 QR accuracy, without the old rows.

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
            New rows, with the columns the model was trained on.
        y : array of shape (n,) or str, optional
            Their target; by default the model's target column of ``X``.
        sample_weight : array of shape (n,) or str, optional
            Row weights, or the name of a weight column of ``X``.
        """
        if not hasattr(self, "preprocessor_"):
            return self.fit(X, y, sample_weight)
        summary = self._updatable_summary()
        start = time.perf_counter()
        X_arr, y_arr, w = self.schema_.new_rows(X, y, sample_weight)
        summary = summary.add_rows(build_design(X_arr, self.terms_), y_arr, w)
        self._fit_summary(summary, start)
        return self

    def _updatable_summary(self) -> QRSummary:
        """The factor new rows merge into, or the reason there is none."""
        self._require_fitted()
        if self.cov_type != "nonrobust":
            raise ParameterError(
                f"a model with cov_type={self.cov_type!r} cannot be updated: its covariance "
                "needs every row; refit on all of them"
            )
        if getattr(self, "qr_summary_", None) is None:
            raise ParameterError(
                "this model keeps no factor to update (values beyond float64's range, or a "
                "file from an older galton): refit on all the rows"
            )
        summary = self.qr_summary_
        assert summary is not None
        return summary

    def update_stream(
        self,
        source: Any,
        target: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        read_options: ReadOptions | None = None,
        sample_weight: str | None = None,
    ) -> LinearRegression:
        """``partial_fit`` with new rows read in chunks (any stream source): memory is one
        chunk, whatever the number of new rows; one solve at the end. ``read_options``:
        the text files' dialect where the sniffing should not decide; ``sample_weight``:
        the name of a weight column."""
        summary = self._updatable_summary()
        start = time.perf_counter()
        for chunk in iter_chunks(source, chunk_rows, read_options):
            X_arr, y_arr, w = self.schema_.new_rows(
                chunk.frame,
                target,
                sample_weight,
                source=chunk.source,
                first_row=chunk.first_row,
            )
            summary = summary.add_rows(build_design(X_arr, self.terms_), y_arr, w)
        self._fit_summary(summary, start)
        return self

    def fit_stream(
        self,
        source: Any,
        target: str,
        sample_weight: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        features: list[str] | None = None,
        read_options: ReadOptions | None = None,
    ) -> LinearRegression:
        """Exact least squares in one pass over chunks of rows, in bounded memory.

        Each chunk's weighted design is merged into a triangular factor by one QR (TSQR,
        ``galton.exact.qr_summary``): memory is one chunk plus a (p+1) x (p+1) matrix
        whatever the number of rows, and coefficients equal the in-memory fit to about
        ``condition number * 1e-16`` relative. The full statistics follow; the training
        MAE, which needs the final coefficients, is not computed (one pass).

        Parameters
        ----------
        source : path, directory, glob pattern, list of those, DataFrame or iterable of
            DataFrames (see ``galton.data.chunks``)
        target : str
            The target column.
        sample_weight : str, optional
            A column of positive weights.
        chunk_rows : int
            Rows read at a time.
        features : list of str, optional
            Feature columns (default: every column but the target and weights).
        read_options : ReadOptions, optional
            Separator, decimal mark, missing markers, encoding of text files (default:
            sniffed).
        """
        self._validate()
        if self.cov_type != "nonrobust":
            raise ParameterError(
                f"cov_type={self.cov_type!r} needs the rows in memory: a streamed fit "
                "keeps only their factor; fit in memory"
            )
        _check(
            type(self).__name__,
            "solver",
            self.solver,
            self.solver in ("auto", "qr"),
            "'auto' or 'qr' for a streamed fit (it solves by QR)",
        )
        _check(
            "fit_stream",
            "chunk_rows",
            chunk_rows,
            isinstance(chunk_rows, int) and chunk_rows > 0,
            "a positive int",
        )
        start = time.perf_counter()
        summary = None
        for X_arr, y_arr, w in self._new_schema().stream_rows(
            source, target, sample_weight, chunk_rows, features, read_options
        ):
            if summary is None:
                self.terms_ = self._terms(X_arr.shape[1], self.fit_intercept)
                summary = QRSummary.empty(len(self.terms_))
            summary = summary.add_rows(build_design(X_arr, self.terms_), y_arr, w)
        if summary is None or summary.nobs < 2:
            raise DataError(f"{describe_source(source)}: fewer than 2 rows to fit")
        self._fit_summary(summary, start)
        return self

    def _fit_dask(self, source: Any, target: Any, weight: Any, start: float) -> None:
        """``fit`` with ``engine="dask"``: a reduction of per-partition factors."""
        from galton import distributed

        if not isinstance(weight, str | None):
            raise ParameterError("with engine='dask', sample_weight names a weight column")
        with distributed.dask_client(self.scheduler) as client:
            frame = distributed.dask_frame(source)
            head = distributed.first_partition(frame)
            plan = self._new_schema().partition_plan(head, target, weight)
            self.terms_ = self._terms(len(self.feature_names_), self.fit_intercept)
            summary, rows_read = distributed.least_squares_summary(client, frame, plan, self.terms_)
            self.distributed_ = distributed.fit_record(
                client, source, frame, rows_read, summary.nobs
            )
        self._fit_summary(summary, start)

    def _fit_summary(self, summary: QRSummary, start: float) -> None:
        """Results, metrics and warnings from a merged factor (streams and updates)."""
        solution = summary.solve(self.rank_tol)
        self.n_samples_ = summary.nobs
        self._set_results(solution, summary.log_w)
        self._training = None  # the rows are not all here
        self.qr_summary_ = summary
        self.metrics_ = solution.fit_metrics or {}
        self.fit_seconds_ = time.perf_counter() - start
        if solution.scaled_condition_number > STREAM_CONDITION_WARNING:
            warnings.warn(
                f"condition number {solution.scaled_condition_number:.3g}: a float64 QR fit "
                f"keeps about {16 - math.log10(solution.scaled_condition_number):.0f} digits; "
                "the in-memory fit uses exact extended precision for such designs",
                UserWarning,
                stacklevel=3,
            )
        self._warn_aliased(solution)

    def _warn_aliased(self, solution: LstsqSolution) -> None:
        if solution.aliased.any():
            shown = self.aliased_[:10] + (["..."] if len(self.aliased_) > 10 else [])
            wide = len(self.terms_) >= self.n_samples_
            hint = (
                f"; {len(self.terms_)} coefficients for {self.n_samples_} rows: least squares "
                "is not identified, try --model ridge (RidgeRegression)"
                if wide
                else ""
            )
            warnings.warn(
                f"aliased columns not estimated: {', '.join(shown)} "
                f"({len(self.aliased_)} of them; rank {solution.rank} of {len(self.terms_)})"
                + hint,
                AliasedColumnsWarning,
                stacklevel=3,
            )

    def _set_results(self, solution: LstsqSolution, log_weights_sum: float) -> None:
        names = [t.name(self.feature_names_) for t in self.terms_]
        has_intercept = any(t.column is None for t in self.terms_)
        self.results_ = OLSResults(solution, names, self.n_samples_, has_intercept, log_weights_sum)

    def _predict_design(self, X_arr: np.ndarray) -> np.ndarray:
        design = build_design(X_arr, self.terms_)
        return design @ np.nan_to_num(self.results_.params, nan=0.0)

    def _point(self, X: Any) -> np.ndarray:
        return self._predict_design(self._inputs(X))

    @overload
    def predict(self, X: Any) -> np.ndarray: ...

    @overload
    def predict(self, X: Any, interval: str | float, level: float = 0.95) -> PredictionInterval: ...

    @overload
    def predict(self, X: Any, *, return_std: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...

    @overload
    def predict(self, X: Any, *, check: Literal[True], against: Any = None) -> pd.DataFrame: ...

    def predict(
        self,
        X: Any,
        interval: str | float | None = None,
        level: float = 0.95,
        return_std: bool = False,
        check: bool = False,
        against: Any = None,
    ) -> np.ndarray | PredictionInterval | tuple[np.ndarray, np.ndarray] | pd.DataFrame:
        """Predictions of shape (n,), a ``PredictionInterval``, or ``(mean, std)``.

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
        interval : {None, "confidence", "prediction"} or float
            ``confidence`` bounds the mean response, ``prediction`` a new observation
            (of unit weight); a float is a prediction interval at that level (exact,
            from Student's t).
        level : float
            Coverage of the interval.
        return_std : bool
            Also return the standard deviation (n,) of a new observation: the residual
            scale and the estimate's own uncertainty, ``s * sqrt(1 + x' (X'X)^-1 x)``.
        check, against
            A frame of predictions with flags for rows not to trust (``check``).
        """
        if check:
            return self.check(X, against, level)
        X_arr = self._inputs(X)
        with np.errstate(all="ignore"):
            pred = _require_finite(self._predict_design(X_arr), "the model predicts")
        if return_std:
            if interval is not None:
                raise ParameterError("predict: give interval or return_std, not both")
            interval = "prediction"
        elif interval is None:
            return pred
        if isinstance(interval, float):
            interval, level = "prediction", float(interval)
        return self._interval(X_arr, pred, interval, level, return_std)

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        # computed while the rows are here, so the file keeps them (ANOVA's refits only
        # where they are cheap)
        cheap = self.n_samples_ * len(self.terms_) <= ANOVA_SAVED_CELLS
        if self._diagnostics_if_known() is not None and self.results_.anova is None and cheap:
            self.anova()
        fitted, arrays = results_state(self.results_, getattr(self, "qr_summary_", None))
        terms = [t.to_list() for t in self.terms_]
        return {**self._common_state(), "terms": terms, **fitted}, arrays

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> LinearRegression:
        model = cls(**meta["params"])
        model._restore_fit_record(meta)
        model.terms_ = [Term.from_list(entry) for entry in meta["terms"]]
        model._set_results(solution_of(meta, arrays), meta["log_weights_sum"])
        model.qr_summary_ = restore_extras(model.results_, meta, arrays)
        model._training = None
        return model
