"""load(): model files back into estimators, validated before anything is built."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.errors import (
    ModelFileError,
    first_line,
)
from galton.estimators.base import _Estimator
from galton.estimators.linear import LinearRegression
from galton.estimators.neural import NeuralRegressor
from galton.estimators.ridge import RidgeRegression
from galton.io import read_key, read_model_file
from galton.model_schema import validate_model

Model = LinearRegression | RidgeRegression | NeuralRegressor
_Reader = Callable[[dict[str, Any], dict[str, np.ndarray]], Model]
_KINDS: dict[str, _Reader] = {
    "linear": LinearRegression._from_state,
    "ridge": RidgeRegression._from_state,
    "neural": NeuralRegressor._from_state,
}


def load(
    path: str | Path,
    backend: str | None = None,
    key: bytes | str | Path | None = None,
) -> Model:
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
        model.results_.backend = engine_registry.canonical_name(backend)
        engine_registry.get_backend(model.results_.backend)
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
