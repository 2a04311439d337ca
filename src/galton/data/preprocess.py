"""Turning a table into a float64 matrix: types, one-hot categories, missing values.

The fitted state is plain JSON so model files can hold it without pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from galton.errors import DataError

MISSING_POLICIES = ("error", "drop", "mean", "median")
_MISSING_HINT = "use --drop-missing or --impute mean|median (missing='drop'|'mean'|'median')"


def row_number(values: pd.Series | pd.DataFrame, position: int, first_row: int = 0) -> int:
    """The data row (1-based) of ``values``' row at ``position``. Tables are read with
    positional labels (``table_and_target``), so a row keeps its number when rows before
    it are dropped (missing values, zero weights); ``first_row`` rows came before."""
    label = values.index[position]
    row = int(label) if isinstance(label, int | np.integer) else position
    return first_row + row + 1


def _first_bad(values: pd.Series, bad: np.ndarray, first_row: int = 0) -> str:
    position = int(np.flatnonzero(bad)[0])
    value = values.iloc[position]
    value = value.item() if isinstance(value, np.generic) else value  # 'inf', not np.float64(inf)
    return f"row {row_number(values, position, first_row)} has {value!r}"


def numeric_column(
    values: pd.Series, name: str, source: str, role: str = "column", first_row: int = 0
) -> np.ndarray:
    """A column as float64, or a one-line error naming the first non-numeric row.

    Parameters
    ----------
    values : Series of length n
    name, source : str
        Column and data names for the message.
    role : str
        ``"target"`` or ``"column"``, for the message.
    first_row : int
        Rows before these in the data (a chunk of a stream), so messages give file rows.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype(np.float64).to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        coerced = pd.to_numeric(values, errors="coerce")
        bad = (coerced.isna() & values.notna()).to_numpy()
        if bad.any():
            what = role if role in ("target", "weight") else "column"
            raise DataError(
                f"{source}: {what} '{name}' is not numeric: {_first_bad(values, bad, first_row)}"
            )
        out = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(out)
    if infinite.any():
        raise DataError(
            f"{source}: column '{name}' has an infinite value: "
            f"{_first_bad(values, infinite, first_row)}"
        )
    return out


