"""The ``galton`` command: argument parsing and printing only.

User errors end with one line on stderr and exit status 2; ``--json`` prints exactly one
JSON object on stdout.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from typer.exceptions import Abort, Exit, TyperException

from galton.errors import GaltonError, TrainingInterrupted

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
        "--format", help="File format if the extension does not say: csv, tsv, parquet, jsonl."
    ),
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


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, arrays lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_clean(obj), indent=2) + "\n")


#: Control characters (C0, DEL, C1) and bidirectional overrides: text from files is printed
#: with these escaped, so a column name cannot move the cursor or recolour the terminal.
_CONTROLS = {
    c: f"\\x{c:02x}" if c < 256 else f"\\u{c:04x}"
    for c in [
        *range(0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
    if c not in (0x09, 0x0A)
}
_GALTON_DIR = str(Path(__file__).resolve().parent)


def safe_text(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``); newlines and tabs kept."""
    return text.translate(_CONTROLS)


def _echo(message: str = "", err: bool = False) -> None:
    typer.echo(safe_text(str(message)), err=err)


def _warn_lines(caught: list[warnings.WarningMessage]) -> None:
    """galton's own warnings, once each; numerical warnings from NumPy and friends said
    once in galton's words; pandas' performance advice dropped."""
    said: set[str] = set()
    numerical = 0
    for w in caught:
        ours = str(w.filename).startswith(_GALTON_DIR)
        if not ours and issubclass(w.category, RuntimeWarning):
            numerical += 1
            continue
        if not ours and "PerformanceWarning" in w.category.__name__:
            continue
        line = f"galton: warning: {w.message}"
        if line not in said:
            said.add(line)
            _echo(line, err=True)
    if numerical:
        _echo(
            "galton: warning: some values overflowed or were undefined during the computation; "
            "check the data for extreme values",
            err=True,
        )


@app.command()
def datasets(as_json: JsonOpt = False) -> None:
    """List the bundled datasets (name, rows, columns, source, licence)."""
    from galton.data.datasets import DATASETS

    rows = []
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
        _emit_json({"datasets": rows})
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

    rows = []
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
        _emit_json({"backends": rows})
        return
    for r in rows:
        alias = f" (alias: {', '.join(r['aliases'])})" if r["aliases"] else ""
        status = "available" if r["available"] else f"unavailable: {r['reason']}"
        _echo(f"{r['name']:<11}{status}{alias}\n{'':<11}{r['about']}")
    _echo(
        "\ntheano: the original theano 1.0.5 cannot import with NumPy 2 (its C code uses removed "
        "APIs); PyTensor is its maintained successor and answers to the name 'theano'."
    )


def _missing_policy(drop_missing: bool, impute: str | None) -> str:
    if drop_missing and impute:
        raise GaltonError("choose one of --drop-missing and --impute, not both")
    if impute and impute not in ("mean", "median"):
        raise GaltonError(f"--impute must be mean or median, got '{impute}'")
    return "drop" if drop_missing else (impute or "error")


def _read_input(data: str | None, db: Path | None, sql: str | None, fmt: str | None) -> Any:
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
    return read_table(data, fmt)


def _parse_hidden(text: str) -> tuple[int, ...]:
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


def _parse_weight_decay(text: str) -> float | str:
    if text.strip() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise GaltonError(f"--weight-decay must be auto or a number, got '{text}'") from None


