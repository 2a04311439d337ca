"""The shared training loop: batching, schedules, early stopping and L-BFGS.

Engines only compute; everything about *how* training proceeds lives here, so every
engine trains the same way from the same initial parameters and batches.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from galton.backends.base import BaseTrainer, Engine
from galton.backends.common import flatten_params, unflatten_params
from galton.errors import ModelFileError, first_line
from galton.spec import NetworkSpec, TrainConfig
from galton.training.heap import keep_freed_memory
from galton.training.monitor import (
    Checkpointing,
    EpochMonitor,
    TrainingInterrupted,
    TrainResult,
    all_finite,
    finite_params,
)
from galton.training.progress import epoch_progress
from galton.training.schedules import learning_rate

__all__ = ["Checkpointing", "TrainResult", "TrainingInterrupted", "continued_history", "train"]

#: Rows of one step x widest layer below which BLAS and OpenMP run single-threaded.
SINGLE_THREAD_BELOW = 1_000_000


def continued_history(
    before: dict[str, Any], after: dict[str, list[float]]
) -> dict[str, list[float]]:
    """The history of a training that went on from where ``before`` ended with ``after``
    (another ``TrainResult.history``): ``after``'s entry 0 — its start, ``before``'s end —
    is dropped from the series that have one, and its passes are counted on."""
    done = before["passes"][-1] if before.get("passes") else 0
    joined: dict[str, list[float]] = {}
    for key, more in after.items():
        if key == "lr":  # one entry per epoch, none for the start
            joined[key] = list(before.get(key, [])) + list(more)
        elif key == "passes":
            joined[key] = list(before.get(key, [])) + [done + p for p in more[1:]]
        else:
            joined[key] = list(before.get(key, [])) + list(more[1:])
    return joined


def step_threads(net: NetworkSpec, rows_per_step: int) -> AbstractContextManager[Any]:
    """One thread for BLAS and OpenMP (PyTorch's pool) when a step's work is small: between
    the many short calls of a fit, threads fall asleep and waking them costs more than they
    save (measured: yacht's MLP fit 6x and age-income's 2x faster on one thread; PyTorch's
    batch-64 epoch 1.8x NumPy's with two threads, 1.5x with one)."""
    small = rows_per_step * max(net.layer_sizes) < SINGLE_THREAD_BELOW
    return threadpool_limits(limits=1) if small else nullcontext()


def train(
    engine: Engine,
    net: NetworkSpec,
    params: list[np.ndarray],
    cfg: TrainConfig,
    X: Any,
    y: Any,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    progress: bool | None = None,
    checkpointing: Checkpointing | None = None,
) -> TrainResult:
    """Train ``params`` on standardised ``X`` (n, d), ``y`` (n,) with ``engine``.

    With validation data and early stopping, training stops after ``cfg.patience`` epochs
    without a better validation loss; minibatch solvers then restore the best epoch's
    parameters, L-BFGS and CG keep their last. Without validation data, minibatch solvers
    watch the training loss the same way.
    """
    keep_freed_memory()  # steps reuse their arrays' pages instead of remapping them
    full_batch = cfg.optimizer in ("lbfgs", "cg")
    with step_threads(net, X.shape[0] if full_batch else min(cfg.batch_size, X.shape[0])):
        state = checkpointing.resume if checkpointing is not None else None
        trainer = engine.make_trainer(net, params if state is None else state["params"], cfg, X, y)
        val = (X_val, y_val) if X_val is not None and y_val is not None and len(y_val) else None
        monitor = EpochMonitor(_started(trainer, X, y, val), cfg, not full_batch, checkpointing)
        if state is not None:
            monitor.restore(state)
        with epoch_progress(cfg.max_epochs, progress) as update:
            monitor.update = update
            if cfg.optimizer == "lbfgs":
                return _train_lbfgs(_FullBatch(trainer, monitor, val))
            if cfg.optimizer == "cg":
                return _train_cg(_FullBatch(trainer, monitor, val))
            return _train_minibatch(engine, trainer, monitor, X, y, val)


def _started(
    trainer: BaseTrainer, X: Any, y: Any, val: tuple[np.ndarray, np.ndarray] | None
) -> TrainResult:
    """A result whose history entry 0 is the random initialisation, so the fall is visible
    ("passes" counts the optimiser's passes over the training rows up to each entry)."""
    result = TrainResult(params=trainer.get_params())
    result.history["train_loss"].append(trainer.evaluate(X, y))
    result.history["passes"].append(0)
    if val is not None:
        result.history["val_loss"].append(trainer.evaluate(*val))
    return result


def _train_minibatch(
    engine: Engine,
    trainer: BaseTrainer,
    monitor: EpochMonitor,
    X: Any,
    y: Any,
    val: tuple[np.ndarray, np.ndarray] | None,
) -> TrainResult:
    """Epochs of minibatch steps; a diverged epoch is retried from the last good parameters
    with a fresh optimizer and half the learning rate."""
    cfg, result = monitor.cfg, monitor.result
    rng = np.random.default_rng(cfg.seed)
    n = X.shape[0]
    batch = max(1, min(cfg.batch_size, n))
    last_good = result.params
    if monitor.resume is not None:  # continue exactly where the checkpoint left off
        _restore(rng, trainer, monitor.resume)
        last_good = monitor.resume["params"]
    while result.n_epochs < cfg.max_epochs:
        epoch = result.n_epochs
        lr = monitor.lr_scale * learning_rate(
            cfg.schedule, cfg.learning_rate, epoch, cfg.max_epochs
        )
        order = rng.permutation(n) if cfg.shuffle else np.arange(n)
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is handled below
            train_loss = trainer.run_epoch(order, batch, lr)
        current = trainer.get_params()
        if not all_finite(train_loss, current):
            if not monitor.halve_after_divergence(train_loss, lr):
                break
            trainer = engine.make_trainer(trainer.net, last_good, cfg, X, y)
            continue
        last_good = current
        with np.errstate(over="ignore", invalid="ignore"):
            val_loss = trainer.evaluate(*val) if val is not None else None
        if monitor.end_epoch(current, train_loss, val_loss, epoch + 1, lr):
            break
        monitor.stop_if_requested(
            lambda good=last_good, now=trainer: {  # type: ignore[misc]
                "solver": "minibatch",
                "rng": rng.bit_generator.state,
                "params": good,
                "optimizer": now.optimizer_state(),
            }
        )
    monitor.warn_if_recovered()
    if not (cfg.early_stopping and val is not None):
        result.params = last_good  # no early stopping: the last good epoch's parameters
        result.best_epoch = result.n_epochs
    return result


def _restore(rng: np.random.Generator, trainer: BaseTrainer, state: dict[str, Any]) -> None:
    """The random generator's and optimizer's state from a checkpoint, or one line."""
    try:
        rng.bit_generator.state = state["rng"]
        trainer.load_optimizer_state(state["optimizer"])
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        raise ModelFileError(
            f"the checkpoint's optimizer state does not fit this training ({first_line(exc)})"
        ) from None


def _train_lbfgs(monitor: _FullBatch) -> TrainResult:
    """Full-batch L-BFGS through ``scipy.optimize``; the engine computes loss and gradient.

    Each L-BFGS iteration counts as an epoch in the history. A resumed run restarts L-BFGS
    from the checkpoint's parameters (its curvature memory is not saved), so it is close to,
    not bit-identical with, an uninterrupted run.
    """
    import scipy.optimize  # only L-BFGS needs it: keeps start-up quick

    cfg, result, shapes = monitor.cfg, monitor.result, monitor.shapes

    def callback(intermediate_result: Any) -> None:
        params = unflatten_params(intermediate_result.x, shapes)
        if monitor.record(params, float(intermediate_result.fun)):
            raise StopIteration

    opt = scipy.optimize.minimize(
        monitor.loss_and_grad,
        flatten_params(monitor.start),
        jac=True,
        method="L-BFGS-B",
        callback=callback,
        options={
            "maxiter": monitor.iterations_left,
            "maxcor": 30,
            "ftol": cfg.extra.get("lbfgs_ftol", 1e-16),
            "gtol": cfg.extra.get("lbfgs_gtol", 1e-12),
            "maxls": 50,
        },
    )
    result.converged = bool(opt.success)
    return monitor.finish(unflatten_params(opt.x, shapes))


def _train_cg(monitor: _FullBatch) -> TrainResult:
    """Conjugate gradient descent for a quadratic loss (the linear neuron with MSE).

    Starting from the random initialisation, each iteration takes two passes over the
    data: the gradient at the current point, and the gradient at a probe point along the
    search direction ``d``, whose difference is the curvature ``H d`` (exact for a quadratic
    loss). That gives the exact step length along ``d``; Polak-Ribiere directions make the
    steps conjugate, so in exact arithmetic the minimum is reached in (parameters + 1)
    iterations. Stops when the gradient norm falls below ``cg_gtol`` (default 1e-10)
    times its starting value, or the loss stops falling.
    """
    cfg, result, shapes = monitor.cfg, monitor.result, monitor.shapes
    gradient = monitor.loss_and_grad
    gtol = cfg.extra.get("cg_gtol", 1e-10)
    w = flatten_params(monitor.start)
    loss, g = gradient(w)
    start_norm = float(np.linalg.norm(g))
    direction = -g
    for _ in range(monitor.iterations_left):
        if not start_norm or np.linalg.norm(g) <= gtol * start_norm:
            result.converged = True
            break
        # probe one parameter-vector length along d: large enough that rounding in the
        # gradient difference is small, exact for a quadratic whatever the length
        probe = (np.linalg.norm(w) + 1.0) / np.linalg.norm(direction)
        curvature = (gradient(w + probe * direction)[1] - g) / probe
        bend = float(direction @ curvature)
        if not bend > 0:  # not a convex quadratic along d (or rounding): stop here
            break
        w = w + (-float(g @ direction) / bend) * direction
        new_loss, new_g = gradient(w)
        stop = monitor.record(unflatten_params(w, shapes), new_loss)
        beta = max(float(new_g @ (new_g - g)) / float(g @ g), 0.0)
        direction = -new_g + beta * direction
        stalled = not new_loss < loss
        loss, g = new_loss, new_g
        if stop or stalled:
            result.converged = stalled
            break
    return monitor.finish(unflatten_params(w, shapes))


class _FullBatch:
    """What L-BFGS and CG need around the monitor: a counted objective on flat vectors, the
    start, and a record of each iteration (one history entry, with the loss the solver
    computed anyway)."""

    def __init__(
        self,
        trainer: BaseTrainer,
        monitor: EpochMonitor,
        val: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        self.trainer, self.monitor, self.val = trainer, monitor, val
        self.cfg, self.result = monitor.cfg, monitor.result
        self.shapes = [p.shape for p in self.result.params]
        state = monitor.resume
        # go on from the checkpoint's iteration (its parameters; L-BFGS memory is not kept)
        self.passes = int(self.result.history["passes"][-1]) if state is not None else 0
        self.start = (
            [p.copy() for p in state["params"]] if state is not None else self.result.params
        )

    @property
    def iterations_left(self) -> int:
        """Iterations still allowed: all of them, or what a resumed run has not used."""
        return max(1, self.cfg.max_epochs - self.result.n_epochs)

    def loss_and_grad(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and flat gradient at the flat parameters ``flat``: one counted pass."""
        self.passes += 1
        loss, grads = self.trainer.loss_and_grad(unflatten_params(flat, self.shapes))
        return loss, flatten_params(grads)

    def record(self, params: list[np.ndarray], train_loss: float) -> bool:
        """Log an iteration ending at ``params``; True when early stopping says stop."""
        val_loss = None
        if self.val is not None:
            self.trainer.set_params(params)
            val_loss = self.trainer.evaluate(*self.val)
        stop = self.monitor.end_epoch(params, train_loss, val_loss, self.passes)
        if not stop:
            self.monitor.stop_if_requested(
                lambda: {"solver": self.cfg.optimizer, "params": [p.copy() for p in params]}
            )
        return stop

    def finish(self, final: list[np.ndarray]) -> TrainResult:
        """Keep the final parameters when they are finite, else the best finite ones."""
        result = self.result
        finite = finite_params(final)
        # L-BFGS and CG keep their last iterate even when early stopping ended them: on the
        # few validation rows of small data the best-scoring iterate is partly chosen by
        # their noise, and the weight-decay search would then prefer a network that
        # happened to suit them to the line (measured on pure noise: +10% RMSE, against
        # +0.1% keeping the last); minibatch solvers restore the best epoch
        if finite:
            result.params = final
            result.best_epoch = result.n_epochs
        else:
            result.events.append(
                f"{self.cfg.optimizer} ended on non-finite parameters; kept the best finite ones"
            )
        self.trainer.set_params(result.params)
        return result
