"""What galton has: bundled datasets, engines, and the tutorial examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.exceptions import Exit

from galton.cli.app import JsonOpt, app
from galton.cli.output import echo, emit_json
from galton.errors import GaltonError


@app.command()
def datasets(as_json: JsonOpt = False) -> None:
    """List the bundled datasets (name, rows, columns, source, licence)."""
    from galton.data.datasets import DATASETS

    rows: list[dict[str, Any]] = []
    for d in DATASETS.values():  # sizes are recorded (and checked by tests), not loaded
        rows.append(
            {
                "name": d.name,
                "rows": d.rows,
                "columns": d.columns,
                "target": d.target,
                "description": d.description,
                "source": d.source,
                "licence": d.licence,
            }
        )
    if as_json:
        emit_json({"datasets": rows})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Bundled datasets")
    for col in ("name", "rows", "columns", "target", "source", "licence"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"], str(r["rows"]), str(r["columns"]), r["target"], r["source"], r["licence"]
        )
    Console(width=160).print(table)


@app.command()
def backends(as_json: JsonOpt = False) -> None:
    """List the five engines, whether each is usable here, and why not."""
    from galton.backends import ALIASES, ENGINES, unavailable_reason

    rows: list[dict[str, Any]] = []
    for name, info in ENGINES.items():
        reason = unavailable_reason(name)
        aliases = [a for a, target in ALIASES.items() if target == name]
        rows.append(
            {
                "name": name,
                "aliases": aliases,
                "available": reason is None,
                "reason": reason,
                "about": info.note,
            }
        )
    if as_json:
        emit_json({"backends": rows})
        return
    for r in rows:
        alias = f" (alias: {', '.join(r['aliases'])})" if r["aliases"] else ""
        status = "available" if r["available"] else f"unavailable: {r['reason']}"
        echo(f"{r['name']:<11}{status}{alias}\n{'':<11}{r['about']}")
    echo(
        "\ntheano: the original theano 1.0.5 cannot import with NumPy 2 (its C code uses removed "
        "APIs); PyTensor is its maintained successor and answers to the name 'theano'."
    )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.10g}"


@app.command()
def examples(
    which: Annotated[
        str,
        typer.Argument(
            help="least-squares, tensorflow, pytorch, theano or all (the four tutorials), "
            "or age-income: line, network, explanation and formula on the bundled data."
        ),
    ] = "all",
    backend: Annotated[
        str | None, typer.Option(help="Run on this engine instead of the tutorial's own.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Draw the data, galton's line and least squares (PNG).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reproduce the four tutorial examples: tutorial, galton and exact side by side."""
    from galton.backends import canonical_name, get_backend
    from galton.examples import NAMES, run_examples

    if which == "age-income":
        _walk_through(as_json)
        return
    if which not in (*NAMES, "all"):
        raise GaltonError(
            f"unknown example '{which}' (choose from {', '.join(NAMES)}, all, age-income)"
        )
    if backend is not None:
        get_backend(canonical_name(backend))
    results = run_examples(which, backend)
    if plot is not None:
        from galton.report.plots import plot_examples

        plot_examples(results, plot)
    failed = [r.name for r in results if not r.passed]
    if as_json:
        emit_json({"examples": [r.to_dict() for r in results], "passed": not failed})
    else:
        for r in results:
            echo(f"\n{r.name} tutorial - engine: {r.backend or 'none (exact least squares)'}")
            echo(
                f"  {'quantity':<24}{'tutorial printed':>18}{'galton':>18}"
                f"{'exact least squares':>22}   check"
            )
            for c in r.checks:
                mark = "ok" if c.passed else "FAILED"
                echo(
                    f"  {c.quantity:<24}{_number(c.tutorial):>18}{_number(c.galton):>18}"
                    f"{_number(c.exact):>22}   {mark}: {c.rule}"
                )
            for note in r.notes:
                echo(f"  note: {note}")
        if plot is not None:
            echo(f"\nplot written to {plot}")
    if failed:
        echo(f"galton: examples failed their checks: {', '.join(failed)}", err=True)
        raise Exit(1)


def _walk_through(as_json: bool) -> None:
    """``galton examples age-income``: the steps and their checks."""
    from galton.tutorial import age_income_tutorial

    found = age_income_tutorial()
    if as_json:
        emit_json(found.to_dict())
    else:
        for title, text in found.steps:
            echo(f"\n{title}\n{text}")
        echo("\nchecks:")
        for c in found.checks:
            echo(f"  {'ok' if c.passed else 'FAILED'}: {c.quantity} = {c.galton:.4g} ({c.rule})")
    if not found.passed:
        echo("galton: the age-income walk-through failed its checks", err=True)
        raise Exit(1)