def _model_json(model: Any) -> dict[str, Any]:
    from galton.estimators import LinearRegression

    out: dict[str, Any] = {
        "model": "linear"
        if isinstance(model, LinearRegression)
        else ("neuron" if not model.net_.hidden else "neural"),
        "target": model.target_name_,
        "features": model.feature_names_in_,
        "n_samples": model.n_samples_,
        "metrics": model.metrics_,
        "fit_seconds": model.fit_seconds_,
    }
    if getattr(model, "distributed_", None):
        out["distributed"] = model.distributed_
    if isinstance(model, LinearRegression):
        ci = model.conf_int()
        out["coefficients"] = [
            {
                "term": name,
                "coef": model.params_[k],
                "std_err": model.bse_[k],
                "t": model.tvalues_[k],
                "p": model.pvalues_[k],
                "ci_low": ci[k, 0],
                "ci_high": ci[k, 1],
                "aliased": name in model.aliased_,
            }
            for k, name in enumerate(model.term_names_)
        ]
        out["statistics"] = {
            "r_squared": model.rsquared_,
            "adj_r_squared": model.rsquared_adj_,
            "residual_std_err": model.resid_std_err_,
            "f_statistic": model.fvalue_,
            "f_pvalue": model.f_pvalue_,
            "log_likelihood": model.llf_,
            "aic": model.aic_,
            "bic": model.bic_,
            "condition_number": model.condition_number_,
            "rank": model.rank_,
            "rank_tol": model.rank_tol_,
            "solver": model.solver_,
            "df_resid": model.results_.df_resid,
        }
    else:
        cfg = model.train_config_
        out.update(
            backend=model.backend_,
            hidden=list(model.net_.hidden),
            activation=model.net_.activation,
            solver=cfg.optimizer,
            loss=cfg.loss,
            ensemble=len(model.members_),
            weight_decay=cfg.weight_decay,
            weight_decay_search={str(k): v for k, v in model.weight_decay_search_.items()},
            dtype=cfg.dtype,
            epochs=model.n_epochs_,
            best_epoch=model.best_epoch_,
            history=model.history_,
        )
        if not model.net_.hidden:
            out["coefficients"] = [{"term": "const", "coef": model.intercept_}] + [
                {"term": n, "coef": c}
                for n, c in zip(model.feature_names_, model.coef_, strict=True)
            ]
    return out


