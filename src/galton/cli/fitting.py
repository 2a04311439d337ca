"""Fitting and updating: ``galton fit`` and ``galton update``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

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
    SignKeyOpt,
    SqlOpt,
    ThousandsOpt,
    WeightsOpt,
    app,
)
from galton.cli.inputs import (
    load_model,
    missing_policy,
    parse_hidden,
    parse_weight_decay,
    read_input,
    read_options,
    signing_key,
)
from galton.cli.output import echo, emit_json, said_warnings
from galton.data.dialect import ReadOptions
from galton.errors import GaltonError
from galton.report.parts import check_destination


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
    weights: WeightsOpt = None,
    formula: Annotated[
        str | None,
        typer.Option(help='A formula instead of --target/--features: "y ~ a + I(b**0.5) + C(g)".'),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            help="linear (least squares), ridge (penalty by leave-one-out), neuron (one "
            "linear neuron) or neural."
        ),
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
    interactions: Annotated[
        bool,
        typer.Option(
            "--interactions",
            help="With --degree: also every product of features up to that total power.",
        ),
    ] = False,
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
        typer.Option(help="L2 penalty, or auto (chosen on validation rows or by CV for L-BFGS)."),
    ] = "auto",
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs (L-BFGS: iterations).")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    dtype: Annotated[str, typer.Option(help="float64 or float32 for neural models.")] = "float64",
    drop_missing: DropMissingOpt = False,
    impute: ImputeOpt = None,
    fmt: FormatOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = None,
    thousands: ThousandsOpt = None,
    na_values: NaValuesOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
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
    max_levels: MaxLevelsOpt = None,
    group_rare: GroupRareOpt = False,
    cov: Annotated[
        str | None,
        typer.Option(
            "--cov",
            help="Linear models: the coefficients' covariance, HC0..HC3, hac:LAGS or "
            "cluster:COLUMN (robust tests are z tests, as statsmodels).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="First show each column's type and role.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Write the fit's page here: one self-contained HTML file with the table, "
            "tests and diagnostic plots.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit a model and print its summary; save it with --out, show it with --report."""
    if report is not None:
        check_destination(report)
    if engine not in ("local", "dask"):
        raise GaltonError(f"--engine must be local or dask, got '{engine}'")
    if scheduler is not None and engine != "dask":
        raise GaltonError("--scheduler goes with --engine dask")
    if chunk_rows is not None and chunk_rows < 1:
        raise GaltonError(f"--chunk-rows must be positive, got {chunk_rows}")
    settings = {
        "hidden": hidden,
        "activation": activation,
        "loss": loss,
        "ensemble": ensemble,
        "weight_decay": weight_decay,
        "solver": solver,
        "learning_rate": lr,
        "max_epochs": epochs,
        "dtype": dtype,
        "backend": backend,
        "device": device,
        "seed": seed,
        "patience": patience,
        "replay_rows": replay_rows,
        "early_stopping": "auto" if not no_early_stopping else False,
        "progress": False if quiet or as_json else None,
        "fit_intercept": not no_intercept,
        "degree": degree,
        "interactions": interactions,
    }
    missing = missing_policy(drop_missing, impute)
    columns = {"max_levels": max_levels, "group_rare": group_rare}
    estimator = _estimator(model, settings, missing, formula, engine, scheduler, columns)
    if cov is not None:
        _set_covariance(estimator, cov)
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    options = read_options(sep, decimal, thousands, na_values, encoding, sheet)
    clusters = (estimator.cov_kwds or {}).get("groups") if cov is not None else None
    if clusters is not None and chosen and clusters not in chosen:
        chosen = [*chosen, clusters]  # the estimator takes it out as the clusters
    source = _Source(data, db, sql, fmt, target, chosen, formula, options, weights)
    source.verbose = verbose and not as_json
    source.columns = columns
    with said_warnings():
        rows = _fit(estimator, source, stream, memory_limit, chunk_rows, checkpoint, resume, out)
        if report is not None:
            _write_page(estimator, report, rows, weights)
    report_fit(estimator, out, as_json, sign_key)
    if report is not None and not as_json:
        echo(f"report written to {report}")


def _write_page(estimator: Any, path: Path, rows: tuple[Any, Any] | None, weights: Any) -> None:
    """``--report``: the single-fit page; a least-squares fit in memory draws from the
    rows it keeps, a network from the rows read (streamed fits: no rows, said there)."""
    from galton.estimators import LinearRegression

    if isinstance(estimator, LinearRegression) or rows is None:
        estimator.to_html(path)
    else:
        estimator.to_html(path, rows[0], rows[1], weights)


