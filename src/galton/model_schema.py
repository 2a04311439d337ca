"""Every field of a model file checked before a model is built from it.

``validate_model(path, meta, arrays)`` checks the metadata against a declarative schema
(types, choices, finiteness, string and list lengths) and the arrays against what the
metadata declares (dtypes, shapes consistent with the architecture, finite values), so a
malformed or hostile file is one ``ModelFileError`` line, never a traceback, a NaN
prediction or a broken export. It reads nothing and allocates nothing beyond what the file
already holds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from galton.backends import ENGINES
from galton.data.preprocess import output_names
from galton.data.roles import DATE_FORMATS, DATE_PARTS
from galton.errors import ModelFileError
from galton.exact.robust import COV_TYPES
from galton.schema_checks import (
    Check,
    Invalid,
    either,
    fail,
    flag,
    integer,
    items,
    mapping,
    number,
    optional,
    pair,
    plain,
    record,
    text,
    triple,
)
from galton.spec import ACTIVATIONS, LOSSES, OPTIMIZERS, SCHEDULES, NetworkSpec, TrainConfig

_SPLINE = {
    "lower_bound": number(),
    "upper_bound": number(),
    "knots": items(number(), max_len=10_000),
}
_CUBIC = {**_SPLINE, "constraints": optional(items(number())), "cyclic": flag}
_CENTRE = {"ddof": integer(0, 1), "center": number(), "scale": optional(number(low=0))}
#: The fitted state each stateful transform keeps, key for key.
TRANSFORM_STATES = {
    "center": record(_CENTRE),
    "scale": record(_CENTRE),
    "standardize": record(_CENTRE),
    "bs": record(_SPLINE),
    "cr": record(_CUBIC),
    "cs": record(_CUBIC),
    "cc": record(_CUBIC),
}


def _transform_states(value: Any, where: str) -> None:
    """Each stored transform state is exactly what its transform keeps at fit time."""
    if not isinstance(value, dict) or len(value) > 1000:
        fail(where, "an object", value)
    for term, state in value.items():
        name = str(term).split("(", 1)[0].strip()
        if name not in TRANSFORM_STATES:
            raise Invalid(f"field '{where}' names no stateful transform: {str(term)[:40]!r}")
        TRANSFORM_STATES[name](state, f"{where}.{str(term)[:40]}")


NAME = text()
NAMES = items(NAME)
ANY_NUMBER = number(finite=False)
POSITIVE = number(low=math.ulp(0.0))
COUNT = integer()

PREPROCESSOR = record(
    {
        "missing": text(("error", "drop", "mean", "median")),
        "columns": items(
            record(
                {
                    "name": NAME,
                    "dtype": text(max_len=64),
                    "kind": text(("numeric", "bool", "categorical", "date")),
                },
                {
                    "categories": NAMES,
                    "fill": either(number(), NAME),
                    "unit": text(("percent", "currency")),
                    "format": text(tuple(f for fs in DATE_FORMATS.values() for f in fs)),
                    "parts": items(text(DATE_PARTS), max_len=len(DATE_PARTS)),
                },
            )
        ),
    },
    {"dropped": items(record({"name": NAME, "why": NAME}))},
)
FORMULA = record(
    {
        "formula": NAME,
        "rhs": NAME,
        "target": NAME,
        "intercept": flag,
        "columns": NAMES,
        "state": mapping(pair(text(("numerical", "categorical", "constant")), mapping(plain))),
    },
    {"transform_state": _transform_states},
)
COMMON = {
    "format": text(),
    "format_version": integer(1, 2),
    "galton_version": text(max_len=64),
    "kind": text(("linear", "neural", "ridge")),
    "signed": flag,
    "params": mapping(plain, max_len=100),
    "preprocessor": PREPROCESSOR,
    "feature_names_in": NAMES,
    "feature_names": NAMES,
    "target": NAME,
    "metrics": either(
        record({"rmse": ANY_NUMBER, "r2": ANY_NUMBER}, {"mae": ANY_NUMBER}),
        record(
            {"rmse": ANY_NUMBER, "r2": ANY_NUMBER, "val_rmse": ANY_NUMBER, "val_r2": ANY_NUMBER},
            {"mae": ANY_NUMBER, "val_mae": ANY_NUMBER},
        ),
    ),
    "n_samples": COUNT,
    "fit_seconds": number(low=0),
    "formula": optional(FORMULA),
}
#: An interaction term: ``[column, power, [[column, power], ...]]``.
INTERACTION = triple(COUNT, integer(1, 30), items(pair(COUNT, integer(1, 30)), max_len=30))
#: Optional in every kind (files before it lack it): the training inputs' ranges.
OPTIONAL_COMMON = {"input_ranges": optional(pair(items(number()), items(number())))}
LINEAR = record(
    {
        **COMMON,
        "terms": items(either(pair(optional(COUNT), integer(0, 30)), INTERACTION)),
        "solution": record(
            {
                "y_scale": POSITIVE,
                "rss_scaled": number(low=0),
                "tss_scaled": number(low=0),
                "yy_scaled": number(low=0),
                "rank": COUNT,
                "rank_tol": number(low=0),
                "condition_number": number(low=0, finite=False),
                "scaled_condition_number": number(low=0, finite=False),
                "method": text(max_len=64),
                "precision_bits": COUNT,
            }
        ),
        "log_weights_sum": number(),
    },
    {
        **OPTIONAL_COMMON,
        "qr_summary": optional(
            record(
                {
                    "nobs": COUNT,
                    "wsum": number(low=0),
                    "wmean": number(),
                    "wm2": number(low=0),
                    "log_w": number(),
                }
            )
        ),
        "diagnostics": mapping(ANY_NUMBER, max_len=50),
        "anova": mapping(
            items(
                record(
                    {
                        "term": NAME,
                        "sum_sq": ANY_NUMBER,
                        "df": ANY_NUMBER,
                        "F": ANY_NUMBER,
                        "p": ANY_NUMBER,
                    }
                )
            ),
            max_len=3,
        ),
        "robust": record(
            {
                "kind": text(tuple(c for c in COV_TYPES if c != "nonrobust")),
                "use_t": flag,
                "df": integer(-(2**31), 2**53),
                "maxlags": COUNT,
                "n_groups": COUNT,
            }
        ),
    },
)
RIDGE = record(
    {
        **COMMON,
        "ridge": record(
            {
                "intercept": number(),
                "alpha": number(low=0),
                "effective_df": number(low=0),
                "rss": number(low=0),
                "tss": number(low=0),
            }
        ),
    },
    OPTIONAL_COMMON,
)
_CONFIG_TYPES: dict[str, Check] = {
    "loss": text(LOSSES),
    "optimizer": text(OPTIMIZERS),
    "learning_rate": number(low=0),
    "momentum": number(0, 1),
    "weight_decay": number(low=0),
    "batch_size": integer(1),
    "max_epochs": integer(0),
    "schedule": text(SCHEDULES),
    "shuffle": flag,
    "early_stopping": flag,
    "validation_fraction": number(0, 1),
    "patience": integer(0),
    "tol": number(low=0),
    "huber_delta": POSITIVE,
    "dtype": text(("float64", "float32")),
    "seed": optional(integer(-(2**63), 2**64)),
    "device": text(("cpu", "cuda")),
    "extra": mapping(plain),
}
assert set(_CONFIG_TYPES) == set(TrainConfig.__dataclass_fields__)
LOSS_CURVE = items(ANY_NUMBER)
NEURAL = record(
    {
        **COMMON,
        "backend": text(tuple(ENGINES)),
        "network": record(
            {
                "n_inputs": integer(1, 10**6),
                "hidden": items(integer(1, 10**6), max_len=100),
                "activation": text(ACTIVATIONS),
            },
            {"skip": flag},
        ),
        "train_config": record({}, _CONFIG_TYPES),
        "history": record(
            {
                "train_loss": items(ANY_NUMBER, min_len=1),
                "val_loss": LOSS_CURVE,
                "lr": LOSS_CURVE,
                "passes": LOSS_CURVE,
            },
            {"events": NAMES},
        ),
        "n_epochs": COUNT,
        "best_epoch": COUNT,
        "stopped_early": flag,
        "converged": flag,
        "y_mean": number(),
        "y_scale": POSITIVE,
        "calibration_source": text(max_len=64),
    },
    {
        **OPTIONAL_COMMON,
        "member_histories": items(LOSS_CURVE, max_len=10_000),
        "weight_decay_search": items(pair(number(low=0), ANY_NUMBER), max_len=100),
        "updates": items(mapping(ANY_NUMBER, max_len=100)),
        "replay_seen": COUNT,
        "calibration_params": COUNT,
    },
)


def validate_model(path: Path | str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Raise ``ModelFileError`` unless ``meta`` and ``arrays`` make a well-formed model."""
    try:
        kind = meta.get("kind")
        if kind == "linear":
            LINEAR(meta, "model")
            _check_linear(meta, arrays)
        elif kind == "neural":
            NEURAL(meta, "model")
            _check_neural(meta, arrays)
        elif kind == "ridge":
            RIDGE(meta, "model")
            _check_ridge(meta, arrays)
        else:
            fail("model.kind", "'linear', 'ridge' or 'neural'", kind)
        _check_columns(meta)
    except Invalid as exc:
        raise ModelFileError(f"{path}: invalid model file: {exc}") from None


