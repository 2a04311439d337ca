"""Timing one engine's training epochs, shared by the child processes of
``bench/engines.py`` and ``bench/gpu.py`` (they put this folder on ``sys.path``)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from galton.backends.common import init_params
from galton.spec import NetworkSpec, TrainConfig
from galton.training.loop import step_threads


def timed_epochs(
    backend: Any, net: NetworkSpec, X: Any, y: Any, cfg: TrainConfig, batch: int, epochs: int
) -> tuple[float, float]:
    """Seconds of the first epoch (the trainer's set-up and any compilation included) and
    the median of ``epochs`` more, from the parameters seeded 0 and one fixed row order,
    on the threads the training loop gives such a step."""
    with step_threads(net, batch):
        params = init_params(net, np.random.default_rng(0))
        start = time.perf_counter()
        trainer = backend.make_trainer(net, params, cfg, X, y)
        order = np.random.default_rng(1).permutation(len(y))
        trainer.run_epoch(order, batch, cfg.learning_rate)
        first = time.perf_counter() - start
        times = []
        for _ in range(epochs):
            start = time.perf_counter()
            trainer.run_epoch(order, batch, cfg.learning_rate)
            times.append(time.perf_counter() - start)
    return first, statistics.median(times)