def _set_covariance(estimator: Any, text: str) -> None:
    """``--cov``: the covariance of a linear model's coefficients."""
    from galton.estimators import LinearRegression
    from galton.exact.robust import parse_cov

    if not isinstance(estimator, LinearRegression):
        raise GaltonError("--cov applies to --model linear (least squares)")
    try:
        estimator.cov_type, estimator.cov_kwds = parse_cov(text)
    except ValueError as exc:
        raise GaltonError(str(exc)) from None


def _estimator(
    model: str,
    settings: dict[str, Any],
    missing: str,
    formula: str | None,
    engine: str,
    scheduler: str | None,
    columns: dict[str, Any],
) -> Any:
    """The unfitted estimator ``--model`` names, with the options that apply to it
    (``columns``: how text columns are taken, ``max_levels`` and ``group_rare``)."""
    from galton.estimators import LinearRegression, NeuralRegressor, RidgeRegression

    if model not in ("linear", "ridge", "neuron", "neural"):
        raise GaltonError(f"--model must be linear, ridge, neuron or neural, got '{model}'")
    common: dict[str, Any] = {
        "missing": missing,
        "formula": formula,
        "engine": engine,
        "scheduler": scheduler,
        **columns,
    }
    if model == "ridge":
        if engine != "local":
            raise GaltonError("--model ridge fits in memory: drop --engine dask")
        del common["engine"], common["scheduler"]
        return RidgeRegression(fit_intercept=settings["fit_intercept"], **common)
    if model == "linear":
        return LinearRegression(
            fit_intercept=settings["fit_intercept"],
            degree=settings["degree"],
            interactions=settings["interactions"],
            **common,
        )
    if settings["interactions"]:
        raise GaltonError("--interactions applies to --model linear (with --degree)")
    linear_only = ("fit_intercept", "degree", "interactions")
    neural = {k: v for k, v in settings.items() if k not in linear_only}
    neural["hidden"] = () if model == "neuron" else parse_hidden(settings["hidden"])
    neural["weight_decay"] = parse_weight_decay(settings["weight_decay"])
    return NeuralRegressor(**neural, **common)


@dataclass
class _Source:
    """Where the rows come from: DATA (with its format) or ``--db``/``--sql``; which
    columns: ``--target`` and ``--features``, or ``--formula``."""

    data: str | None
    db: Path | None
    sql: str | None
    fmt: str | None
    target: str | None
    features: list[str] | None
    formula: str | None
    options: ReadOptions
    weights: str | None = None
    verbose: bool = False
    columns: dict[str, Any] | None = None

    @property
    def files(self) -> bool:
        return self.data is not None and self.db is None


def _fit(
    estimator: Any,
    source: _Source,
    stream: bool,
    memory_limit: str | None,
    chunk_rows: int | None,
    checkpoint: Path | None,
    resume: Path | None,
    out: Path | None,
) -> tuple[Any, Any] | None:
    """The one fit entry point: on Dask, streamed in chunks (asked for, or data larger
    than the memory limit, a directory or a glob pattern) or in memory; returns the rows
    read (features, target) of an in-memory fit."""
    from galton.data.chunks import chunk_rows_for, is_pattern, stream_bytes
    from galton.data.chunks import memory_limit as bytes_limit
    from galton.estimators import LinearRegression

    limit = bytes_limit(memory_limit)
    data = source.data if source.files else None
    streamed = data is not None and (
        stream or is_pattern(data) or Path(data).is_dir() or stream_bytes(data) > limit
    )
    weighted = {"sample_weight": source.weights} if source.weights else {}
    if getattr(estimator, "engine", "local") == "dask" or streamed:
        if data is None or source.target is None or source.formula is not None:
            raise GaltonError(
                f"{'--engine dask' if estimator.engine == 'dask' else 'a streamed fit'} takes "
                "DATA (files) and --target COL, not --formula or --db"
            )
        if resume is not None:
            raise GaltonError("--resume applies to in-memory fits")
        if not hasattr(estimator, "fit_stream"):
            raise GaltonError(f"{data}: --model ridge reads the data whole: drop --stream")
        if source.weights and not isinstance(estimator, LinearRegression):
            raise GaltonError(
                "--weights: streamed and Dask networks take no row weights yet; fit in memory"
            )
        if getattr(estimator, "engine", "local") == "dask":
            if source.options != ReadOptions():
                raise GaltonError("--engine dask reads Parquet or plain CSV: drop the --sep & co.")
            estimator.fit(data, source.target, **weighted)
        else:
            rows = chunk_rows or chunk_rows_for(data, limit, source.options)
            estimator.fit_stream(
                data,
                source.target,
                chunk_rows=rows,
                features=source.features,
                read_options=source.options,
                **weighted,
            )
        return None
    X, y = _table(source)
    estimator.fit(X, y, **weighted, **_stops(estimator, checkpoint, resume, out))
    return X, y


