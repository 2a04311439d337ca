"""``galton compare``: yay or nay, with the report."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from galton.cli.app import (
    DbOpt,
    DecimalOpt,
    DropMissingOpt,
    EncodingOpt,
    FeaturesOpt,
    FormatOpt,
    GroupRareOpt,
    ImputeOpt,
    JsonOpt,
    MaxLevelsOpt,
    NaValuesOpt,
    QuietOpt,
    SepOpt,
    SheetOpt,
    SqlOpt,
    ThousandsOpt,
    WeightsOpt,
    app,
)
from galton.cli.inputs import missing_policy, parse_hidden, read_input, read_options
from galton.cli.output import echo, emit_json, said_warnings
from galton.errors import GaltonError


@app.command()
def compare(
    data: Annotated[str | None, typer.Argument(help="A data file or bundled dataset name.")] = None,
    db: DbOpt = None,
    sql: SqlOpt = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column.")] = None,
    features: FeaturesOpt = None,
    weights: WeightsOpt = None,
    groups: Annotated[
        str | None,
        typer.Option(help="Grouped K-fold: a column of groups (patients, stores) never split."),
    ] = None,
    time: Annotated[
        str | None,
        typer.Option(help="Forward-chaining folds: a time column (numbers or dates)."),
    ] = None,
    max_levels: MaxLevelsOpt = None,
    group_rare: GroupRareOpt = False,
    hidden: Annotated[
        str, typer.Option(help="The network's hidden layers, e.g. 64,64, or 'auto'.")
    ] = "64,64",
    folds: Annotated[int | None, typer.Option(help="K of K-fold (default from n).")] = None,
    repeats: Annotated[int | None, typer.Option(help="Repeats of K-fold (default from n).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: folds and initialisations.")] = 0,
    threshold: Annotated[
        float, typer.Option(help="Smallest relative RMSE cut worth a network.")
    ] = 0.02,
    backend: Annotated[str, typer.Option(help="Engine for the neural models.")] = "numpy",
    time_budget: Annotated[
        float | None, typer.Option(help="Seconds to aim for; folds and epochs scale down.")
    ] = None,
    drop_missing: DropMissingOpt = False,
    impute: ImputeOpt = None,
    fmt: FormatOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = None,
    thousands: ThousandsOpt = None,
    na_values: NaValuesOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    report: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report here.")
    ] = None,
    plots: Annotated[Path | None, typer.Option(help="Also write every figure as PNG here.")] = None,
    also: Annotated[
        str | None,
        typer.Option(
            help="Extra rows on the same folds: gbm (gradient-boosted trees), spline "
            "(additive spline), e.g. gbm,spline; the tests are then Holm-corrected.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            help="Processes for the folds (default: every core when it pays; 1: serial). "
            "The results are the same either way.",
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also explain, out of fold: importance, curves, interactions, where the "
            "network wins, and the readable model that keeps its gain.",
        ),
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Yay or nay: does a neural network beat linear regression on this data?"""
    from galton.comparison import compare as run_compare

    missing = missing_policy(drop_missing, impute)
    if target is None:
        raise GaltonError("give --target COL: the column to predict")
    layers: tuple[int, ...] | str = "auto" if hidden.strip() == "auto" else parse_hidden(hidden)
    if layers == ():
        raise GaltonError(
            "--hidden needs at least one layer (the linear neuron is always compared)"
        )
    if jobs is not None and jobs < 1:
        raise GaltonError(f"--jobs must be at least 1, got {jobs}")
    if report is not None and not (report.parent if str(report.parent) else Path(".")).is_dir():
        raise GaltonError(f"{report}: directory {report.parent} does not exist")
    options = read_options(sep, decimal, thousands, na_values, encoding, sheet)
    frame = read_input(data, db, sql, fmt, options)
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    with said_warnings():
        result = run_compare(
            frame,
            target,
            hidden=layers,
            folds=folds,
            repeats=repeats,
            seed=seed,
            threshold=threshold,
            backend=backend,
            time_budget=time_budget,
            missing=missing,
            features=chosen,
            progress=False if quiet or as_json else None,
            sample_weight=weights,
            groups=groups,
            time=time,
            max_levels=max_levels,
            group_rare=group_rare,
            also=also or (),
            n_jobs=jobs,
        )
        explained = result.explain() if explain else None
        if report is not None or plots is not None:
            page = report if report is not None else Path(str(plots)) / "report.html"
            result.to_html(page, plots)
    if as_json:
        extra = {"explanation": explained.to_dict()} if explained is not None else {}
        emit_json({**result.to_dict(), **extra, "report": str(report) if report else None})
        return
    echo(result.summary())
    if explained is not None:
        echo()
        echo(explained.summary())
    if report is not None:
        echo(f"report written to {report}")


def explain_command(**options: Any) -> None:
    """Why and where a neural network beats linear regression, out of fold: `galton
    compare --explain` (importance, partial dependence, interactions, the regions where
    the network wins, and the readable model that keeps its gain)."""
    compare(**{**options, "explain": True})


def _options_but_explain() -> inspect.Signature:
    """`galton compare`'s parameters (annotations resolved, as Typer reads them) less
    --explain."""
    hints = get_type_hints(compare, include_extras=True)
    return inspect.Signature(
        [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(compare).parameters.values()
            if p.name != "explain"
        ]
    )


explain_command.__signature__ = _options_but_explain()  # type: ignore[attr-defined]
app.command("explain")(explain_command)
