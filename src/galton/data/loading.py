"""Reading tables from files, DataFrames, Arrow tables, arrays and bundled dataset names."""

from __future__ import annotations

import difflib
import importlib.util
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from galton.data.datasets import DATASETS
from galton.data.dialect import ReadOptions, file_kind, read_stdin, sniff
from galton.errors import DataError, first_line


def describe_source(source: Any) -> str:
    """A short name for error messages: the path, the dataset name or the object type."""
    if isinstance(source, str | Path):
        return str(source)
    if isinstance(source, pd.DataFrame) and "source" in source.attrs:
        return str(source.attrs["source"])
    return type(source).__name__


def read_table(
    source: Any, fmt: str | None = None, options: ReadOptions | None = None
) -> pd.DataFrame:
    """Read a table.

    Parameters
    ----------
    source : path (``-``: standard input), bundled dataset name, DataFrame (pandas or
        polars), pyarrow Table, ndarray of shape (n, k) or a dict of columns.
    fmt : {"csv", "tsv", "text", "parquet", "jsonl", "excel"}, optional
        File format; from the extension when omitted (``.csv.gz`` and the other
        compressions included; ``.txt`` and ``.dat`` are sniffed text).
    options : ReadOptions, optional
        Separator, decimal mark, thousands separator, missing markers, encoding and sheet;
        what is not given is sniffed (``galton.data.dialect``).

    Returns
    -------
    DataFrame with one row per observation.
    """
    if isinstance(source, pd.DataFrame):
        check_unique_names(describe_source(source), source.columns)
        return source.copy()
    if isinstance(source, str | Path):
        frame = _read_path(source, fmt, options or ReadOptions())
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


def _read_path(source: str | Path, fmt: str | None, options: ReadOptions) -> pd.DataFrame:
    if str(source) == "-":  # standard input: a text table, sniffed
        return _parsed(
            lambda: _read_text(read_stdin(), "text", None, options, "stdin"), "stdin", "text"
        )
    path = Path(source)
    if not path.exists():
        if str(source) in DATASETS:
            return DATASETS[str(source)].load()
        raise DataError(f"{source}: no such file or bundled dataset (see `galton datasets`)")
    if path.is_dir():
        raise DataError(f"{source}: is a directory, not a data file")
    kind, compression = file_kind(path)
    kind = fmt or kind
    if kind not in READERS:
        raise DataError(
            f"{source}: unknown file type '{''.join(path.suffixes)}'; use --format "
            "csv|tsv|text|parquet|jsonl|excel"
        )
    reader = READERS[kind]
    return _parsed(lambda: reader(path, kind, compression, options, str(source)), source, kind)


def _parsed(read: Callable[[], pd.DataFrame], source: Any, kind: str) -> pd.DataFrame:
    """``read()``'s table, or one line naming the source when parsing fails or finds no
    rows."""
    try:
        frame = read()
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


def _clean_names(raw: Any, source: Any) -> list[str]:
    """Header names stripped of surrounding spaces, and refused when two are the same
    (``raw``: the header as written, before pandas renames a repeat to ``y.1``)."""
    names = [str(name).strip() for name in raw]
    check_unique_names(source, names)
    return names


def text_layout(
    path: Path | IO[bytes], kind: str, compression: str | None, options: ReadOptions, source: Any
) -> tuple[dict[str, Any], list[str]]:
    """How to read a text table (``pandas.read_csv`` keywords for its sniffed or given
    dialect, a note said for a guessed encoding) and its checked header names; a stream
    is rewound for the read that follows."""
    dialect = sniff(path, kind, compression, options, str(source))
    for note in dialect.notes:
        warnings.warn(note, UserWarning, stacklevel=4)
    read = dialect.read_csv_options(options.markers)
    header = pd.read_csv(path, compression=compression, header=None, nrows=1, **read)
    if not isinstance(path, Path):
        path.seek(0)
    return read, _clean_names(header.iloc[0], source)


def _read_text(
    path: Path | IO[bytes], kind: str, compression: str | None, options: ReadOptions, source: str
) -> pd.DataFrame:
    """A delimited text table in its sniffed (or given) dialect."""
    read, names = text_layout(path, kind, compression, options, source)
    return pd.read_csv(path, compression=compression, **read).set_axis(names, axis=1)


def _read_excel(
    path: Path, kind: str, compression: str | None, options: ReadOptions, source: str
) -> pd.DataFrame:
    """One sheet of a spreadsheet (python-calamine reads xlsx, xls and ods; openpyxl xlsx)."""
    if importlib.util.find_spec("python_calamine") is not None:
        engine = "calamine"
    elif path.suffix.lower() in (".xlsx", ".xlsm") and importlib.util.find_spec("openpyxl"):
        engine = "openpyxl"
    else:
        raise DataError(f"{source}: spreadsheets need python-calamine: pip install 'galton[excel]'")
    sheet = options.sheet if options.sheet is not None else 0
    read = {"sheet_name": sheet, "engine": engine, "na_values": options.markers}
    try:
        frame = pd.read_excel(path, keep_default_na=False, **read)
        header = pd.read_excel(path, header=None, nrows=1, **read)
    except (ValueError, KeyError, IndexError) as exc:
        raise DataError(f"{source}: sheet {sheet!r}: {first_line(exc)}") from None
    return frame.set_axis(_clean_names(header.iloc[0], source), axis=1)


def _read_parquet(
    path: Path, kind: str, compression: str | None, options: ReadOptions, source: str
) -> pd.DataFrame:
    return pd.read_parquet(path)


def _read_jsonl(
    path: Path, kind: str, compression: str | None, options: ReadOptions, source: str
) -> pd.DataFrame:
    return pd.read_json(path, lines=True, compression=compression)


READERS = {
    "csv": _read_text,
    "tsv": _read_text,
    "text": _read_text,
    "excel": _read_excel,
    "parquet": _read_parquet,
    "jsonl": _read_jsonl,
}


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


def weight_column(
    X: Any, name: str, source: str, role: str = "weight"
) -> tuple[pd.DataFrame, pd.Series]:
    """The table without its ``role`` column ``name`` (weights, groups, times), and that
    column (values checked by the caller)."""
    frame = X if isinstance(X, pd.DataFrame) else read_table(X)
    columns = [str(c) for c in frame.columns]
    if name not in columns:
        raise DataError(f"{source}: no {role} column '{name}'{_suggest(name, columns)}")
    frame = frame.set_axis(columns, axis=1)
    return frame.drop(columns=[name]), frame[name]


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
        hint = ""
        glued = [s for s in ";\t|," if len(columns) == 1 and s in columns[0]]
        if glued:  # one column whose name holds separators: read with the wrong one
            hint = f"; the header looks separated by {glued[0]!r}: give --sep {glued[0]!r}"
        raise DataError(f"{source}: no column '{target}'{_suggest(target, columns)}{hint}")
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
    # positional labels: messages name a row by its place in the data even after rows
    # before it are dropped (a copy of the index only, not of the data)
    frame = frame.set_axis(pd.RangeIndex(len(frame)), axis=0)
    if isinstance(y, str):
        features_frame, target = split_target(frame, y, features, source)
        return features_frame, target, source
    if y is None:
        raise DataError(
            f"{owner} requires y to be passed, but the target y is None "
            "(give an array or the target column's name)"
        )
    features_frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] != 1 or values.ndim > 2:
        raise DataError(
            f"{source}: y must be one target column, got an array of shape {values.shape}"
        )
    target = pd.Series(values.ravel(), name=getattr(y, "name", None) or "y")
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
