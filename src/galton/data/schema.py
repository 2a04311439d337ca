"""One input object: how an estimator's rows become arrays.

``InputSchema`` reads what ``fit`` is given (arrays, tables, files, a formula, stream chunks,
Dask partitions) and new rows at ``predict`` and updates into the same design: inputs
(n, d), target (n,) and weights. It owns the preprocessor (column kinds, text levels,
imputation), the formula, the column names and the checks on values; an estimator keeps
one as ``schema_`` and its ``feature_names_in_`` and friends read from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from galton.data.chunks import iter_chunks
from galton.data.dialect import ReadOptions
from galton.data.formula import FormulaDesign
from galton.data.loading import (
    describe_source,
    read_table,
    split_target,
    table_and_target,
    weight_column,
)
from galton.data.preprocess import Preprocessor, apply_missing_policy, numeric_column
from galton.data.roles import names_like_ids
from galton.errors import DataError, NotFittedError, ParameterError
from galton.row_ranges import column_ranges

#: Columns whose magnitudes lie outside [SMALLEST, LARGEST] are refused: beyond them sums of
#: squares overflow, or results become subnormal, even after exact power-of-two scaling.
LARGEST_MAGNITUDE = 2.0**1000  # about 1.07e301
SMALLEST_MAGNITUDE = 2.0**-1000  # about 9.3e-302


def check_range(source: str, A: np.ndarray, names: list[str], role: str) -> None:
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


def is_real(dtype: Any) -> bool:
    """A numpy integer or floating-point dtype (not boolean, complex or a pandas extension)."""
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


#: A target with at most this many distinct values (and several rows of each) is warned
#: about: it may be classes.
FEW_TARGET_VALUES = 5


class InputSchema:
    """The inputs of one estimator: its policy (``missing``, ``categories``, ``formula``)
    and what ``fit`` learned (``preprocessor_``, ``formula_``, the names).

    Parameters
    ----------
    owner : str
        The estimator's class name, for messages.
    missing, categories, formula
        The estimator's parameters of the same names.
    """

    def __init__(
        self,
        owner: str,
        missing: str = "error",
        categories: dict[str, list] | None = None,
        formula: str | None = None,
        max_levels: int | None = None,
        group_rare: bool = False,
    ) -> None:
        self.owner, self.missing, self.categories, self.formula = (
            owner,
            missing,
            categories,
            formula,
        )
        self.max_levels, self.group_rare = max_levels, group_rare
        self.preprocessor_: Preprocessor | None = None
        self.formula_: FormulaDesign | None = None
        self.feature_names_in_: list[str] = []
        self.feature_names_: list[str] = []
        self.target_name_ = ""
        self.rows_used_: np.ndarray = np.empty(0, dtype=int)
        self.rows_given_: np.ndarray = np.empty(0, dtype=int)
        #: the training inputs' range per design input (d,), when the fit saw them all
        self.input_min_: np.ndarray | None = None
        self.input_max_: np.ndarray | None = None

    @property
    def learned(self) -> bool:
        """Whether the columns have been learned (by a fit)."""
        return self.preprocessor_ is not None

    @property
    def n_features_in_(self) -> int:
        return len(self.feature_names_in_)

    def require_learned(self) -> None:
        if not self.learned:
            raise NotFittedError(f"this {self.owner} is not fitted yet: call fit first")

    @property
    def preprocessor(self) -> Preprocessor:
        """The fitted preprocessor."""
        self.require_learned()
        assert self.preprocessor_ is not None
        return self.preprocessor_

    def note_ranges(self, X: np.ndarray) -> None:
        """Widen the training inputs' ranges to cover the rows ``X`` (n, d)."""
        if X.shape[0] == 0:
            return
        low, high = column_ranges(X)
        if self.input_min_ is None or self.input_max_ is None:
            self.input_min_, self.input_max_ = low.astype(float), high.astype(float)
        else:
            self.input_min_ = np.fmin(self.input_min_, low)
            self.input_max_ = np.fmax(self.input_max_, high)

    def outside_ranges(self, X: np.ndarray) -> np.ndarray | None:
        """Which inputs of each row (n, d) lie outside the training ranges (None when the
        ranges are not known: a Dask fit or an older file)."""
        if self.input_min_ is None or self.input_max_ is None:
            return None
        with np.errstate(invalid="ignore"):
            return (self.input_min_ > X) | (self.input_max_ < X)

    def to_state(self) -> dict[str, Any]:
        """What a model file keeps of the inputs (JSON-ready)."""
        ranges = None
        if self.input_min_ is not None and self.input_max_ is not None:
            finite = np.isfinite(self.input_min_) & np.isfinite(self.input_max_)
            if finite.all():
                ranges = [self.input_min_.tolist(), self.input_max_.tolist()]
        return {
            "input_ranges": ranges,
            "preprocessor": self.preprocessor.to_dict(),
            "feature_names_in": self.feature_names_in_,
            "feature_names": self.feature_names_,
            "target": self.target_name_,
            "formula": self.formula_.to_dict() if self.formula_ is not None else None,
        }

    def restore(self, meta: dict[str, Any]) -> InputSchema:
        """The learned state from a model file's ``meta`` (validated before)."""
        self.preprocessor_ = Preprocessor.from_dict(meta["preprocessor"])
        self.feature_names_in_ = meta["feature_names_in"]
        self.feature_names_ = meta["feature_names"]
        self.target_name_ = meta["target"]
        formula = meta.get("formula")
        self.formula_ = FormulaDesign.from_dict(formula) if formula else None
        ranges = meta.get("input_ranges")
        if ranges is not None:
            self.input_min_, self.input_max_ = (np.asarray(r, dtype=float) for r in ranges)
        return self

    def training_data(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Preprocess training data: returns design inputs (n, d), target (n,), weights.
        ``sample_weight``: one weight per row, or the name of a weight column of ``X``."""
        self.formula_ = None
        X, sample_weight = self._weights(X, sample_weight)
        if self.formula is not None:
            if y is not None:
                raise DataError("with a formula give only the table: the formula names the target")
            source = describe_source(X)
            frame = X if isinstance(X, pd.DataFrame) else read_table(X)
            frame = frame.set_axis(pd.RangeIndex(len(frame)), axis=0)  # rows by position
            self.formula_ = FormulaDesign(self.formula)
            features, target = self.formula_.fit(frame, source)
        else:
            features, target, source = table_and_target(X, y, self.owner)
        features, target, weights = self.usable_rows(features, target, sample_weight, source)
        #: the positions of the rows kept (missing values, zero weights dropped)
        self.rows_used_ = features.index.to_numpy()
        self.learn(features, str(target.name), source)
        X_arr, y_arr, w = self.arrays(features, target, weights, source)
        self.note_ranges(X_arr)
        if X_arr.shape[0] < 2:
            raise DataError(f"{source}: {X_arr.shape[0]} sample(s) left to fit; need at least 2")
        if np.ptp(y_arr) == 0:
            warnings.warn(
                f"{source}: the target '{self.target_name_}' is constant ({y_arr[0]:g}): "
                "every model predicts that value and R-squared is undefined",
                UserWarning,
                stacklevel=3,
            )
        else:
            self._warn_few_values(y_arr, source)
        return X_arr, y_arr, w

    def _warn_few_values(self, y: np.ndarray, source: str) -> None:
        """A target with a handful of distinct values looks like classes, not a quantity."""
        if len(np.unique(y[:1000])) > FEW_TARGET_VALUES:  # cheap for a real quantity
            return
        values = np.unique(y)
        if len(values) <= FEW_TARGET_VALUES and len(y) > 4 * len(values):
            shown = ", ".join(f"{v:g}" for v in values)
            warnings.warn(
                f"{source}: the target '{self.target_name_}' takes only {len(values)} "
                f"distinct values ({shown}): if they are classes, regression may not be what "
                "you want",
                UserWarning,
                stacklevel=4,
            )

    def learn(self, features: pd.DataFrame, target: str, source: str) -> None:
        """Fit the preprocessor on ``features`` and record the column names."""
        self.preprocessor_ = Preprocessor(
            self.missing,
            self.categories,
            self.max_levels,
            self.group_rare,
            roles=self.formula_ is None,
        ).fit(features, source)
        self.feature_names_in_ = [c["name"] for c in self.preprocessor.columns_]
        self.feature_names_ = self.preprocessor.feature_names_
        self.target_name_ = target

    def require_column_target(self, target: Any, how: str) -> None:
        """Fits that read the data in pieces (``how``: a stream, a cluster) learn no formula
        and impute nothing: the whole table is never in one place."""
        if self.formula is not None or not isinstance(target, str):
            raise ParameterError(
                f"{self.owner}: {how} takes target= the target column's name, not a formula"
            )
        if self.missing in ("mean", "median"):
            raise ParameterError(
                f"{how} reads the data in pieces, so it cannot impute missing values from "
                f"them: use missing='drop' or 'error' (got {self.missing!r})"
            )

    def new_rows(
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
        self.require_learned()
        if self.formula_ is not None:
            raise ParameterError("models with a formula cannot be updated: refit on all rows")
        X, sample_weight = self._weights(X, sample_weight, source)
        if isinstance(X, np.ndarray | list | tuple) and y is not None and not isinstance(y, str):
            X = self.array_frame(X)
        features, target, described = table_and_target(
            X, self.target_name_ if y is None else y, self.owner, self.feature_names_in_
        )
        source = source or described
        features, target, weights = self.usable_rows(features, target, sample_weight, source)
        #: the rows kept of the last rows given (their index: positions for a table read)
        self.rows_given_ = features.index.to_numpy()
        return self.arrays(features, target, weights, source, first_row)

    def _weights(self, X: Any, sample_weight: Any, source: str | None = None) -> tuple[Any, Any]:
        """``X`` and the weights: a weight column named by ``sample_weight`` is taken out of
        the table (and checked to be numbers), other weights pass through."""
        if not isinstance(sample_weight, str):
            return X, sample_weight
        source = source or describe_source(X)
        frame, column = weight_column(X, sample_weight, source)
        return frame, numeric_column(column, sample_weight, source, role="weight")

    def usable_rows(
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

    def arrays(
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
        X_arr = self.preprocessor.transform(features, source, first_row)
        check_range(source, y_arr[:, None], [str(target.name)], "target")
        check_range(source, X_arr, self.feature_names_, "column")
        w = None if weights is None else weights.loc[features.index].to_numpy()
        return X_arr, y_arr, w

    def partition_plan(self, head: pd.DataFrame, target: Any, weight: str | None) -> Any:
        """Learn the preprocessing from a first partition ``head``; returns the
        ``galton.distributed.PartitionPlan`` every partition task follows."""
        from galton.distributed import PartitionPlan

        self.require_column_target(target, "engine='dask'")
        columns = [str(c) for c in head.columns]
        features = [c for c in columns if c not in (target, weight)]
        X_head, _ = split_target(head.set_axis(columns, axis=1), target, features, "data")
        self.formula_ = None
        self.learn(X_head, target, "data")
        return PartitionPlan(target, features, weight, self.missing, self.preprocessor.to_dict())

    def stream_rows(
        self,
        source: Any,
        target: str,
        sample_weight: str | None,
        chunk_rows: int,
        features: list[str] | None = None,
        options: ReadOptions | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """Preprocessed chunks of a stream source: inputs (m, d), target (m,), weights.

        The first chunk fixes the columns' kinds and the levels of text columns (unless
        ``categories`` gives them); a later chunk with an unseen level is an error naming
        the row. ``sample_weight`` names a weight column.
        """
        self.require_column_target(target, "a streamed fit")
        self.formula_ = None
        fitted = False
        for chunk in iter_chunks(source, chunk_rows, options):
            frame = chunk.frame.set_axis(pd.RangeIndex(len(chunk.frame)), axis=0)
            weights = None
            if sample_weight is not None:
                if sample_weight not in map(str, frame.columns):
                    raise DataError(f"{chunk.source}: no weight column '{sample_weight}'")
                weights = frame[sample_weight].to_numpy(dtype=float)
                frame = frame.drop(columns=[sample_weight])
            X_part, y_part = split_target(frame, target, features, chunk.source)
            X_part, y_part, w_part = self.usable_rows(X_part, y_part, weights, chunk.source)
            if not fitted:
                self.learn(X_part, target, chunk.source)
                features = self.feature_names_in_  # every chunk: the same columns
                fitted = True
            found = self.arrays(X_part, y_part, w_part, chunk.source, chunk.first_row)
            self.note_ranges(found[0])
            yield found
        if not fitted:
            raise DataError(f"{describe_source(source)}: no data rows")

    def plain_arrays(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """Views of a numeric array (or all-numeric DataFrame) and target, without copies.

        Returns None unless the input is plain: real-valued (not boolean) features and
        target of matching lengths, at least 2 rows and 1 column, positive finite weights,
        no formula. Missing or infinite values are found later, from the cross-products;
        the caller then falls back to ``training_data``, which names the row.
        """
        if self.formula is not None or y is None or isinstance(y, str):
            return None
        if isinstance(sample_weight, str):  # a weight column: the table path takes it out
            return None
        if isinstance(X, pd.DataFrame):
            if not all(is_real(dtype) for dtype in X.dtypes):
                return None
            names = [str(c) for c in X.columns]
            if names_like_ids(names):
                return None  # the table path drops identifier columns
            dtypes = [str(dtype) for dtype in X.dtypes]
            X = X.to_numpy()  # a view for one float block; a copy still beats the table path
        elif isinstance(X, np.ndarray) and X.ndim == 2:
            names = [f"x{j}" for j in range(X.shape[1])]
            dtypes = [str(X.dtype)] * X.shape[1]
        else:
            return None
        target = y.to_numpy() if isinstance(y, pd.Series) else y
        if not (isinstance(target, np.ndarray) and is_real(X.dtype) and is_real(target.dtype)):
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
        self._warn_few_values(target, "data")
        self.note_ranges(X)
        return X, target, w

    def inputs(self, X: Any) -> np.ndarray:
        """Preprocess new data (n, k) with the state learned in fit."""
        self.require_learned()
        source = describe_source(X)
        if isinstance(X, np.ndarray | list | tuple) and self.formula_ is None:
            frame = self.array_frame(X)
        else:
            frame = read_table(X)
            if self.formula_ is not None:
                frame = self.formula_.transform(frame, source)
        return self.preprocessor.transform(frame, source)

    def array_frame(self, X: Any) -> pd.DataFrame:
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
                f"{self.owner} is expecting {self.n_features_in_} features as input "
                f"({', '.join(self.feature_names_in_)}){hint}"
            )
        return pd.DataFrame(arr, columns=self.feature_names_in_)