@app.command()
def fit(
    data: Annotated[
        str | None,
        typer.Argument(help="CSV, TSV, Parquet or JSON Lines file, or a bundled dataset name."),
    ] = None,
    db: DbOpt = None,
    sql: SqlOpt = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target column (or give --formula).")
    ] = None,
    features: FeaturesOpt = None,
    formula: Annotated[
        str | None,
        typer.Option(help='A formula instead of --target/--features: "y ~ a + I(b**0.5) + C(g)".'),
    ] = None,
    model: Annotated[
        str, typer.Option(help="linear, neuron (one linear neuron) or neural.")
    ] = "linear",
    hidden: Annotated[
        str, typer.Option(help="Hidden layer widths for --model neural, e.g. 64,64.")
    ] = "64,64",
    backend: Annotated[
        str, typer.Option(help="Engine for neural models (see `galton backends`).")
    ] = "numpy",
    device: Annotated[
        str, typer.Option(help="auto, cpu or cuda: where torch and jax train (auto: any GPU).")
    ] = "auto",
    degree: Annotated[
        int, typer.Option(help="Polynomial degree for --model linear (raw powers).")
    ] = 1,
    no_intercept: Annotated[
        bool, typer.Option("--no-intercept", help="Fit without an intercept.")
    ] = False,
    solver: Annotated[
        str, typer.Option(help="Neural solver: auto, sgd, adam, adamw, lbfgs, cg.")
    ] = "auto",
    activation: Annotated[
        str, typer.Option(help="relu, tanh, sigmoid, silu or identity.")
    ] = "relu",
    loss: Annotated[
        str, typer.Option(help="auto, mse, mae, huber or gaussian (mean and variance outputs).")
    ] = "auto",
    ensemble: Annotated[
        int,
        typer.Option(help="Networks averaged (Gaussian-loss members: intervals per row)."),
    ] = 1,
    weight_decay: Annotated[
        str,
        typer.Option(help="L2 penalty, or auto (chosen on validation rows for L-BFGS)."),
    ] = "auto",
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs (L-BFGS: iterations).")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    dtype: Annotated[str, typer.Option(help="float64 or float32 for neural models.")] = "float64",
    drop_missing: DropMissingOpt = False,
    impute: ImputeOpt = None,
    fmt: FormatOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the fitted model to this file.")
    ] = None,
    patience: Annotated[int, typer.Option(help="Epochs without improvement before stopping.")] = 20,
    no_early_stopping: Annotated[
        bool, typer.Option("--no-early-stopping", help="Train all --epochs, no validation split.")
    ] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="Where Ctrl-C or SIGTERM writes the training state (default: "
            "OUT.checkpoint, or galton-fit.checkpoint)."
        ),
    ] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue an interrupted fit from its checkpoint.")
    ] = None,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Read DATA in chunks, never whole (automatic above --memory-limit, and for "
            "directories and glob patterns).",
        ),
    ] = False,
    memory_limit: Annotated[
        str | None,
        typer.Option(help="Memory for the data, e.g. 1GB (default: a quarter of RAM)."),
    ] = None,
    chunk_rows: Annotated[
        int | None, typer.Option(help="Rows per chunk when streaming (default: from the limit).")
    ] = None,
    replay_rows: Annotated[
        int,
        typer.Option(help="Neural: training rows kept in the model, replayed by `galton update`."),
    ] = 0,
    engine: Annotated[
        str,
        typer.Option(help="local, or dask: DATA (Parquet/CSV files) is fitted on a Dask cluster."),
    ] = "local",
    sign_key: SignKeyOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (default: a LocalCluster for the fit)."),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit a model and print its summary; save it with --out."""
    from galton.data.chunks import chunk_rows_for, is_pattern, stream_bytes
    from galton.data.chunks import memory_limit as bytes_limit
    from galton.data.loading import describe_source, split_target
    from galton.estimators import LinearRegression, NeuralRegressor

    missing = _missing_policy(drop_missing, impute)
    if model not in ("linear", "neuron", "neural"):
        raise GaltonError(f"--model must be linear, neuron or neural, got '{model}'")
    if engine not in ("local", "dask"):
        raise GaltonError(f"--engine must be local or dask, got '{engine}'")
    if scheduler is not None and engine != "dask":
        raise GaltonError("--scheduler goes with --engine dask")
    if chunk_rows is not None and chunk_rows < 1:
        raise GaltonError(f"--chunk-rows must be positive, got {chunk_rows}")
    if model == "linear":
        estimator: Any = LinearRegression(
            fit_intercept=not no_intercept,
            degree=degree,
            missing=missing,
            formula=formula,
            engine=engine,
            scheduler=scheduler,
        )
    else:
        estimator = NeuralRegressor(
            hidden=() if model == "neuron" else _parse_hidden(hidden),
            activation=activation,
            loss=loss,
            ensemble=ensemble,
            weight_decay=_parse_weight_decay(weight_decay),
            solver=solver,
            learning_rate=lr,
            max_epochs=epochs,
            dtype=dtype,
            backend=backend,
            device=device,
            seed=seed,
            missing=missing,
            progress=False if quiet or as_json else None,
            patience=patience,
            early_stopping="auto" if not no_early_stopping else False,
            formula=formula,
            replay_rows=replay_rows,
            engine=engine,
            scheduler=scheduler,
        )
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    limit = bytes_limit(memory_limit)
    whole_files = data is None or db is not None
    streamed = not whole_files and (
        stream or is_pattern(data) or Path(data).is_dir() or stream_bytes(data) > limit
    )
    if engine == "dask" or streamed:
        if whole_files or target is None or formula is not None:
            raise GaltonError(
                f"{'--engine dask' if engine == 'dask' else 'a streamed fit'} takes DATA "
                "(files) and --target COL, not --formula or --db"
            )
        if resume is not None:
            raise GaltonError("--resume applies to in-memory fits")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if engine == "dask":
                estimator.fit(data, target)
            else:
                rows = chunk_rows or chunk_rows_for(data, limit)
                estimator.fit_stream(data, target, chunk_rows=rows, features=chosen)
        _warn_lines(caught)
        _report_fit(estimator, out, as_json, sign_key)
        return
    frame = _read_input(data, db, sql, fmt)
    if formula is not None:
        if target is not None or features is not None:
            raise GaltonError("--formula names the target and features: drop --target/--features")
        X, y = frame, None
    elif target is None:
        raise GaltonError("give --target COL (or --formula 'y ~ a + b')")
    else:
        X, y = split_target(frame, target, chosen, describe_source(frame))
    options: dict[str, Any] = {}
    if model != "linear" and ensemble > 1 and resume is not None:
        raise GaltonError("--resume applies to a single network (--ensemble 1)")
    if model != "linear":  # Ctrl-C and SIGTERM stop every network fit cleanly
        default = Path(f"{out}.checkpoint") if out is not None else Path("galton-fit.checkpoint")
        options = {"checkpoint": checkpoint or default, "resume": resume}
    elif resume is not None:
        raise GaltonError("--resume applies to neural models (--model neuron or neural)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y, **options)
    _warn_lines(caught)
    _report_fit(estimator, out, as_json, sign_key)


def _key(path: Path | None) -> bytes | None:
    """The key from ``--key``/``--sign-key``, else from ``GALTON_SIGNING_KEY``, else None."""
    from galton.io import key_from_environment, read_key

    return read_key(path) if path is not None else key_from_environment()


def _load(model_path: Path, key: Path | None, backend: str | None = None) -> Any:
    """A saved model, its signature checked when a key is given or set."""
    from galton.estimators import load

    return load(model_path, backend=backend, key=_key(key))


def _report_fit(
    estimator: Any, out: Path | None, as_json: bool, sign_key: Path | None = None
) -> None:
    """Save the fitted model when asked, then print its summary or JSON."""
    if out is not None:
        estimator.save(out, key=_key(sign_key))
    if as_json:
        _emit_json({**_model_json(estimator), "saved_to": str(out) if out else None})
        return
    _echo(estimator.summary())
    run = getattr(estimator, "distributed_", None)
    if run:
        _echo(
            f"Dask: {run['workers']} workers at {run['scheduler']}, {run['partitions']} "
            f"partitions; {run['rows_read']} rows read of {run['rows_expected']} in the "
            f"source, {run['rows_used']} used"
        )
    if out is not None:
        _echo(f"saved to {out}")


def _write_table_atomic(frame: Any, path: Path) -> None:
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
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Input file format if the extension does not say."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the input rows with predictions here.")
    ] = None,
    as_json: JsonOpt = False,
    key: KeyOpt = None,
) -> None:
    """Predict new rows (with intervals) from a saved model."""
    from galton.data.loading import read_table

    if interval is not None and not 0 < interval < 1:
        raise GaltonError(f"--interval must be a level between 0 and 1, e.g. 0.9; got {interval}")
    estimator = _load(model_path, key, backend)
    frame = read_table(data, fmt)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
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
        _write_table_atomic(table, out)
    if as_json:
        body: dict[str, Any] = {
            "target": estimator.target_name_,
            "n": len(pred),
            "predictions": pred,
        }
        if interval:
            body.update(interval=interval, lower=lower, upper=upper)
        body["written_to"] = str(out) if out else None
        _emit_json(body)
        return
    if out is not None:
        _echo(f"wrote {len(pred)} predictions to {out}")
        return
    shown = [column, "lower", "upper"] if interval else [column]
    _echo(table[shown].to_string(index=False))


