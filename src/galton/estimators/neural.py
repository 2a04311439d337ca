"""NeuralRegressor: networks trained by gradient descent on any engine."""

from __future__ import annotations

import hashlib
import math
import time
import warnings
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.backends.common import init_params
from galton.calibration import Calibration, mixture
from galton.data.chunks import DEFAULT_CHUNK_ROWS
from galton.data.loading import describe_source
from galton.data.preprocess import (
    MISSING_POLICIES,
)
from galton.errors import (
    DataError,
    GaltonError,
    ParameterError,
    TrainingInterrupted,
)
from galton.estimators.base import (
    PredictionInterval,
    _check,
    _check_engine,
    _Estimator,
    _jsonable,
    _mean_std,
    _require_finite,
)
from galton.metrics import regression_metrics
from galton.spec import ACTIVATIONS, LOSSES, OPTIMIZERS, SCHEDULES, NetworkSpec, TrainConfig
from galton.training import train
from galton.training.checkpoint import read_checkpoint, stop_on_signals, write_checkpoint
from galton.training.loop import Checkpointing, TrainResult, continued_history
from galton.training.loop import TrainingInterrupted as LoopInterrupted
from galton.training.replay import Reservoir
from galton.training.stream_loop import RunningMoments, shuffled_blocks, train_stream

