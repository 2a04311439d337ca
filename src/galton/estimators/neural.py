"""NeuralRegressor: networks trained by gradient descent on any engine."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from galton import backends as engine_registry
from galton.data.chunks import DEFAULT_CHUNK_ROWS
from galton.data.dialect import ReadOptions
from galton.data.preprocess import MISSING_POLICIES
from galton.errors import ParameterError
from galton.estimators import params as rules
from galton.estimators.base import (
    PredictionInterval,
    _check,
    _check_engine,
    _Estimator,
    _require_finite,
    fitted_attribute,
)
from galton.estimators.fitting.dask import fit_on_dask
from galton.estimators.fitting.memory import fit_in_memory
from galton.estimators.fitting.recipe import CV_FOLDS, loss_for, validation_rows
from galton.estimators.fitting.stream import fit_streamed
from galton.estimators.fitting.update import update_network
from galton.estimators.page import FitPage, network_page
from galton.estimators.results import NetworkResults
from galton.spec import ACTIVATIONS, LOSSES, OPTIMIZERS, SCHEDULES

#: Rows mixed in a streamed network's shuffle buffer by default.
SHUFFLE_BUFFER_ROWS = 100_000

#: Constructor parameters and what each accepts (``engine`` and ``scheduler``, which
#: depend on each other, and ``backend``, checked by the registry, are checked apart).
RULES = {
    "replay_rows": rules.NON_NEGATIVE_INT,
    "hidden": rules.int_tuple("a tuple of positive ints (() for a single linear neuron)"),
    "activation": rules.one_of(ACTIVATIONS),
    "loss": rules.one_of(("auto", *LOSSES)),
    "solver": rules.one_of(("auto", *OPTIMIZERS)),
    "schedule": rules.one_of(("auto", *SCHEDULES)),
    "dtype": rules.one_of(("float64", "float32")),
    "missing": rules.one_of(MISSING_POLICIES),
    "momentum": rules.interval(0.0, 1.0),
    "validation_fraction": rules.interval(0.0, 0.9),
    "learning_rate": rules.optional(rules.POSITIVE),
    "weight_decay": rules.literal("auto") | rules.NON_NEGATIVE,
    "batch_size": rules.optional(rules.POSITIVE_INT),
    "patience": rules.POSITIVE_INT,
    "ensemble": rules.POSITIVE_INT,
    "max_epochs": rules.optional(rules.POSITIVE_INT),
    "early_stopping": rules.BOOL | rules.literal("auto"),
    "tol": rules.NON_NEGATIVE,
    "seed": rules.INT,
    "standardize": rules.BOOL,
    "skip": rules.BOOL,
    "shuffle": rules.BOOL,
    "device": rules.one_of(("auto", "cpu", "cuda")),
    **rules.COLUMN_RULES,
}


def _fitted(name: str, doc: str, get: Any = None) -> property:
    """``NetworkResults.name`` (or ``get(results)``) as a read-only fitted attribute."""
    return fitted_attribute(get or (lambda results: getattr(results, name)), doc)


class NeuralRegressor(_Estimator):
    """A neural network trained by gradient descent.

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths; ``()`` is a single linear neuron (linear regression as a
        network, which lands on the least-squares answer).
    activation : {"relu", "tanh", "sigmoid", "silu", "identity"}
    loss : {"auto", "mse", "mae", "huber", "gaussian"}
        ``gaussian``: the network predicts a mean and a variance and is trained on the
        Gaussian negative log-likelihood plus a squared-error anchor (under L-BFGS the
        mean is fitted by squared error first). ``auto``: ``gaussian`` for an ensemble,
        else ``mse``.
    ensemble : int
        Members trained from different random starts and batch orders (member ``k`` uses
        ``seed + k``); predictions are their mean, and with the Gaussian loss their
        mixture gives each row its own spread (Deep Ensembles). ``1`` is the single model.
    solver : {"auto", "sgd", "adam", "adamw", "lbfgs", "cg"}
        ``auto``: conjugate gradients for the linear neuron with MSE loss (a quadratic:
        least squares to 1e-6 in about 20 passes over the data); for networks, full-batch
        L-BFGS up to 5000 training rows, and above that the large-data recipe: Adam at
        rate 3e-3, batches of 128, a cosine schedule over about 15,000 steps, no early
        stopping (``bench/neural.py`` times it against scikit-learn's MLPRegressor).
    learning_rate : float, optional
        Default 1e-3 for Adam/AdamW (3e-3 in the large-data recipe), 1e-2 for SGD (unused
        by L-BFGS and CG).
    momentum : float
        SGD momentum.
    skip : bool
        Default True: a linear path from the inputs to the output beside the hidden
        layers, never decayed. The network holds the linear model exactly, and a strong
        weight decay on the hidden layers leaves least squares (``galton.spec.NetworkSpec``).
        Left out where the training rows (of the smallest cross-validation training, if
        any) are fewer than twice the inputs and some rows are held out to choose the
        weight decay on (wide data, where least squares is not
        identified and the undecayed path would fit the noise).
    weight_decay : float or "auto"
        L2 penalty on weights (decoupled for AdamW); biases and the skip path are not
        decayed. ``auto`` (default): for networks trained by L-BFGS (up to 5000 training
        rows), each of 1e-4, 1e-3, 1e-2 (with ``skip`` also 0.1, 1 and 10, which switch the
        hidden layers off) is trained from the same start and scored on the validation
        rows. The best wins, unless the strongest decay (the line, with ``skip``) lies
        within one standard error of it: rows that cannot tell a network from the line
        get the line. Where the split would hold out fewer than 20 rows (20 to about 200
        rows; a single squared-error network) the candidates are scored on every row's
        out-of-fold error under 5-fold cross-validation instead, and the chosen one
        trains on all rows. With fewer than 20 rows, or too few to hold any out, the
        strongest decay; 0 for the other solvers.
    batch_size : int, optional
        Minibatch size for SGD/Adam/AdamW; default 64 (128 in the large-data recipe).
    max_epochs : int, optional
        Epochs (iterations for L-BFGS and CG); default 300, 1000 for L-BFGS, 200 for CG;
        in the large-data recipe about 15,000 Adam steps (10 to 200 epochs).
    schedule : {"auto", "constant", "cosine", "step"}
        Learning-rate schedule over ``max_epochs``; ``auto``: cosine in the large-data
        recipe, constant otherwise.
    early_stopping : bool or "auto"
        Stop after ``patience`` epochs without improvement on the validation rows and
        restore the best weights. ``auto``: on for minibatch solvers outside the
        large-data recipe (whose cosine budget ends at its best); off for L-BFGS (trained
        to its iteration budget, regularised by the weight decay) and for the linear
        neuron (it cannot overfit, and should match least squares). Networks with hidden
        layers always hold ``validation_fraction`` of the rows out of training: they
        choose the weight decay and calibrate the prediction intervals (except where
        cross-validation chooses it, see ``weight_decay``).
    validation_fraction, patience, tol
        Early-stopping controls.
    dtype : {"float64", "float32"}
    backend : str
        Engine: ``numpy``, ``torch``, ``tensorflow``, ``pytensor`` (alias ``theano``) or
        ``jax``; see ``galton backends``.
    device : {"auto", "cpu", "cuda"}
        Where the torch and jax engines train: ``auto`` takes a CUDA GPU when the engine
        sees one. The other engines run on the CPU (``cuda`` is an error there).
    seed : int
        Seeds initialisation, the validation split and batch order.
    missing : {"error", "drop", "mean", "median"}
    progress : bool, optional
        Rich progress bar on stderr; default only when stderr is a terminal.
    standardize : bool
        Standardise inputs and target (default). Off reproduces runs on raw data, such as
        the tutorials in ``galton examples``.
    shuffle : bool
        Shuffle minibatches every epoch (default); off feeds rows in order.
    initial_params : list of arrays, optional
        Starting parameters ``[W1, b1, ...]`` instead of the seeded random start, to
        reproduce a published run from its printed initial values.
    categories : dict of str to list, optional
        Levels of text columns, when they should not be learned from the training rows.
    formula : str, optional
        A formulaic formula giving the inputs and the target, as for ``LinearRegression``.
    replay_rows : int
        Keep a uniform sample of this many training rows with the model (standardised,
        also in its file) and train on it beside the new rows in ``partial_fit`` and
        ``galton update``, so an update does not forget the old data. 0 keeps none.
    engine : {"local", "dask"}
        ``dask``: ``fit(data, target)`` trains data-parallel on a Dask cluster
        (``galton.distributed``): partitions are standardised and kept on the workers,
        every step sums their gradients and updates the parameters once. One network,
        float64, the NumPy engine's maths on the workers.
    scheduler : str, optional
        Address of the Dask scheduler; default: a ``LocalCluster`` started for the fit.
    max_levels : int, optional
        The most levels a text column may have (default: a tenth of the rows, between 10
        and 50); a column with more is an error naming it, unless ``group_rare``.
    group_rare : bool
        Keep a text column's ``max_levels - 1`` most frequent levels and group the others
        (and levels first seen in new rows) as ``"(other)"``.
    """

    _kind = "neural"

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 64),
        activation: str = "relu",
        loss: str = "auto",
        ensemble: int = 1,
        solver: str = "auto",
        learning_rate: float | None = None,
        momentum: float = 0.9,
        weight_decay: float | str = "auto",
        batch_size: int | None = None,
        max_epochs: int | None = None,
        schedule: str = "auto",
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        patience: int = 20,
        tol: float = 1e-7,
        dtype: str = "float64",
        backend: str = "numpy",
        device: str = "auto",
        seed: int = 0,
        missing: str = "error",
        progress: bool | None = None,
        standardize: bool = True,
        shuffle: bool = True,
        initial_params: list | None = None,
        categories: dict[str, list] | None = None,
        formula: str | None = None,
        replay_rows: int = 0,
        engine: str = "local",
        scheduler: str | None = None,
        max_levels: int | None = None,
        group_rare: bool = False,
        skip: bool = True,
    ) -> None:
        self.skip = skip
        self.hidden = hidden
        self.activation = activation
        self.loss = loss
        self.ensemble = ensemble
        self.solver = solver
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.schedule = schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.dtype = dtype
        self.backend = backend
        self.device = device
        self.seed = seed
        self.missing = missing
        self.progress = progress
        self.standardize = standardize
        self.shuffle = shuffle
        self.initial_params = initial_params
        self.categories = categories
        self.formula = formula
        self.replay_rows = replay_rows
        self.engine = engine
        self.scheduler = scheduler
        self.max_levels = max_levels
        self.group_rare = group_rare

    members_ = _fitted("members", "Parameters ``[W1, b1, ...]`` of every member.")
    history_ = _fitted("history", "Member 0's losses per epoch, learning rates, events.")
    member_histories_ = _fitted("member_histories", "Every member's training losses.")
    net_ = _fitted("net", "The architecture (``NetworkSpec``).")
    train_config_ = _fitted("train_config", "The training settings, every auto resolved.")
    backend_ = _fitted("backend", "The engine that predicts.")
    n_epochs_ = _fitted("n_epochs", "Epochs (iterations) trained.")
    best_epoch_ = _fitted("best_epoch", "The epoch whose parameters were kept.")
    stopped_early_ = _fitted("stopped_early", "Whether early stopping ended training.")
    converged_ = _fitted("converged", "Whether the solver converged.")
    weight_decay_search_ = _fitted("weight_decay_search", "Validation RMSE per weight decay.")
    calibration_ = _fitted("calibration", "The interval calibration (held-out rows).")
    replay_ = _fitted("replay", "The replay sample kept for updates.")
    updates_ = _fitted("updates", "One record per update.")
    metrics_ = _fitted("metrics", "Training (and ``val_``) RMSE, MAE and R-squared.")
    n_samples_ = _fitted("n_samples", "Rows the network was fitted (and updated) on.")
    fit_seconds_ = _fitted("fit_seconds", "Seconds spent fitting.")
    x_mean_ = _fitted("x_mean", "Input means (d,).", lambda r: r.scaling.x_mean)
    x_scale_ = _fitted("x_scale", "Input scales (d,).", lambda r: r.scaling.x_scale)
    y_mean_ = _fitted("y_mean", "Target mean.", lambda r: r.scaling.y_mean)
    y_scale_ = _fitted("y_scale", "Target scale.", lambda r: r.scaling.y_scale)

    def _validate(self) -> None:
        name = type(self).__name__
        _check_engine(name, self.engine, self.scheduler)
        rules.validate(name, self.get_params(), RULES)
        _check(
            name,
            "solver",
            self.solver,
            self.solver != "cg" or (tuple(self.hidden) == () and loss_for(self) == "mse"),
            "'cg' only for the linear neuron (hidden=()) with loss='mse', whose loss is quadratic",
        )
        engine_registry.canonical_name(str(self.backend))

    def fit(
        self,
        X: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        checkpoint: str | Path | None = None,
        resume: str | Path | None = None,
    ) -> NeuralRegressor:
        """Standardise, initialise at random, and train by gradient descent.

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
        y : array of shape (n,), or the target column's name when ``X`` is a table
        sample_weight : array of shape (n,) or str, optional
            Row weights, or the name of a weight column of ``X``: the network minimises
            the weighted mean loss (validation and early stopping weighted alike).
        checkpoint : path, optional
            While training, Ctrl-C and SIGTERM stop at the next epoch boundary, write the
            whole training state here and raise ``galton.TrainingInterrupted``.
        resume : path, optional
            Continue from such a checkpoint (same data, same settings). Minibatch solvers
            then end with exactly the parameters of an uninterrupted run.
        """
        self._validate()
        if self.engine == "dask":
            if checkpoint is not None or resume is not None:
                raise ParameterError("checkpoint and resume work for engine='local' fits")
            if sample_weight is not None:
                raise ParameterError("engine='dask' networks take no sample_weight yet")
            fit_on_dask(self, X, y)
            return self
        fit_in_memory(self, X, y, checkpoint, resume, sample_weight)
        return self

    def fit_stream(
        self,
        source: Any,
        target: str,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        buffer_rows: int = SHUFFLE_BUFFER_ROWS,
        features: list[str] | None = None,
        read_options: ReadOptions | None = None,
    ) -> NeuralRegressor:
        """Train from data read in chunks, never whole (``galton.training.stream_loop``).

        A first pass learns the standardisation and keeps held-out rows in memory (a
        ``validation_fraction`` share of each chunk, at most ``STREAM_VALIDATION_ROWS``);
        every epoch then reads the source again and trains by minibatches on rows mixed
        in a shuffle buffer of ``buffer_rows``, with early stopping on the held-out rows
        (which also calibrate the intervals). A last pass measures the training metrics.

        Parameters
        ----------
        source : path, directory, glob pattern, list of those, DataFrame, or a list of
            DataFrames (read once per epoch, so not a one-shot iterator)
        target : str
        chunk_rows : int
            Rows read at a time.
        buffer_rows : int
            Rows mixed in the shuffle buffer.
        features : list of str, optional
        read_options : ReadOptions, optional
            The text files' dialect (default: sniffed).
        """
        self._validate()
        fit_streamed(self, source, target, chunk_rows, buffer_rows, features, read_options)
        return self

    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        epochs: int | None = None,
        learning_rate: float | None = None,
    ) -> NeuralRegressor:
        """Continue training on new rows (the first call, on an unfitted model, is ``fit``).

        Every member starts from its current parameters and trains by Adam for ``epochs``
        passes over the new rows plus the stored replay sample (``replay_rows``). The
        standardisation and interval calibration of the first fit are kept. The update is
        recorded in ``updates_`` and appended to ``history_`` (its losses, and an event).

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
            New rows, with the columns the model was trained on.
        y : array of shape (n,) or str, optional
            Their target; by default the model's target column of ``X``.
        sample_weight : array of shape (n,) or str, optional
            Weights of the new rows (replayed rows weigh 1).
        epochs : int, optional
            Passes over the new and replayed rows; default ``UPDATE_EPOCHS``.
        learning_rate : float, optional
            Adam's rate; default the fit's own for Adam-family solvers, else 1e-3.
        """
        if not hasattr(self, "results_"):
            return self.fit(X, y, sample_weight)
        update_network(self, X, y, epochs, learning_rate, sample_weight)
        return self

    @property
    def params_(self) -> list[np.ndarray]:
        """Parameters ``[W1, b1, ...]`` of the (first) member, in standardised units."""
        return self.members_[0]

    @property
    def coef_(self) -> np.ndarray:
        """Linear neuron only: coefficients of shape (d,) in the original units."""
        self._require_linear()
        return self.params_[0][:, 0] * self.y_scale_ / self.x_scale_

    @property
    def intercept_(self) -> float:
        """Linear neuron only: intercept in the original units."""
        self._require_linear()
        return float(
            self.y_mean_ + self.y_scale_ * self.params_[1][0] - np.dot(self.coef_, self.x_mean_)
        )

    def _require_linear(self) -> None:
        self._require_fitted()
        if self.net_.hidden:
            raise AttributeError(
                "coef_ and intercept_ exist only for the linear neuron (hidden=())"
            )

    def _standardised_inputs(self, X: Any) -> np.ndarray:
        """New rows ``X`` as standardised inputs (n, d)."""
        return self.results_.scaling.inputs(self._inputs(X))

    def knockout_predict(self, X: Any, fraction: float, rng: np.random.Generator) -> np.ndarray:
        """Predictions with ``fraction`` of every hidden layer's units zeroed at random.

        Tests the claim that a network is fault tolerant: a knocked-out unit's outgoing
        weights are set to zero, as if the cell had died. Returns shape (n,).
        """
        self._require_fitted()
        params = [p.copy() for p in self.params_]
        for layer, width in enumerate(self.net_.hidden):
            dead = rng.choice(width, size=int(round(fraction * width)), replace=False)
            params[2 * (layer + 1)][dead, :] = 0.0
        return self.results_.predict_network(self._standardised_inputs(X), params)

    def _point(self, X: Any) -> np.ndarray:
        Xs = self._standardised_inputs(X)
        with np.errstate(all="ignore"):
            pred = self.results_.distribution(Xs)[0]
        return _require_finite(pred, "the network predicts")

    @overload
    def predict(self, X: Any) -> np.ndarray: ...

    @overload
    def predict(self, X: Any, interval: float) -> PredictionInterval: ...

    @overload
    def predict(self, X: Any, *, return_std: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...

    @overload
    def predict(self, X: Any, *, check: Literal[True], against: Any = None) -> pd.DataFrame: ...

    def predict(
        self,
        X: Any,
        interval: float | None = None,
        return_std: bool = False,
        check: bool = False,
        against: Any = None,
    ) -> np.ndarray | PredictionInterval | tuple[np.ndarray, np.ndarray] | pd.DataFrame:
        """Predictions of shape (n,), a ``PredictionInterval`` at level ``interval``, or
        ``(mean, std)`` with ``return_std``.

        Intervals are split-conformal on rows held out from training (the validation
        rows; every row's out-of-fold prediction where cross-validation chose the weight
        decay): the ``interval`` quantile of ``|y - mean| / spread`` there times each row's
        spread, where the spread is the same for every row of a squared-error network
        and the Gaussian mixture's standard deviation for Gaussian-loss members. Without
        held-out rows (the linear neuron without early stopping) the training rows
        calibrate, which makes intervals optimistic. ``std`` is the spread scaled to the
        held-out rows' root mean square normalised residual (for log-likelihoods).
        ``check`` (with ``against``, the line) returns a frame of predictions with flags
        for rows not to trust (``check``).
        """
        if check:
            return self.check(X, against)
        Xs = self._standardised_inputs(X)
        with np.errstate(all="ignore"):
            mean, spread = self.results_.distribution(Xs)
        _require_finite(mean, "the network predicts")
        if return_std:
            if interval is not None:
                raise ParameterError("predict: give interval or return_std, not both")
            return mean, spread * self.calibration_.std_scale
        if interval is None:
            return mean
        _check(
            "predict",
            "interval",
            interval,
            isinstance(interval, float) and 0 < interval < 1,
            "None or a float in (0, 1)",
        )
        half = spread * self.calibration_.multiplier(interval)
        return PredictionInterval(mean, mean - half, mean + half)

    def summary(self) -> str:
        """What was trained, how, and how well."""
        self._require_fitted()
        cfg = self.train_config_
        widths = "-".join(map(str, self.net_.layer_sizes))
        arch = f"MLP {widths} ({self.net_.activation})" if self.net_.hidden else "linear neuron"
        arch += " + linear skip path" if self.net_.has_skip else ""
        if len(self.members_) > 1:
            arch = f"ensemble of {len(self.members_)} x {arch}"
        n_params = len(self.members_) * sum(int(np.prod(s)) for s in self.net_.param_shapes())
        hist = self.history_
        calibration = self.calibration_
        crossed = calibration.source == "cross-validation"
        held = len(calibration.scores) if calibration.source == "validation" else 0
        if crossed and cfg.early_stopping:  # rows held out to stop on, not to calibrate
            held = validation_rows(self.n_samples_, cfg.validation_fraction)
        rows = f"{self.n_samples_}" + (
            f" ({self.n_samples_ - held} trained, {held} held out)" if held else ""
        )
        chosen_on = f"by {CV_FOLDS}-fold cross-validation" if crossed else "on the validation rows"
        lines = [
            f"Neural network regression: {arch}, {n_params} parameters",
            "=" * 72,
            f"Target: {self.target_name_}   Observations: {rows}   "
            f"Engine: {self.backend_} ({cfg.dtype})",
            f"Solver: {cfg.optimizer}   Loss: {cfg.loss}   Epochs: {self.n_epochs_} "
            f"(best {self.best_epoch_})   Early stopping: {'on' if cfg.early_stopping else 'off'}",
            f"Weight decay: {cfg.weight_decay:g}"
            + (
                f" (chosen {chosen_on}; RMSE "
                + ", ".join(f"{k:g}: {v:.4g}" for k, v in self.weight_decay_search_.items())
                + ")"
                if self.weight_decay_search_
                else ""
            ),
            f"Loss (standardised): first {hist['train_loss'][0]:.6g} -> last "
            f"{hist['train_loss'][-1]:.6g}"
            + (f"   validation best {min(hist['val_loss']):.6g}" if hist["val_loss"] else ""),
            "-" * 72,
            f"Training RMSE: {self.metrics_['rmse']:.6g}   "
            f"MAE: {self.metrics_.get('mae', math.nan):.6g}   "
            f"R-squared: {self.metrics_['r2']:.6f}",
        ]
        if "val_rmse" in self.metrics_:
            lines.append(
                f"Validation RMSE: {self.metrics_['val_rmse']:.6g}   "
                f"R-squared: {self.metrics_['val_r2']:.6f}"
            )
        if not self.net_.hidden:
            lines.append("-" * 72)
            lines.append(f"{'':<24}{'coef':>17}")
            lines.append(f"{'const':<24}{self.intercept_:>17.9g}")
            for name, c in zip(self.feature_names_, self.coef_, strict=True):
                lines.append(f"{name:<24}{c:>17.9g}")
        lines.append("=" * 72)
        return "\n".join(lines)

    def _page(self, X: Any, y: Any, sample_weight: Any) -> FitPage:
        return network_page(self, X, y, seed=self.seed)

    def _model_name(self) -> str:
        return "neural" if self.net_.hidden else "neuron"

    def to_dict(self) -> dict[str, Any]:
        """The architecture, how it was trained and its history, JSON-ready."""
        out = super().to_dict()
        r, cfg = self.results_, self.train_config_
        out.update(
            backend=r.backend,
            hidden=list(r.net.hidden),
            activation=r.net.activation,
            solver=cfg.optimizer,
            loss=cfg.loss,
            ensemble=len(r.members),
            weight_decay=cfg.weight_decay,
            weight_decay_search={str(k): v for k, v in r.weight_decay_search.items()},
            dtype=cfg.dtype,
            epochs=r.n_epochs,
            best_epoch=r.best_epoch,
            history=r.history,
        )
        if not r.net.hidden:
            out["coefficients"] = [{"term": "const", "coef": self.intercept_}] + [
                {"term": n, "coef": c} for n, c in zip(self.feature_names_, self.coef_, strict=True)
            ]
        return out

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self.results_.to_state()
        return {**self._common_state(), **meta}, arrays

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> NeuralRegressor:
        params = dict(meta["params"])
        params["hidden"] = tuple(params["hidden"])
        model = cls(**params)
        model._restore_common(meta)
        model.results_ = NetworkResults.from_state(meta, arrays, model.replay_rows)
        return model
