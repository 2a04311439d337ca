"""Reading what the options name: tables, databases, layer widths, keys, saved models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from galton.data.dialect import ReadOptions
from galton.errors import GaltonError


def missing_policy(drop_missing: bool, impute: str | None) -> str:
    if drop_missing and impute:
        raise GaltonError("choose one of --drop-missing and --impute, not both")
    if impute and impute not in ("mean", "median"):
        raise GaltonError(f"--impute must be mean or median, got '{impute}'")
    return "drop" if drop_missing else (impute or "error")


def read_options(
    sep: str | None,
    decimal: str | None,
    thousands: str | None,
    na_values: str | None,
    encoding: str | None,
    sheet: str | None,
) -> ReadOptions:
    """The reading options the user gave; what is not given is sniffed."""
    if sep is not None:
        sep = "\t" if sep.lower() in ("tab", "\\t", "\t") else sep
        if len(sep) != 1:
            raise GaltonError(f"--sep must be one character (or 'tab'), got {sep!r}")
    if decimal is not None and decimal not in (".", ","):
        raise GaltonError(f"--decimal must be . or , (got {decimal!r})")
    if thousands is not None and (len(thousands) != 1 or thousands == decimal):
        raise GaltonError(
            f"--thousands must be one character other than the decimal mark, got {thousands!r}"
        )
    markers = None if na_values is None else tuple(m.strip() for m in na_values.split(","))
    page: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    return ReadOptions(sep, decimal, thousands, markers, encoding, page)


def read_input(
    data: str | None,
    db: Path | None,
    sql: str | None,
    fmt: str | None,
    options: ReadOptions | None = None,
) -> Any:
    """The table from DATA, or from ``--db`` and ``--sql``."""
    from galton.data.loading import read_database, read_table

    if db is not None or sql is not None:
        if data is not None:
            raise GaltonError("give either DATA or --db with --sql, not both")
        if db is None or sql is None:
            raise GaltonError("--db and --sql go together")
        return read_database(db, sql)
    if data is None:
        raise GaltonError("missing DATA: a file, a bundled dataset name, or --db with --sql")
    return read_table(data, fmt, options)


def parse_hidden(text: str) -> tuple[int, ...]:
    if not text.strip():
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise GaltonError(
            f"--hidden must be comma-separated layer widths like 64,64, got '{text}'"
        ) from None
    if any(s <= 0 for s in sizes):
        raise GaltonError(f"--hidden widths must be positive, got '{text}'")
    return sizes


def parse_weight_decay(text: str) -> float | str:
    if text.strip() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise GaltonError(f"--weight-decay must be auto or a number, got '{text}'") from None


def signing_key(path: Path | None) -> bytes | None:
    """The key from ``--key``/``--sign-key``, else from ``GALTON_SIGNING_KEY``, else None."""
    from galton.io import key_from_environment, read_key

    return read_key(path) if path is not None else key_from_environment()


def load_model(model_path: Path, key: Path | None, backend: str | None = None) -> Any:
    """A saved model, its signature checked when a key is given or set."""
    from galton.estimators import load

    return load(model_path, backend=backend, key=signing_key(key))
