"""``LinearRegression`` and ``NeuralRegressor``: scikit-learn style estimators.

``__init__`` stores arguments, ``fit`` validates them, learns and returns ``self``;
fitted attributes end in ``_``. Both accept arrays, DataFrames (pandas or polars),
Arrow tables, file paths and bundled dataset names; with a table, ``y`` may be the name
of the target column.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from galton import backends as engine_registry
from galton.backends.common import init_params
from galton.calibration import Calibration, mixture
from galton.data.chunks import DEFAULT_CHUNK_ROWS, iter_chunks
from galton.data.formula import FormulaDesign
from galton.data.loading import describe_source, read_table, split_target, table_and_target
from galton.data.preprocess import (
    MISSING_POLICIES,
    Preprocessor,
    apply_missing_policy,
    numeric_column,
)
from galton.errors import (
    DataError,
    GaltonError,
    ModelFileError,
    NotFittedError,
    ParameterError,
    TrainingInterrupted,
    first_line,
)
from galton.exact import LstsqSolution, Term, build_design, polynomial_terms, solve_least_squares
from galton.exact.distributions import t_ppf
from galton.exact.qr_summary import QRSummary
from galton.exact.results import OLSResults
from galton.exact.solver import solve_by_normal_equations
from galton.io import read_key, read_model_file, write_model_file
from galton.model_schema import validate_model
from galton.spec import ACTIVATIONS, LOSSES, OPTIMIZERS, SCHEDULES, NetworkSpec, TrainConfig
from galton.training import train
from galton.training.checkpoint import read_checkpoint, stop_on_signals, write_checkpoint
from galton.training.loop import Checkpointing, TrainResult, continued_history
from galton.training.loop import TrainingInterrupted as LoopInterrupted
from galton.training.replay import Reservoir
from galton.training.stream_loop import RunningMoments, shuffled_blocks, train_stream

#: Streamed and updated fits solve in float64 QR: above this condition number they warn
#: that fewer than 10 digits remain (the in-memory fit switches to extended precision).
STREAM_CONDITION_WARNING = 1e6


class AliasedColumnsWarning(UserWarning):
    """Some design columns are linear combinations of others and were not estimated."""


class PredictionInterval(NamedTuple):
    """Predictions with interval bounds, each of shape (n,)."""

    prediction: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _check(owner: str, name: str, value: Any, ok: bool, expected: str) -> None:
    """One error template for every parameter, like scikit-learn's."""
    if not ok:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be {expected}. Got {value!r} instead."
        )


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R-squared of predictions ``pred`` (n,) against ``y`` (n,)."""
    err = y - pred
    tss = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1 - float(np.sum(err**2)) / tss if tss > 0 else math.nan,
    }


class _Estimator:
    """Shared machinery: parameters, input handling, metrics, files."""

    _kind = ""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments (scikit-learn API)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> _Estimator:
        """Set constructor arguments (scikit-learn API)."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ParameterError(f"{type(self).__name__} has no parameter '{key}'")
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self) -> Any:
        """Tags for scikit-learn's model selection (imported only when scikit-learn asks)."""
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True),
            regressor_tags=RegressorTags(),
        )

    def __repr__(self) -> str:
        defaults = {
            k: v.default for k, v in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _require_fitted(self) -> None:
        if not hasattr(self, "preprocessor_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _training_data(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Preprocess training data: returns design inputs (n, d), target (n,), weights."""
        self.formula_ = None
        if self.formula is not None:
            if y is not None:
                raise DataError("with a formula give only the table: the formula names the target")
            source = describe_source(X)
            frame = X if isinstance(X, pd.DataFrame) else read_table(X)
            self.formula_ = FormulaDesign(self.formula)
            features, target = self.formula_.fit(frame, source)
        else:
            features, target, source = table_and_target(X, y, type(self).__name__)
        features, target, weights = self._usable_rows(features, target, sample_weight, source)
        self._learn_columns(features, str(target.name), source)
        X_arr, y_arr, w = self._arrays(features, target, weights, source)
        if X_arr.shape[0] < 2:
            raise DataError(f"{source}: {X_arr.shape[0]} sample(s) left to fit; need at least 2")
        if np.ptp(y_arr) == 0:
            warnings.warn(
                f"{source}: the target '{self.target_name_}' is constant ({y_arr[0]:g}): "
                "every model predicts that value and R-squared is undefined",
                UserWarning,
                stacklevel=3,
            )
        return X_arr, y_arr, w

    def _learn_columns(self, features: pd.DataFrame, target: str, source: str) -> None:
        """Fit the preprocessor on ``features`` and record the column names."""
        self.preprocessor_ = Preprocessor(self.missing, self.categories).fit(features, source)
        self.feature_names_in_ = [str(c) for c in features.columns]
        self.feature_names_ = self.preprocessor_.feature_names_
        self.target_name_ = target
        self.n_features_in_ = len(self.feature_names_in_)

    def _require_column_target(self, target: Any, how: str) -> None:
        """Fits that read the data in pieces (``how``: a stream, a cluster) learn no formula
        and impute nothing: the whole table is never in one place."""
        if self.formula is not None or not isinstance(target, str):
            raise ParameterError(
                f"{type(self).__name__}: {how} takes target= the target column's name, "
                "not a formula"
            )
        if self.missing in ("mean", "median"):
            raise ParameterError(
                f"{how} reads the data in pieces, so it cannot impute missing values from "
                f"them: use missing='drop' or 'error' (got {self.missing!r})"
            )

    def _new_rows(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        source: str | None = None,
        first_row: int = 0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Rows for updating a fitted model, preprocessed as in ``fit`` (no state learned):
        inputs (n, d), target (n,), weights (n,) or None. ``y`` defaults to the target
        column the model was trained on; ``source`` and ``first_row`` name a chunk's file
        and rows in messages."""
        self._require_fitted()
        if self.formula_ is not None:
            raise ParameterError("models with a formula cannot be updated: refit on all rows")
        if isinstance(X, np.ndarray | list | tuple) and y is not None and not isinstance(y, str):
            X = self._array_frame(X)
        features, target, described = table_and_target(
            X, self.target_name_ if y is None else y, type(self).__name__, self.feature_names_in_
        )
        source = source or described
        features, target, weights = self._usable_rows(features, target, sample_weight, source)
        return self._arrays(features, target, weights, source, first_row)

    def _usable_rows(
        self, features: pd.DataFrame, target: pd.Series, sample_weight: Any, source: str
    ) -> tuple[pd.DataFrame, pd.Series, pd.Series | None]:
        """Check the table and weights; drop zero-weight rows and, by the missing-value
        policy, incomplete ones."""
        if len(features) == 0:
            raise DataError(f"{source}: no data rows")
        if features.shape[1] == 0:
            raise DataError(
                f"{source}: 0 feature(s) (shape=({len(features)}, 0)) while a minimum of 1 is "
                "required."
            )
        weights = None
        if sample_weight is not None:
            values = np.asarray(sample_weight, dtype=float).ravel()
            if len(values) != len(features):
                raise DataError(f"sample_weight has {len(values)} values for {len(features)} rows")
            weights = pd.Series(values, index=features.index)
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise DataError("sample_weight must be finite and non-negative")
            if not np.any(weights > 0):
                raise DataError("sample_weight is zero for every row: nothing to fit")
            positive = (weights > 0).to_numpy()  # a zero weight is the same as leaving out
            features, target, weights = features[positive], target[positive], weights[positive]
        features, target = apply_missing_policy(features, target, self.missing, source)
        return features, target, weights

    def _arrays(
        self,
        features: pd.DataFrame,
        target: pd.Series,
        weights: pd.Series | None,
        source: str,
        first_row: int = 0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The fitted preprocessor's inputs (n, d), the numeric target (n,) and weights;
        ``first_row`` rows of the file came before these (for messages)."""
        y_arr = numeric_column(target, str(target.name), source, role="target", first_row=first_row)
        X_arr = self.preprocessor_.transform(features, source, first_row)
        _check_range(source, y_arr[:, None], [str(target.name)], "target")
        _check_range(source, X_arr, self.feature_names_, "column")
        w = None if weights is None else weights.loc[features.index].to_numpy()
        return X_arr, y_arr, w

    def _partition_plan(self, head: pd.DataFrame, target: Any, weight: str | None) -> Any:
        """Learn the preprocessing from a first partition ``head``; returns the
        ``galton.distributed.PartitionPlan`` every partition task follows."""
        from galton.distributed import PartitionPlan

        self._require_column_target(target, "engine='dask'")
        columns = [str(c) for c in head.columns]
        features = [c for c in columns if c not in (target, weight)]
        X_head, _ = split_target(head.set_axis(columns, axis=1), target, features, "data")
        self.formula_ = None
        self._learn_columns(X_head, target, "data")
        return PartitionPlan(target, features, weight, self.missing, self.preprocessor_.to_dict())

    def _stream_rows(
        self,
        source: Any,
        target: str,
        sample_weight: str | None,
        chunk_rows: int,
        features: list[str] | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """Preprocessed chunks of a stream source: inputs (m, d), target (m,), weights.

        The first chunk fixes the columns' kinds and the levels of text columns (unless
        ``categories`` gives them); a later chunk with an unseen level is an error naming
        the row. ``sample_weight`` names a weight column.
        """
        self._require_column_target(target, "a streamed fit")
        self.formula_ = None
        fitted = False
        for chunk in iter_chunks(source, chunk_rows):
            frame = chunk.frame
            weights = None
            if sample_weight is not None:
                if sample_weight not in map(str, frame.columns):
                    raise DataError(f"{chunk.source}: no weight column '{sample_weight}'")
                weights = frame[sample_weight].to_numpy(dtype=float)
                frame = frame.drop(columns=[sample_weight])
            X_part, y_part = split_target(frame, target, features, chunk.source)
            X_part, y_part, w_part = self._usable_rows(X_part, y_part, weights, chunk.source)
            if not fitted:
                self._learn_columns(X_part, target, chunk.source)
                features = self.feature_names_in_  # every chunk: the same columns
                fitted = True
            yield self._arrays(X_part, y_part, w_part, chunk.source, chunk.first_row)
        if not fitted:
            raise DataError(f"{describe_source(source)}: no data rows")

    def _plain_arrays(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """Views of a numeric array (or all-numeric DataFrame) and target, without copies.

        Returns None unless the input is plain: real-valued (not boolean) features and
        target of matching lengths, at least 2 rows and 1 column, positive finite weights,
        no formula. Missing or infinite values are found later, from the cross-products;
        the caller then falls back to ``_training_data``, which names the row.
        """
        if self.formula is not None or y is None or isinstance(y, str):
            return None
        if isinstance(X, pd.DataFrame):
            if not all(_is_real(dtype) for dtype in X.dtypes):
                return None
            names = [str(c) for c in X.columns]
            dtypes = [str(dtype) for dtype in X.dtypes]
            X = X.to_numpy()  # a view for one float block; a copy still beats the table path
        elif isinstance(X, np.ndarray) and X.ndim == 2:
            names = [f"x{j}" for j in range(X.shape[1])]
            dtypes = [str(X.dtype)] * X.shape[1]
        else:
            return None
        target = y.to_numpy() if isinstance(y, pd.Series) else y
        if not (isinstance(target, np.ndarray) and _is_real(X.dtype) and _is_real(target.dtype)):
            return None
        if target.ndim == 2 and target.shape[1] == 1:
            target = target[:, 0]
        n = X.shape[0]
        if target.shape != (n,) or n < 2 or X.shape[1] == 0:
            return None
        w = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.shape != (n,) or not (np.isfinite(w).all() and (w > 0).all()):
                return None
        if np.ptp(target) == 0:
            return None  # the table path warns about a constant target
        self.formula_ = None
        self.preprocessor_ = Preprocessor.for_numeric(names, dtypes, self.missing)
        self.feature_names_in_ = names
        self.feature_names_ = names
        self.target_name_ = str(getattr(y, "name", None) or "y")
        self.n_features_in_ = len(names)
        return X, target, w

    def _inputs(self, X: Any) -> np.ndarray:
        """Preprocess new data (n, k) with the state learned in fit."""
        self._require_fitted()
        source = describe_source(X)
        if isinstance(X, np.ndarray | list | tuple) and self.formula_ is None:
            frame = self._array_frame(X)
        else:
            frame = read_table(X)
            if self.formula_ is not None:
                frame = self.formula_.transform(frame, source)
        return self.preprocessor_.transform(frame, source)

    def _array_frame(self, X: Any) -> pd.DataFrame:
        """An array of new rows (n, k) as a table with the training columns' names, or
        scikit-learn's error when k is not the number of features fitted."""
        given = np.asarray(X)
        arr = given.reshape(-1, 1) if given.ndim == 1 else given
        if arr.ndim != 2 or arr.shape[1] != self.n_features_in_:
            hint = (
                "; Reshape your data with X.reshape(1, -1) if it is a single row"
                if given.ndim == 1
                else ""
            )
            raise DataError(
                f"X has {arr.shape[-1] if arr.ndim == 2 else arr.shape} features, but "
                f"{type(self).__name__} is expecting {self.n_features_in_} features as input "
                f"({', '.join(self.feature_names_in_)}){hint}"
            )
        return pd.DataFrame(arr, columns=self.feature_names_in_)

    def score(self, X: Any, y: Any) -> float:
        """R-squared of the predictions on ``X`` against ``y``."""
        return regression_metrics(np.asarray(y, dtype=float).ravel(), self._point(X))["r2"]

    def _point(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def save(self, path: str | Path, key: bytes | str | Path | None = None) -> None:
        """Write the fitted model to ``path`` (data only; see ``galton.io``).

        ``key`` (the key's bytes, or a key file's path) signs the file with HMAC-SHA256, so
        ``load(path, key=...)`` can tell it was written by a holder of the key.
        """
        self._require_fitted()
        meta, arrays = self._state()
        for name, arr in arrays.items():
            if (
                np.issubdtype(arr.dtype, np.floating)
                and name.startswith("param")
                and not (np.isfinite(arr).all())
            ):
                raise ModelFileError(f"{path}: refusing to save non-finite parameters ({name})")
        signing = None if key is None else read_key(key)
        write_model_file(path, {"kind": self._kind, **meta}, arrays, key=signing)

    def _common_state(self) -> dict[str, Any]:
        return {
            "params": _jsonable(self.get_params()),
            "preprocessor": self.preprocessor_.to_dict(),
            "feature_names_in": self.feature_names_in_,
            "feature_names": self.feature_names_,
            "target": self.target_name_,
            "metrics": self.metrics_,
            "n_samples": self.n_samples_,
            "fit_seconds": self.fit_seconds_,
            "formula": self.formula_.to_dict() if self.formula_ is not None else None,
        }

    def _restore_common(self, meta: dict[str, Any]) -> None:
        self.preprocessor_ = Preprocessor.from_dict(meta["preprocessor"])
        self.feature_names_in_ = meta["feature_names_in"]
        self.feature_names_ = meta["feature_names"]
        self.target_name_ = meta["target"]
        self.n_features_in_ = len(self.feature_names_in_)
        self.metrics_ = meta["metrics"]
        self.n_samples_ = meta["n_samples"]
        self.fit_seconds_ = meta["fit_seconds"]
        formula = meta.get("formula")
        self.formula_ = FormulaDesign.from_dict(formula) if formula else None

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError


def _check_engine(owner: str, engine: Any, scheduler: Any) -> None:
    _check(owner, "engine", engine, engine in ("local", "dask"), "a str among {'local', 'dask'}")
    _check(
        owner,
        "scheduler",
        scheduler,
        scheduler is None or (isinstance(scheduler, str) and engine == "dask"),
        "None, or an address with engine='dask'",
    )


def _mean_std(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``A`` (n, k), exact powers of two taken out
    first so values near 1e300 do not overflow when squared."""
    top = np.max(np.abs(A), axis=0) if len(A) else np.ones(A.shape[1])
    with np.errstate(divide="ignore"):
        power = np.where(top > 0, 2.0 ** np.round(np.log2(np.where(top > 0, top, 1.0))), 1.0)
    scaled = A / power
    return scaled.mean(axis=0) * power, scaled.std(axis=0) * power


#: Columns whose magnitudes lie outside [SMALLEST, LARGEST] are refused: beyond them sums of
#: squares overflow, or results become subnormal, even after exact power-of-two scaling.
LARGEST_MAGNITUDE = 2.0**1000  # about 1.07e301
SMALLEST_MAGNITUDE = 2.0**-1000  # about 9.3e-302


def _require_finite(pred: np.ndarray, what: str, row: str = "row") -> np.ndarray:
    """``pred`` (n,) unchanged, or a one-line error naming the first non-finite entry."""
    bad = ~np.isfinite(pred)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise GaltonError(
            f"{what} a non-finite value ({pred[first]}) for {row} {first + 1}: its inputs "
            "are beyond the range the model can represent"
        )
    return pred


def _check_range(source: str, A: np.ndarray, names: list[str], role: str) -> None:
    """Refuse, with one line, columns of ``A`` (n, k) too large or too small to fit."""
    if A.size == 0:
        return
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: checked elsewhere
        # largest magnitude per column without an |A| copy of a large array
        top = np.maximum(np.nanmax(A, axis=0), -np.nanmin(A, axis=0))
    for j in np.flatnonzero((top > LARGEST_MAGNITUDE) | ((top > 0) & (top < SMALLEST_MAGNITUDE))):
        raise DataError(
            f"{source}: {role} '{names[j]}' reaches {top[j]:.3g} in magnitude, outside "
            f"[{SMALLEST_MAGNITUDE:.2g}, {LARGEST_MAGNITUDE:.2g}] where double precision "
            "can fit it; rescale it (multiply by a power of ten) and fit again"
        )


def _is_real(dtype: Any) -> bool:
    """A numpy integer or floating-point dtype (not boolean, complex or a pandas extension)."""
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return value


class LinearRegression(_Estimator):
    """Exact least squares with the full statistics.

    Parameters
    ----------
    fit_intercept : bool
        Include an intercept column.
    degree : int
        Raw-power polynomial degree in every numeric feature (1: a plain linear model).
        Powers are formed exactly by the extended-precision solver.
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
    """

    _kind = "linear"

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
    ) -> None:
        self.fit_intercept = fit_intercept
        self.degree = degree
        self.solver = solver
        self.rank_tol = rank_tol
        self.missing = missing
        self.categories = categories
        self.formula = formula
        self.engine = engine
        self.scheduler = scheduler

    def _validate(self) -> None:
        name = type(self).__name__
        _check(
            name,
            "fit_intercept",
            self.fit_intercept,
            isinstance(self.fit_intercept, bool),
            "a bool",
        )
        _check(
            name,
            "degree",
            self.degree,
            isinstance(self.degree, int)
            and not isinstance(self.degree, bool)
            and 1 <= self.degree <= 30,
            "an int in [1, 30]",
        )
        _check(
            name,
            "solver",
            self.solver,
            self.solver in ("auto", "cholesky", "qr", "extended"),
            "a str among {'auto', 'cholesky', 'qr', 'extended'}",
        )
        _check(
            name,
            "rank_tol",
            self.rank_tol,
            self.rank_tol is None or (isinstance(self.rank_tol, float) and 0 < self.rank_tol < 1),
            "None or a float in (0, 1)",
        )
        _check(
            name,
            "missing",
            self.missing,
            self.missing in MISSING_POLICIES,
            f"a str among {set(MISSING_POLICIES)}",
        )
        _check_engine(name, self.engine, self.scheduler)

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> LinearRegression:
        """Fit by least squares (weighted with ``sample_weight``).

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
        y : array of shape (n,), or the target column's name when ``X`` is a table
        sample_weight : array of shape (n,), optional
        """
        self._validate()
        start = time.perf_counter()
        if self.engine == "dask":
            self._fit_dask(X, y, sample_weight, start)
            return self
        solution = None
        plain = self._plain_arrays(X, y, sample_weight) if self.solver != "extended" else None
        if plain is not None:  # large numeric arrays: the fast path, never copying X
            X_arr, y_arr, w = plain
            self.terms_ = polynomial_terms(X_arr.shape[1], self.degree, self.fit_intercept)
            solution = solve_by_normal_equations(
                X_arr, y_arr, self.terms_, w, self.solver, self.rank_tol
            )
        if solution is None:  # tables, odd values, ill conditioning: the careful path
            X_arr, y_arr, w = self._training_data(X, y, sample_weight)
            intercept = self.fit_intercept if self.formula_ is None else self.formula_.intercept_
            self.terms_ = polynomial_terms(
                X_arr.shape[1], self.degree, intercept, self.preprocessor_.powered_
            )
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
        return self

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
        sample_weight : array of shape (n,), optional
        """
        if not hasattr(self, "preprocessor_"):
            return self.fit(X, y, sample_weight)
        summary = self._updatable_summary()
        start = time.perf_counter()
        X_arr, y_arr, w = self._new_rows(X, y, sample_weight)
        summary = summary.add_rows(build_design(X_arr, self.terms_), y_arr, w)
        self._fit_summary(summary, start)
        return self

    def _updatable_summary(self) -> QRSummary:
        """The factor new rows merge into, or the reason there is none."""
        self._require_fitted()
        if getattr(self, "qr_summary_", None) is None:
            raise ParameterError(
                "this model keeps no factor to update (values beyond float64's range, or a "
                "file from an older galton): refit on all the rows"
            )
        return self.qr_summary_

    def update_stream(
        self, source: Any, target: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS
    ) -> LinearRegression:
        """``partial_fit`` with new rows read in chunks (any stream source): memory is one
        chunk, whatever the number of new rows; one solve at the end."""
        summary = self._updatable_summary()
        start = time.perf_counter()
        for chunk in iter_chunks(source, chunk_rows):
            X_arr, y_arr, _ = self._new_rows(
                chunk.frame, target, source=chunk.source, first_row=chunk.first_row
            )
            summary = summary.add_rows(build_design(X_arr, self.terms_), y_arr)
        self._fit_summary(summary, start)
        return self

    def fit_stream(
        self,
        source: Any,
        target: str,
        sample_weight: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        features: list[str] | None = None,
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
        """
        self._validate()
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
        for X_arr, y_arr, w in self._stream_rows(
            source, target, sample_weight, chunk_rows, features
        ):
            if summary is None:
                self.terms_ = polynomial_terms(
                    X_arr.shape[1], self.degree, self.fit_intercept, self.preprocessor_.powered_
                )
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
            plan = self._partition_plan(distributed.first_partition(frame), target, weight)
            self.terms_ = polynomial_terms(
                len(self.feature_names_),
                self.degree,
                self.fit_intercept,
                self.preprocessor_.powered_,
            )
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
        self.qr_summary_ = summary
        self.metrics_ = solution.fit_metrics
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
            warnings.warn(
                f"aliased columns not estimated: {', '.join(self.aliased_)} "
                f"(rank {solution.rank} of {len(self.terms_)})",
                AliasedColumnsWarning,
                stacklevel=3,
            )

    def _set_results(self, solution: LstsqSolution, log_weights_sum: float) -> None:
        names = [t.name(self.feature_names_) for t in self.terms_]
        has_intercept = any(t.column is None for t in self.terms_)
        self.results_ = OLSResults(solution, names, self.n_samples_, has_intercept, log_weights_sum)
        r = self.results_
        self.term_names_ = names
        self.params_ = r.params
        start = 1 if has_intercept else 0
        self.intercept_ = float(r.params[0]) if has_intercept else 0.0
        self.coef_ = r.params[start:]
        self.bse_ = r.bse
        self.tvalues_ = r.tvalues
        self.pvalues_ = r.pvalues
        self.rsquared_ = r.rsquared
        self.rsquared_adj_ = r.rsquared_adj
        self.fvalue_ = r.fvalue
        self.f_pvalue_ = r.f_pvalue
        self.llf_ = r.llf
        self.aic_ = r.aic
        self.bic_ = r.bic
        self.resid_std_err_ = r.resid_std_err
        self.condition_number_ = solution.condition_number
        self.rank_ = solution.rank
        self.rank_tol_ = solution.rank_tol
        self.aliased_ = [n for n, a in zip(names, solution.aliased, strict=True) if a]
        self.solver_ = solution.method

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Confidence intervals of the coefficients, shape (p, 2), intercept first."""
        self._require_fitted()
        return self.results_.conf_int(alpha)

    def summary(self) -> str:
        """A coefficient table with R-squared, F, log-likelihood, AIC/BIC and conditioning."""
        self._require_fitted()
        return self.results_.summary(target=self.target_name_)

    def _predict_design(self, X_arr: np.ndarray) -> np.ndarray:
        design = build_design(X_arr, self.terms_)
        return design @ np.nan_to_num(self.params_, nan=0.0)

    def _point(self, X: Any) -> np.ndarray:
        return self._predict_design(self._inputs(X))

    def predict(
        self,
        X: Any,
        interval: str | float | None = None,
        level: float = 0.95,
        return_std: bool = False,
    ) -> np.ndarray | PredictionInterval | tuple[np.ndarray, np.ndarray]:
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
        """
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
            interval, level = "prediction", interval
        _check(
            "predict",
            "interval",
            interval,
            interval in ("confidence", "prediction"),
            "None, 'confidence', 'prediction' or a float level",
        )
        _check("predict", "level", level, 0 < level < 1, "a float in (0, 1)")
        r, sol = self.results_, self.results_.solution
        kept = ~sol.aliased
        # in the solver's power-of-two scaled units, so extreme magnitudes stay finite
        design = build_design(X_arr, self.terms_)[:, kept] * sol.col_scale[kept]
        cov = sol.cov_scaled[np.ix_(kept, kept)]
        var_mean = r.scale_scaled * np.einsum("ij,jk,ik->i", design, cov, design)
        var = var_mean + (r.scale_scaled if interval == "prediction" else 0.0)
        if return_std:
            return pred, np.sqrt(var) / sol.y_scale
        q = t_ppf(0.5 + level / 2, r.df_resid) if r.df_resid > 0 else math.nan
        half = q * np.sqrt(var) / sol.y_scale
        return PredictionInterval(pred, pred - half, pred + half)

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        sol = self.results_.solution
        meta = {
            **self._common_state(),
            "terms": [[t.column, t.power] for t in self.terms_],
            "solution": {
                "y_scale": sol.y_scale,
                "rss_scaled": sol.rss_scaled,
                "tss_scaled": sol.tss_scaled,
                "yy_scaled": sol.yy_scaled,
                "rank": sol.rank,
                "rank_tol": sol.rank_tol,
                "condition_number": sol.condition_number,
                "scaled_condition_number": sol.scaled_condition_number,
                "method": sol.method,
                "precision_bits": sol.precision_bits,
            },
            "log_weights_sum": self.results_.log_weights_sum,
        }
        arrays = {
            "coef": sol.coef,
            "cov_scaled": sol.cov_scaled,
            "col_scale": sol.col_scale,
            "aliased": sol.aliased.astype(np.uint8),
        }
        summary = getattr(self, "qr_summary_", None)
        if summary is not None:  # what `galton update` merges new rows into
            arrays["qr_r"] = summary.r
            meta["qr_summary"] = {
                "nobs": summary.nobs,
                "wsum": summary.wsum,
                "wmean": summary.wmean,
                "wm2": summary.wm2,
                "log_w": summary.log_w,
            }
        return meta, arrays

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> LinearRegression:
        model = cls(**meta["params"])
        model._restore_common(meta)
        model.terms_ = [Term(c, p) for c, p in meta["terms"]]
        s = meta["solution"]
        solution = LstsqSolution(
            coef=arrays["coef"],
            cov_scaled=arrays["cov_scaled"],
            col_scale=arrays["col_scale"],
            aliased=arrays["aliased"].astype(bool),
            **s,
        )
        model._set_results(solution, meta["log_weights_sum"])
        sums = meta.get("qr_summary")  # absent in files from before updates
        model.qr_summary_ = QRSummary(arrays["qr_r"], **sums) if sums else None
        return model


#: Above this many training rows ``solver="auto"`` trains networks by minibatch Adam (the
#: large-data recipe) instead of full-batch L-BFGS.
LBFGS_MAX_ROWS = 5000
#: Adam steps in the large-data recipe, annealed by a cosine schedule.
ADAM_STEP_BUDGET = 15_000
#: ``weight_decay="auto"`` for networks trained by L-BFGS: the one of these whose network
#: predicts the held-out validation rows best (inner validation; the test rows never
#: choose). On the UCI training splits the best lay between 1e-4 (energy, yacht) and 1e-3
#: (concrete).
WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2)
#: L-BFGS trains a Gaussian-loss network in two stages: squared error for the mean with
#: the full budget, then the Gaussian loss for this fraction of it (1 / GAUSSIAN_STAGE).
GAUSSIAN_STAGE = 4
#: Held-out rows a streamed network keeps in memory (early stopping, calibration).
STREAM_VALIDATION_ROWS = 20_000
#: Rows mixed in a streamed network's shuffle buffer by default.
SHUFFLE_BUFFER_ROWS = 100_000
#: Passes over the new (and replayed) rows in a network's ``partial_fit`` by default.
UPDATE_EPOCHS = 10
#: L-BFGS iterations by default (the weight decay regularises; on the validation rows of
#: the UCI training splits 1000 did as well as 2000 and 5000).
LBFGS_MAX_ITER = 1000


class NeuralRegressor(_Estimator):
    """A neural network trained by gradient descent.

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths; ``()`` is a single linear neuron (linear regression as a
        network, which lands on the least-squares answer).
    activation : {"relu", "tanh", "sigmoid", "silu", "identity"}
    loss : {"auto", "mse", "mae", "huber", "gaussian"}
        ``gaussian``: the network predicts a mean and a variance and is trained on the
        Gaussian negative log-likelihood plus a squared-error anchor (under L-BFGS the
        mean is fitted by squared error first). ``auto``: ``gaussian`` for an ensemble,
        else ``mse``.
    ensemble : int
        Members trained from different random starts and batch orders (member ``k`` uses
        ``seed + k``); predictions are their mean, and with the Gaussian loss their
        mixture gives each row its own spread (Deep Ensembles). ``1`` is the single model.
    solver : {"auto", "sgd", "adam", "adamw", "lbfgs", "cg"}
        ``auto``: conjugate gradients for the linear neuron with MSE loss (a quadratic:
        least squares to 1e-6 in about 20 passes over the data); for networks, full-batch
        L-BFGS up to 5000 training rows, and above that the large-data recipe: Adam at
        rate 3e-3, batches of 128, a cosine schedule over about 15,000 steps, no early
        stopping (``bench/neural.py`` times it against scikit-learn's MLPRegressor).
    learning_rate : float, optional
        Default 1e-3 for Adam/AdamW (3e-3 in the large-data recipe), 1e-2 for SGD (unused
        by L-BFGS and CG).
    momentum : float
        SGD momentum.
    weight_decay : float or "auto"
        ``auto`` (default): for networks trained by L-BFGS (up to 5000 training rows),
        the value among 1e-4, 1e-3 and 1e-2 whose network predicts the validation rows
        best, each trained from the same start; 0 otherwise.
        L2 penalty on weights (decoupled for AdamW); biases are not decayed.
    batch_size : int, optional
        Minibatch size for SGD/Adam/AdamW; default 64 (128 in the large-data recipe).
    max_epochs : int, optional
        Epochs (iterations for L-BFGS and CG); default 300, 1000 for L-BFGS, 200 for CG;
        in the large-data recipe about 15,000 Adam steps (10 to 200 epochs).
    schedule : {"auto", "constant", "cosine", "step"}
        Learning-rate schedule over ``max_epochs``; ``auto``: cosine in the large-data
        recipe, constant otherwise.
    early_stopping : bool or "auto"
        Stop after ``patience`` epochs without improvement on the validation rows and
        restore the best weights. ``auto``: on for minibatch solvers outside the
        large-data recipe (whose cosine budget ends at its best); off for L-BFGS (trained
        to its iteration budget, regularised by the weight decay) and for the linear
        neuron (it cannot overfit, and should match least squares). Networks with hidden
        layers always hold ``validation_fraction`` of the rows out of training: they
        choose the weight decay and calibrate the prediction intervals.
    validation_fraction, patience, tol
        Early-stopping controls.
    dtype : {"float64", "float32"}
    backend : str
        Engine: ``numpy``, ``torch``, ``tensorflow``, ``pytensor`` (alias ``theano``) or
        ``jax``; see ``galton backends``.
    device : {"auto", "cpu", "cuda"}
        Where the torch and jax engines train: ``auto`` takes a CUDA GPU when the engine
        sees one. The other engines run on the CPU (``cuda`` is an error there).
    seed : int
        Seeds initialisation, the validation split and batch order.
    missing : {"error", "drop", "mean", "median"}
    progress : bool, optional
        Rich progress bar on stderr; default only when stderr is a terminal.
    standardize : bool
        Standardise inputs and target (default). Off reproduces runs on raw data, such as
        the tutorials in ``galton examples``.
    shuffle : bool
        Shuffle minibatches every epoch (default); off feeds rows in order.
    initial_params : list of arrays, optional
        Starting parameters ``[W1, b1, ...]`` instead of the seeded random start, to
        reproduce a published run from its printed initial values.
    categories : dict of str to list, optional
        Levels of text columns, when they should not be learned from the training rows.
    formula : str, optional
        A formulaic formula giving the inputs and the target, as for ``LinearRegression``.
    replay_rows : int
        Keep a uniform sample of this many training rows with the model (standardised,
        also in its file) and train on it beside the new rows in ``partial_fit`` and
        ``galton update``, so an update does not forget the old data. 0 keeps none.
    engine : {"local", "dask"}
        ``dask``: ``fit(data, target)`` trains data-parallel on a Dask cluster
        (``galton.distributed``): partitions are standardised and kept on the workers,
        every step sums their gradients and updates the parameters once. One network,
        float64, the NumPy engine's maths on the workers.
    scheduler : str, optional
        Address of the Dask scheduler; default: a ``LocalCluster`` started for the fit.
    """

    _kind = "neural"

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 64),
        activation: str = "relu",
        loss: str = "auto",
        ensemble: int = 1,
        solver: str = "auto",
        learning_rate: float | None = None,
        momentum: float = 0.9,
        weight_decay: float | str = "auto",
        batch_size: int | None = None,
        max_epochs: int | None = None,
        schedule: str = "auto",
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        patience: int = 20,
        tol: float = 1e-7,
        dtype: str = "float64",
        backend: str = "numpy",
        device: str = "auto",
        seed: int = 0,
        missing: str = "error",
        progress: bool | None = None,
        standardize: bool = True,
        shuffle: bool = True,
        initial_params: list | None = None,
        categories: dict[str, list] | None = None,
        formula: str | None = None,
        replay_rows: int = 0,
        engine: str = "local",
        scheduler: str | None = None,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.loss = loss
        self.ensemble = ensemble
        self.solver = solver
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.schedule = schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.dtype = dtype
        self.backend = backend
        self.device = device
        self.seed = seed
        self.missing = missing
        self.progress = progress
        self.standardize = standardize
        self.shuffle = shuffle
        self.initial_params = initial_params
        self.categories = categories
        self.formula = formula
        self.replay_rows = replay_rows
        self.engine = engine
        self.scheduler = scheduler

    def _validate(self) -> None:
        name = type(self).__name__
        hidden = self.hidden
        _check_engine(name, self.engine, self.scheduler)
        _check(
            name,
            "replay_rows",
            self.replay_rows,
            isinstance(self.replay_rows, int)
            and not isinstance(self.replay_rows, bool)
            and self.replay_rows >= 0,
            "a non-negative int",
        )

        def positive_int(v: Any) -> bool:
            return isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0

        _check(
            name,
            "hidden",
            hidden,
            isinstance(hidden, tuple | list) and all(positive_int(h) for h in hidden),
            "a tuple of positive ints (() for a single linear neuron)",
        )
        for param, allowed in [
            ("activation", ACTIVATIONS),
            ("loss", ("auto", *LOSSES)),
            ("solver", ("auto", *OPTIMIZERS)),
            ("schedule", ("auto", *SCHEDULES)),
            ("dtype", ("float64", "float32")),
            ("missing", MISSING_POLICIES),
        ]:
            value = getattr(self, param)
            _check(name, param, value, value in allowed, f"a str among {set(allowed)}")
        _check(
            name,
            "solver",
            self.solver,
            self.solver != "cg" or (tuple(hidden) == () and self._loss() == "mse"),
            "'cg' only for the linear neuron (hidden=()) with loss='mse', whose loss is quadratic",
        )
        for param, low, high in [
            ("momentum", 0.0, 1.0),
            ("validation_fraction", 0.0, 0.9),
        ]:
            value = getattr(self, param)
            _check(
                name,
                param,
                value,
                isinstance(value, int | float) and low <= value < high,
                f"a float in [{low}, {high})",
            )
        for param in ("learning_rate",):
            value = getattr(self, param)
            _check(
                name,
                param,
                value,
                value is None or (isinstance(value, int | float) and value > 0),
                "None or a positive float",
            )
        _check(
            name,
            "weight_decay",
            self.weight_decay,
            self.weight_decay == "auto"
            or (isinstance(self.weight_decay, int | float) and self.weight_decay >= 0),
            "'auto' or a non-negative float",
        )
        for param, optional in (("batch_size", True), ("patience", False), ("ensemble", False)):
            value = getattr(self, param)
            _check(
                name,
                param,
                value,
                positive_int(value) or (optional and value is None),
                "None or a positive int" if optional else "a positive int",
            )
        _check(
            name,
            "max_epochs",
            self.max_epochs,
            self.max_epochs is None or positive_int(self.max_epochs),
            "None or a positive int",
        )
        _check(
            name,
            "early_stopping",
            self.early_stopping,
            self.early_stopping in (True, False, "auto"),
            "a bool or 'auto'",
        )
        _check(
            name,
            "tol",
            self.tol,
            isinstance(self.tol, int | float) and self.tol >= 0,
            "a non-negative float",
        )
        _check(name, "seed", self.seed, isinstance(self.seed, int | np.integer), "an int")
        for param in ("standardize", "shuffle"):
            value = getattr(self, param)
            _check(name, param, value, isinstance(value, bool), "a bool")
        engine_registry.canonical_name(str(self.backend))
        _check(
            name,
            "device",
            self.device,
            self.device in ("auto", "cpu", "cuda"),
            "a str among {'auto', 'cpu', 'cuda'}",
        )

    def _device(self, backend: Any) -> str:
        """The device the engine trains on: ``auto`` resolved, ``cuda`` checked."""
        has_cuda = getattr(backend, "has_cuda", None)
        if self.device == "cuda" and not (has_cuda is not None and has_cuda()):
            where = "sees no CUDA GPU" if has_cuda is not None else "runs on the CPU only"
            raise ParameterError(f"device='cuda': the {backend.NAME} engine {where}")
        if self.device == "auto":
            return "cuda" if has_cuda is not None and has_cuda() else "cpu"
        return self.device

    def _searches_weight_decay(self, cfg: TrainConfig, n_val: int) -> bool:
        """Whether ``weight_decay="auto"`` picks a value on the validation rows here."""
        return (
            self.weight_decay == "auto"
            and cfg.optimizer == "lbfgs"
            and len(self.hidden) > 0
            and n_val > 0
        )

    def _loss(self) -> str:
        if self.loss == "auto":
            return "gaussian" if self.ensemble > 1 else "mse"
        return self.loss

    def _config(self, n_rows: int, stream: bool = False) -> TrainConfig:
        """Every ``auto`` resolved for ``n_rows`` training rows (before the validation split);
        a ``stream`` trains by minibatches (the large-data recipe) with early stopping."""
        solver, recipe = self.solver, False
        if stream and solver in ("lbfgs", "cg"):
            raise ParameterError(
                f"a streamed fit trains by minibatches: solver must be auto, adam, adamw or "
                f"sgd, not {solver!r}"
            )
        if solver == "auto" and not self.hidden and self._loss() == "mse" and not stream:
            solver = "cg"  # a quadratic loss: conjugate gradients finish in a few passes
        elif solver == "auto":
            small = not stream and n_rows * (1 - self.validation_fraction) <= LBFGS_MAX_ROWS
            solver = "lbfgs" if small else "adam"
            recipe = not small
        early = self.early_stopping
        if early == "auto":
            # L-BFGS trains to convergence (the weight decay regularises) and the large-data
            # recipe's cosine budget ends at its best: early stopping is for the others, and
            # for streams, whose passes are dear
            early = stream or (len(self.hidden) > 0 and not recipe and solver != "lbfgs")
        batch = self.batch_size or (128 if recipe else 64)
        schedule = self.schedule if self.schedule != "auto" else "cosine" if recipe else "constant"
        lr = self.learning_rate or (3e-3 if recipe else 1e-2 if solver == "sgd" else 1e-3)
        max_epochs = self.max_epochs
        if max_epochs is None and recipe:
            n_train = n_rows - int(round(n_rows * self.validation_fraction))  # rows held out
            steps = math.ceil(n_train / batch)
            max_epochs = int(np.clip(round(ADAM_STEP_BUDGET / steps), 10, 200))
        elif max_epochs is None:
            max_epochs = {"lbfgs": LBFGS_MAX_ITER, "cg": 200}.get(solver, 300)
        return TrainConfig(
            loss=self._loss(),
            optimizer=solver,
            learning_rate=float(lr),
            momentum=float(self.momentum),
            weight_decay=0.0 if self.weight_decay == "auto" else float(self.weight_decay),
            batch_size=int(batch),
            max_epochs=int(max_epochs),
            schedule=schedule,
            early_stopping=bool(early),
            validation_fraction=float(self.validation_fraction),
            patience=int(self.patience),
            tol=float(self.tol),
            dtype=self.dtype,
            seed=int(self.seed),
            shuffle=self.shuffle,
            device=self._device(engine_registry.get_backend(str(self.backend))),
        )

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        checkpoint: str | Path | None = None,
        resume: str | Path | None = None,
    ) -> NeuralRegressor:
        """Standardise, initialise at random, and train by gradient descent.

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
        y : array of shape (n,), or the target column's name when ``X`` is a table
        checkpoint : path, optional
            While training, Ctrl-C and SIGTERM stop at the next epoch boundary, write the
            whole training state here and raise ``galton.TrainingInterrupted``.
        resume : path, optional
            Continue from such a checkpoint (same data, same settings). Minibatch solvers
            then end with exactly the parameters of an uninterrupted run.
        """
        self._validate()
        start = time.perf_counter()
        if self.engine == "dask":
            if checkpoint is not None or resume is not None:
                raise ParameterError("checkpoint and resume work for engine='local' fits")
            self._fit_dask(X, y, start)
            return self
        backend = engine_registry.get_backend(str(self.backend))
        X_arr, y_arr, _ = self._training_data(X, y)
        n = len(y_arr)
        if self.standardize:
            self.x_mean_, scale = _mean_std(X_arr)
            self.x_scale_ = np.where(scale > 0, scale, 1.0)
            y_mean, y_std = _mean_std(y_arr[:, None])
            self.y_mean_, self.y_scale_ = float(y_mean[0]), float(y_std[0]) or 1.0
        else:
            self.x_mean_, self.x_scale_ = np.zeros(X_arr.shape[1]), np.ones(X_arr.shape[1])
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        Xs = (X_arr - self.x_mean_) / self.x_scale_
        ys = (y_arr - self.y_mean_) / self.y_scale_

        rng = np.random.default_rng(self.seed)
        cfg = self._config(n)
        early = cfg.early_stopping
        # Networks with hidden layers always hold rows out: they calibrate the intervals
        # (split-conformal) even where early stopping is off.
        held_out = early or len(self.hidden) > 0
        n_val = int(round(n * self.validation_fraction)) if held_out else 0
        if held_out and (n_val < 2 or n - n_val < 2):
            if early:
                warnings.warn(
                    f"only {n} rows: early stopping needs a validation split; training on all rows",
                    UserWarning,
                    stacklevel=2,
                )
            n_val = 0
        order = rng.permutation(n)
        val_rows, train_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
        if n_val == 0 and cfg.early_stopping:
            cfg = replace(cfg, early_stopping=False)
        self.train_config_ = cfg
        self.net_ = self._network(X_arr.shape[1], cfg)
        self.backend_ = engine_registry.canonical_name(str(self.backend))
        initial = init_params(self.net_, rng)
        if self.initial_params is not None:
            initial = self._checked_initial_params()
        settings = _jsonable({k: v for k, v in self.get_params().items() if k != "progress"})
        digest = hashlib.sha256(Xs.tobytes() + ys.tobytes() + val_rows.tobytes()).hexdigest()
        state = None
        # A checkpoint holds one training's state: a weight-decay search, an ensemble or a
        # two-stage Gaussian fit runs several, so a stop ends them without one.
        several = (
            self._searches_weight_decay(cfg, n_val)
            or self.ensemble > 1
            or (cfg.loss == "gaussian" and cfg.optimizer == "lbfgs")
        )
        if resume is not None and several:
            raise ParameterError(
                "resume works for a single training (ensemble=1, a fixed weight_decay, "
                "not the two-stage Gaussian L-BFGS fit)"
            )
        if resume is not None:
            state, meta = read_checkpoint(resume, self.net_.param_shapes())
            if meta.get("fingerprint") != digest:
                raise DataError(f"{resume}: the checkpoint was made on other data")
            changed = sorted(k for k in settings if meta["estimator"].get(k) != settings[k])
            if changed:
                raise ParameterError(
                    f"{resume}: the checkpoint was made with other settings ({', '.join(changed)})"
                )
        with stop_on_signals() if checkpoint is not None else nullcontext({"signal": None}) as flag:
            hooks = None
            if checkpoint is not None or state is not None:
                hooks = Checkpointing(
                    should_stop=lambda: checkpoint is not None and flag["signal"] is not None,
                    save=lambda st: (
                        None
                        if several
                        else write_checkpoint(
                            checkpoint, st, {"fingerprint": digest, "estimator": settings}
                        )
                    ),
                    resume=state,
                )
            watch = n_val > 0 and cfg.early_stopping

            def fit_member(member_cfg: TrainConfig, start_params: list[np.ndarray]) -> Any:
                def run(stage_cfg: TrainConfig, params: list[np.ndarray]) -> Any:
                    return train(
                        backend,
                        self.net_,
                        params,
                        stage_cfg,
                        Xs[train_rows],
                        ys[train_rows],
                        Xs[val_rows] if watch else None,
                        ys[val_rows] if watch else None,
                        self.progress,
                        hooks,
                    )

                if member_cfg.loss != "gaussian" or member_cfg.optimizer != "lbfgs":
                    return run(member_cfg, start_params)
                # Mean first: squared error fits the mean output, then the Gaussian loss
                # shapes the variance from there (from a random start the NLL's sharp,
                # ill-conditioned optimum stalled L-BFGS far from a good mean).
                first = run(replace(member_cfg, loss="mse"), start_params)
                second = run(
                    replace(member_cfg, max_epochs=max(1, member_cfg.max_epochs // GAUSSIAN_STAGE)),
                    first.params,
                )
                second.history = continued_history(first.history, second.history)
                return second

            try:
                results, self.weight_decay_search_ = [], {}
                if self._searches_weight_decay(cfg, n_val):
                    searched = []
                    for wd in WEIGHT_DECAYS:  # each from the same start
                        result = fit_member(replace(cfg, weight_decay=wd), initial)
                        val_pred = self._predict_standardised(Xs[val_rows], result.params)
                        rmse = regression_metrics(y_arr[val_rows], val_pred)["rmse"]
                        searched.append((rmse, wd, result))
                        self.weight_decay_search_[wd] = rmse
                    _, best, result = min(searched, key=lambda entry: entry[0])
                    results = [result]  # member 0 is the chosen training
                    cfg = self.train_config_ = replace(cfg, weight_decay=best)
                for member in range(len(results), self.ensemble):
                    # member k: its own random start (drawn in turn) and batch order
                    member_cfg = cfg if member == 0 else replace(cfg, seed=cfg.seed + member)
                    start_params = initial if member == 0 else init_params(self.net_, rng)
                    results.append(fit_member(member_cfg, start_params))
            except LoopInterrupted as exc:
                if several:
                    raise TrainingInterrupted(
                        f"training stopped after epoch {exc.epoch}; no checkpoint written: a "
                        "weight-decay search or ensemble cannot be resumed, run it again",
                        "",
                        flag["signal"],
                    ) from None
                raise TrainingInterrupted(
                    f"training interrupted after epoch {exc.epoch}; checkpoint written to "
                    f"{checkpoint}",
                    str(checkpoint),
                    flag["signal"],
                ) from None
        for result in results:  # never return such a model
            if not all(np.isfinite(p).all() for p in result.params):
                raise GaltonError(
                    "training produced non-finite parameters; lower the learning rate"
                )
        self._set_trained(results)
        if np.ptp(y_arr) == 0:  # nothing to learn: the output layer predicts the constant
            for params in self.members_:
                params[-2][:] = 0.0
                params[-1][:] = 0.0
        self.n_samples_ = n
        self.fit_seconds_ = time.perf_counter() - start
        with np.errstate(all="ignore"):
            pred, spread = self._distribution_standardised(Xs)
        _require_finite(pred, "the trained network predicts", "training row")
        self.metrics_ = regression_metrics(y_arr, pred)
        if n_val:
            val_metrics = regression_metrics(y_arr[val_rows], pred[val_rows])
            self.metrics_.update({f"val_{k}": v for k, v in val_metrics.items()})
        calib = val_rows if n_val else train_rows
        self.calibration_ = Calibration.from_rows(
            y_arr[calib], pred[calib], spread[calib], "validation" if n_val else "training"
        )
        self._start_replay(Xs, ys)
        return self

    def _fit_dask(self, source: Any, target: Any, start: float) -> None:
        """``fit`` with ``engine="dask"``: data-parallel training in the shared loop."""
        from galton import distributed

        name = type(self).__name__
        one_numpy_network = self.ensemble == 1 and self.dtype == "float64"
        if not (one_numpy_network and self.backend == "numpy" and self.standardize):
            raise ParameterError(
                f"{name} with engine='dask' trains one float64 network with the NumPy "
                "engine's maths on standardised data (ensemble=1, dtype='float64', "
                "backend='numpy', standardize=True)"
            )
        with distributed.dask_client(self.scheduler) as client:
            frame = distributed.dask_frame(source)
            plan = self._partition_plan(distributed.first_partition(frame), target, None)
            rows, how, X_val, y_val, rows_read = distributed.prepare_rows(
                client, frame, plan, self.seed, self.validation_fraction, STREAM_VALIDATION_ROWS
            )
            self.distributed_ = distributed.fit_record(
                client, source, frame, rows_read, len(rows) + len(y_val)
            )
            if len(y_val) < 2 or len(rows) < 2:
                raise DataError(f"{describe_source(source)}: too few rows to hold rows out")
            self.x_mean_, self.x_scale_ = how.x_mean, how.x_scale
            self.y_mean_, self.y_scale_ = how.y_mean, how.y_scale
            n_train = len(rows)
            cfg = self._config(n_train + len(y_val))
            if self.weight_decay == "auto" and cfg.optimizer == "lbfgs" and self.hidden:
                cfg = replace(cfg, weight_decay=WEIGHT_DECAYS[1])  # no search: one network
            self.train_config_ = cfg
            self.net_ = self._network(len(how.x_mean), cfg)
            self.backend_ = "numpy"
            initial = init_params(self.net_, np.random.default_rng(self.seed))
            watch = cfg.early_stopping
            result = train(
                distributed.DaskEngine,
                self.net_,
                initial,
                cfg,
                rows,
                None,
                X_val if watch else None,
                y_val if watch else None,
                self.progress,
            )
            sse, sae = distributed.training_errors(rows, result.params, self.net_, cfg.dtype)
        self._set_trained([result])
        self.weight_decay_search_ = {}
        y_val_orig = y_val * self.y_scale_ + self.y_mean_
        pred, spread = self._distribution_standardised(X_val)
        self.metrics_ = {  # standardised units: the target's variance over all rows is 1
            "rmse": math.sqrt(sse / n_train) * self.y_scale_,
            "mae": sae / n_train * self.y_scale_,
            "r2": 1 - sse / n_train,
        }
        val_metrics = regression_metrics(y_val_orig, pred)
        self.metrics_.update({f"val_{k}": v for k, v in val_metrics.items()})
        self.calibration_ = Calibration.from_rows(y_val_orig, pred, spread, "validation")
        self._start_replay(X_val, y_val)
        self.n_samples_ = n_train + len(y_val)
        self.fit_seconds_ = time.perf_counter() - start

    def fit_stream(
        self,
        source: Any,
        target: str,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        buffer_rows: int = SHUFFLE_BUFFER_ROWS,
        features: list[str] | None = None,
    ) -> NeuralRegressor:
        """Train from data read in chunks, never whole (``galton.training.stream_loop``).

        A first pass learns the standardisation and keeps held-out rows in memory (a
        ``validation_fraction`` share of each chunk, at most ``STREAM_VALIDATION_ROWS``);
        every epoch then reads the source again and trains by minibatches on rows mixed
        in a shuffle buffer of ``buffer_rows``, with early stopping on the held-out rows
        (which also calibrate the intervals). A last pass measures the training metrics.

        Parameters
        ----------
        source : path, directory, glob pattern, list of those, DataFrame, or a list of
            DataFrames (read once per epoch, so not a one-shot iterator)
        target : str
        chunk_rows : int
            Rows read at a time.
        buffer_rows : int
            Rows mixed in the shuffle buffer.
        features : list of str, optional
        """
        self._validate()
        if self.ensemble != 1:
            raise ParameterError("a streamed fit trains one network (ensemble=1)")
        _check(
            "fit_stream",
            "buffer_rows",
            buffer_rows,
            isinstance(buffer_rows, int) and buffer_rows >= 2,
            "an int >= 2",
        )
        start = time.perf_counter()

        def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
            """One pass: inputs, target and the held-out mask of every chunk (the same
            rows are held out in every pass)."""
            held_so_far = 0
            for k, (X, y, _) in enumerate(
                self._stream_rows(source, target, None, chunk_rows, features)
            ):
                held = np.random.default_rng([self.seed, k]).random(len(y))
                held = held < self.validation_fraction
                held &= np.cumsum(held) <= STREAM_VALIDATION_ROWS - held_so_far
                held_so_far += int(held.sum())
                yield X, y, held

        x_moments = y_moments = None
        val_X, val_y = [], []
        for X, y, held in chunks():  # pass 1: standardisation and held-out rows
            part_x, part_y = RunningMoments.of(X), RunningMoments.of(y[:, None])
            x_moments = part_x if x_moments is None else x_moments + part_x
            y_moments = part_y if y_moments is None else y_moments + part_y
            val_X.append(X[held])
            val_y.append(y[held])
        n = x_moments.n
        X_val, y_val = np.vstack(val_X), np.concatenate(val_y)
        if len(y_val) < 2 or n - len(y_val) < 2:
            raise DataError(f"{describe_source(source)}: {n} rows are too few to hold rows out")
        if self.standardize:
            self.x_mean_ = x_moments.mean
            self.x_scale_ = x_moments.scale
            self.y_mean_, self.y_scale_ = float(y_moments.mean[0]), float(y_moments.scale[0])
        else:
            self.x_mean_, self.x_scale_ = np.zeros(X_val.shape[1]), np.ones(X_val.shape[1])
            self.y_mean_, self.y_scale_ = 0.0, 1.0

        def standardised(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return (X - self.x_mean_) / self.x_scale_, (y - self.y_mean_) / self.y_scale_

        cfg = self.train_config_ = self._config(n, stream=True)
        self.net_ = self._network(X_val.shape[1], cfg)
        self.backend_ = engine_registry.canonical_name(str(self.backend))
        backend = engine_registry.get_backend(self.backend_)
        initial = init_params(self.net_, np.random.default_rng(self.seed))

        def blocks(epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            rows = (standardised(X[~held], y[~held]) for X, y, held in chunks())
            return shuffled_blocks(rows, buffer_rows, np.random.default_rng([cfg.seed, epoch]))

        Xs_val, ys_val = standardised(X_val, y_val)
        result = train_stream(
            backend, self.net_, initial, cfg, blocks, Xs_val, ys_val, self.progress
        )
        self._set_trained([result])
        self.weight_decay_search_ = {}
        self._start_replay(X_val[:0], y_val[:0])
        # last pass: training metrics from running sums, and the replay sample
        sse = sae = 0.0
        rng = np.random.default_rng([self.seed, 0])
        for X, y, held in chunks():
            Xs, ys = standardised(X[~held], y[~held])
            err = y[~held] - self._predict_standardised(Xs)
            sse += float(err @ err)
            sae += float(np.abs(err).sum())
            self.replay_.offer(Xs, ys, rng)
        n_train = n - len(y_val)
        train_tss = float(y_moments.m2[0])  # all rows: close to the training rows' own
        self.metrics_ = {
            "rmse": math.sqrt(sse / n_train),
            "mae": sae / n_train,
            "r2": 1 - sse * n / n_train / train_tss if train_tss > 0 else math.nan,
        }
        pred, spread = self._distribution_standardised(Xs_val)
        val_metrics = regression_metrics(y_val, pred)
        self.metrics_.update({f"val_{k}": v for k, v in val_metrics.items()})
        self.calibration_ = Calibration.from_rows(y_val, pred, spread, "validation")
        self.n_samples_ = n
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        *,
        epochs: int | None = None,
        learning_rate: float | None = None,
    ) -> NeuralRegressor:
        """Continue training on new rows (the first call, on an unfitted model, is ``fit``).

        Every member starts from its current parameters and trains by Adam for ``epochs``
        passes over the new rows plus the stored replay sample (``replay_rows``). The
        standardisation and interval calibration of the first fit are kept. The update is
        recorded in ``updates_`` and appended to ``history_`` (its losses, and an event).

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
            New rows, with the columns the model was trained on.
        y : array of shape (n,) or str, optional
            Their target; by default the model's target column of ``X``.
        epochs : int, optional
            Passes over the new and replayed rows; default ``UPDATE_EPOCHS``.
        learning_rate : float, optional
            Adam's rate; default the fit's own for Adam-family solvers, else 1e-3.
        """
        if not hasattr(self, "members_"):
            return self.fit(X, y)
        start = time.perf_counter()
        _check(
            "partial_fit",
            "epochs",
            epochs,
            epochs is None or (isinstance(epochs, int) and epochs > 0),
            "None or a positive int",
        )
        X_new, y_new, _ = self._new_rows(X, y)
        Xs = (X_new - self.x_mean_) / self.x_scale_
        ys = (y_new - self.y_mean_) / self.y_scale_
        number = len(self.updates_) + 1
        rng = np.random.default_rng([self.seed, number])
        replayed = len(self.replay_.y)
        X_all = np.vstack([Xs, self.replay_.X]) if replayed else Xs
        y_all = np.concatenate([ys, self.replay_.y]) if replayed else ys
        cfg = self.train_config_
        adam_family = cfg.optimizer in ("adam", "adamw", "sgd")
        cfg = replace(
            cfg,
            optimizer=cfg.optimizer if adam_family else "adam",
            learning_rate=float(learning_rate or (cfg.learning_rate if adam_family else 1e-3)),
            schedule="constant",
            max_epochs=int(epochs or UPDATE_EPOCHS),
            early_stopping=False,
            seed=int(cfg.seed + 1000 * number),
        )
        backend = engine_registry.get_backend(self.backend_)
        results = [
            train(
                backend,
                self.net_,
                params,
                replace(cfg, seed=cfg.seed + m),
                X_all,
                y_all,
                progress=self.progress,
            )
            for m, params in enumerate(self.members_)
        ]
        self.members_ = [result.params for result in results]
        first = results[0].history
        before, after = first["train_loss"][0], min(first["train_loss"])
        self.history_.update(continued_history(self.history_, first))
        record = {
            "rows": int(len(ys)),
            "replayed": int(replayed),
            "epochs": int(results[0].n_epochs),
            "loss_before": float(before),
            "loss_after": float(after),
        }
        self.history_["events"] = [
            *self.history_.get("events", []),
            f"update {number}: {len(ys)} new rows + {replayed} replayed, {record['epochs']} "
            f"epochs of {cfg.optimizer}; training loss {before:.4g} -> {after:.4g}",
        ]
        self.updates_.append(record)
        for history, result in zip(self.member_histories_, results, strict=True):
            history += result.history["train_loss"][1:]
        self.replay_.offer(Xs, ys, rng)
        self.n_samples_ += int(len(ys))
        self.n_epochs_ += record["epochs"]
        self.fit_seconds_ += time.perf_counter() - start
        return self

    def _network(self, n_inputs: int, cfg: TrainConfig) -> NetworkSpec:
        """The architecture for ``n_inputs`` standardised inputs under ``cfg``'s loss."""
        hidden = tuple(int(h) for h in self.hidden)
        return NetworkSpec(n_inputs, hidden, self.activation, 2 if cfg.loss == "gaussian" else 1)

    def _set_trained(self, results: list[TrainResult]) -> None:
        """Fitted attributes from the members' training (histories: member 0's)."""
        self.members_ = [result.params for result in results]
        first = results[0]
        self.history_ = {**first.history, "events": first.events}
        self.member_histories_ = [list(result.history["train_loss"]) for result in results]
        self.n_epochs_, self.best_epoch_ = first.n_epochs, first.best_epoch
        self.stopped_early_, self.converged_ = first.stopped_early, first.converged

    def _start_replay(self, Xs: np.ndarray, ys: np.ndarray) -> None:
        """No updates yet; the replay sample drawn from standardised rows ``Xs`` (n, d)."""
        self.updates_ = []
        self.replay_ = Reservoir.empty(Xs.shape[1], self.replay_rows)
        self.replay_.offer(Xs, ys, np.random.default_rng([self.seed, 0]))

    def _checked_initial_params(self) -> list[np.ndarray]:
        shapes = self.net_.param_shapes()
        given = [np.asarray(p, dtype=np.float64) for p in self.initial_params]
        ok = len(given) == len(shapes) and all(
            g.shape == s for g, s in zip(given, shapes, strict=False)
        )
        _check(
            type(self).__name__, "initial_params", "...", ok, f"a list of arrays of shapes {shapes}"
        )
        return given

    @property
    def params_(self) -> list[np.ndarray]:
        """Parameters ``[W1, b1, ...]`` of the (first) member, in standardised units."""
        return self.members_[0]

    @property
    def coef_(self) -> np.ndarray:
        """Linear neuron only: coefficients of shape (d,) in the original units."""
        self._require_linear()
        return self.params_[0][:, 0] * self.y_scale_ / self.x_scale_

    @property
    def intercept_(self) -> float:
        """Linear neuron only: intercept in the original units."""
        self._require_linear()
        return float(
            self.y_mean_ + self.y_scale_ * self.params_[1][0] - np.dot(self.coef_, self.x_mean_)
        )

    def _require_linear(self) -> None:
        self._require_fitted()
        if self.net_.hidden:
            raise AttributeError(
                "coef_ and intercept_ exist only for the linear neuron (hidden=())"
            )

    def _predict_standardised(
        self, Xs: np.ndarray, params: list[np.ndarray] | None = None
    ) -> np.ndarray:
        """Point predictions (n,) in the target's units: the members' mean, or the network
        ``params``'s."""
        if params is None:
            return self._distribution_standardised(Xs)[0]
        backend = engine_registry.get_backend(self.backend_)
        out = backend.predict(self.net_, params, Xs, self.train_config_.dtype)
        return (out if out.ndim == 1 else out[:, 0]) * self.y_scale_ + self.y_mean_

    def _distribution_standardised(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (n,) and uncalibrated spread (n,) over the members, in the target's units."""
        backend = engine_registry.get_backend(self.backend_)
        dtype = self.train_config_.dtype
        outputs = [backend.predict(self.net_, params, Xs, dtype) for params in self.members_]
        mean, spread = mixture(outputs)
        return mean * self.y_scale_ + self.y_mean_, spread * self.y_scale_

    def knockout_predict(self, X: Any, fraction: float, rng: np.random.Generator) -> np.ndarray:
        """Predictions with ``fraction`` of every hidden layer's units zeroed at random.

        Tests the claim that a network is fault tolerant: a knocked-out unit's outgoing
        weights are set to zero, as if the cell had died. Returns shape (n,).
        """
        self._require_fitted()
        params = [p.copy() for p in self.params_]
        for layer, width in enumerate(self.net_.hidden):
            dead = rng.choice(width, size=int(round(fraction * width)), replace=False)
            params[2 * (layer + 1)][dead, :] = 0.0
        X_arr = self._inputs(X)
        return self._predict_standardised((X_arr - self.x_mean_) / self.x_scale_, params)

    def _point(self, X: Any) -> np.ndarray:
        X_arr = self._inputs(X)
        with np.errstate(all="ignore"):
            pred = self._predict_standardised((X_arr - self.x_mean_) / self.x_scale_)
        return _require_finite(pred, "the network predicts")

    def predict(
        self, X: Any, interval: float | None = None, return_std: bool = False
    ) -> np.ndarray | PredictionInterval | tuple[np.ndarray, np.ndarray]:
        """Predictions of shape (n,), a ``PredictionInterval`` at level ``interval``, or
        ``(mean, std)`` with ``return_std``.

        Intervals are split-conformal on rows held out from training (the validation
        rows): the ``interval`` quantile of ``|y - mean| / spread`` there times each row's
        spread, where the spread is the same for every row of a squared-error network
        and the Gaussian mixture's standard deviation for Gaussian-loss members. Without
        held-out rows (the linear neuron without early stopping) the training rows
        calibrate, which makes intervals optimistic. ``std`` is the spread scaled to the
        held-out rows' root mean square normalised residual (for log-likelihoods).
        """
        X_arr = self._inputs(X)
        with np.errstate(all="ignore"):
            mean, spread = self._distribution_standardised((X_arr - self.x_mean_) / self.x_scale_)
        _require_finite(mean, "the network predicts")
        if return_std:
            if interval is not None:
                raise ParameterError("predict: give interval or return_std, not both")
            return mean, spread * self.calibration_.std_scale
        if interval is None:
            return mean
        _check(
            "predict",
            "interval",
            interval,
            isinstance(interval, float) and 0 < interval < 1,
            "None or a float in (0, 1)",
        )
        half = spread * self.calibration_.multiplier(interval)
        return PredictionInterval(mean, mean - half, mean + half)

    def summary(self) -> str:
        """What was trained, how, and how well."""
        self._require_fitted()
        cfg = self.train_config_
        widths = "-".join(map(str, self.net_.layer_sizes))
        arch = f"MLP {widths} ({self.net_.activation})" if self.net_.hidden else "linear neuron"
        if len(self.members_) > 1:
            arch = f"ensemble of {len(self.members_)} x {arch}"
        n_params = len(self.members_) * sum(int(np.prod(s)) for s in self.net_.param_shapes())
        hist = self.history_
        lines = [
            f"Neural network regression: {arch}, {n_params} parameters",
            "=" * 72,
            f"Target: {self.target_name_}   Observations: {self.n_samples_}   "
            f"Engine: {self.backend_} ({cfg.dtype})",
            f"Solver: {cfg.optimizer}   Loss: {cfg.loss}   Epochs: {self.n_epochs_} "
            f"(best {self.best_epoch_})   Early stopping: {'on' if cfg.early_stopping else 'off'}",
            f"Weight decay: {cfg.weight_decay:g}"
            + (
                " (chosen on the validation rows; RMSE "
                + ", ".join(f"{k:g}: {v:.4g}" for k, v in self.weight_decay_search_.items())
                + ")"
                if self.weight_decay_search_
                else ""
            ),
            f"Loss (standardised): first {hist['train_loss'][0]:.6g} -> last "
            f"{hist['train_loss'][-1]:.6g}"
            + (f"   validation best {min(hist['val_loss']):.6g}" if hist["val_loss"] else ""),
            "-" * 72,
            f"Training RMSE: {self.metrics_['rmse']:.6g}   "
            f"MAE: {self.metrics_.get('mae', math.nan):.6g}   "
            f"R-squared: {self.metrics_['r2']:.6f}",
        ]
        if "val_rmse" in self.metrics_:
            lines.append(
                f"Validation RMSE: {self.metrics_['val_rmse']:.6g}   "
                f"R-squared: {self.metrics_['val_r2']:.6f}"
            )
        if not self.net_.hidden:
            lines.append("-" * 72)
            lines.append(f"{'':<24}{'coef':>17}")
            lines.append(f"{'const':<24}{self.intercept_:>17.9g}")
            for name, c in zip(self.feature_names_, self.coef_, strict=True):
                lines.append(f"{name:<24}{c:>17.9g}")
        lines.append("=" * 72)
        return "\n".join(lines)

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            **self._common_state(),
            "backend": self.backend_,
            "network": {
                "n_inputs": self.net_.n_inputs,
                "hidden": list(self.net_.hidden),
                "activation": self.net_.activation,
            },
            "train_config": self.train_config_.to_dict(),
            "history": self.history_,
            "n_epochs": self.n_epochs_,
            "best_epoch": self.best_epoch_,
            "stopped_early": self.stopped_early_,
            "converged": self.converged_,
            "y_mean": self.y_mean_,
            "y_scale": self.y_scale_,
            "calibration_source": self.calibration_.source,
            "member_histories": self.member_histories_,
            "weight_decay_search": [[k, v] for k, v in self.weight_decay_search_.items()],
            "updates": self.updates_,
            "replay_seen": self.replay_.seen,
        }
        # member 0 keeps the single model's names, so one-network files read as before
        arrays = {
            (f"param_{i}" if m == 0 else f"member_{m}_param_{i}"): p
            for m, params in enumerate(self.members_)
            for i, p in enumerate(params)
        }
        arrays.update(
            x_mean=self.x_mean_,
            x_scale=self.x_scale_,
            calibration_scores=self.calibration_.scores,
        )
        if self.replay_rows:
            arrays.update(replay_X=self.replay_.X, replay_y=self.replay_.y)
        return meta, arrays

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> NeuralRegressor:
        params = dict(meta["params"])
        params["hidden"] = tuple(params["hidden"])
        model = cls(**params)
        model._restore_common(meta)
        net = meta["network"]
        model.backend_ = meta["backend"]
        model.train_config_ = TrainConfig(**meta["train_config"])
        model.net_ = NetworkSpec(
            net["n_inputs"],
            tuple(net["hidden"]),
            net["activation"],
            n_outputs=2 if model.train_config_.loss == "gaussian" else 1,
        )
        model.history_ = meta["history"]
        model.n_epochs_ = meta["n_epochs"]
        model.best_epoch_ = meta["best_epoch"]
        model.stopped_early_ = meta["stopped_early"]
        model.converged_ = meta["converged"]
        model.y_mean_ = meta["y_mean"]
        model.y_scale_ = meta["y_scale"]
        n_params = len(model.net_.param_shapes())
        model.members_ = [[arrays[f"param_{i}"] for i in range(n_params)]]
        while f"member_{len(model.members_)}_param_0" in arrays:
            m = len(model.members_)
            model.members_.append([arrays[f"member_{m}_param_{i}"] for i in range(n_params)])
        model.member_histories_ = meta.get("member_histories", [model.history_["train_loss"]])
        model.weight_decay_search_ = {k: v for k, v in meta.get("weight_decay_search", [])}
        model.x_mean_ = arrays["x_mean"]
        model.x_scale_ = arrays["x_scale"]
        if "calibration_scores" in arrays:
            scores = arrays["calibration_scores"]
        else:  # files before ensembles: absolute residuals of a constant-spread network
            scores = arrays["calibration_residuals"] / model.y_scale_
        model.calibration_ = Calibration(scores, meta["calibration_source"])
        model.updates_ = meta.get("updates", [])  # absent before updates existed
        model.replay_ = Reservoir(
            arrays.get("replay_X", np.empty((0, net["n_inputs"]))),
            arrays.get("replay_y", np.empty(0)),
            meta.get("replay_seen", model.n_samples_),
            model.replay_rows,
        )
        return model


_KINDS: dict[str, Callable[[dict[str, Any], dict[str, np.ndarray]], _Estimator]] = {
    "linear": LinearRegression._from_state,
    "neural": NeuralRegressor._from_state,
}


def load(
    path: str | Path,
    backend: str | None = None,
    key: bytes | str | Path | None = None,
) -> LinearRegression | NeuralRegressor:
    """Load a model saved with ``save``; ``backend`` moves a network to another engine.

    Nothing in the file is executed: every field is validated first
    (``galton.model_schema``) and a formula is parsed, never evaluated as text. ``key``
    (the key's bytes, or a key file's path) refuses files that are not signed with it.
    Any malformed file raises ``ModelFileError`` with one line.
    """
    meta, arrays = read_model_file(path, None if key is None else read_key(key))
    validate_model(path, meta, arrays)
    try:
        model = _KINDS[meta["kind"]](meta, arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: invalid model file ({first_line(exc)})") from None
    model.signed_ = bool(meta.get("signed"))
    _probe(path, model)
    if backend is not None and isinstance(model, NeuralRegressor):
        model.backend_ = engine_registry.canonical_name(backend)
        engine_registry.get_backend(model.backend_)
    return model


def _probe(path: str | Path, model: _Estimator) -> None:
    """Refuse a model whose prediction at the centre of its inputs is not finite (weights
    that overflow), found with the NumPy engine so no framework is imported."""
    if isinstance(model, NeuralRegressor):
        numpy_engine = engine_registry.get_backend("numpy")
        centre = np.zeros((1, model.net_.n_inputs))
        with np.errstate(all="ignore"):
            outputs = [
                numpy_engine.predict(model.net_, p, centre, "float64") for p in model.members_
            ]
        if not all(np.isfinite(o).all() for o in outputs):
            raise ModelFileError(
                f"{path}: invalid model file: its network predicts non-finite values"
            )
