"""The shared training loop: batching, schedules, early stopping and L-BFGS.

Engines only compute; everything about *how* training proceeds lives here, so every
engine trains the same way from the same initial parameters and batches.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from galton.backends.common import Trainer, flatten_params, unflatten_params
from galton.spec import NetworkSpec, TrainConfig
from galton.training.progress import epoch_progress
from galton.training.schedules import learning_rate


class TrainingInterrupted(Exception):
    """Training stopped at an epoch boundary because a stop was requested (Ctrl-C, SIGTERM)."""

    def __init__(self, epoch: int) -> None:
        super().__init__(f"training interrupted after epoch {epoch}")
        self.epoch = epoch


@dataclass
class Checkpointing:
    """Interruption hooks: ``should_stop()`` is asked after every epoch; when it says yes,
    ``save(state)`` receives the loop's complete state and ``TrainingInterrupted`` is raised.
    ``resume`` is such a state to continue from."""

    should_stop: Callable[[], bool]
    save: Callable[[dict[str, Any]], None]
    resume: dict[str, Any] | None = None


#: How often a diverging minibatch run may restore and halve its learning rate.
MAX_HALVINGS = 10
#: Training data rows x widest layer below which BLAS runs single-threaded.
SINGLE_THREAD_BELOW = 1_000_000


@dataclass
class TrainResult:
    """Trained parameters and how training went."""

    params: list[np.ndarray]
    history: dict[str, list[float]] = field(
        default_factory=lambda: {"train_loss": [], "val_loss": [], "lr": []}
    )
    events: list[str] = field(default_factory=list)
    best_epoch: int = 0
    n_epochs: int = 0
    stopped_early: bool = False
    converged: bool = False


def train(
    backend: ModuleType,
    net: NetworkSpec,
    params: list[np.ndarray],
    cfg: TrainConfig,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    progress: bool | None = None,
    checkpointing: Checkpointing | None = None,
) -> TrainResult:
    """Train ``params`` on standardised ``X`` (n, d), ``y`` (n,) with ``backend``.

    With validation data, the parameters with the lowest validation loss are restored at
    the end and training stops after ``cfg.patience`` epochs without improvement; without
    it, the training loss is watched the same way.
    """
    # Small problems run BLAS on one thread: between the many short calls of a fit,
    # OpenBLAS threads fall asleep and waking them costs more than they save (measured:
    # yacht's MLP fit 6x and age-income's 2x faster on one thread).
    small = X.shape[0] * max(net.layer_sizes) < SINGLE_THREAD_BELOW
    with threadpool_limits(limits=1, user_api="blas") if small else nullcontext():
        return _train(backend, net, params, cfg, X, y, X_val, y_val, progress, checkpointing)


def _train(
    backend: ModuleType,
    net: NetworkSpec,
    params: list[np.ndarray],
    cfg: TrainConfig,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    progress: bool | None,
    checkpointing: Checkpointing | None,
) -> TrainResult:
    hooks = checkpointing
    state = hooks.resume if hooks is not None else None
    trainer = backend.make_trainer(net, params if state is None else state["params"], cfg, X, y)
    has_val = X_val is not None and y_val is not None and len(y_val) > 0
    result = TrainResult(params=trainer.get_params())
    # Entry 0 of the history is the random initialisation, so the fall is visible.
    result.history["train_loss"].append(trainer.evaluate(X, y))
    if has_val:
        result.history["val_loss"].append(trainer.evaluate(X_val, y_val))
    if state is not None:
        result.history = {k: list(v) for k, v in state["history"].items()}
        result.events = list(state["events"])
    if cfg.optimizer == "lbfgs":
        val = (X_val, y_val) if has_val else None
        return _train_lbfgs(trainer, result, cfg, (X, y), val, progress, hooks)

    rng = np.random.default_rng(cfg.seed)
    n = X.shape[0]
    batch = max(1, min(cfg.batch_size, n))
    best = (result.history["val_loss"] if has_val else result.history["train_loss"])[0]
    since_best, lr_scale, halvings, epoch = 0, 1.0, 0, 0
    last_good = result.params
    if state is not None:  # continue exactly where the checkpoint left off
        rng.bit_generator.state = state["rng"]
        best, since_best = state["best"], state["since_best"]
        lr_scale, halvings, epoch = state["lr_scale"], state["halvings"], state["epoch"]
        result.best_epoch, result.n_epochs = state["best_epoch"], state["epoch"]
        result.params, last_good = state["best_params"], state["params"]
        trainer.load_optimizer_state(state["optimizer"])
    with epoch_progress(cfg.max_epochs, progress) as update:
        while epoch < cfg.max_epochs:
            lr = lr_scale * learning_rate(cfg.schedule, cfg.learning_rate, epoch, cfg.max_epochs)
            order = rng.permutation(n) if cfg.shuffle else np.arange(n)
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is handled below
                train_loss = trainer.run_epoch(order, batch, lr)
            current = trainer.get_params()
            if not (math.isfinite(train_loss) and all(np.isfinite(p).all() for p in current)):
                # Diverged: back to the last good parameters with a fresh optimizer state
                # and half the learning rate, then try the epoch again.
                if halvings == MAX_HALVINGS:
                    warnings.warn(
                        f"training kept diverging after {MAX_HALVINGS} halvings of the learning "
                        "rate; keeping the last good parameters",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                    result.events.append(f"epoch {epoch + 1}: gave up after {halvings} halvings")
                    break
                halvings += 1
                lr_scale /= 2
                trainer = backend.make_trainer(net, last_good, cfg, X, y)
                result.events.append(
                    f"epoch {epoch + 1}: loss {train_loss:.3g}; restored the last good "
                    f"parameters and halved the learning rate to {lr / 2:.3g}"
                )
                continue
            last_good = current
            with np.errstate(over="ignore", invalid="ignore"):
                val_loss = trainer.evaluate(X_val, y_val) if has_val else None
            result.history["train_loss"].append(train_loss)
            result.history["lr"].append(lr)
            if val_loss is not None:
                result.history["val_loss"].append(val_loss)
            epoch += 1
            result.n_epochs = epoch
            update(epoch - 1, train_loss, val_loss)
            watched = val_loss if val_loss is not None else train_loss
            if not math.isfinite(watched):  # finite parameters, overflowing validation loss
                watched = math.inf
            if watched < best - cfg.tol:
                best, since_best = watched, 0
                result.best_epoch = epoch
                result.params = current
            else:
                since_best += 1
                if since_best >= cfg.patience and (cfg.early_stopping or not has_val):
                    result.stopped_early = epoch < cfg.max_epochs
                    result.converged = True
                    break
            if hooks is not None and epoch < cfg.max_epochs and hooks.should_stop():
                hooks.save(
                    {
                        "solver": "minibatch",
                        "epoch": epoch,
                        "best": best,
                        "since_best": since_best,
                        "lr_scale": lr_scale,
                        "halvings": halvings,
                        "best_epoch": result.best_epoch,
                        "rng": rng.bit_generator.state,
                        "history": result.history,
                        "events": result.events,
                        "params": last_good,
                        "best_params": result.params,
                        "optimizer": trainer.optimizer_state(),
                    }
                )
                raise TrainingInterrupted(epoch)
    if result.events:
        warnings.warn(
            f"training diverged {halvings} time(s) and recovered by halving the learning rate "
            f"(see history_['events'])",
            RuntimeWarning,
            stacklevel=3,
        )
    if not (cfg.early_stopping and has_val):
        result.params = last_good  # no early stopping: the last good epoch's parameters
        result.best_epoch = result.n_epochs
    return result


def _train_lbfgs(
    trainer: Trainer,
    result: TrainResult,
    cfg: TrainConfig,
    data: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None,
    progress: bool | None,
    hooks: Checkpointing | None = None,
) -> TrainResult:
    """Full-batch L-BFGS through ``scipy.optimize``; the engine computes loss and gradient.

    Each L-BFGS iteration counts as an epoch in the history. A resumed run restarts L-BFGS
    from the checkpoint's parameters (its curvature memory is not saved), so it is close to,
    not bit-identical with, an uninterrupted run.
    """
    import scipy.optimize  # only L-BFGS needs it: keeps start-up quick

    shapes = [p.shape for p in result.params]
    best = {"loss": result.history["val_loss"][0] if val else math.inf, "since": 0}

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grads = trainer.loss_and_grad(unflatten_params(flat, shapes))
        return loss, flatten_params(grads)

    with epoch_progress(cfg.max_epochs, progress) as update:

        def callback(intermediate_result: Any) -> None:
            params = unflatten_params(intermediate_result.x, shapes)
            trainer.set_params(params)
            epoch = len(result.history["train_loss"]) - 1
            train_loss = trainer.evaluate(*data)
            result.history["train_loss"].append(train_loss)
            val_loss = None
            if val is not None:
                val_loss = trainer.evaluate(*val)
                result.history["val_loss"].append(val_loss)
            update(epoch, train_loss, val_loss)
            result.n_epochs = epoch + 1
            if val_loss is None:
                return
            if val_loss < best["loss"] - cfg.tol:
                best.update(loss=val_loss, since=0)
                result.best_epoch = epoch + 1
                result.params = [p.copy() for p in params]
            else:
                best["since"] += 1
                if cfg.early_stopping and best["since"] >= cfg.patience:
                    result.stopped_early = True
                    raise StopIteration

        opt = scipy.optimize.minimize(
            objective,
            flatten_params(result.params),
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={
                "maxiter": cfg.max_epochs,
                "maxcor": 30,
                "ftol": cfg.extra.get("lbfgs_ftol", 1e-16),
                "gtol": cfg.extra.get("lbfgs_gtol", 1e-12),
                "maxls": 50,
            },
        )
    result.converged = bool(opt.success)
    if (val is None or not cfg.early_stopping) and np.isfinite(opt.x).all():
        result.params = unflatten_params(opt.x, shapes)
        result.best_epoch = result.n_epochs
    elif not np.isfinite(opt.x).all():
        result.events.append("L-BFGS ended on non-finite parameters; kept the best finite ones")
    trainer.set_params(result.params)
    return result