#: Above this many training rows ``solver="auto"`` trains networks by minibatch Adam (the
#: large-data recipe) instead of full-batch L-BFGS.
LBFGS_MAX_ROWS = 5000
#: Adam steps in the large-data recipe, annealed by a cosine schedule.
ADAM_STEP_BUDGET = 15_000
#: ``weight_decay="auto"`` for networks trained by L-BFGS: the one of these whose network
#: predicts the held-out validation rows best (inner validation; the test rows never
#: choose). On the UCI training splits the best lay between 1e-4 (energy, yacht) and 1e-3
#: (concrete).
WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2)
#: L-BFGS trains a Gaussian-loss network in two stages: squared error for the mean with
#: the full budget, then the Gaussian loss for this fraction of it (1 / GAUSSIAN_STAGE).
GAUSSIAN_STAGE = 4
#: Held-out rows a streamed network keeps in memory (early stopping, calibration).
STREAM_VALIDATION_ROWS = 20_000
#: Rows mixed in a streamed network's shuffle buffer by default.
SHUFFLE_BUFFER_ROWS = 100_000
#: Passes over the new (and replayed) rows in a network's ``partial_fit`` by default.
UPDATE_EPOCHS = 10
#: L-BFGS iterations by default (the weight decay regularises; on the validation rows of
#: the UCI training splits 1000 did as well as 2000 and 5000).
LBFGS_MAX_ITER = 1000


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
    weight_decay : float or "auto"
        ``auto`` (default): for networks trained by L-BFGS (up to 5000 training rows),
        the value among 1e-4, 1e-3 and 1e-2 whose network predicts the validation rows
        best, each trained from the same start; 0 otherwise.
        L2 penalty on weights (decoupled for AdamW); biases are not decayed.
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
        choose the weight decay and calibrate the prediction intervals.
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
    ) -> None:
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

    def _validate(self) -> None:
        name = type(self).__name__
        hidden = self.hidden
        _check_engine(name, self.engine, self.scheduler)
        _check(
            name,
            "replay_rows",
            self.replay_rows,
            isinstance(self.replay_rows, int)
            and not isinstance(self.replay_rows, bool)
            and self.replay_rows >= 0,
            "a non-negative int",
        )

        def positive_int(v: Any) -> bool:
            return isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0

        _check(
            name,
            "hidden",
            hidden,
            isinstance(hidden, tuple | list) and all(positive_int(h) for h in hidden),
            "a tuple of positive ints (() for a single linear neuron)",
        )
        for param, allowed in [
            ("activation", ACTIVATIONS),
            ("loss", ("auto", *LOSSES)),
            ("solver", ("auto", *OPTIMIZERS)),
            ("schedule", ("auto", *SCHEDULES)),
            ("dtype", ("float64", "float32")),
            ("missing", MISSING_POLICIES),
        ]:
            value = getattr(self, param)
            _check(name, param, value, value in allowed, f"a str among {set(allowed)}")
        _check(
            name,
            "solver",
            self.solver,
            self.solver != "cg" or (tuple(hidden) == () and self._loss() == "mse"),
            "'cg' only for the linear neuron (hidden=()) with loss='mse', whose loss is quadratic",
        )
        for param, low, high in [
            ("momentum", 0.0, 1.0),
            ("validation_fraction", 0.0, 0.9),
        ]:
            value = getattr(self, param)
            _check(
                name,
                param,
                value,
                isinstance(value, int | float) and low <= value < high,
                f"a float in [{low}, {high})",
            )
        for param in ("learning_rate",):
            value = getattr(self, param)
            _check(
                name,
                param,
                value,
                value is None or (isinstance(value, int | float) and value > 0),
                "None or a positive float",
            )
        _check(
            name,
            "weight_decay",
            self.weight_decay,
            self.weight_decay == "auto"
            or (isinstance(self.weight_decay, int | float) and self.weight_decay >= 0),
            "'auto' or a non-negative float",
        )
        for param, optional in (("batch_size", True), ("patience", False), ("ensemble", False)):
            value = getattr(self, param)
            _check(
                name,
                param,
                value,
                positive_int(value) or (optional and value is None),
                "None or a positive int" if optional else "a positive int",
            )
        _check(
            name,
            "max_epochs",
            self.max_epochs,
            self.max_epochs is None or positive_int(self.max_epochs),
            "None or a positive int",
        )
        _check(
            name,
            "early_stopping",
            self.early_stopping,
            self.early_stopping in (True, False, "auto"),
            "a bool or 'auto'",
        )
        _check(
            name,
            "tol",
            self.tol,
            isinstance(self.tol, int | float) and self.tol >= 0,
            "a non-negative float",
        )
        _check(name, "seed", self.seed, isinstance(self.seed, int | np.integer), "an int")
        for param in ("standardize", "shuffle"):
            value = getattr(self, param)
            _check(name, param, value, isinstance(value, bool), "a bool")
        engine_registry.canonical_name(str(self.backend))
        _check(
            name,
            "device",
            self.device,
            self.device in ("auto", "cpu", "cuda"),
            "a str among {'auto', 'cpu', 'cuda'}",
        )

    def _searches_weight_decay(self, cfg: TrainConfig, n_val: int) -> bool:
        """Whether ``weight_decay="auto"`` picks a value on the validation rows here."""
        return (
            self.weight_decay == "auto"
            and cfg.optimizer == "lbfgs"
            and len(self.hidden) > 0
            and n_val > 0
        )

    def _loss(self) -> str:
        if self.loss == "auto":
            return "gaussian" if self.ensemble > 1 else "mse"
        return self.loss

    def _config(self, n_rows: int, stream: bool = False) -> TrainConfig:
        """Every ``auto`` resolved for ``n_rows`` training rows (before the validation split);
        a ``stream`` trains by minibatches (the large-data recipe) with early stopping."""
        solver, recipe = self.solver, False
        if stream and solver in ("lbfgs", "cg"):
            raise ParameterError(
                f"a streamed fit trains by minibatches: solver must be auto, adam, adamw or "
                f"sgd, not {solver!r}"
            )
        if solver == "auto" and not self.hidden and self._loss() == "mse" and not stream:
            solver = "cg"  # a quadratic loss: conjugate gradients finish in a few passes
        elif solver == "auto":
            small = not stream and n_rows * (1 - self.validation_fraction) <= LBFGS_MAX_ROWS
            solver = "lbfgs" if small else "adam"
            recipe = not small
        early = self.early_stopping
        if early == "auto":
            # L-BFGS trains to convergence (the weight decay regularises) and the large-data
            # recipe's cosine budget ends at its best: early stopping is for the others, and
            # for streams, whose passes are dear
            early = stream or (len(self.hidden) > 0 and not recipe and solver != "lbfgs")
        batch = self.batch_size or (128 if recipe else 64)
        schedule = self.schedule if self.schedule != "auto" else "cosine" if recipe else "constant"
        lr = self.learning_rate or (3e-3 if recipe else 1e-2 if solver == "sgd" else 1e-3)
        max_epochs = self.max_epochs
        if max_epochs is None and recipe:
            n_train = n_rows - int(round(n_rows * self.validation_fraction))  # rows held out
            steps = math.ceil(n_train / batch)
            max_epochs = int(np.clip(round(ADAM_STEP_BUDGET / steps), 10, 200))
        elif max_epochs is None:
            max_epochs = {"lbfgs": LBFGS_MAX_ITER, "cg": 200}.get(solver, 300)
        return TrainConfig(
            loss=self._loss(),
            optimizer=solver,
            learning_rate=float(lr),
            momentum=float(self.momentum),
            weight_decay=0.0 if self.weight_decay == "auto" else float(self.weight_decay),
            batch_size=int(batch),
            max_epochs=int(max_epochs),
            schedule=schedule,
            early_stopping=bool(early),
            validation_fraction=float(self.validation_fraction),
            patience=int(self.patience),
            tol=float(self.tol),
            dtype=self.dtype,
            seed=int(self.seed),
            shuffle=self.shuffle,
            device=engine_registry.get_backend(str(self.backend)).device(self.device),
        )

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        checkpoint: str | Path | None = None,
        resume: str | Path | None = None,
    ) -> NeuralRegressor:
        """Standardise, initialise at random, and train by gradient descent.

        Parameters
        ----------
        X : array of shape (n, k), table, path or dataset name
        y : array of shape (n,), or the target column's name when ``X`` is a table
        checkpoint : path, optional
            While training, Ctrl-C and SIGTERM stop at the next epoch boundary, write the
            whole training state here and raise ``galton.TrainingInterrupted``.
        resume : path, optional
            Continue from such a checkpoint (same data, same settings). Minibatch solvers
            then end with exactly the parameters of an uninterrupted run.
        """
        self._validate()
        start = time.perf_counter()
        if self.engine == "dask":
            if checkpoint is not None or resume is not None:
                raise ParameterError("checkpoint and resume work for engine='local' fits")
            self._fit_dask(X, y, start)
            return self
        backend = engine_registry.get_backend(str(self.backend))
        X_arr, y_arr, _ = self._training_data(X, y)
        n = len(y_arr)
        if self.standardize:
            self.x_mean_, scale = _mean_std(X_arr)
            self.x_scale_ = np.where(scale > 0, scale, 1.0)
            y_mean, y_std = _mean_std(y_arr[:, None])
            self.y_mean_, self.y_scale_ = float(y_mean[0]), float(y_std[0]) or 1.0
        else:
            self.x_mean_, self.x_scale_ = np.zeros(X_arr.shape[1]), np.ones(X_arr.shape[1])
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        Xs = (X_arr - self.x_mean_) / self.x_scale_
        ys = (y_arr - self.y_mean_) / self.y_scale_

        rng = np.random.default_rng(self.seed)
        cfg = self._config(n)
        early = cfg.early_stopping
        # Networks with hidden layers always hold rows out: they calibrate the intervals
        # (split-conformal) even where early stopping is off.
        held_out = early or len(self.hidden) > 0
        n_val = int(round(n * self.validation_fraction)) if held_out else 0
        if held_out and (n_val < 2 or n - n_val < 2):
            if early:
                warnings.warn(
                    f"only {n} rows: early stopping needs a validation split; training on all rows",
                    UserWarning,
                    stacklevel=2,
                )
            n_val = 0
        order = rng.permutation(n)
        val_rows, train_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
        if n_val == 0 and cfg.early_stopping:
            cfg = replace(cfg, early_stopping=False)
        self.train_config_ = cfg
        self.net_ = self._network(X_arr.shape[1], cfg)
        self.backend_ = engine_registry.canonical_name(str(self.backend))
        initial = init_params(self.net_, rng)
        if self.initial_params is not None:
            initial = self._checked_initial_params()
        settings = _jsonable({k: v for k, v in self.get_params().items() if k != "progress"})
        digest = hashlib.sha256(Xs.tobytes() + ys.tobytes() + val_rows.tobytes()).hexdigest()
        state = None
        # A checkpoint holds one training's state: a weight-decay search, an ensemble or a
        # two-stage Gaussian fit runs several, so a stop ends them without one.
        several = (
            self._searches_weight_decay(cfg, n_val)
            or self.ensemble > 1
            or (cfg.loss == "gaussian" and cfg.optimizer == "lbfgs")
        )
        if resume is not None and several:
            raise ParameterError(
                "resume works for a single training (ensemble=1, a fixed weight_decay, "
                "not the two-stage Gaussian L-BFGS fit)"
            )
        if resume is not None:
            state, meta = read_checkpoint(resume, self.net_.param_shapes())
            if meta.get("fingerprint") != digest:
                raise DataError(f"{resume}: the checkpoint was made on other data")
            changed = sorted(k for k in settings if meta["estimator"].get(k) != settings[k])
            if changed:
                raise ParameterError(
                    f"{resume}: the checkpoint was made with other settings ({', '.join(changed)})"
                )
        with stop_on_signals() if checkpoint is not None else nullcontext({"signal": None}) as flag:
            hooks = None
            if checkpoint is not None or state is not None:
                hooks = Checkpointing(
                    should_stop=lambda: checkpoint is not None and flag["signal"] is not None,
                    save=lambda st: (
                        None
                        if several
                        else write_checkpoint(
                            checkpoint, st, {"fingerprint": digest, "estimator": settings}
                        )
                    ),
                    resume=state,
                )
            watch = n_val > 0 and cfg.early_stopping

            def fit_member(member_cfg: TrainConfig, start_params: list[np.ndarray]) -> Any:
                def run(stage_cfg: TrainConfig, params: list[np.ndarray]) -> Any:
                    return train(
                        backend,
                        self.net_,
                        params,
                        stage_cfg,
                        Xs[train_rows],
                        ys[train_rows],
                        Xs[val_rows] if watch else None,
                        ys[val_rows] if watch else None,
                        self.progress,
                        hooks,
                    )

                if member_cfg.loss != "gaussian" or member_cfg.optimizer != "lbfgs":
                    return run(member_cfg, start_params)
                # Mean first: squared error fits the mean output, then the Gaussian loss
                # shapes the variance from there (from a random start the NLL's sharp,
                # ill-conditioned optimum stalled L-BFGS far from a good mean).
                first = run(replace(member_cfg, loss="mse"), start_params)
                second = run(
                    replace(member_cfg, max_epochs=max(1, member_cfg.max_epochs // GAUSSIAN_STAGE)),
                    first.params,
                )
                second.history = continued_history(first.history, second.history)
                return second

            try:
                results, self.weight_decay_search_ = [], {}
                if self._searches_weight_decay(cfg, n_val):
                    searched = []
                    for wd in WEIGHT_DECAYS:  # each from the same start
                        result = fit_member(replace(cfg, weight_decay=wd), initial)
                        val_pred = self._predict_standardised(Xs[val_rows], result.params)
                        rmse = regression_metrics(y_arr[val_rows], val_pred)["rmse"]
                        searched.append((rmse, wd, result))
                        self.weight_decay_search_[wd] = rmse
                    _, best, result = min(searched, key=lambda entry: entry[0])
                    results = [result]  # member 0 is the chosen training
                    cfg = self.train_config_ = replace(cfg, weight_decay=best)
                for member in range(len(results), self.ensemble):
                    # member k: its own random start (drawn in turn) and batch order
                    member_cfg = cfg if member == 0 else replace(cfg, seed=cfg.seed + member)
                    start_params = initial if member == 0 else init_params(self.net_, rng)
                    results.append(fit_member(member_cfg, start_params))
            except LoopInterrupted as exc:
                if several:
                    raise TrainingInterrupted(
                        f"training stopped after epoch {exc.epoch}; no checkpoint written: a "
                        "weight-decay search or ensemble cannot be resumed, run it again",
                        "",
                        flag["signal"],
                    ) from None
                raise TrainingInterrupted(
                    f"training interrupted after epoch {exc.epoch}; checkpoint written to "
                    f"{checkpoint}",
                    str(checkpoint),
                    flag["signal"],
                ) from None
        for result in results:  # never return such a model
            if not all(np.isfinite(p).all() for p in result.params):
                raise GaltonError(
                    "training produced non-finite parameters; lower the learning rate"
                )
        self._set_trained(results)
        if np.ptp(y_arr) == 0:  # nothing to learn: the output layer predicts the constant
            for params in self.members_:
                params[-2][:] = 0.0
                params[-1][:] = 0.0
        self.n_samples_ = n
        self.fit_seconds_ = time.perf_counter() - start
        with np.errstate(all="ignore"):
            pred, spread = self._distribution_standardised(Xs)
        _require_finite(pred, "the trained network predicts", "training row")
        self.metrics_ = regression_metrics(y_arr, pred)
        if n_val:
            val_metrics = regression_metrics(y_arr[val_rows], pred[val_rows])
            self.metrics_.update({f"val_{k}": v for k, v in val_metrics.items()})
        calib = val_rows if n_val else train_rows
        self.calibration_ = Calibration.from_rows(
            y_arr[calib], pred[calib], spread[calib], "validation" if n_val else "training"
        )
        self._start_replay(Xs, ys)
        return self

    def _fit_dask(self, source: Any, target: Any, start: float) -> None:
        """``fit`` with ``engine="dask"``: data-parallel training in the shared loop."""
        from galton import distributed
        from galton.backends import dask_engine

        name = type(self).__name__
        one_numpy_network = self.ensemble == 1 and self.dtype == "float64"
        if not (one_numpy_network and self.backend == "numpy" and self.standardize):
            raise ParameterError(
                f"{name} with engine='dask' trains one float64 network with the NumPy "
                "engine's maths on standardised data (ensemble=1, dtype='float64', "
                "backend='numpy', standardize=True)"
            )
        with distributed.dask_client(self.scheduler) as client:
            frame = distributed.dask_frame(source)
            plan = self._partition_plan(distributed.first_partition(frame), target, None)
            rows, how, X_val, y_val, rows_read = distributed.prepare_rows(
                client, frame, plan, self.seed, self.validation_fraction, STREAM_VALIDATION_ROWS
            )
            self.distributed_ = distributed.fit_record(
                client, source, frame, rows_read, len(rows) + len(y_val)
            )
            if len(y_val) < 2 or len(rows) < 2:
                raise DataError(f"{describe_source(source)}: too few rows to hold rows out")
            self.x_mean_, self.x_scale_ = how.x_mean, how.x_scale
            self.y_mean_, self.y_scale_ = how.y_mean, how.y_scale
            n_train = len(rows)
            cfg = self._config(n_train + len(y_val))
            if self.weight_decay == "auto" and cfg.optimizer == "lbfgs" and self.hidden:
                cfg = replace(cfg, weight_decay=WEIGHT_DECAYS[1])  # no search: one network
            self.train_config_ = cfg
            self.net_ = self._network(len(how.x_mean), cfg)
            self.backend_ = "numpy"
            initial = init_params(self.net_, np.random.default_rng(self.seed))
            watch = cfg.early_stopping
            result = train(
                dask_engine.ENGINE,
                self.net_,
                initial,
                cfg,
                rows,
                None,
                X_val if watch else None,
                y_val if watch else None,
                self.progress,
            )
            sse, sae = distributed.training_errors(rows, result.params, self.net_, cfg.dtype)
        self._set_trained([result])
        self.weight_decay_search_ = {}
        y_val_orig = y_val * self.y_scale_ + self.y_mean_
        pred, spread = self._distribution_standardised(X_val)
        self.metrics_ = {  # standardised units: the target's variance over all rows is 1
            "rmse": math.sqrt(sse / n_train) * self.y_scale_,
            "mae": sae / n_train * self.y_scale_,
            "r2": 1 - sse / n_train,
        }
        val_metrics = regression_metrics(y_val_orig, pred)
        self.metrics_.update({f"val_{k}": v for k, v in val_metrics.items()})
        self.calibration_ = Calibration.from_rows(y_val_orig, pred, spread, "validation")
        self._start_replay(X_val, y_val)
        self.n_samples_ = n_train + len(y_val)
        self.fit_seconds_ = time.perf_counter() - start

    def fit_stream(
        self,
        source: Any,
        target: str,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        buffer_rows: int = SHUFFLE_BUFFER_ROWS,
        features: list[str] | None = None,
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
        """
        self._validate()
        if self.ensemble != 1:
            raise ParameterError("a streamed fit trains one network (ensemble=1)")
        _check(
            "fit_stream",
            "buffer_rows",
            buffer_rows,
            isinstance(buffer_rows, int) and buffer_rows >= 2,
            "an int >= 2",
        )
        start = time.perf_counter()

        def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
            """One pass: inputs, target and the held-out mask of every chunk (the same
            rows are held out in every pass)."""
            held_so_far = 0
            for k, (X, y, _) in enumerate(
                self._stream_rows(source, target, None, chunk_rows, features)
            ):
                held = np.random.default_rng([self.seed, k]).random(len(y))
                held = held < self.validation_fraction
                held &= np.cumsum(held) <= STREAM_VALIDATION_ROWS - held_so_far
                held_so_far += int(held.sum())
                yield X, y, held

        x_moments = y_moments = None
        val_X, val_y = [], []
        for X, y, held in chunks():  # pass 1: standardisation and held-out rows
            part_x, part_y = RunningMoments.of(X), RunningMoments.of(y[:, None])
            x_moments = part_x if x_moments is None else x_moments + part_x
            y_moments = part_y if y_moments is None else y_moments + part_y
            val_X.append(X[held])
            val_y.append(y[held])
        n = x_moments.n
        X_val, y_val = np.vstack(val_X), np.concatenate(val_y)
        if len(y_val) < 2 or n - len(y_val) < 2:
            raise DataError(f"{describe_source(source)}: {n} rows are too few to hold rows out")
        if self.standardize:
            self.x_mean_ = x_moments.mean
            self.x_scale_ = x_moments.scale
            self.y_mean_, self.y_scale_ = float(y_moments.mean[0]), float(y_moments.scale[0])
        else:
            self.x_mean_, self.x_scale_ = np.zeros(X_val.shape[1]), np.ones(X_val.shape[1])
            self.y_mean_, self.y_scale_ = 0.0, 1.0

        def standardised(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return (X - self.x_mean_) / self.x_scale_, (y - self.y_mean_) / self.y_scale_

        cfg = self.train_config_ = self._config(n, stream=True)
        self.net_ = self._network(X_val.shape[1], cfg)
        self.backend_ = engine_registry.canonical_name(str(self.backend))
        backend = engine_registry.get_backend(self.backend_)
        initial = init_params(self.net_, np.random.default_rng(self.seed))

        def blocks(epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            rows = (standardised(X[~held], y[~held]) for X, y, held in chunks())
            return shuffled_blocks(rows, buffer_rows, np.random.default_rng([cfg.seed, epoch]))

        Xs_val, ys_val = standardised(X_val, y_val)
        result = train_stream(
            backend, self.net_, initial, cfg, blocks, Xs_val, ys_val, self.progress
        )
        self._set_trained([result])
        self.weight_decay_search_ = {}
        self._start_replay(X_val[:0], y_val[:0])
        # last pass: training metrics from running sums, and the replay sample
        sse = sae = 0.0
        rng = np.random.default_rng([self.seed, 0])
        for X, y, held in chunks():
            Xs, ys = standardised(X[~held], y[~held])
            err = y[~held] - self._predict_standardised(Xs)
            sse += float(err @ err)
            sae += float(np.abs(err).sum())
            self.replay_.offer(Xs, ys, rng)
        n_train = n - len(y_val)
        train_tss = float(y_moments.m2[0])  # all rows: close to the training rows' own
        self.metrics_ = {
            "rmse": math.sqrt(sse / n_train),
            "mae": sae / n_train,
            "r2": 1 - sse * n / n_train / train_tss if train_tss > 0 else math.nan,
        }
        pred, spread = self._distribution_standardised(Xs_val)
        val_metrics = regression_metrics(y_val, pred)
        self.metrics_.update({f"val_{k}": v for k, v in val_metrics.items()})
        self.calibration_ = Calibration.from_rows(y_val, pred, spread, "validation")
        self.n_samples_ = n
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def partial_fit(
        self,
        X: Any,
        y: Any = None,
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
        epochs : int, optional
            Passes over the new and replayed rows; default ``UPDATE_EPOCHS``.
        learning_rate : float, optional
            Adam's rate; default the fit's own for Adam-family solvers, else 1e-3.
        """
        if not hasattr(self, "members_"):
            return self.fit(X, y)
        start = time.perf_counter()
        _check(
            "partial_fit",
            "epochs",
            epochs,
            epochs is None or (isinstance(epochs, int) and epochs > 0),
            "None or a positive int",
        )
        X_new, y_new, _ = self._new_rows(X, y)
        Xs = (X_new - self.x_mean_) / self.x_scale_
        ys = (y_new - self.y_mean_) / self.y_scale_
        number = len(self.updates_) + 1
        rng = np.random.default_rng([self.seed, number])
        replayed = len(self.replay_.y)
        X_all = np.vstack([Xs, self.replay_.X]) if replayed else Xs
        y_all = np.concatenate([ys, self.replay_.y]) if replayed else ys
        cfg = self.train_config_
        adam_family = cfg.optimizer in ("adam", "adamw", "sgd")
        cfg = replace(
            cfg,
            optimizer=cfg.optimizer if adam_family else "adam",
            learning_rate=float(learning_rate or (cfg.learning_rate if adam_family else 1e-3)),
            schedule="constant",
            max_epochs=int(epochs or UPDATE_EPOCHS),
            early_stopping=False,
            seed=int(cfg.seed + 1000 * number),
        )
        backend = engine_registry.get_backend(self.backend_)
        results = [
            train(
                backend,
                self.net_,
                params,
                replace(cfg, seed=cfg.seed + m),
                X_all,
                y_all,
                progress=self.progress,
            )
            for m, params in enumerate(self.members_)
        ]
        self.members_ = [result.params for result in results]
        first = results[0].history
        before, after = first["train_loss"][0], min(first["train_loss"])
        self.history_.update(continued_history(self.history_, first))
        record = {
            "rows": int(len(ys)),
            "replayed": int(replayed),
            "epochs": int(results[0].n_epochs),
            "loss_before": float(before),
            "loss_after": float(after),
        }
        self.history_["events"] = [
            *self.history_.get("events", []),
            f"update {number}: {len(ys)} new rows + {replayed} replayed, {record['epochs']} "
            f"epochs of {cfg.optimizer}; training loss {before:.4g} -> {after:.4g}",
        ]
        self.updates_.append(record)
        for history, result in zip(self.member_histories_, results, strict=True):
            history += result.history["train_loss"][1:]
        self.replay_.offer(Xs, ys, rng)
        self.n_samples_ += int(len(ys))
        self.n_epochs_ += record["epochs"]
        self.fit_seconds_ += time.perf_counter() - start
        return self

    def _network(self, n_inputs: int, cfg: TrainConfig) -> NetworkSpec:
        """The architecture for ``n_inputs`` standardised inputs under ``cfg``'s loss."""
        hidden = tuple(int(h) for h in self.hidden)
        return NetworkSpec(n_inputs, hidden, self.activation, 2 if cfg.loss == "gaussian" else 1)

    def _set_trained(self, results: list[TrainResult]) -> None:
        """Fitted attributes from the members' training (histories: member 0's)."""
        self.members_ = [result.params for result in results]
        first = results[0]
        self.history_ = {**first.history, "events": first.events}
        self.member_histories_ = [list(result.history["train_loss"]) for result in results]
        self.n_epochs_, self.best_epoch_ = first.n_epochs, first.best_epoch
        self.stopped_early_, self.converged_ = first.stopped_early, first.converged

    def _start_replay(self, Xs: np.ndarray, ys: np.ndarray) -> None:
        """No updates yet; the replay sample drawn from standardised rows ``Xs`` (n, d)."""
        self.updates_ = []
        self.replay_ = Reservoir.empty(Xs.shape[1], self.replay_rows)
        self.replay_.offer(Xs, ys, np.random.default_rng([self.seed, 0]))

    def _checked_initial_params(self) -> list[np.ndarray]:
        shapes = self.net_.param_shapes()
        given = [np.asarray(p, dtype=np.float64) for p in self.initial_params]
        ok = len(given) == len(shapes) and all(
            g.shape == s for g, s in zip(given, shapes, strict=False)
        )
        _check(
            type(self).__name__, "initial_params", "...", ok, f"a list of arrays of shapes {shapes}"
        )
        return given

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

    def _predict_standardised(
        self, Xs: np.ndarray, params: list[np.ndarray] | None = None
    ) -> np.ndarray:
        """Point predictions (n,) in the target's units: the members' mean, or the network
        ``params``'s."""
        if params is None:
            return self._distribution_standardised(Xs)[0]
        backend = engine_registry.get_backend(self.backend_)
        out = backend.predict(self.net_, params, Xs, self.train_config_.dtype)
        return (out if out.ndim == 1 else out[:, 0]) * self.y_scale_ + self.y_mean_

    def _distribution_standardised(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (n,) and uncalibrated spread (n,) over the members, in the target's units."""
        backend = engine_registry.get_backend(self.backend_)
        dtype = self.train_config_.dtype
        outputs = [backend.predict(self.net_, params, Xs, dtype) for params in self.members_]
        mean, spread = mixture(outputs)
        return mean * self.y_scale_ + self.y_mean_, spread * self.y_scale_

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
        X_arr = self._inputs(X)
        return self._predict_standardised((X_arr - self.x_mean_) / self.x_scale_, params)

    def _point(self, X: Any) -> np.ndarray:
        X_arr = self._inputs(X)
        with np.errstate(all="ignore"):
            pred = self._predict_standardised((X_arr - self.x_mean_) / self.x_scale_)
        return _require_finite(pred, "the network predicts")

    def predict(
        self, X: Any, interval: float | None = None, return_std: bool = False
    ) -> np.ndarray | PredictionInterval | tuple[np.ndarray, np.ndarray]:
        """Predictions of shape (n,), a ``PredictionInterval`` at level ``interval``, or
        ``(mean, std)`` with ``return_std``.

        Intervals are split-conformal on rows held out from training (the validation
        rows): the ``interval`` quantile of ``|y - mean| / spread`` there times each row's
        spread, where the spread is the same for every row of a squared-error network
        and the Gaussian mixture's standard deviation for Gaussian-loss members. Without
        held-out rows (the linear neuron without early stopping) the training rows
        calibrate, which makes intervals optimistic. ``std`` is the spread scaled to the
        held-out rows' root mean square normalised residual (for log-likelihoods).
        """
        X_arr = self._inputs(X)
        with np.errstate(all="ignore"):
            mean, spread = self._distribution_standardised((X_arr - self.x_mean_) / self.x_scale_)
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
        if len(self.members_) > 1:
            arch = f"ensemble of {len(self.members_)} x {arch}"
        n_params = len(self.members_) * sum(int(np.prod(s)) for s in self.net_.param_shapes())
        hist = self.history_
        lines = [
            f"Neural network regression: {arch}, {n_params} parameters",
            "=" * 72,
            f"Target: {self.target_name_}   Observations: {self.n_samples_}   "
            f"Engine: {self.backend_} ({cfg.dtype})",
            f"Solver: {cfg.optimizer}   Loss: {cfg.loss}   Epochs: {self.n_epochs_} "
            f"(best {self.best_epoch_})   Early stopping: {'on' if cfg.early_stopping else 'off'}",
            f"Weight decay: {cfg.weight_decay:g}"
            + (
                " (chosen on the validation rows; RMSE "
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

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            **self._common_state(),
            "backend": self.backend_,
            "network": {
                "n_inputs": self.net_.n_inputs,
                "hidden": list(self.net_.hidden),
                "activation": self.net_.activation,
            },
            "train_config": self.train_config_.to_dict(),
            "history": self.history_,
            "n_epochs": self.n_epochs_,
            "best_epoch": self.best_epoch_,
            "stopped_early": self.stopped_early_,
            "converged": self.converged_,
            "y_mean": self.y_mean_,
            "y_scale": self.y_scale_,
            "calibration_source": self.calibration_.source,
            "member_histories": self.member_histories_,
            "weight_decay_search": [[k, v] for k, v in self.weight_decay_search_.items()],
            "updates": self.updates_,
            "replay_seen": self.replay_.seen,
        }
        # member 0 keeps the single model's names, so one-network files read as before
        arrays = {
            (f"param_{i}" if m == 0 else f"member_{m}_param_{i}"): p
            for m, params in enumerate(self.members_)
            for i, p in enumerate(params)
        }
        arrays.update(
            x_mean=self.x_mean_,
            x_scale=self.x_scale_,
            calibration_scores=self.calibration_.scores,
        )
        if self.replay_rows:
            arrays.update(replay_X=self.replay_.X, replay_y=self.replay_.y)
        return meta, arrays

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> NeuralRegressor:
        params = dict(meta["params"])
        params["hidden"] = tuple(params["hidden"])
        model = cls(**params)
        model._restore_common(meta)
        net = meta["network"]
        model.backend_ = meta["backend"]
        model.train_config_ = TrainConfig(**meta["train_config"])
        model.net_ = NetworkSpec(
            net["n_inputs"],
            tuple(net["hidden"]),
            net["activation"],
            n_outputs=2 if model.train_config_.loss == "gaussian" else 1,
        )
        model.history_ = meta["history"]
        model.n_epochs_ = meta["n_epochs"]
        model.best_epoch_ = meta["best_epoch"]
        model.stopped_early_ = meta["stopped_early"]
        model.converged_ = meta["converged"]
        model.y_mean_ = meta["y_mean"]
        model.y_scale_ = meta["y_scale"]
        n_params = len(model.net_.param_shapes())
        model.members_ = [[arrays[f"param_{i}"] for i in range(n_params)]]
        while f"member_{len(model.members_)}_param_0" in arrays:
            m = len(model.members_)
            model.members_.append([arrays[f"member_{m}_param_{i}"] for i in range(n_params)])
        model.member_histories_ = meta.get("member_histories", [model.history_["train_loss"]])
        model.weight_decay_search_ = {k: v for k, v in meta.get("weight_decay_search", [])}
        model.x_mean_ = arrays["x_mean"]
        model.x_scale_ = arrays["x_scale"]
        if "calibration_scores" in arrays:
            scores = arrays["calibration_scores"]
        else:  # files before ensembles: absolute residuals of a constant-spread network
            scores = arrays["calibration_residuals"] / model.y_scale_
        model.calibration_ = Calibration(scores, meta["calibration_source"])
        model.updates_ = meta.get("updates", [])  # absent before updates existed
        model.replay_ = Reservoir(
            arrays.get("replay_X", np.empty((0, net["n_inputs"]))),
            arrays.get("replay_y", np.empty(0)),
            meta.get("replay_seen", model.n_samples_),
            model.replay_rows,
        )
        return model
