"""Using saved models: predict, info, verify, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from galton.cli.app import (
    DecimalOpt,
    EncodingOpt,
    FormatOpt,
    JsonOpt,
    KeyOpt,
    NaValuesOpt,
    QuietOpt,
    SepOpt,
    SheetOpt,
    ThousandsOpt,
    app,
)
from galton.cli.inputs import load_model, read_options, signing_key
from galton.cli.output import echo, emit_json
from galton.errors import GaltonError


def write_table_atomic(frame: Any, path: Path) -> None:
    """Write predictions as CSV (or TSV, Parquet, JSON Lines by extension), atomically."""
    from galton.atomic import atomic_write

    suffix = path.suffix.lower()

    def write(tmp: str) -> None:
        if suffix in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            frame.to_json(tmp, orient="records", lines=True)
        elif suffix in (".tsv", ".tab"):
            frame.to_csv(tmp, sep="\t", index=False)
        else:
            frame.to_csv(tmp, index=False)

    atomic_write(path, write)


@app.command()
def predict(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="A model file saved by `galton fit --out`.")
    ],
    data: Annotated[str, typer.Argument(help="Rows to predict: a file or bundled dataset name.")],
    interval: Annotated[
        float | None, typer.Option(help="Prediction interval level, e.g. 0.9.")
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="Run a neural model on another engine.")
    ] = None,
    fmt: FormatOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = None,
    thousands: ThousandsOpt = None,
    na_values: NaValuesOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the input rows with predictions here.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Flag rows not to trust: outside the training ranges, high leverage, or "
            "(with --against) where two models disagree beyond their intervals.",
        ),
    ] = False,
    against: Annotated[
        Path | None,
        typer.Option(help="With --check: a second saved model (the network for a line)."),
    ] = None,
    as_json: JsonOpt = False,
    key: KeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Predict new rows (with intervals) from a saved model."""
    from galton.data.loading import read_table

    if interval is not None and not 0 < interval < 1:
        raise GaltonError(f"--interval must be a level between 0 and 1, e.g. 0.9; got {interval}")
    estimator = load_model(model_path, key, backend)
    options = read_options(sep, decimal, thousands, na_values, encoding, sheet)
    frame = read_table(data, fmt, options)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    if check or against is not None:
        other = load_model(against, key, backend) if against is not None else None
        _checked(estimator, frame, other, out, as_json)
        return
    result = estimator.predict(frame, interval=interval) if interval else estimator.predict(frame)
    column = f"predicted_{estimator.target_name_}"
    table = frame.copy()
    if interval:
        pred, lower, upper = result
        table[column], table["lower"], table["upper"] = pred, lower, upper
    else:
        pred = result
        table[column] = pred
    if out is not None:
        write_table_atomic(table, out)
    if as_json:
        body: dict[str, Any] = {
            "target": estimator.target_name_,
            "n": len(pred),
            "predictions": pred,
        }
        if interval:
            body.update(interval=interval, lower=lower, upper=upper)
        body["written_to"] = str(out) if out else None
        emit_json(body)
        return
    if out is not None:
        echo(f"wrote {len(pred)} predictions to {out}")
        return
    shown = [column, "lower", "upper"] if interval else [column]
    echo(table[shown].to_string(index=False))


def _checked(estimator: Any, frame: Any, other: Any, out: Path | None, as_json: bool) -> None:
    """``predict --check``: the predictions with their flags."""
    try:
        table = estimator.check(frame, against=other)
    except (AttributeError, TypeError) as exc:  # a model without intervals
        raise GaltonError(f"--against: both models need prediction intervals ({exc})") from None
    table = table.rename(columns={"prediction": f"predicted_{estimator.target_name_}"})
    if out is not None:
        write_table_atomic(frame.join(table), out)
    flagged = int(table["flagged"].sum())
    if as_json:
        emit_json(
            {
                "flagged": flagged,
                "rows": table.to_dict(orient="list"),
                "written_to": str(out) if out else None,
            }
        )
        return
    echo(f"{flagged} of {len(table)} rows flagged")
    if out is None:
        echo(table.to_string(index=False))
    else:
        echo(f"wrote {len(table)} predictions with their flags to {out}")


@app.command()
def info(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="A saved model file.")],
    as_json: JsonOpt = False,
    key: KeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """What a saved model is, how it was trained, and its metrics.

    The checksum detects corruption, not tampering (anyone can recompute it); loading an
    untrusted file is safe because nothing in it is executed. A signature made with
    --sign-key tells who wrote the file: check it with --key or `galton verify`.
    """
    from galton.io import read_model_file

    meta, _ = read_model_file(model_path)
    signing = signing_key(key)
    estimator = load_model(model_path, key)
    body = {
        **estimator.to_dict(),
        "file": str(model_path),
        "format_version": meta["format_version"],
        "galton_version": meta["galton_version"],
        "parameters": meta["params"],
        "checksum": "intact",
        "signature": _signature_state(estimator.signed_, signing is not None),
    }
    body.pop("history", None)
    if as_json:
        emit_json(body)
        return
    echo(
        f"{model_path}: galton {body['model']} model (file format {body['format_version']}, "
        f"written by galton {body['galton_version']})"
    )
    echo(
        f"target {body['target']} from {', '.join(body['features'])}; "
        f"trained on {body['n_samples']} rows in {body['fit_seconds']:.3g} s"
    )
    echo(
        "integrity: checksum intact (it detects corruption, not tampering); "
        f"authenticity: {body['signature']}"
    )
    echo(estimator.summary())


def _signature_state(signed: bool, verified: bool) -> str:
    if verified:
        return "signed, signature verified with the key"
    if signed:
        return "signed, not verified (give --key)"
    return "not signed"


@app.command()
def verify(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="A saved model file.")],
    key: Annotated[Path, typer.Option("--key", help="The key file the model was signed with.")],
    quiet: QuietOpt = False,
) -> None:
    """Check that MODEL is intact and signed with the key (exit 0), or say why not (exit 2)."""
    load_model(model_path, key)
    echo(f"{model_path}: signature valid (HMAC-SHA256) and checksum intact")


@app.command()
def export(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="A saved model file.")],
    onnx: Annotated[Path, typer.Option("--onnx", help="Write the model as ONNX here.")],
    key: KeyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Export a saved model to ONNX, preprocessing included."""
    from galton.onnx_export import export_onnx

    export_onnx(load_model(model_path, key), onnx)
    echo(f"wrote {onnx}: inputs are the original columns, output 'prediction'")
