"""Turning a table into a float64 matrix: types, one-hot categories, missing values.

The fitted state is plain JSON so model files can hold it without pickle.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from galton.data.roles import (
    EPOCH,
    Kind,
    column_kind,
    date_parts,
    level_limit,
    parse_dates,
    parse_unit,
    too_many_levels,
    varying_parts,
)
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
    """Column kinds, one-hot categories and fill values learned from training data.

    Numeric columns pass through; booleans become 0/1; percent and currency text become
    numbers; dates become days since 1970-01-01 plus the parts that vary (year, month, day
    of week); text columns are one-hot encoded with the first category (sorted) as the
    reference level, so a model with an intercept is not aliased. ID-like columns are
    dropped with a warning (``dropped_``); a text column with more levels than
    ``max_levels`` is refused, or with ``group_rare`` keeps its most frequent levels and
    groups the rest as ``OTHER`` (which sorts first: the reference level). ``categories``
    fixes a column's levels in advance (as cross-validation does, so a level absent from a
    training fold is still known).
    """

    def __init__(
        self,
        missing: str = "error",
        categories: dict[str, list] | None = None,
        max_levels: int | None = None,
        group_rare: bool = False,
        roles: bool = True,
    ) -> None:
        self.missing = missing
        self.categories = categories or {}
        self.max_levels = max_levels
        self.group_rare = group_rare
        self.roles = roles  # False: columns a formula named, kept as they are
        self.columns_: list[dict[str, Any]] = []
        self.dropped_: list[dict[str, str]] = []

    def fit(self, X: pd.DataFrame, source: str = "data") -> Preprocessor:
        """Learn column kinds, categories and fill values from ``X`` of shape (n, k)."""
        self.columns_, self.dropped_ = [], []
        limit = level_limit(self.max_levels, len(X)) if self.roles else len(X) + 1
        for name in X.columns:
            col = X[name]
            if len(col) and col.isna().all():
                raise DataError(
                    f"{source}: column '{name}' has no values; leave it out with --features"
                )
            info = self._column_info(col, str(name), limit, source)
            if info is None:
                continue
            if self.missing in ("mean", "median") and col.isna().any():
                info["fill"] = _fill_value(col, info, self.missing, source)
            self.columns_.append(info)
        if self.dropped_:
            warnings.warn(
                f"{source}: dropped ID-like column(s) "
                + ", ".join(f"'{d['name']}' ({d['why']})" for d in self.dropped_)
                + ": an identifier predicts nothing in new rows",
                UserWarning,
                stacklevel=4,
            )
        return self

    def _column_info(
        self, col: pd.Series, name: str, limit: int, source: str
    ) -> dict[str, Any] | None:
        """What ``fit`` keeps of one column, or None for a dropped ID-like column."""
        info: dict[str, Any] = {"name": name, "dtype": str(col.dtype)}
        if name in self.categories:
            kind = Kind("categorical", len(self.categories[name]))
        else:
            kind = column_kind(col, name)
        if kind.kind == "id" and not self.roles:
            kind = Kind("numeric" if pd.api.types.is_numeric_dtype(col) else "categorical", 0)
        if kind.kind == "id":
            self.dropped_.append({"name": name, "why": kind.why})
            return None
        if kind.kind == "constant" and not _numbers(col):
            kind = Kind("categorical", 1)  # one text value: an empty set of indicators
        if kind.kind in ("numeric", "constant") and not pd.api.types.is_bool_dtype(col):
            info["kind"] = "numeric"
            numeric_column(col, name, source)  # the first bad row, named now
        elif kind.kind in ("percent", "currency"):
            info.update(kind="numeric", unit=kind.kind)
            parsed_column(col, info, source)
        elif kind.kind == "date":
            dates = parse_dates(col, kind.date_format)
            info.update(kind="date", format=kind.date_format, parts=varying_parts(dates))
            date_matrix(col, info, source)
        elif pd.api.types.is_bool_dtype(col):
            info["kind"] = "bool"
        else:
            info.update(kind="categorical", categories=self._levels(col, name, limit, source))
        return info

    def _levels(self, col: pd.Series, name: str, limit: int, source: str) -> list[str]:
        """The sorted levels of a text column (``OTHER`` standing for the rare ones)."""
        if name in self.categories:
            return sorted({str(v) for v in self.categories[name]})
        counts = col.dropna().astype(str).value_counts()
        if len(counts) <= limit:
            return sorted(counts.index)
        if not self.group_rare:
            raise DataError(too_many_levels(name, len(counts), limit, source))
        kept = counts.sort_index().sort_values(ascending=False, kind="stable").index[: limit - 1]
        return sorted({*kept, OTHER})

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
        """Names of the output columns, e.g. ``education=graduate`` for a one-hot column
        and ``sold.days``, ``sold.month`` for a date."""
        return [name for info in self.columns_ for name in output_names(info)]

    @property
    def powered_(self) -> list[bool]:
        """Which output columns may be raised to powers (numbers and day counts, not
        indicators or date parts)."""
        flags: list[bool] = []
        for info in self.columns_:
            count = len(output_names(info))
            flags += [info["kind"] in ("numeric", "date")] + [False] * (count - 1)
        return flags

    @property
    def sources_(self) -> list[int]:
        """The input column (its position) each output column comes from."""
        return [k for k, info in enumerate(self.columns_) for _ in output_names(info)]

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
        blocks = [self._block(X[info["name"]], info, source, first_row) for info in self.columns_]
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))

    def _block(self, col: pd.Series, info: dict[str, Any], source: str, first_row: int) -> Any:
        """One column's output columns (n, len(output_names(info)))."""
        if col.isna().any():
            if "fill" not in info:
                position = int(np.flatnonzero(col.isna().to_numpy())[0])
                row = row_number(col, position, first_row)
                raise DataError(
                    f"{source}: column '{info['name']}' has a missing value (NaN) in row {row}"
                    + ("" if self.missing != "error" else f"; {_MISSING_HINT}")
                )
            if info["kind"] == "date":
                return date_matrix(col, info, source, first_row)
            col = col.fillna(info["fill"])
        if info["kind"] == "categorical":
            return one_hot(col, info, source, first_row)
        if info["kind"] == "date":
            return date_matrix(col, info, source, first_row)
        if "unit" in info:
            return parsed_column(col, info, source, first_row)[:, None]
        return numeric_column(col, info["name"], source, first_row=first_row)[:, None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"missing": self.missing, "columns": self.columns_, "dropped": self.dropped_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Preprocessor:
        """Rebuild from ``to_dict`` output."""
        pre = cls(missing=state["missing"])
        pre.columns_ = [dict(c) for c in state["columns"]]
        pre.dropped_ = [dict(d) for d in state.get("dropped", [])]
        return pre


#: The level standing for a text column's rare levels (``group_rare``) and for levels
#: first seen in new rows.
OTHER = "(other)"


def output_names(info: dict[str, Any]) -> list[str]:
    """The output columns one fitted column gives."""
    if info["kind"] == "categorical":
        return [f"{info['name']}={c}" for c in info["categories"][1:]]
    if info["kind"] == "date":
        return [f"{info['name']}.{part}" for part in ("days", *info["parts"])]
    return [info["name"]]


def one_hot(col: pd.Series, info: dict[str, Any], source: str, first_row: int) -> np.ndarray:
    """Indicators (n, levels - 1) of a text column; a level not seen in fit is ``OTHER``
    when the column has it, else an error naming the row."""
    text = col.astype(str).to_numpy()
    known = set(info["categories"])
    unknown = np.array([v not in known for v in text], dtype=bool)
    if unknown.any():
        if OTHER not in known:
            first = int(np.flatnonzero(unknown)[0])
            raise DataError(
                f"{source}: column '{info['name']}' has unknown category "
                f"{text[first]!r} in row {row_number(col, first, first_row)} "
                f"(known: {', '.join(info['categories'])})"
            )
        text = np.where(unknown, OTHER, text)
    cats = np.array(info["categories"][1:], dtype=object)
    return (text[:, None] == cats[None, :]).astype(np.float64)


def _first_unparsed(
    col: pd.Series, parsed: pd.Series, what: str, source: str, name: str, first_row: int
) -> None:
    bad = (parsed.isna() & col.notna()).to_numpy()
    if bad.any():
        raise DataError(
            f"{source}: column '{name}' is {what}, but {_first_bad(col, bad, first_row)}"
        )


def parsed_column(
    col: pd.Series, info: dict[str, Any], source: str, first_row: int = 0
) -> np.ndarray:
    """Percent or currency text (n,) as numbers (n,), or an error naming the first row
    that is not one."""
    parsed = parse_unit(col, info["unit"])
    _first_unparsed(col, parsed, f"{info['unit']} text", source, info["name"], first_row)
    return parsed.to_numpy(dtype=np.float64)


def date_matrix(
    col: pd.Series, info: dict[str, Any], source: str, first_row: int = 0
) -> np.ndarray:
    """A date column (n,) as days since 1970-01-01 and its varying parts (n, 1 + parts);
    a value that is not a date is an error naming the row; missing dates take the fill."""
    dates = parse_dates(col, info["format"])
    _first_unparsed(col, dates, f"dates ({info['format']})", source, info["name"], first_row)
    if "fill" in info:
        dates = dates.fillna(EPOCH + pd.Timedelta(days=info["fill"]))
    return date_parts(dates, info["parts"])


def _fill_value(col: pd.Series, info: dict[str, Any], policy: str, source: str) -> Any:
    """What fills a missing value of one column: the most frequent level, the majority
    boolean, or the mean or median (of numbers, or of day counts for dates)."""
    if info["kind"] == "categorical":
        return str(col.dropna().astype(str).mode().iloc[0])
    if info["kind"] == "bool":
        return float(col.dropna().astype(float).mean() >= 0.5)
    func = np.nanmean if policy == "mean" else np.nanmedian
    if info["kind"] == "date":
        days = date_parts(parse_dates(col, info["format"]), [])[:, 0]
        return float(np.round(func(days)))
    values = (
        parsed_column(col, info, source)
        if "unit" in info
        else numeric_column(col, info["name"], source)
    )
    return float(func(values))


def _numbers(col: pd.Series) -> bool:
    """Whether a column's present values are (or read as) numbers."""
    if pd.api.types.is_numeric_dtype(col):
        return True
    return bool(pd.to_numeric(col.dropna(), errors="coerce").notna().all())