@app.command()
def info(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="A saved model file.")],
    as_json: JsonOpt = False,
    key: KeyOpt = None,
) -> None:
    """What a saved model is, how it was trained, and its metrics.

    The checksum detects corruption, not tampering (anyone can recompute it); loading an
    untrusted file is safe because nothing in it is executed. A signature made with
    --sign-key tells who wrote the file: check it with --key or `galton verify`.
    """
    from galton.io import read_model_file

    meta, _ = read_model_file(model_path)
    signing = _key(key)
    estimator = _load(model_path, key)
    body = {
        **_model_json(estimator),
        "file": str(model_path),
        "format_version": meta["format_version"],
        "galton_version": meta["galton_version"],
        "parameters": meta["params"],
        "checksum": "intact",
        "signature": _signature_state(estimator.signed_, signing is not None),
    }
    body.pop("history", None)
    if as_json:
        _emit_json(body)
        return
    _echo(
        f"{model_path}: galton {body['model']} model (file format {body['format_version']}, "
        f"written by galton {body['galton_version']})"
    )
    _echo(
        f"target {body['target']} from {', '.join(body['features'])}; "
        f"trained on {body['n_samples']} rows in {body['fit_seconds']:.3g} s"
    )
    _echo(
        "integrity: checksum intact (it detects corruption, not tampering); "
        f"authenticity: {body['signature']}"
    )
    _echo(estimator.summary())


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
) -> None:
    """Check that MODEL is intact and signed with the key (exit 0), or say why not (exit 2)."""
    _load(model_path, key)
    _echo(f"{model_path}: signature valid (HMAC-SHA256) and checksum intact")


