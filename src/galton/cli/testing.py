"""Statistics of a saved least-squares model: ``galton test`` (linear restrictions),
``galton anova`` and ``galton influence`` (influence measures and VIF of rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from galton.cli.app import FormatOpt, JsonOpt, KeyOpt, WeightsOpt, app
from galton.cli.inputs import load_model, read_input
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


@app.command()
def influence(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="A least-squares model saved by `galton fit`.")
    ],
    data: Annotated[
        str, typer.Argument(metavar="DATA", help="The rows: usually the training data.")
    ],
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target column (default: the model's).")
    ] = None,
    weights: WeightsOpt = None,
    fmt: FormatOpt = None,
    top: Annotated[int, typer.Option(help="Flagged rows shown (most influential first).")] = 20,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write every row's measures here (CSV).")
    ] = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Leverage, studentized residuals, Cook's distance, DFFITS and DFBETAS of DATA's rows
    under MODEL, the rows flagged as influential, and the variance inflation factors."""
    from galton.atomic import atomic_write
    from galton.estimators import LinearRegression
    from galton.estimators.page import flag_influential, row_numbers

    model = load_model(model_path, key)
    if not isinstance(model, LinearRegression):
        raise GaltonError(f"{model_path}: `galton influence` takes a least-squares (linear) model")
    frame = read_input(data, None, None, fmt)
    found = model.influence(frame, target or model.target_name_, weights)
    found.insert(0, "row", row_numbers(model, len(found), given=True))
    flagged, rule = flag_influential(found, int((~model.results_.solution.aliased).sum()))
    kept = frame.loc[model.schema_.rows_given_]  # the rows the measures are of
    roles = [target or model.target_name_] + ([weights] if weights else [])
    vif = model.vif(kept.drop(columns=roles))
    if out is not None:
        atomic_write(out, lambda tmp: found.to_csv(tmp, index=False))
    if as_json:
        rows = flagged.head(top).to_dict(orient="records")
        emit_json({"rule": rule, "flagged": len(flagged), "rows": rows, "vif": vif.to_dict()})
        return
    echo(f"{len(flagged)} of {len(found)} rows flagged ({rule})")
    columns = ["row", "hat", "student_resid_external", "cooks_d", "dffits"]
    echo(flagged.head(top)[columns].to_string(index=False) if len(flagged) else "")
    echo("\nVariance inflation factors:\n" + vif.dropna().to_string())
