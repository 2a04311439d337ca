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
from galton.errors import ModelFileError, first_line
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
        default_factory=lambda: {"train_loss": [], "val_loss": [], "lr": [], "passes": []}
    )
    events: list[str] = field(default_factory=list)
    best_epoch: int = 0
    n_epochs: int = 0
    stopped_early: bool = False
    converged: bool = False


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
    # "passes" counts the optimiser's passes over the training rows up to each entry.
    result.history["train_loss"].append(trainer.evaluate(X, y))
    result.history["passes"].append(0)
    if has_val:
        result.history["val_loss"].append(trainer.evaluate(X_val, y_val))
    if state is not None:
        result.history = {k: list(v) for k, v in state["history"].items()}
        result.events = list(state["events"])
    if cfg.optimizer in ("lbfgs", "cg"):
        val = (X_val, y_val) if has_val else None
        full_batch = _train_lbfgs if cfg.optimizer == "lbfgs" else _train_cg
        return full_batch(_FullBatchMonitor(trainer, result, cfg, val, hooks), progress)

    rng = np.random.default_rng(cfg.seed)
    n = X.shape[0]
    batch = max(1, min(cfg.batch_size, n))
    best = (result.history["val_loss"] if has_val else result.history["train_loss"])[0]
    since_best, lr_scale, halvings, epoch = 0, 1.0, 0, 0
    last_good = result.params
    if state is not None:  # continue exactly where the checkpoint left off
        _restore(rng, trainer, state)
        best, since_best = state["best"], state["since_best"]
        lr_scale, halvings, epoch = state["lr_scale"], state["halvings"], state["epoch"]
        result.best_epoch, result.n_epochs = state["best_epoch"], state["epoch"]
        result.params, last_good = state["best_params"], state["params"]
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
            result.history["passes"].append(epoch + 1)
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
                if since_best >= cfg.patience and cfg.early_stopping:
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


def _restore(rng: np.random.Generator, trainer: Trainer, state: dict[str, Any]) -> None:
    """The random generator's and optimizer's state from a checkpoint, or one line."""
    try:
        rng.bit_generator.state = state["rng"]
        trainer.load_optimizer_state(state["optimizer"])
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        raise ModelFileError(
            f"the checkpoint's optimizer state does not fit this training ({first_line(exc)})"
        ) from None


def _train_lbfgs(monitor: _FullBatchMonitor, progress: bool | None) -> TrainResult:
    """Full-batch L-BFGS through ``scipy.optimize``; the engine computes loss and gradient.

    Each L-BFGS iteration counts as an epoch in the history. A resumed run restarts L-BFGS
    from the checkpoint's parameters (its curvature memory is not saved), so it is close to,
    not bit-identical with, an uninterrupted run.
    """
    import scipy.optimize  # only L-BFGS needs it: keeps start-up quick

    cfg, result, shapes = monitor.cfg, monitor.result, monitor.shapes
    with epoch_progress(cfg.max_epochs, progress) as update:
        monitor.update = update

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


def _train_cg(monitor: _FullBatchMonitor, progress: bool | None) -> TrainResult:
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
    with epoch_progress(cfg.max_epochs, progress) as update:
        monitor.update = update
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


class _FullBatchMonitor:
    """History, progress and early stopping for the full-batch solvers (L-BFGS and CG):
    one history entry per iteration, with the loss the solver computed anyway."""

    def __init__(
        self,
        trainer: Trainer,
        result: TrainResult,
        cfg: TrainConfig,
        val: tuple[np.ndarray, np.ndarray] | None,
        hooks: Checkpointing | None = None,
    ) -> None:
        self.trainer, self.result, self.cfg, self.val = trainer, result, cfg, val
        self.hooks = hooks
        self.best = result.history["val_loss"][0] if val else math.inf
        self.since_best = 0
        self.shapes = [p.shape for p in result.params]
        self.passes = 0
        self.update: Callable[[int, float, float | None], None] = lambda *_: None
        state = hooks.resume if hooks is not None else None
        if state is not None:  # go on from the checkpoint's iteration and best so far
            self.best, self.since_best = state["best"], state["since_best"]
            self.passes = int(result.history["passes"][-1])
            result.best_epoch = state["best_epoch"]
            result.n_epochs = state["epoch"]
            result.params = [p.copy() for p in state["best_params"]]
            self.start = [p.copy() for p in state["params"]]
        else:
            self.start = result.params

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
        result, history = self.result, self.result.history
        epoch = len(history["train_loss"]) - 1
        history["train_loss"].append(train_loss)
        history["passes"].append(self.passes)
        val_loss = None
        if self.val is not None:
            self.trainer.set_params(params)
            val_loss = self.trainer.evaluate(*self.val)
            history["val_loss"].append(val_loss)
        self.update(epoch, train_loss, val_loss)
        result.n_epochs = epoch + 1
        stop = self._watch(params, val_loss)
        if self.hooks is not None and not stop and self.hooks.should_stop():
            self._interrupt(params)
        return stop

    def _watch(self, params: list[np.ndarray], val_loss: float | None) -> bool:
        """Early stopping on the validation loss; True when it says stop."""
        result = self.result
        if val_loss is None:
            return False
        if val_loss < self.best - self.cfg.tol:
            self.best, self.since_best = val_loss, 0
            result.best_epoch = result.n_epochs
            result.params = [p.copy() for p in params]
            return False
        self.since_best += 1
        if self.cfg.early_stopping and self.since_best >= self.cfg.patience:
            result.stopped_early = True
            return True
        return False

    def _interrupt(self, params: list[np.ndarray]) -> None:
        """Save the solver's state at ``params`` and stop (a stop was requested)."""
        assert self.hooks is not None
        result = self.result
        self.hooks.save(
            {
                "solver": self.cfg.optimizer,
                "epoch": result.n_epochs,
                "best": self.best,
                "since_best": self.since_best,
                "best_epoch": result.best_epoch,
                "history": result.history,
                "events": result.events,
                "params": [p.copy() for p in params],
                "best_params": result.params,
            }
        )
        raise TrainingInterrupted(result.n_epochs)

    def finish(self, final: list[np.ndarray]) -> TrainResult:
        """Keep the final parameters unless early stopping chose the best validated ones."""
        result = self.result
        finite = all(np.isfinite(p).all() for p in final)
        if (self.val is None or not self.cfg.early_stopping) and finite:
            result.params = final
            result.best_epoch = result.n_epochs
        elif not finite:
            result.events.append(
                f"{self.cfg.optimizer} ended on non-finite parameters; kept the best finite ones"
            )
        self.trainer.set_params(result.params)
        return result
