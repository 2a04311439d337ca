"""The rows a comparison runs on: features, target, the columns' roles and levels, and
the special columns (row weights, groups, times) taken out of the features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from galton.data.describe import describe
from galton.data.loading import describe_source, read_table, table_and_target, weight_column
from galton.data.preprocess import Preprocessor, apply_missing_policy, numeric_column
from galton.data.roles import EPOCH, date_format, parse_dates
from galton.errors import DataError

#: The special columns and what each is, for messages.
SPECIAL = {"weights": "weight", "groups": "groups", "time": "time"}


@dataclass
class Prepared:
    """What every fold shares.

    Attributes
    ----------
    X : DataFrame (n, k)
    y : array (n,)
    target : str
    categories : dict
        Text columns' levels from all rows (a level absent from a training fold is known).
    roles : list of dict
        ``galton.describe``'s rows for the features and the target.
    weights, groups, times : arrays (n,) or None
    """

    X: pd.DataFrame
    y: np.ndarray
    target: str
    categories: dict[str, list]
    roles: list[dict[str, str]]
    weights: np.ndarray | None = None
    groups: np.ndarray | None = None
    times: np.ndarray | None = None


def prepare(
    X: Any,
    y: Any,
    features: list[str] | None,
    missing: str,
    special: dict[str, Any],
    columns: dict[str, Any],
) -> Prepared:
    """The rows to compare on. ``special`` maps ``weights``, ``groups`` and ``time`` to a
    column name, an array (n,) or None; ``columns``: ``max_levels`` and ``group_rare``."""
    source = describe_source(X)
    frame = X
    taken: dict[str, Any] = {}
    for key, value in special.items():
        if isinstance(value, str):
            frame, column = weight_column(frame, value, source, SPECIAL[key])
            taken[key] = column.to_numpy()
        elif value is not None:
            taken[key] = np.asarray(value).ravel()
    if taken and not isinstance(frame, pd.DataFrame | np.ndarray):
        frame = read_table(frame)
    Xf, yf, source = table_and_target(frame, y, "compare", features)
    for key, values in taken.items():
        if len(values) != len(Xf):
            raise DataError(f"{source}: {key} has {len(values)} values for {len(Xf)} rows")
    # one concat, not an insert into a wide table (pandas' "highly fragmented" warning)
    roles = describe(pd.concat([Xf, yf.rename(str(yf.name))], axis=1), str(yf.name), **columns)
    Xf, yf = apply_missing_policy(Xf, yf, missing, source)
    kept = Xf.index.to_numpy()  # positions (table_and_target numbers rows 0..n-1)
    y_arr = numeric_column(yf, str(yf.name), source, role="target")
    Xf = Xf.reset_index(drop=True)
    if len(y_arr) < 10:
        raise DataError(
            f"{source}: {len(y_arr)} rows are too few to cross-validate (need at least 10)"
        )
    schema = Preprocessor(missing, **columns).fit(Xf, source)
    categories = {c["name"]: c["categories"] for c in schema.columns_ if "categories" in c}
    prepared = Prepared(Xf, y_arr, str(yf.name), categories, roles.to_dict(orient="records"))
    for key, values in taken.items():
        setattr(prepared, "times" if key == "time" else key, _checked(key, values[kept], source))
    return _without_zero_weights(prepared)


def _checked(key: str, values: np.ndarray, source: str) -> np.ndarray:
    """Weights as finite non-negative numbers, times as sortable numbers, groups as
    labels; missing values are an error naming the first row."""
    present = pd.Series(values)
    if present.isna().any():
        row = int(np.flatnonzero(present.isna().to_numpy())[0]) + 1
        raise DataError(f"{source}: the {SPECIAL[key]} column has a missing value in row {row}")
    if key == "groups":
        return present.astype(str).to_numpy()
    if key == "weights":
        w = numeric_column(present, "weights", source, role="weight")
        if np.any(w < 0) or not np.any(w > 0):
            raise DataError(f"{source}: weights must be non-negative, and not all zero")
        return w
    return _sortable_times(present, source)


def _sortable_times(values: pd.Series, source: str) -> np.ndarray:
    """Times as numbers that sort like them: numbers as they are, dates as days."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=np.float64)
    fmt = "ISO8601" if pd.api.types.is_datetime64_any_dtype(values) else date_format(values)
    dates = parse_dates(values, fmt) if fmt else None
    if dates is None or dates.isna().any():
        raise DataError(f"{source}: the time column holds neither numbers nor dates")
    return ((dates - EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)


def _without_zero_weights(p: Prepared) -> Prepared:
    """Rows of weight 0 are left out, as the estimators do."""
    if p.weights is None or np.all(p.weights > 0):
        return p
    keep = p.weights > 0
    p.X, p.y, p.weights = p.X[keep].reset_index(drop=True), p.y[keep], p.weights[keep]
    p.groups = p.groups[keep] if p.groups is not None else None
    p.times = p.times[keep] if p.times is not None else None
    return p