@app.command()
def update(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="A model file saved by `galton fit --out`.")
    ],
    data: Annotated[str, typer.Argument(metavar="NEWDATA", help="New rows: a file.")],
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target column (default: the model's).")
    ] = None,
    epochs: Annotated[
        int | None, typer.Option(help="Neural models: passes over the new rows.")
    ] = None,
    fmt: FormatOpt = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(help="Memory for the new rows' chunks, e.g. 1GB (default: a quarter of RAM)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the updated model here, not MODEL.")
    ] = None,
    as_json: JsonOpt = False,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Key file: check MODEL's signature and sign the updated file "
            "(default: GALTON_SIGNING_KEY, if set).",
        ),
    ] = None,
) -> None:
    """Update a saved model with new rows (linear: exactly, as a refit on all rows)."""
    from galton.data.chunks import chunk_rows_for
    from galton.data.chunks import memory_limit as bytes_limit
    from galton.data.loading import read_table
    from galton.estimators import LinearRegression

    limit = bytes_limit(memory_limit)
    signing = _key(key)
    estimator = _load(model_path, key)
    rows_before = estimator.n_samples_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if isinstance(estimator, LinearRegression):
            if epochs is not None:
                raise GaltonError("--epochs applies to neural models; a linear update is exact")
            # exact and in bounded memory: the new rows are merged chunk by chunk
            source = read_table(data, fmt) if fmt else data
            estimator.update_stream(source, target, chunk_rows=chunk_rows_for(source, limit))
        else:
            estimator.partial_fit(read_table(data, fmt), target, epochs=epochs)
    _warn_lines(caught)
    added = estimator.n_samples_ - rows_before
    destination = out or model_path
    if estimator.signed_ and signing is None:
        _echo(
            f"galton: warning: {model_path} was signed; the updated file is not (give --key)",
            err=True,
        )
    estimator.save(destination, key=signing)
    if as_json:
        body = {**_model_json(estimator), "rows_before": rows_before, "rows_added": added}
        _emit_json({**body, "saved_to": str(destination)})
        return
    _echo(estimator.summary())
    _echo(
        f"updated with {added} rows of {data} (trained on {rows_before} before); "
        f"saved to {destination}"
    )


@app.command()
def export(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="A saved model file.")],
    onnx: Annotated[Path, typer.Option("--onnx", help="Write the model as ONNX here.")],
    key: KeyOpt = None,
) -> None:
    """Export a saved model to ONNX, preprocessing included."""
    from galton.onnx_export import export_onnx

    export_onnx(_load(model_path, key), onnx)
    _echo(f"wrote {onnx}: inputs are the original columns, output 'prediction'")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.10g}"


