"""Fitting a network on rows held in memory: the validation split, the weight-decay search,
the ensemble's members and checkpoints."""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.backends.base import Engine
from galton.backends.common import init_params
from galton.data.standardise import Scaling
from galton.errors import DataError, ParameterError, TrainingInterrupted
from galton.estimators.base import _jsonable, _require_finite
from galton.estimators.fitting.finish import HeldOut, finish, start_replay, trained_network
from galton.estimators.fitting.recipe import (
    CV_FOLDS,
    GAUSSIAN_STAGE,
    cross_validates,
    network_for,
    resolve_config,
    searches_weight_decay,
    validation_rows,
    weight_decays,
)
from galton.estimators.params import check
from galton.estimators.results import point_predictions
from galton.metrics import regression_metrics
from galton.spec import NetworkSpec, TrainConfig
from galton.training import train
from galton.training.checkpoint import read_checkpoint, stop_on_signals, write_checkpoint
from galton.training.loop import continued_history
from galton.training.monitor import Checkpointing, TrainResult
from galton.training.monitor import TrainingInterrupted as LoopInterrupted


@dataclass
class _Training:
    """One in-memory training's fixed parts: engine, network, rows and stop hooks."""

    est: Any
    engine: Engine
    net: NetworkSpec
    Xs: np.ndarray
    ys: np.ndarray
    y: np.ndarray  # the target in its own units
    train_rows: np.ndarray
    val_rows: np.ndarray
    watch: bool
    hooks: Checkpointing | None
    # the cross-validation folds (row indices) that choose the weight decay, if any
    folds: list[np.ndarray] | None = None
    # each validation row's prediction by the candidate chosen without that row (m,), set
    # by the weight-decay search: the rows that choose must not also calibrate
    unselected: np.ndarray | None = None
    # under cross-validation, every row's out-of-fold prediction by the chosen candidate
    out_of_fold: np.ndarray | None = None

    def run(self, cfg: TrainConfig, params: list[np.ndarray]) -> TrainResult:
        val = self.val_rows if self.watch else None
        return train(
            self.engine,
            self.net,
            params,
            cfg,
            self.Xs[self.train_rows],
            self.ys[self.train_rows],
            self.Xs[val] if val is not None else None,
            self.ys[val] if val is not None else None,
            self.est.progress,
            self.hooks,
        )

    def member(self, cfg: TrainConfig, params: list[np.ndarray]) -> TrainResult:
        """One member; a Gaussian-loss L-BFGS member fits its mean by squared error first
        (from a random start the NLL's sharp, ill-conditioned optimum stalled L-BFGS far
        from a good mean), then shapes the variance with the Gaussian loss."""
        if cfg.loss != "gaussian" or cfg.optimizer != "lbfgs":
            return self.run(cfg, params)
        first = self.run(replace(cfg, loss="mse"), params)
        stage = replace(cfg, max_epochs=max(1, cfg.max_epochs // GAUSSIAN_STAGE))
        second = self.run(stage, first.params)
        second.history = continued_history(first.history, second.history)
        return second

    def members(
        self,
        cfg: TrainConfig,
        initial: list[np.ndarray],
        rng: np.random.Generator,
        scaling: Scaling,
    ) -> tuple[list[TrainResult], dict[float, float], TrainConfig]:
        """Every member (member 0 from ``initial``), after the weight-decay search if any;
        returns the trainings, the search's validation RMSEs and the chosen config."""
        results: list[TrainResult] = []
        search: dict[float, float] = {}
        if self.folds is not None:
            search, decay = self.cross_validate(cfg, initial, scaling)
            cfg = replace(cfg, weight_decay=decay)
        elif searches_weight_decay(self.est, cfg, len(self.val_rows)):
            decays = weight_decays(self.net.has_skip)
            trained = [  # each from the same start
                self.member(replace(cfg, weight_decay=wd), initial) for wd in decays
            ]
            preds = np.array([self.predict(r.params, self.val_rows, cfg, scaling) for r in trained])
            search, chosen = self.choose(decays, preds, self.val_rows)
            results, cfg = [trained[chosen]], replace(cfg, weight_decay=decays[chosen])  # member 0
        for member in range(len(results), self.est.ensemble):
            # member k: its own random start (drawn in turn) and batch order
            member_cfg = cfg if member == 0 else replace(cfg, seed=cfg.seed + member)
            start_params = initial if member == 0 else init_params(self.net, rng)
            results.append(self.member(member_cfg, start_params))
        return results, search, cfg

    def cross_validate(
        self, cfg: TrainConfig, initial: list[np.ndarray], scaling: Scaling
    ) -> tuple[dict[float, float], float]:
        """The weight decay ``line_if_tied`` chooses on every row's out-of-fold squared
        error, and each candidate's cross-validated RMSE; sets ``out_of_fold`` and
        ``unselected`` (n,). Each candidate trains from ``initial`` on the training rows
        outside the fold, stopping early (if at all) on the validation rows outside it:
        no row's prediction comes from a training that saw it."""
        assert self.folds is not None
        decays = weight_decays(self.net.has_skip)
        rows = np.arange(len(self.y))
        preds = np.empty((len(decays), len(rows)))
        for fold in self.folds:
            val = np.setdiff1d(self.val_rows, fold)
            others = replace(
                self,
                train_rows=np.setdiff1d(self.train_rows, fold),
                val_rows=val,
                watch=self.watch and len(val) > 0,
            )
            for j, wd in enumerate(decays):
                result = others.member(replace(cfg, weight_decay=wd), initial)
                preds[j, fold] = self.predict(result.params, fold, cfg, scaling)
        search, chosen = self.choose(decays, preds, rows)
        self.out_of_fold = preds[chosen]
        return search, decays[chosen]

    def predict(
        self, params: list[np.ndarray], rows: np.ndarray, cfg: TrainConfig, scaling: Scaling
    ) -> np.ndarray:
        """A candidate's predictions (len(rows),) of ``rows``, in the target's units."""
        return point_predictions(self.engine, self.net, params, self.Xs[rows], cfg.dtype, scaling)

    def choose(
        self, decays: tuple[float, ...], preds: np.ndarray, rows: np.ndarray
    ) -> tuple[dict[float, float], int]:
        """Each candidate's RMSE on ``rows`` and the index ``line_if_tied`` chooses, from
        every candidate's predictions ``preds`` (candidates, len(rows)) of rows it never
        trained on; sets ``unselected`` (len(rows),)."""
        y = self.y[rows]
        w = self.ys[rows, 1] if self.ys.ndim == 2 else None
        losses = (y - preds) ** 2
        self.unselected = preds[chosen_without_each(losses, w), np.arange(len(rows))]
        search = {
            wd: regression_metrics(y, pred, w)["rmse"]
            for wd, pred in zip(decays, preds, strict=True)
        }
        return search, line_if_tied(losses, w)


#: How many standard errors of the paired difference the line's validation loss may lie
#: above the best candidate's and still be chosen (Breiman et al.'s one-standard-error rule,
#: applied to the simplest candidate only).
SELECTION_SE = 1.0


def line_if_tied(losses: np.ndarray, weights: np.ndarray | None) -> int:
    """The index of the candidate with the lowest mean validation loss, or of the last
    (most regularised) candidate when its loss lies within ``SELECTION_SE`` standard errors
    of that best one.

    Parameters
    ----------
    losses : ndarray of shape (candidates, n_val)
        Each candidate's squared error on every validation row, in increasing order of
        regularisation; the last switches the hidden layers off (with a skip path, the line).
    weights : ndarray of shape (n_val,) or None
        Row weights.

    Few or noisy validation rows cannot tell a network from the line, and then the line
    wins: on pure noise the hidden layers switch off instead of fitting it.
    """
    w = np.ones(losses.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    means = losses @ w
    best, line = int(np.argmin(means)), losses.shape[0] - 1
    diff = losses[line] - losses[best]
    spread = np.sqrt(max(float(w @ (diff - diff @ w) ** 2), 0.0) * float(w @ w))
    return line if means[line] - means[best] <= SELECTION_SE * spread else best


def chosen_without_each(losses: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """For every validation row, the candidate ``line_if_tied`` chooses on the other rows.

    Parameters
    ----------
    losses : ndarray of shape (candidates, n_val)
        As for ``line_if_tied``.
    weights : ndarray of shape (n_val,) or None
        Row weights.

    Returns
    -------
    ndarray of int, shape (n_val,)
        The candidate chosen without each row (the last, the line, where no row is left).

    A row's residual under the candidate it helped choose understates a new row's error
    (on a few rows, the search picks the candidate that happens to fit them); under the
    candidate chosen without it, it does not. On many rows the choice rarely moves.
    """
    n_val = losses.shape[1]
    if n_val < 2:
        return np.full(n_val, losses.shape[0] - 1)
    w = None if weights is None else np.asarray(weights, dtype=float)
    keep = ~np.eye(n_val, dtype=bool)
    return np.array(
        [line_if_tied(losses[:, keep[i]], None if w is None else w[keep[i]]) for i in range(n_val)]
    )


def _split(
    est: Any, n: int, cfg: TrainConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, TrainConfig, list[np.ndarray] | None]:
    """Validation and training rows (sorted), ``cfg`` without early stopping when no rows
    can be held out, and the cross-validation folds (sorted rows) where they choose the
    weight decay (``cross_validates``). Without folds, networks with hidden layers always
    hold rows out: they calibrate the intervals (split-conformal) even where early
    stopping is off; with folds, the out-of-fold errors calibrate, and rows are held out
    only to stop early on."""
    cross = cross_validates(est, cfg, n)
    early = cfg.early_stopping
    held_out = early or (len(est.hidden) > 0 and not cross)
    n_val = validation_rows(n, est.validation_fraction) if held_out else 0
    if held_out and (n_val < 2 or n - n_val < 2):
        if early:
            warnings.warn(
                f"only {n} rows: early stopping needs a validation split; training on all rows",
                UserWarning,
                stacklevel=4,
            )
        n_val = 0
    order = rng.permutation(n)
    if n_val == 0 and early:
        cfg = replace(cfg, early_stopping=False)
    folds = None
    if cross:  # drawn apart from the split, so every fold holds validation rows
        folds = [np.sort(fold) for fold in np.array_split(rng.permutation(n), CV_FOLDS)]
    return np.sort(order[:n_val]), np.sort(order[n_val:]), cfg, folds


def _several(est: Any, cfg: TrainConfig, n_val: int, folds: list[np.ndarray] | None) -> bool:
    """Whether the fit runs several trainings (a checkpoint holds one)."""
    return (
        folds is not None
        or searches_weight_decay(est, cfg, n_val)
        or est.ensemble > 1
        or (cfg.loss == "gaussian" and cfg.optimizer == "lbfgs")
    )


@contextmanager
def _checkpoints(
    est: Any,
    net: NetworkSpec,
    digest: str,
    checkpoint: str | Path | None,
    resume: str | Path | None,
    several: bool,
) -> Iterator[Checkpointing | None]:
    """Stop hooks for Ctrl-C and SIGTERM that write ``checkpoint``, the state to ``resume``
    from, and the one-line ``TrainingInterrupted`` a stop ends in."""
    settings = _jsonable({k: v for k, v in est.get_params().items() if k != "progress"})
    if resume is not None and several:
        raise ParameterError(
            "resume works for a single training (ensemble=1, a fixed weight_decay, "
            "not the two-stage Gaussian L-BFGS fit)"
        )
    state = None
    if resume is not None:
        state, meta = read_checkpoint(resume, net.param_shapes())
        if meta.get("fingerprint") != digest:
            raise DataError(f"{resume}: the checkpoint was made on other data")
        changed = sorted(k for k in settings if meta["estimator"].get(k) != settings[k])
        if changed:
            raise ParameterError(
                f"{resume}: the checkpoint was made with other settings ({', '.join(changed)})"
            )
    stops = stop_on_signals() if checkpoint is not None else nullcontext({"signal": None})
    with stops as flag:
        hooks = None
        if checkpoint is not None or state is not None:
            hooks = Checkpointing(
                should_stop=lambda: checkpoint is not None and flag["signal"] is not None,
                save=lambda st: (
                    None
                    if several or checkpoint is None
                    else write_checkpoint(
                        checkpoint, st, {"fingerprint": digest, "estimator": settings}
                    )
                ),
                resume=state,
            )
        try:
            yield hooks
        except LoopInterrupted as exc:
            if several:
                raise TrainingInterrupted(
                    f"training stopped after epoch {exc.epoch}; no checkpoint written: a "
                    "weight-decay search or ensemble cannot be resumed, run it again",
                    "",
                    flag["signal"],
                ) from None
            raise TrainingInterrupted(
                f"training interrupted after epoch {exc.epoch}; checkpoint written to {checkpoint}",
                str(checkpoint),
                flag["signal"],
            ) from None


def _initial(est: Any, net: NetworkSpec, rng: np.random.Generator) -> list[np.ndarray]:
    """Member 0's start: seeded at random (always drawn, so later members' starts do not
    depend on it), or the user's ``initial_params`` checked against the network."""
    initial = init_params(net, rng)
    if est.initial_params is None:
        return initial
    shapes = net.param_shapes()
    given = [np.asarray(p, dtype=np.float64) for p in est.initial_params]
    ok = len(given) == len(shapes) and all(
        g.shape == s for g, s in zip(given, shapes, strict=False)
    )
    check(type(est).__name__, "initial_params", "...", ok, f"a list of arrays of shapes {shapes}")
    return given


def with_weights(ys: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """The standardised target (n,) as the trainers take it: unchanged without weights,
    else (n, 2) with the weights scaled to mean 1 (``backends.base.data_loss``)."""
    return ys if w is None else np.column_stack([ys, w / np.mean(w)])


def fit_in_memory(
    est: Any,
    X: Any,
    y: Any,
    checkpoint: str | Path | None,
    resume: str | Path | None,
    sample_weight: Any = None,
) -> None:
    """Standardise, initialise at random and train (on the weighted loss when
    ``sample_weight`` is given); ``est.results_`` is the result."""
    start = time.perf_counter()
    engine = engine_registry.get_backend(str(est.backend))
    X_arr, y_arr, w = est._new_schema().training_data(X, y, sample_weight)
    n = len(y_arr)
    scaling = Scaling.of_rows(X_arr, y_arr, est.standardize)
    Xs, ys = scaling.inputs(X_arr), with_weights(scaling.target(y_arr), w)
    rng = np.random.default_rng(est.seed)
    val_rows, train_rows, cfg, folds = _split(est, n, resolve_config(est, n), rng)
    # too wide for an undecayed skip path, unless no rows are held out to regularise the
    # hidden layers on: then the line (the skip path alone) is the safest model there is
    searched = len(train_rows) if len(val_rows) else None
    if folds is not None:  # the smallest training the search runs
        searched = min(len(np.setdiff1d(train_rows, fold)) for fold in folds)
    net = network_for(est, X_arr.shape[1], cfg, searched)
    initial = _initial(est, net, rng)
    digest = hashlib.sha256(Xs.tobytes() + ys.tobytes() + val_rows.tobytes()).hexdigest()
    several = _several(est, cfg, len(val_rows), folds)
    with _checkpoints(est, net, digest, checkpoint, resume, several) as hooks:
        watch = len(val_rows) > 0 and cfg.early_stopping
        run = _Training(est, engine, net, Xs, ys, y_arr, train_rows, val_rows, watch, hooks, folds)
        trained, search, cfg = run.members(cfg, initial, rng, scaling)
    results = trained_network(trained, engine.name, net, cfg, scaling, search)
    if np.ptp(y_arr) == 0:  # nothing to learn: the output layer predicts the constant
        output = 2 * len(net.hidden)  # the output weights; then its bias and any skip path
        for params in results.members:
            for param in params[output:]:
                param[:] = 0.0
    with np.errstate(all="ignore"):
        pred, spread = results.distribution(Xs)
    _require_finite(pred, "the trained network predicts", "training row")
    if run.out_of_fold is not None:  # every row, predicted by networks that never saw it
        held = HeldOut(y_arr, run.out_of_fold, spread, "cross-validation")
    else:
        calib = val_rows if len(val_rows) else train_rows
        source = "validation" if len(val_rows) else "training"
        # nothing held out: the linear neuron, or the strongest decay leaving the line (the
        # skip path) or about the mean, fitted these rows with this many parameters
        fitted = X_arr.shape[1] + 1 if net.has_skip or not net.hidden else 1
        held = HeldOut(y_arr[calib], pred[calib], spread[calib], source, fitted)
    if run.unselected is not None and est.ensemble == 1 and cfg.loss == "mse":
        held.calibration_pred = run.unselected
    metrics = regression_metrics(y_arr, pred)
    finish(est, results, metrics, held, start_replay(est, Xs, scaling.target(y_arr)), n, start)
