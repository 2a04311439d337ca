"""``galton describe``: each column's type and role, before any fit."""

from __future__ import annotations

from typing import Annotated

import typer

from galton.cli.app import (
    DbOpt,
    DecimalOpt,
    EncodingOpt,
    FormatOpt,
    GroupRareOpt,
    JsonOpt,
    MaxLevelsOpt,
    NaValuesOpt,
    SepOpt,
    SheetOpt,
    SqlOpt,
    ThousandsOpt,
    WeightsOpt,
    app,
)
from galton.cli.inputs import read_input, read_options
from galton.cli.output import echo, emit_json, said_warnings


@app.command()
def describe(
    data: Annotated[str | None, typer.Argument(help="A data file or bundled dataset name.")] = None,
    db: DbOpt = None,
    sql: SqlOpt = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column.")] = None,
    weights: WeightsOpt = None,
    max_levels: MaxLevelsOpt = None,
    group_rare: GroupRareOpt = False,
    fmt: FormatOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = None,
    thousands: ThousandsOpt = None,
    na_values: NaValuesOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each column's inferred type and the role a fit gives it (target, feature,
    dropped, refused), and why."""
    from galton.data.describe import describe as describe_columns
    from galton.data.describe import format_roles

    options = read_options(sep, decimal, thousands, na_values, encoding, sheet)
    with said_warnings():
        frame = read_input(data, db, sql, fmt, options)
        table = describe_columns(frame, target, weights, max_levels, group_rare)
    if as_json:
        emit_json({"rows": len(frame), "columns": table.to_dict(orient="records")})
        return
    echo(f"{len(frame)} rows, {len(table)} columns")
    echo(format_roles(table))