def _array(
    arrays: dict[str, np.ndarray],
    name: str,
    shape: tuple[int, ...],
    dtypes: tuple[str, ...] = ("float64",),
    gaps: np.ndarray | None = None,
) -> np.ndarray:
    """``arrays[name]``, checked for presence, shape, dtype kind and finiteness; ``gaps``
    (bool) marks entries allowed to be NaN (estimates of aliased terms)."""
    if name not in arrays:
        raise Invalid(f"array '{name}' is missing")
    arr = arrays[name]
    if arr.dtype.name not in dtypes or arr.shape != shape:
        raise Invalid(
            f"array '{name}' must have shape {shape} and dtype {' or '.join(dtypes)}, "
            f"not {arr.shape} {arr.dtype}"
        )
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if gaps is not None:
            bad &= ~(gaps & np.isnan(arr))
        if bad.any():
            raise Invalid(f"array '{name}' has non-finite values")
    return arr


def _no_other_arrays(arrays: dict[str, np.ndarray], expected: set[str]) -> None:
    stray = sorted(set(arrays) - expected)
    if stray:
        raise Invalid(f"unexpected array '{stray[0][:40]}'")


def _check_columns(meta: dict[str, Any]) -> None:
    """Names, the preprocessor's columns and the formula's design agree."""
    columns = meta["preprocessor"]["columns"]
    if meta["feature_names_in"] != [c["name"] for c in columns]:
        raise Invalid("field 'feature_names_in' does not match the preprocessor's columns")
    for c in columns:
        if c["kind"] == "categorical" and not c.get("categories"):
            raise Invalid(f"categorical column '{c['name'][:40]}' has no categories")
        if c["kind"] != "categorical" and ("categories" in c or isinstance(c.get("fill"), str)):
            raise Invalid(f"column '{c['name'][:40]}' has categories but is {c['kind']}")
        if c["kind"] == "categorical" and c["categories"] != sorted(set(c["categories"])):
            raise Invalid(f"categories of '{c['name'][:40]}' are not sorted and distinct")
        if (c["kind"] == "date") != ("format" in c and "parts" in c) or (
            "unit" in c and c["kind"] != "numeric"
        ):
            raise Invalid(f"column '{c['name'][:40]}' has fields its kind {c['kind']} lacks")
    names = [name for c in columns for name in output_names(c)]
    if meta["feature_names"] != names:
        raise Invalid("field 'feature_names' does not match the preprocessor's columns")
    formula = meta["formula"]
    if formula is not None and meta["format_version"] >= 2:
        stateful = [k for k in formula["state"] if k.split("(", 1)[0] in TRANSFORM_STATES]
        if len(formula.get("transform_state", {})) != len(stateful):
            raise Invalid("field 'formula.transform_state' lacks a transform's fitted state")
    if (formula is None) != (meta["params"].get("formula") is None):
        raise Invalid("fields 'formula' and 'params.formula' disagree")
    if formula is not None and formula["columns"] != meta["feature_names_in"]:
        raise Invalid("field 'formula.columns' does not match 'feature_names_in'")
    ranges = meta.get("input_ranges")
    if ranges is not None and not len(ranges[0]) == len(ranges[1]) == len(names):
        raise Invalid("field 'input_ranges' must give one range per design input")


