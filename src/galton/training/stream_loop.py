"""Training from a stream: epochs over data read in chunks, never whole.

Rows pass through a shuffle buffer (``shuffled_blocks``): chunks fill it, and a random
half leaves as a block each time it is full, so a block mixes rows from many chunks.
Each block is one pass of the engine's own minibatch epoch (``run_epoch``), with the
parameters and the optimizer's state carried from block to block — the same steps as
in-memory training, on a stream's order. Early stopping watches held-out rows kept in
memory. Any engine works: blocks reach it through ``make_trainer`` like in-memory data, and
one ``EpochMonitor`` keeps the history and stops it, as for the other loops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from galton.backends.base import BaseTrainer, Engine
from galton.errors import GaltonError
from galton.spec import NetworkSpec, TrainConfig
from galton.training.monitor import EpochMonitor, TrainResult, all_finite
from galton.training.progress import epoch_progress
from galton.training.schedules import learning_rate


def shuffled_blocks(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]], buffer_rows: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of rows in random order from ``chunks`` of (X (m, d), y (m,)).

    At most ``buffer_rows`` plus one chunk are held at a time. Whenever the buffer is
    full, a random half of it leaves as a block; the rest waits to mix with the next
    chunks. At the end what remains leaves, shuffled.
    """
    held_X: list[np.ndarray] = []
    held_y: list[np.ndarray] = []
    size = 0
    for X, y in chunks:
        held_X.append(X)
        held_y.append(y)
        size += len(y)
        if size >= buffer_rows:
            X_all, y_all = np.vstack(held_X), np.concatenate(held_y)
            order = rng.permutation(size)
            stay = order[: buffer_rows // 2]
            leave = order[buffer_rows // 2 :]
            yield X_all[leave], y_all[leave]
            held_X, held_y, size = [X_all[stay]], [y_all[stay]], len(stay)
    if size:
        X_all, y_all = np.vstack(held_X), np.concatenate(held_y)
        order = rng.permutation(size)
        yield X_all[order], y_all[order]


def train_stream(
    engine: Engine,
    net: NetworkSpec,
    params: list[np.ndarray],
    cfg: TrainConfig,
    blocks: Callable[[int], Iterator[tuple[np.ndarray, np.ndarray]]],
    X_val: np.ndarray,
    y_val: np.ndarray,
    progress: bool | None = None,
) -> TrainResult:
    """Train ``params`` on the standardised rows ``blocks(epoch)`` yields, every epoch.

    ``X_val`` (m, d) and ``y_val`` (m,) are held-out rows: the parameters with the lowest
    validation loss are returned, and with ``cfg.early_stopping`` training stops after
    ``cfg.patience`` epochs without improvement. History entry 0 is the random start:
    its training loss is measured on the first block. A diverged epoch is retried from
    the last good parameters with a fresh optimizer and half the learning rate, as in
    memory (``EpochMonitor``).
    """
    rng = np.random.default_rng(cfg.seed)
    result = TrainResult(params=[p.copy() for p in params])
    monitor = EpochMonitor(result, cfg)
    state: dict[str, np.ndarray] | None = None
    current = last_good = result.params
    with epoch_progress(cfg.max_epochs, progress) as monitor.update:
        while result.n_epochs < cfg.max_epochs:
            epoch = result.n_epochs
            lr = monitor.lr_scale * learning_rate(
                cfg.schedule, cfg.learning_rate, epoch, cfg.max_epochs
            )
            total, rows, trainer = 0.0, 0, None
            for X, y in blocks(epoch):
                trainer = engine.make_trainer(net, current, cfg, X, y)
                if state is not None:
                    trainer.load_optimizer_state(state)
                if not result.history["train_loss"]:  # the random start, on the first block
                    _record_start(monitor, trainer, X, y, X_val, y_val)
                with np.errstate(over="ignore", invalid="ignore"):
                    total += trainer.run_epoch(rng.permutation(len(y)), cfg.batch_size, lr) * len(y)
                rows += len(y)
                current, state = trainer.get_params(), trainer.optimizer_state()
            if trainer is None:
                raise GaltonError("the stream yielded no training rows")
            train_loss = total / rows
            if not all_finite(train_loss, current):
                if not monitor.halve_after_divergence(train_loss, lr):
                    break
                current, state = last_good, None
                continue
            last_good = current
            val_loss = trainer.evaluate(X_val, y_val)
            if monitor.end_epoch(current, train_loss, val_loss, epoch + 1, lr):
                break
    monitor.warn_if_recovered()
    return result


def _record_start(
    monitor: EpochMonitor,
    trainer: BaseTrainer,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
) -> None:
    """History entry 0 (the random start) and the validation loss to beat."""
    history = monitor.result.history
    history["train_loss"].append(trainer.evaluate(X, y))
    history["val_loss"].append(trainer.evaluate(X_val, y_val))
    history["passes"].append(0)
    monitor.has_val = monitor.watching = True
    monitor.best = history["val_loss"][0]