def apply_missing_policy(
    X: pd.DataFrame, y: pd.Series, policy: str, source: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Check for missing values and drop rows where the policy says so.

    ``error`` raises naming the columns and row counts; ``drop`` drops incomplete rows;
    ``mean``/``median`` keep rows (the preprocessor fills features) but drop rows whose
    target is missing, since a target cannot be imputed.
    """
    if policy not in MISSING_POLICIES:
        raise DataError(f"missing-value policy must be one of {MISSING_POLICIES}, got {policy!r}")
    # counted column by column: no copy of a wide table with the target appended
    counts = {str(c): int(n) for c, n in X.isna().sum().items() if n}
    missing_target = y.isna().to_numpy()
    if missing_target.any():
        counts[str(y.name)] = int(missing_target.sum())
    if not counts:
        return X, y
    if policy == "error":
        parts = [f"'{c}' ({n} row{'s' if n > 1 else ''})" for c, n in counts.items()]
        raise DataError(
            f"{source}: missing values (NaN) in column {', '.join(parts)}; {_MISSING_HINT}"
        )
    keep = ~missing_target
    if policy == "drop":
        keep &= X.notna().all(axis=1).to_numpy()
    if not keep.any():
        raise DataError(f"{source}: every row has a missing value")
    return X.loc[keep], y.loc[keep]


class Preprocessor:
    """Column types, one-hot categories and fill values learned from training data.

    Numeric columns pass through; booleans become 0/1; text columns are one-hot encoded
    with the first category (sorted) as the reference level, so a model with an
    intercept is not aliased. ``categories`` fixes a column's levels in advance (as
    cross-validation does, so a level absent from a training fold is still known).
    """

    def __init__(self, missing: str = "error", categories: dict[str, list] | None = None) -> None:
        self.missing = missing
        self.categories = categories or {}
        self.columns_: list[dict[str, Any]] = []

    def fit(self, X: pd.DataFrame, source: str = "data") -> Preprocessor:
        """Learn column kinds, categories and fill values from ``X`` of shape (n, k)."""
        self.columns_ = []
        for name in X.columns:
            col = X[name]
            if len(col) and col.isna().all():
                raise DataError(
                    f"{source}: column '{name}' has no values; leave it out with --features"
                )
            info: dict[str, Any] = {"name": str(name), "dtype": str(col.dtype)}
            if pd.api.types.is_bool_dtype(col):
                info["kind"] = "bool"
            elif pd.api.types.is_numeric_dtype(col) or _looks_numeric(col):
                info["kind"] = "numeric"
                values = numeric_column(col, str(name), source)
            else:
                info["kind"] = "categorical"
                known = self.categories.get(str(name), col.dropna())
                info["categories"] = sorted({str(v) for v in known})
            if self.missing in ("mean", "median") and col.isna().any():
                if info["kind"] == "categorical":
                    info["fill"] = str(col.dropna().astype(str).mode().iloc[0])
                elif info["kind"] == "bool":
                    info["fill"] = float(col.dropna().astype(float).mean() >= 0.5)
                else:
                    func = np.nanmean if self.missing == "mean" else np.nanmedian
                    info["fill"] = float(func(values))
            self.columns_.append(info)
        return self

    @classmethod
    def for_numeric(
        cls, names: list[str], dtypes: list[str], missing: str = "error"
    ) -> Preprocessor:
        """The state ``fit`` learns from numeric columns without missing values, built
        without looking at the data (so a large array is never copied to check it).

        Parameters
        ----------
        names, dtypes : list of str
            Column names and numpy dtype names, one per column.
        """
        pre = cls(missing)
        pre.columns_ = [
            {"name": name, "dtype": dtype, "kind": "numeric"}
            for name, dtype in zip(names, dtypes, strict=True)
        ]
        return pre

    @property
    def feature_names_(self) -> list[str]:
        """Names of the output columns, e.g. ``education=graduate`` for a one-hot column."""
        names: list[str] = []
        for info in self.columns_:
            if info["kind"] == "categorical":
                names += [f"{info['name']}={c}" for c in info["categories"][1:]]
            else:
                names.append(info["name"])
        return names

    @property
    def powered_(self) -> list[bool]:
        """Which output columns may be raised to powers (numeric ones, not indicators)."""
        flags: list[bool] = []
        for info in self.columns_:
            if info["kind"] == "categorical":
                flags += [False] * (len(info["categories"]) - 1)
            else:
                flags.append(info["kind"] == "numeric")
        return flags

    def transform(self, X: pd.DataFrame, source: str = "data", first_row: int = 0) -> np.ndarray:
        """The float64 matrix of shape (n, len(feature_names_)); ``first_row`` rows came
        before ``X`` (a chunk of a stream), so error messages give the row in the file."""
        missing = [i["name"] for i in self.columns_ if i["name"] not in map(str, X.columns)]
        if missing:
            raise DataError(
                f"{source}: no column {', '.join(repr(m) for m in missing)} "
                f"(the model was trained with {', '.join(i['name'] for i in self.columns_)})"
            )
        X = X.set_axis([str(c) for c in X.columns], axis=1)
        blocks: list[np.ndarray] = []
        for info in self.columns_:
            col = X[info["name"]]
            if col.isna().any():
                if "fill" not in info:
                    position = int(np.flatnonzero(col.isna().to_numpy())[0])
                    row = row_number(col, position, first_row)
                    raise DataError(
                        f"{source}: column '{info['name']}' has a missing value (NaN) in row {row}"
                        + ("" if self.missing != "error" else f"; {_MISSING_HINT}")
                    )
                col = col.fillna(info["fill"])
            if info["kind"] == "categorical":
                text = col.astype(str).to_numpy()
                known = set(info["categories"])
                unknown = [i for i, v in enumerate(text) if v not in known]
                if unknown:
                    raise DataError(
                        f"{source}: column '{info['name']}' has unknown category "
                        f"{text[unknown[0]]!r} in row {row_number(col, unknown[0], first_row)} "
                        f"(known: {', '.join(info['categories'])})"
                    )
                cats = np.array(info["categories"][1:], dtype=object)
                blocks.append((text[:, None] == cats[None, :]).astype(np.float64))
            else:
                blocks.append(
                    numeric_column(col, info["name"], source, first_row=first_row)[:, None]
                )
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"missing": self.missing, "columns": self.columns_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Preprocessor:
        """Rebuild from ``to_dict`` output."""
        pre = cls(missing=state["missing"])
        pre.columns_ = [dict(c) for c in state["columns"]]
        return pre


def _looks_numeric(col: pd.Series) -> bool:
    """Text that is mostly numbers is a numeric column with typos, not a category."""
    present = col.dropna()
    if present.empty:
        return True
    coerced = pd.to_numeric(present, errors="coerce")
    return bool(coerced.notna().mean() >= 0.9)