def _table(source: _Source) -> tuple[Any, Any]:
    """The rows read whole, split into features and target (or whole, for a formula)."""
    from galton.data.loading import describe_source, split_target

    frame = read_input(source.data, source.db, source.sql, source.fmt, source.options)
    if source.verbose:
        show_roles(frame, source.target, source.weights, source.columns or {})
    if source.formula is not None:
        if source.target is not None or source.features is not None:
            raise GaltonError("--formula names the target and features: drop --target/--features")
        return frame, None
    if source.target is None:
        raise GaltonError("give --target COL (or --formula 'y ~ a + b')")
    features = source.features
    if source.weights and features and source.weights not in features:
        features = [*features, source.weights]  # the estimator takes it out as the weights
    return split_target(frame, source.target, features, describe_source(frame))


def show_roles(
    frame: Any, target: str | None, weights: str | None, columns: dict[str, Any]
) -> None:
    """``fit --verbose``'s first lines: each column's type and role."""
    from galton.data.describe import describe, format_roles

    echo(format_roles(describe(frame, target, weights, **columns)))
    echo()


def _stops(
    estimator: Any, checkpoint: Path | None, resume: Path | None, out: Path | None
) -> dict[str, Any]:
    """Checkpointing for networks: Ctrl-C and SIGTERM stop every network fit cleanly."""
    from galton.estimators import NeuralRegressor

    if not isinstance(estimator, NeuralRegressor):
        if resume is not None:
            raise GaltonError("--resume applies to neural models (--model neuron or neural)")
        return {}
    if estimator.ensemble > 1 and resume is not None:
        raise GaltonError("--resume applies to a single network (--ensemble 1)")
    default = Path(f"{out}.checkpoint") if out is not None else Path("galton-fit.checkpoint")
    return {"checkpoint": checkpoint or default, "resume": resume}


def report_fit(
    estimator: Any, out: Path | None, as_json: bool, sign_key: Path | None = None
) -> None:
    """Save the fitted model when asked, then print its summary or JSON."""
    if out is not None:
        estimator.save(out, key=signing_key(sign_key))
    if as_json:
        emit_json({**estimator.to_dict(), "saved_to": str(out) if out else None})
        return
    echo(estimator.summary())
    run = getattr(estimator, "distributed_", None)
    if run:
        echo(
            f"Dask: {run['workers']} workers at {run['scheduler']}, {run['partitions']} "
            f"partitions; {run['rows_read']} rows read of {run['rows_expected']} in the "
            f"source, {run['rows_used']} used"
        )
    if out is not None:
        echo(f"saved to {out}")


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
    weights: WeightsOpt = None,
    fmt: FormatOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = None,
    thousands: ThousandsOpt = None,
    na_values: NaValuesOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
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
    quiet: QuietOpt = False,
) -> None:
    """Update a saved model with new rows (linear: exactly, as a refit on all rows)."""
    from galton.data.chunks import chunk_rows_for
    from galton.data.chunks import memory_limit as bytes_limit
    from galton.data.loading import read_table
    from galton.estimators import LinearRegression

    limit = bytes_limit(memory_limit)
    options = read_options(sep, decimal, thousands, na_values, encoding, sheet)
    signing = signing_key(key)
    estimator = load_model(model_path, key)
    rows_before = estimator.n_samples_
    with said_warnings():
        if isinstance(estimator, LinearRegression):
            if epochs is not None:
                raise GaltonError("--epochs applies to neural models; a linear update is exact")
            # exact and in bounded memory: the new rows are merged chunk by chunk
            source = read_table(data, fmt, options) if fmt or options.sheet is not None else data
            rows = chunk_rows_for(source, limit, options)
            estimator.update_stream(
                source, target, chunk_rows=rows, read_options=options, sample_weight=weights
            )
        else:
            if not hasattr(estimator, "partial_fit"):
                raise GaltonError(f"{model_path}: a ridge model cannot be updated: refit it")
            if quiet or as_json:
                estimator.progress = False
            frame = read_table(data, fmt, options)
            estimator.partial_fit(frame, target, weights, epochs=epochs)
    added = estimator.n_samples_ - rows_before
    destination = out or model_path
    if estimator.signed_ and signing is None:
        echo(
            f"galton: warning: {model_path} was signed; the updated file is not (give --key)",
            err=True,
        )
    estimator.save(destination, key=signing)
    if as_json:
        body = {**estimator.to_dict(), "rows_before": rows_before, "rows_added": added}
        emit_json({**body, "saved_to": str(destination)})
        return
    echo(estimator.summary())
    echo(
        f"updated with {added} rows of {data} (trained on {rows_before} before); "
        f"saved to {destination}"
    )
