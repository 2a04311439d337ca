"""The ``galton`` Typer app and the options its commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="galton",
    help="Least squares and neural networks side by side: does a neural network beat "
    "linear regression on your data?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
# Options that fit and compare share.
DbOpt = Annotated[
    Path | None, typer.Option(help="A DuckDB or SQLite file to query instead of DATA.")
]
SqlOpt = Annotated[str | None, typer.Option(help="The query to run on --db.")]
FeaturesOpt = Annotated[
    str | None, typer.Option(help="Comma-separated feature columns (default: all others).")
]
DropMissingOpt = Annotated[
    bool, typer.Option("--drop-missing", help="Drop rows with missing values.")
]
ImputeOpt = Annotated[str | None, typer.Option(help="Fill missing feature values: mean or median.")]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="File format if the extension does not say: csv, tsv, text, parquet, jsonl, excel.",
    ),
]
WeightsOpt = Annotated[
    str | None,
    typer.Option(help="A column of row weights (a weight of 2 counts a row twice)."),
]
# How a text file is written: sniffed unless given (galton.data.dialect).
SepOpt = Annotated[
    str | None, typer.Option("--sep", help="Field separator (default: sniffed; tab: 'tab').")
]
DecimalOpt = Annotated[
    str | None, typer.Option("--decimal", help="Decimal mark, . or , (default: sniffed).")
]
ThousandsOpt = Annotated[
    str | None,
    typer.Option("--thousands", help="Thousands separator, e.g. . or , (default: sniffed)."),
]
NaValuesOpt = Annotated[
    str | None,
    typer.Option(
        "--na-values",
        help="Comma-separated cells read as missing (default: empty, NA, N/A, n/a, na, NaN, "
        "nan, ?, -, ., null, NULL, None, #N/A).",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(help="Text encoding (default: UTF-8, else Windows-1252 with a note)."),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(help="Spreadsheet sheet: a name or a 0-based number (default: the first)."),
]
KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Key file: refuse the model unless it is signed with this key "
        "(default: GALTON_SIGNING_KEY, if set).",
    ),
]
SignKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--sign-key",
        help="Sign the written model with this key file (HMAC-SHA256; default: "
        "GALTON_SIGNING_KEY, if set).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
MaxLevelsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-levels",
        help="Most levels a text column may have (default: a tenth of the rows, 10 to 50).",
    ),
]
GroupRareOpt = Annotated[
    bool,
    typer.Option(
        "--group-rare",
        help="Group a text column's rarest levels as '(other)' rather than refuse it.",
    ),
]


def _print_version(value: bool) -> None:
    if value:
        from galton import __version__

        typer.echo(f"galton {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options before the command."""
