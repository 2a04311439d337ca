"""``galton test``: linear restrictions on a saved least-squares model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from galton.cli.app import JsonOpt, KeyOpt, app
from galton.cli.inputs import load_model
from galton.cli.output import echo, emit_json
from galton.errors import GaltonError


@app.command()
def test(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="A least-squares model saved by `galton fit`.")
    ],
    restrictions: Annotated[
        str,
        typer.Argument(help='Restrictions on the terms, e.g. "x1 = x2, x3 = 0" or "2*a - b = 1".'),
    ],
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The joint F test and one t (or z) test per restriction, with the model's
    covariance (classical or robust)."""
    from galton.estimators import LinearRegression

    model = load_model(model_path, key)
    if not isinstance(model, LinearRegression):
        raise GaltonError(f"{model_path}: `galton test` takes a least-squares (linear) model")
    parts = [p.strip() for p in restrictions.split(",") if p.strip()]
    joint = model.f_test(restrictions)
    single = model.t_test(restrictions)
    rows = _rows(parts, single) if len(parts) == len(single.effect) else _rows([], single)
    body: dict[str, Any] = {
        "F": {"statistic": joint.statistic, "df": list(joint.df), "p": joint.pvalue},
        "t": rows,
        "tests": "z" if model.results_.uses_normal else "t",
    }
    if as_json:
        emit_json(body)
        return
    echo(
        f"F test: F = {joint.statistic:.6g} on ({joint.df[0]}, {joint.df[1]:g}) df, "
        f"p = {joint.pvalue:.4g}"
    )
    test_name = body["tests"]
    echo(f"{'restriction':<32}{'effect':>14}{'std err':>12}{test_name:>10}{'p':>12}")
    for row in rows:
        echo(
            f"{row['restriction'][:31]:<32}{row['effect']:>14.6g}{row['std_err']:>12.5g}"
            f"{row['statistic']:>10.3f}{row['p']:>12.4g}"
        )


def _rows(parts: list[str], single: Any) -> list[dict[str, Any]]:
    names = parts or [f"restriction {k + 1}" for k in range(len(single.effect))]
    return [
        {
            "restriction": name,
            "effect": float(single.effect[k]),
            "std_err": float(single.se[k]),
            "statistic": float(single.statistic[k]),
            "p": float(single.pvalue[k]),
        }
        for k, name in enumerate(names)
    ]


@app.command()
def anova(
    models: Annotated[
        list[Path],
        typer.Argument(
            metavar="MODEL [MODEL2 ...]",
            help="One least-squares model: its ANOVA table. Several, smallest first, each "
            "nested in the next: F and likelihood-ratio tests between them.",
        ),
    ],
    typ: Annotated[int, typer.Option("--typ", help="Sums of squares: type 1, 2 or 3.")] = 2,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Analysis of variance of a saved model, or of nested saved models."""
    from galton.estimators import LinearRegression
    from galton.estimators import anova as anova_table

    fitted = [load_model(path, key) for path in models]
    for path, model in zip(models, fitted, strict=True):
        if not isinstance(model, LinearRegression):
            raise GaltonError(f"{path}: `galton anova` takes least-squares (linear) models")
    try:
        table = anova_table(*fitted, typ=typ)
    except GaltonError:
        raise
    except ValueError as exc:
        raise GaltonError(str(exc)) from None
    if as_json:
        emit_json({"anova": table.reset_index().to_dict(orient="records"), "typ": typ})
        return
    echo(table.to_string())