def _check_linear(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    p = len(meta["terms"])
    width = len(meta["feature_names"])
    for term in meta["terms"]:
        column, power = term[0], term[1]
        others = [c for c, _ in term[2]] if len(term) > 2 else []
        if (column is None) != (power == 0) or any(
            c >= width for c in [column, *others] if c is not None
        ):
            raise Invalid(f"term {term} names no column of the model")
    aliased = _array(arrays, "aliased", (p,), ("uint8", "bool")).astype(bool)
    if arrays["aliased"].max(initial=0) > 1:
        raise Invalid("array 'aliased' must hold 0 or 1")
    _array(arrays, "coef", (p,), gaps=aliased)
    _array(arrays, "cov_scaled", (p, p), gaps=aliased[:, None] | aliased[None, :])
    if not (_array(arrays, "col_scale", (p,)) > 0).all():
        raise Invalid("array 'col_scale' must be positive")
    if meta["solution"]["rank"] > p:
        raise Invalid("field 'solution.rank' exceeds the number of terms")
    expected = {"coef", "cov_scaled", "col_scale", "aliased"}
    if meta.get("qr_summary") is not None:
        _array(arrays, "qr_r", (p + 1, p + 1))
        expected.add("qr_r")
    if "robust" in meta:
        _array(arrays, "cov_robust", (p, p), gaps=aliased[:, None] | aliased[None, :])
        expected.add("cov_robust")
    _no_other_arrays(arrays, expected)


def _check_ridge(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    d = len(meta["feature_names"])
    for name in ("coef", "x_mean", "x_scale"):
        _array(arrays, name, (d,))
    if not (arrays["x_scale"] > 0).all():
        raise Invalid("array 'x_scale' must be positive")
    m = arrays["alphas"].shape[0] if "alphas" in arrays else 0
    _array(arrays, "alphas", (m,))
    for name in ("loo_mse", "gcv"):  # NaN: a penalty whose leave-one-out error is infinite
        _array(arrays, name, (m,), gaps=np.ones(m, dtype=bool))
    _no_other_arrays(arrays, {"coef", "x_mean", "x_scale", "alphas", "loo_mse", "gcv"})


def _check_neural(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    net = meta["network"]
    n_in = net["n_inputs"]
    if n_in != len(meta["feature_names"]):
        raise Invalid("field 'network.n_inputs' does not match the model's features")
    gaussian = meta["train_config"].get("loss") == "gaussian"
    outputs = 2 if gaussian else 1
    spec = NetworkSpec(
        n_in, tuple(net["hidden"]), net["activation"], outputs, net.get("skip", False)
    )
    shapes = spec.param_shapes()
    precision = (meta["train_config"].get("dtype", "float64"),)
    expected = {"x_mean", "x_scale"}
    members = 0
    while members == 0 or f"member_{members}_param_0" in arrays:
        for i, shape in enumerate(shapes):
            name = f"param_{i}" if members == 0 else f"member_{members}_param_{i}"
            _array(arrays, name, shape, precision)
            expected.add(name)
        members += 1
    _array(arrays, "x_mean", (n_in,))
    if not (_array(arrays, "x_scale", (n_in,)) > 0).all():
        raise Invalid("array 'x_scale' must be positive")
    scores = "calibration_scores" if "calibration_scores" in arrays else "calibration_residuals"
    if scores not in arrays or arrays[scores].ndim != 1:
        raise Invalid("array 'calibration_scores' is missing or not one-dimensional")
    if (_array(arrays, scores, arrays[scores].shape) < 0).any():
        raise Invalid(f"array '{scores}' must not be negative")
    expected.add(scores)
    if "replay_X" in arrays or "replay_y" in arrays:
        rows = arrays["replay_y"].shape[0] if "replay_y" in arrays else -1
        _array(arrays, "replay_y", (rows,))
        _array(arrays, "replay_X", (rows, n_in))
        expected |= {"replay_X", "replay_y"}
    _no_other_arrays(arrays, expected)
    histories = meta.get("member_histories")
    if histories is not None and len(histories) != members:
        raise Invalid("field 'member_histories' does not have one curve per member")


CHECKPOINT = record(
    {
        "format": text(),
        "format_version": integer(1, 2),
        "galton_version": text(max_len=64),
        "kind": text(("checkpoint",)),
        "signed": flag,
        "state": record(
            {
                "solver": text(("minibatch", "lbfgs", "cg")),
                "epoch": COUNT,
                "best": ANY_NUMBER,
                "since_best": COUNT,
                "best_epoch": COUNT,
                "history": mapping(LOSS_CURVE, max_len=10),
                "events": NAMES,
            },
            {"lr_scale": POSITIVE, "halvings": COUNT, "rng": mapping(plain)},
        ),
        "counts": record({"params": COUNT, "best_params": COUNT}),
    },
    {"fingerprint": text(max_len=128), "estimator": mapping(plain, max_len=100)},
)


def validate_checkpoint(
    path: Path | str,
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    shapes: list[tuple[int, ...]] | None = None,
) -> None:
    """Raise ``ModelFileError`` unless ``meta`` and ``arrays`` are a training checkpoint
    whose parameters have ``shapes`` (when given) and finite values."""
    try:
        CHECKPOINT(meta, "checkpoint")
        counts = meta["counts"]
        if shapes is not None and counts["params"] != len(shapes):
            raise Invalid("its parameters are not those of this network")
        total = sum(int(np.prod(s)) for s in shapes or [])
        for key in ("params", "best_params"):
            for i in range(counts[key]):
                want = (
                    shapes[i] if shapes is not None else arrays.get(f"{key}_{i}", np.empty(0)).shape
                )
                _array(arrays, f"{key}_{i}", tuple(want))
        for name, arr in arrays.items():
            if name.startswith("opt_"):
                if arr.dtype.kind not in "fiu" or (shapes is not None and arr.size > 2 * total + 8):
                    raise Invalid(f"optimizer array '{name[:40]}' does not fit this network")
                if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                    raise Invalid(f"optimizer array '{name[:40]}' has non-finite values")
            elif not name.startswith(("params_", "best_params_")):
                raise Invalid(f"unexpected array '{name[:40]}'")
    except Invalid as exc:
        raise ModelFileError(f"{path}: invalid checkpoint: {exc}") from None
