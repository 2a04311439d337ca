"""Column roles shown before any fit: ``galton.describe`` and ``galton describe``.

One row per column: its inferred type (``roles.column_kind``), a detail (range, levels,
missing share), the role galton will give it (target, weights, feature, dropped, refused)
and why. The preprocessor follows the same kinds, so what ``describe`` says is what ``fit``
does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from galton.data.dialect import ReadOptions
from galton.data.loading import describe_source, read_table
from galton.data.roles import (
    MOSTLY_MISSING,
    Kind,
    column_kind,
    level_limit,
    parse_dates,
    parse_unit,
    varying_parts,
)
from galton.errors import DataError

#: The words ``describe`` uses for each kind.
TYPE_NAMES = {
    "numeric": "numeric",
    "bool": "boolean",
    "categorical": "categorical",
    "date": "date",
    "percent": "percent",
    "currency": "currency",
    "id": "ID-like",
    "constant": "constant",
}
COLUMNS = ["column", "type", "detail", "role", "why"]


def describe(
    data: Any,
    target: str | None = None,
    weights: str | None = None,
    max_levels: int | None = None,
    group_rare: bool = False,
    read_options: ReadOptions | None = None,
) -> pd.DataFrame:
    """Each column's inferred type and the role a fit gives it, without fitting.

    Parameters
    ----------
    data : table, path or dataset name
    target, weights : str, optional
        The target and weight columns (named so their role is shown).
    max_levels, group_rare
        As for the estimators: the level limit of text columns, and whether rare levels
        are grouped rather than refused.
    read_options : ReadOptions, optional
        Separator, decimal mark, missing markers and encoding of text files.

    Returns
    -------
    DataFrame with one row per column and columns ``column, type, detail, role, why``.
    """
    source = describe_source(data)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data, None, read_options)
    names = [str(c) for c in frame.columns]
    for name in (target, weights):
        if name is not None and name not in names:
            raise DataError(f"{source}: no column '{name}' (columns: {', '.join(names)})")
    limit = level_limit(max_levels, len(frame))
    rows = []
    for name in names:
        special = {target: "target", weights: "weights"}.get(name)
        rows.append(_column_row(frame[name], name, special, limit, group_rare))
    return pd.DataFrame(rows, columns=COLUMNS)


def _column_row(
    col: pd.Series, name: str, special: str | None, limit: int, group_rare: bool
) -> list[str]:
    """One row of ``describe``: column, type, detail, role, why."""
    share = float(col.isna().mean()) if len(col) else 0.0
    if share == 1.0:
        return [name, "empty", "no values", special or "refused", "no values: leave it out"]
    kind = column_kind(col, name)
    kind_name = TYPE_NAMES[kind.kind]
    if share > MOSTLY_MISSING:
        kind_name += " (mostly missing)"
    detail = _detail(col, kind)
    if share:
        detail += f"; {share:.0%} missing"
    if special is not None:
        return [name, kind_name, detail, special, _target_note(kind) if special == "target" else ""]
    role, why = _role(kind, limit, group_rare)
    if kind.kind == "date":
        parts = varying_parts(parse_dates(col.dropna(), kind.date_format))
        why = ", ".join(["as numbers: days since 1970-01-01", *parts])
    if share > MOSTLY_MISSING:
        why = (why + "; " if why else "") + "mostly missing: --drop-missing loses those rows"
    return [name, kind_name, detail, role, why]


def _role(kind: Kind, limit: int, group_rare: bool) -> tuple[str, str]:
    """The role a fit gives a column of ``kind``, and why."""
    if kind.kind == "id":
        return "dropped", f"{kind.why}: an identifier, not a predictor"
    if kind.kind == "constant":
        return "feature", "one value: aliased with the intercept, no effect estimable"
    if kind.kind in ("percent", "currency"):
        return "feature", f"{kind.kind} text parsed to numbers"
    if kind.kind in ("categorical", "bool") and kind.levels > limit:
        if group_rare:
            return "feature", f"{limit - 1} most frequent levels kept, the rest '(other)'"
        return "refused", (
            f"{kind.levels} levels > --max-levels {limit}: drop it, --group-rare, or raise "
            "--max-levels"
        )
    if kind.kind in ("categorical", "bool"):
        return "feature", f"one-hot: {kind.levels - 1} indicator column(s)"
    return "feature", ""


def _target_note(kind: Kind) -> str:
    if kind.kind in ("numeric", "percent", "currency") and kind.levels <= 5:
        return f"only {kind.levels} distinct values: classes? regression may not be what you want"
    if kind.kind not in ("numeric", "percent", "currency", "constant"):
        return "not a number: a fit will refuse it"
    return ""


def _detail(col: pd.Series, kind: Kind) -> str:
    """Range, levels or an example of one column."""
    present = col.dropna()
    if kind.kind == "date":
        dates = parse_dates(present, kind.date_format)
        return f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    if kind.kind in ("percent", "currency"):
        example = str(present.iloc[0]).strip()
        return f"{example!r} read as {parse_unit(present.iloc[:1], kind.kind).iloc[0]:g}"
    if kind.kind == "numeric" or (kind.kind == "id" and pd.api.types.is_numeric_dtype(col)):
        values = pd.to_numeric(present, errors="coerce").to_numpy(dtype=float)
        return f"{np.nanmin(values):.4g} to {np.nanmax(values):.4g}"
    if kind.kind == "id":
        return f"{kind.levels} distinct, e.g. {str(present.iloc[0])!r}"
    top = present.astype(str).value_counts().index[:3]
    shown = ", ".join(repr(v) for v in top) + (", ..." if kind.levels > 3 else "")
    return f"{kind.levels} level(s): {shown}"


def format_roles(table: pd.DataFrame) -> str:
    """``describe``'s table as aligned plain text (a detail longer than 48 characters is
    cut; the reason is never cut)."""
    cells = [[str(v) for v in row] for row in table.itertuples(index=False)]
    cells.insert(0, COLUMNS)
    widths = [min(max(len(r[j]) for r in cells), 48) for j in range(len(COLUMNS) - 1)]
    lines = []
    for row in cells:
        parts = [_cut(row[j], widths[j]).ljust(widths[j]) for j in range(len(widths))]
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
