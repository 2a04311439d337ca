"""What both estimators share: parameters, input handling, metrics and saving, and the
parameter checks and numeric helpers they both use."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from galton.data.schema import InputSchema
from galton.errors import (
    GaltonError,
    ModelFileError,
    NotFittedError,
    ParameterError,
)
from galton.estimators.page import FitPage, card, prediction_page
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


def fitted_attribute(get: Callable[[Any], Any], doc: str, of: str = "results_") -> property:
    """A read-only fitted attribute computed from one fitted object: ``results_`` (the
    estimator's results) or ``schema_`` (what it learned about the inputs), so attributes
    and that object cannot disagree."""

    def read(self: _Estimator) -> Any:
        self._require_fitted()
        return get(getattr(self, of))

    return property(read, doc=doc)


def _learned(name: str, doc: str) -> property:
    """``schema_.name`` as a read-only fitted attribute."""
    return fitted_attribute(lambda schema: getattr(schema, name), doc, of="schema_")


class _Estimator:
    """Shared machinery: parameters, input handling, metrics, files."""

    _kind = ""
    # constructor parameters every estimator has
    missing: str
    formula: str | None
    categories: dict[str, list] | None
    max_levels: int | None
    group_rare: bool
    # fitted: set by fit (for networks, read from ``results_``)
    schema_: InputSchema
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
        schema = self.__dict__.get("schema_")  # not hasattr: the names below read it
        if schema is None or not schema.learned:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _new_schema(self) -> InputSchema:
        """A fresh input schema for a fit (what it learns replaces the last fit's)."""
        self.schema_ = InputSchema(
            type(self).__name__,
            self.missing,
            self.categories,
            self.formula,
            self.max_levels,
            self.group_rare,
        )
        return self.schema_

    preprocessor_ = _learned("preprocessor_", "The fitted preprocessor (column kinds, levels).")
    formula_ = _learned("formula_", "The fitted formula design, or None.")
    feature_names_in_ = _learned("feature_names_in_", "The input columns, in order.")
    feature_names_ = _learned("feature_names_", "The design's columns after preprocessing.")
    target_name_ = _learned("target_name_", "The target column's name.")
    n_features_in_ = _learned("n_features_in_", "The number of input columns.")

    def _inputs(self, X: Any) -> np.ndarray:
        """New rows ``X`` preprocessed as in fit: design inputs (n, d)."""
        self._require_fitted()
        return self.schema_.inputs(X)

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

    def to_html(
        self,
        path: str | Path | None = None,
        X: Any = None,
        y: Any = None,
        sample_weight: Any = None,
        plots_dir: str | Path | None = None,
    ) -> str:
        """The single-fit page: one self-contained HTML file with the model's table,
        statistics, tests and diagnostic plots (``galton.estimators.page``).

        Parameters
        ----------
        path : str or Path, optional
            Write the page here (whole or not at all); it is returned either way.
        X, y, sample_weight : optional
            The rows the plots are drawn from: a least-squares fit in memory keeps its
            own; networks and loaded models need them given (a table and its target
            column's name, or arrays (n, k) and (n,)).
        plots_dir : str or Path, optional
            Also write each figure there as PNG.
        """
        from galton.report.fit_html import fit_page_html
        from galton.report.parts import check_destination

        self._require_fitted()
        if path is not None:
            check_destination(path)  # before the work
        return fit_page_html(self._page(X, y, sample_weight), path, plots_dir)

    def _repr_html_(self) -> str:
        """In a notebook: the fitted model's statistics and coefficients as tables (the
        text summary folded below them); before ``fit``, the repr."""
        from galton.report.notebook import card_html, unfitted_html

        schema = self.__dict__.get("schema_")
        if schema is None or not schema.learned:
            return unfitted_html(repr(self))
        return card_html(card(self))

    def plot(self, X: Any = None, y: Any = None, sample_weight: Any = None) -> Any:
        """The model's diagnostic figure (a matplotlib ``Figure``): R's ``plot.lm``
        residual panels, from the training rows a least-squares fit keeps or from ``X``
        and ``y``; a network without rows shows its learning curves."""
        from galton.report.figures import learning_curves
        from galton.report.fit_figures import residual_panels

        self._require_fitted()
        page = self._page(X, y, sample_weight)
        if page.residuals is not None:
            network = page.history is not None
            return residual_panels(page.residuals, network=network, as_figure=True)
        if page.history is not None:
            return learning_curves(page.history, as_figure=True)
        raise ParameterError(
            f"{type(self).__name__}.plot needs the rows to draw: plot(X, y) (a table and its "
            "target column's name, or arrays)"
        )

    def check(self, X: Any, against: Any = None, level: float = 0.95) -> pd.DataFrame:
        """The predictions of ``X`` with flags for rows not to trust: outside the
        training ranges, of high leverage (least squares), or, with ``against`` (another
        fitted model: the network for a line, the line for a network), where the two
        disagree beyond their ``level`` prediction intervals
        (``galton.estimators.checking``)."""
        from galton.estimators.checking import check_rows

        self._require_fitted()
        return check_rows(self, X, against, level)

    def _page(self, X: Any, y: Any, sample_weight: Any) -> FitPage:
        return prediction_page(self, X, y, f"{type(self).__name__}: {self.target_name_}")

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
            **self.schema_.to_state(),
            "metrics": self.metrics_,
            "n_samples": self.n_samples_,
            "fit_seconds": self.fit_seconds_,
        }

    def _restore_common(self, meta: dict[str, Any]) -> None:
        self._new_schema().restore(meta)

    def _restore_fit_record(self, meta: dict[str, Any]) -> None:
        """The inputs and the fit's record (metrics, rows, seconds) of a file, for the
        estimators that hold them as plain attributes (least squares, ridge)."""
        self._restore_common(meta)
        self.metrics_ = meta["metrics"]
        self.n_samples_ = meta["n_samples"]
        self.fit_seconds_ = meta["fit_seconds"]

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


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return value