@app.command()
def examples(
    which: Annotated[
        str, typer.Argument(help="least-squares, tensorflow, pytorch, theano or all.")
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

    if which not in (*NAMES, "all"):
        raise GaltonError(f"unknown example '{which}' (choose from {', '.join(NAMES)}, all)")
    if backend is not None:
        get_backend(canonical_name(backend))
    results = run_examples(which, backend)
    if plot is not None:
        from galton.report.plots import plot_examples

        plot_examples(results, plot)
    failed = [r.name for r in results if not r.passed]
    if as_json:
        _emit_json({"examples": [r.to_dict() for r in results], "passed": not failed})
    else:
        for r in results:
            _echo(f"\n{r.name} tutorial - engine: {r.backend or 'none (exact least squares)'}")
            _echo(
                f"  {'quantity':<24}{'tutorial printed':>18}{'galton':>18}"
                f"{'exact least squares':>22}   check"
            )
            for c in r.checks:
                mark = "ok" if c.passed else "FAILED"
                _echo(
                    f"  {c.quantity:<24}{_number(c.tutorial):>18}{_number(c.galton):>18}"
                    f"{_number(c.exact):>22}   {mark}: {c.rule}"
                )
            for note in r.notes:
                _echo(f"  note: {note}")
        if plot is not None:
            _echo(f"\nplot written to {plot}")
    if failed:
        _echo(f"galton: examples failed their checks: {', '.join(failed)}", err=True)
        raise Exit(1)


@app.command()
def compare(
    data: Annotated[str | None, typer.Argument(help="A data file or bundled dataset name.")] = None,
    db: DbOpt = None,
    sql: SqlOpt = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column.")] = None,
    features: FeaturesOpt = None,
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
    report: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report here.")
    ] = None,
    plots: Annotated[Path | None, typer.Option(help="Also write every figure as PNG here.")] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Yay or nay: does a neural network beat linear regression on this data?"""
    from galton.comparison import compare as run_compare

    missing = _missing_policy(drop_missing, impute)
    if target is None:
        raise GaltonError("give --target COL: the column to predict")
    layers: tuple[int, ...] | str = "auto" if hidden.strip() == "auto" else _parse_hidden(hidden)
    if layers == ():
        raise GaltonError(
            "--hidden needs at least one layer (the linear neuron is always compared)"
        )
    if report is not None and not (report.parent if str(report.parent) else Path(".")).is_dir():
        raise GaltonError(f"{report}: directory {report.parent} does not exist")
    frame = _read_input(data, db, sql, fmt)
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
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
        )
        if report is not None or plots is not None:
            result.to_html(report if report is not None else Path(plots) / "report.html", plots)
    _warn_lines(caught)
    if as_json:
        _emit_json({**result.to_dict(), "report": str(report) if report else None})
        return
    _echo(result.summary())
    if report is not None:
        _echo(f"report written to {report}")


class _Terminated(BaseException):
    """SIGTERM outside a training loop: stop like Ctrl-C, with one line and status 143."""


def _terminate(_signum: int, _frame: Any) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one line and exit status 2."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)  # training loops install their own
    try:
        app(args=argv, standalone_mode=False)
    except _Terminated:
        _echo("galton: stopped by SIGTERM (no file is left half-written)", err=True)
        sys.exit(143)
    except TrainingInterrupted as exc:
        hint = f"; continue with the same command and --resume {exc.checkpoint}"
        _echo(f"galton: {exc}{hint if exc.checkpoint else ''}", err=True)
        sys.exit(128 + (exc.signal_number or 2))
    except KeyboardInterrupt:
        _echo("galton: stopped by Ctrl-C (no file is left half-written)", err=True)
        sys.exit(130)
    except GaltonError as exc:
        _echo(f"galton: error: {exc}", err=True)
        sys.exit(2)
    except Abort:
        _echo("galton: aborted", err=True)
        sys.exit(130)
    except TyperException as exc:  # usage errors: unknown option, missing argument, ...
        if exc.format_message():  # empty when bare `galton` already printed its help
            _echo(f"galton: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
