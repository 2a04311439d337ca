"""What both estimators share: parameters, input handling, metrics and saving, and the
parameter checks and numeric helpers they both use."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from galton.data.chunks import iter_chunks
from galton.data.formula import FormulaDesign
from galton.data.loading import describe_source, read_table, split_target, table_and_target
from galton.data.preprocess import (
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
)
from galton.estimators.params import check as _check
from galton.io import read_key, write_model_file
from galton.metrics import regression_metrics


class AliasedColumnsWarning(UserWarning):
    """Some design columns are linear combinations of others and were not estimated."""


class PredictionInterval(NamedTuple):
    """Predictions with interval bounds, each of shape (n,)."""

    prediction: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def fitted_attribute(get: Callable[[Any], Any], doc: str) -> property:
    """A read-only fitted attribute computed from ``results_``, the estimator's one results
    object (so attributes and the results cannot disagree)."""

    def read(self: _Estimator) -> Any:
        self._require_fitted()
        return get(self.results_)

    return property(read, doc=doc)


class _Estimator:
    """Shared machinery: parameters, input handling, metrics, files."""

    _kind = ""
    # constructor parameters every estimator has
    missing: str
    formula: str | None
    categories: dict[str, list] | None
    # fitted: set by fit (for networks, read from ``results_``)
    results_: Any
    metrics_: dict[str, float]
    n_samples_: int
    fit_seconds_: float
    distributed_: dict[str, Any] | None
    signed_: bool

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

    def to_dict(self) -> dict[str, Any]:
        """What the fitted model is and how well it fits, JSON-ready (``galton fit --json``
        and ``galton info``); subclasses add their own fields."""
        self._require_fitted()
        out: dict[str, Any] = {
            "model": self._model_name(),
            "target": self.target_name_,
            "features": self.feature_names_in_,
            "n_samples": self.n_samples_,
            "metrics": self.metrics_,
            "fit_seconds": self.fit_seconds_,
        }
        if getattr(self, "distributed_", None):
            out["distributed"] = self.distributed_
        return out

    def _model_name(self) -> str:
        return self._kind

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
