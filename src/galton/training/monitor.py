"""One monitor for every training loop: history, progress, early stopping, divergence and
stop requests.

The minibatch loop, the full-batch solvers (L-BFGS, CG) and the stream loop each call
``EpochMonitor.end_epoch`` once per epoch (iteration), so they keep the same history, stop
by the same rule and checkpoint the same fields.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from galton.spec import TrainConfig

#: How often a diverging minibatch or stream run may restore and halve its learning rate.
MAX_HALVINGS = 10


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


def finite_params(params: list[np.ndarray]) -> bool:
    """Whether every parameter is finite."""
    return all(np.isfinite(p).all() for p in params)


def all_finite(loss: float, params: list[np.ndarray]) -> bool:
    """Whether a loss and every parameter are finite (else training diverged)."""
    return math.isfinite(loss) and finite_params(params)


class EpochMonitor:
    """Watches one training, epoch by epoch.

    Parameters
    ----------
    result : TrainResult
        Where the history goes; its entry 0 (the random start) is already there.
    cfg : TrainConfig
        Patience, tolerance, early stopping and the epoch budget.
    watch_training : bool
        Without validation rows, watch the training loss (minibatch solvers) or nothing
        (full-batch solvers, which stop by their own tolerances).
    hooks : Checkpointing, optional
        Stop requests and the state to resume from.
    """

    def __init__(
        self,
        result: TrainResult,
        cfg: TrainConfig,
        watch_training: bool = True,
        hooks: Checkpointing | None = None,
    ) -> None:
        self.result, self.cfg, self.hooks = result, cfg, hooks
        history = result.history
        self.has_val = bool(history["val_loss"])
        self.watching = self.has_val or watch_training
        start = history["val_loss" if self.has_val else "train_loss"]
        self.best = start[0] if self.watching and start else math.inf
        self.since_best = 0
        self.halvings = 0
        self.lr_scale = 1.0
        self.update: Callable[[int, float, float | None], None] = lambda *_: None

    @property
    def resume(self) -> dict[str, Any] | None:
        """The checkpoint state this training continues from, if any."""
        return self.hooks.resume if self.hooks is not None else None

    def restore(self, state: dict[str, Any]) -> None:
        """Go on from a checkpoint: its history, best so far and epoch count."""
        result = self.result
        result.history = {k: list(v) for k, v in state["history"].items()}
        result.events = list(state["events"])
        self.best, self.since_best = state["best"], state["since_best"]
        self.lr_scale = state.get("lr_scale", 1.0)
        self.halvings = state.get("halvings", 0)
        result.best_epoch, result.n_epochs = state["best_epoch"], state["epoch"]
        result.params = [p.copy() for p in state["best_params"]]

    def end_epoch(
        self,
        params: list[np.ndarray],
        train_loss: float,
        val_loss: float | None,
        passes: int,
        lr: float | None = None,
    ) -> bool:
        """Record an epoch that ended at ``params``; True when early stopping says stop."""
        result, history = self.result, self.result.history
        history["train_loss"].append(train_loss)
        history["passes"].append(passes)
        if lr is not None:
            history["lr"].append(lr)
        if val_loss is not None:
            history["val_loss"].append(val_loss)
        result.n_epochs += 1
        self.update(result.n_epochs - 1, train_loss, val_loss)
        if not self.watching:
            return False
        watched = val_loss if val_loss is not None else train_loss
        if not math.isfinite(watched):  # finite parameters, overflowing loss
            watched = math.inf
        if watched < self.best - self.cfg.tol:
            self.best, self.since_best = watched, 0
            result.best_epoch = result.n_epochs
            result.params = [p.copy() for p in params]
            return False
        self.since_best += 1
        if self.cfg.early_stopping and self.since_best >= self.cfg.patience:
            result.stopped_early = result.n_epochs < self.cfg.max_epochs
            result.converged = True
            return True
        return False

    def halve_after_divergence(self, loss: float, lr: float) -> bool:
        """A diverged epoch: note it and halve the learning rate for a retry from the last
        good parameters (True), or give up after ``MAX_HALVINGS`` (False, with a warning)."""
        epoch = self.result.n_epochs + 1
        if self.halvings == MAX_HALVINGS:
            warnings.warn(
                f"training kept diverging after {MAX_HALVINGS} halvings of the learning "
                "rate; keeping the last good parameters",
                RuntimeWarning,
                stacklevel=4,
            )
            self.result.events.append(f"epoch {epoch}: gave up after {self.halvings} halvings")
            return False
        self.halvings += 1
        self.lr_scale /= 2
        self.result.events.append(
            f"epoch {epoch}: loss {loss:.3g}; restored the last good "
            f"parameters and halved the learning rate to {lr / 2:.3g}"
        )
        return True

    def warn_if_recovered(self) -> None:
        """After training: say that it diverged and recovered, if it did."""
        if self.halvings and self.result.events:
            warnings.warn(
                f"training diverged {self.halvings} time(s) and recovered by halving the "
                "learning rate (see history_['events'])",
                RuntimeWarning,
                stacklevel=4,
            )

    def stop_if_requested(self, extra: Callable[[], dict[str, Any]]) -> None:
        """Ask the hooks whether to stop; if so save the loop's state (the common fields
        plus ``extra()``, the loop's own) and raise ``TrainingInterrupted``."""
        result = self.result
        if self.hooks is None or result.n_epochs >= self.cfg.max_epochs:
            return
        if not self.hooks.should_stop():
            return
        self.hooks.save(
            {
                "epoch": result.n_epochs,
                "best": self.best,
                "since_best": self.since_best,
                "best_epoch": result.best_epoch,
                "lr_scale": self.lr_scale,
                "halvings": self.halvings,
                "history": result.history,
                "events": result.events,
                "best_params": result.params,
                **extra(),
            }
        )
        raise TrainingInterrupted(result.n_epochs)
