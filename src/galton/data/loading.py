"""Reading tables from files, DataFrames, Arrow tables, arrays and bundled dataset names."""

from __future__ import annotations

import difflib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from galton.data.datasets import DATASETS
from galton.errors import DataError, first_line

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def describe_source(source: Any) -> str:
    """A short name for error messages: the path, the dataset name or the object type."""
    if isinstance(source, str | Path):
        return str(source)
    if isinstance(source, pd.DataFrame) and "source" in source.attrs:
        return str(source.attrs["source"])
    return type(source).__name__


def read_table(source: Any, fmt: str | None = None) -> pd.DataFrame:
    """Read a table.

    Parameters
    ----------
    source : path, bundled dataset name, DataFrame (pandas or polars), pyarrow Table,
        ndarray of shape (n, k) or a dict of columns.
    fmt : {"csv", "tsv", "parquet", "jsonl"}, optional
        File format; sniffed from the extension when omitted.

    Returns
    -------
    DataFrame with one row per observation.
    """
    if isinstance(source, pd.DataFrame):
        check_unique_names(describe_source(source), source.columns)
        return source.copy()
    if isinstance(source, str | Path):
        frame = _read_path(source, fmt)
        frame.attrs["source"] = str(source)  # error messages name the file, not "DataFrame"
        return frame
    module = type(source).__module__.split(".")[0]
    if module == "scipy" and hasattr(source, "toarray"):  # before dict: DOK matrices are dicts
        raise DataError("sparse input is not supported; convert it with .toarray() first")
    if isinstance(source, dict):
        return pd.DataFrame(source)
    if module in ("polars", "pyarrow") and hasattr(source, "to_pandas"):
        return source.to_pandas()
    if isinstance(source, np.ndarray | list | tuple) or hasattr(source, "__array__"):
        return _frame_from_array(np.asarray(source))
    raise DataError(f"cannot read data from a {type(source).__name__}")


def _frame_from_array(arr: np.ndarray) -> pd.DataFrame:
    """Columns ``x0, x1, ...`` from an array of shape (n,) or (n, k)."""
    arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
    if arr.ndim != 2:
        raise DataError(f"array input must be 1- or 2-dimensional, got shape {arr.shape}")
    if np.iscomplexobj(arr):
        raise DataError("Complex data not supported: give real-valued columns")
    if arr.shape[0] == 0:
        raise DataError("the input has no rows")
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _read_path(source: str | Path, fmt: str | None) -> pd.DataFrame:
    path = Path(source)
    if not path.exists():
        if str(source) in DATASETS:
            return DATASETS[str(source)].load()
        raise DataError(f"{source}: no such file or bundled dataset (see `galton datasets`)")
    if path.is_dir():
        raise DataError(f"{source}: is a directory, not a data file")
    kind = fmt or FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"{source}: unknown file type '{path.suffix}'; use --format csv|tsv|parquet|jsonl"
        )
    try:
        if kind in ("csv", "tsv"):
            sep = "," if kind == "csv" else "\t"
            frame = pd.read_csv(path, sep=sep)
            check_unique_names(source, pd.read_csv(path, sep=sep, header=None, nrows=1).iloc[0])
        elif kind == "parquet":
            frame = pd.read_parquet(path)
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True)
        else:
            raise DataError(f"{source}: unknown format '{kind}'; use csv, tsv, parquet or jsonl")
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{source}: the file is empty") from None
    except Exception as exc:  # parsers raise many types; the user needs one line
        first = first_line(exc)
        raise DataError(f"{source}: cannot read as {kind}: {first}") from None
    if frame.shape[0] == 0:
        raise DataError(f"{source}: no data rows")
    return frame


def check_unique_names(source: Any, names: Any) -> None:
    """Refuse a table whose header repeats a name (pandas would rename the second ``y``
    to ``y.1`` and it would silently become a feature)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(map(str, names), start=1):
        if name in seen:
            raise DataError(
                f"{source}: duplicate column name {name!r} (columns {seen[name]} and {position}); "
                "rename one"
            )
        seen[name] = position


def _suggest(name: str, columns: list[str]) -> str:
    """`` (did you mean 'x'?)`` for close names, else the list of columns."""
    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
    if close:
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)"
    return f" (columns: {', '.join(columns)})"


def split_target(
    frame: pd.DataFrame, target: str, features: list[str] | None, source: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Split a table into feature columns and the target column, checking names.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)
    target : str
    features : list of str, optional
        Default: every column except the target.
    source : str
        Name of the data for error messages.
    """
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    if target not in columns:
        raise DataError(f"{source}: no column '{target}'{_suggest(target, columns)}")
    if features:
        missing = [f for f in features if f not in columns]
        if missing:
            raise DataError(
                f"{source}: no column {', '.join(repr(m) for m in missing)}"
                f"{_suggest(missing[0], columns)}"
            )
        if target in features:
            raise DataError(f"{source}: column '{target}' is both the target and a feature")
    else:
        features = [c for c in columns if c != target]
    if not features:
        raise DataError(f"{source}: no feature columns besides the target '{target}'")
    return frame[features], frame[target]


def table_and_target(
    X: Any, y: Any, owner: str, features: list[str] | None = None
) -> tuple[pd.DataFrame, pd.Series, str]:
    """The feature table, the target column and the data's name, from what users pass.

    ``X`` is anything ``read_table`` reads; ``y`` is the target column's name (then
    ``features`` picks the others) or an array of shape (n,) with one value per row.
    ``owner`` names the caller in the error for a missing ``y``.
    """
    source = describe_source(X)
    frame = X if isinstance(X, pd.DataFrame) else read_table(X)
    if isinstance(y, str):
        features_frame, target = split_target(frame, y, features, source)
        return features_frame, target, source
    if y is None:
        raise DataError(
            f"{owner} requires y to be passed, but the target y is None "
            "(give an array or the target column's name)"
        )
    features_frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    target = pd.Series(np.asarray(y).ravel(), name=getattr(y, "name", None) or "y")
    if len(target) != len(features_frame):
        raise DataError(f"{source}: X has {len(features_frame)} rows but y has {len(target)}")
    target.index = features_frame.index
    return features_frame, target, source


#: A query running longer than this many seconds is stopped (``GALTON_SQL_SECONDS``).
SQL_SECONDS = 600.0
#: The DuckDB settings that confine a query to the one database opened read-only.
DUCKDB_CONFINED: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


def _sql_seconds() -> float:
    try:
        return float(os.environ.get("GALTON_SQL_SECONDS", SQL_SECONDS))
    except ValueError:
        return SQL_SECONDS


def read_database(path: str | Path, sql: str) -> pd.DataFrame:
    """Run one ``SELECT`` on a DuckDB or SQLite file that is read and nothing else.

    The engine follows the extension: ``.duckdb`` (or ``.ddb``) for DuckDB; ``.sqlite``,
    ``.sqlite3`` and ``.db`` for SQLite. DuckDB runs read-only with external access
    disabled and its configuration locked (no other file, ``ATTACH``, ``COPY``, ``INSTALL``
    or ``LOAD``); SQLite opens the file read-only by URI with an authorizer that allows
    only reading. Either way only one ``SELECT`` statement is accepted, and a query is
    stopped after ``GALTON_SQL_SECONDS`` (600 s).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such database file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".duckdb", ".ddb"):
            frame = _read_duckdb(path, sql)
        elif suffix in (".sqlite", ".sqlite3", ".db"):
            frame = _read_sqlite(path, sql)
        else:
            raise DataError(f"{path}: unknown database type '{suffix}'; use .duckdb or .sqlite")
    except DataError:
        raise
    except Exception as exc:  # database drivers raise many kinds; the user needs one line
        raise DataError(f"{path}: query failed: {first_line(exc)}") from None
    if frame.shape[0] == 0:
        raise DataError(f"{path}: the query returned no rows")
    frame.attrs["source"] = str(path)
    return frame


def _read_duckdb(path: Path, sql: str) -> pd.DataFrame:
    try:
        import duckdb
    except ImportError:
        raise DataError("DuckDB files need duckdb: pip install 'galton[db]'") from None
    with duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFINED) as con:
        statements = con.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise DataError(f"{path}: --sql takes one SELECT statement")
        timer = threading.Timer(_sql_seconds(), con.interrupt)
        timer.start()
        try:
            return con.execute(sql).df()
        finally:
            timer.cancel()


_SQLITE_READING = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


def _sqlite_authorizer(action: int, *_: object) -> int:
    """Allow reading; deny everything else (writes, ATTACH, PRAGMA, VACUUM INTO, ...)."""
    return sqlite3.SQLITE_OK if action in _SQLITE_READING else sqlite3.SQLITE_DENY


def _read_sqlite(path: Path, sql: str) -> pd.DataFrame:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        con.set_authorizer(_sqlite_authorizer)
        deadline = time.monotonic() + _sql_seconds()
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        cursor = con.execute(sql)  # refuses a second statement
        if cursor.description is None:
            raise DataError(f"{path}: --sql takes one SELECT statement that returns rows")
        names = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=names, coerce_float=True)
    finally:
        con.close()
