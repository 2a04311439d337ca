"""The end every network fit shares: checked members, metrics, calibration, replay."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from galton.calibration import Calibration
from galton.data.standardise import Scaling
from galton.errors import GaltonError
from galton.estimators.results import NetworkResults
from galton.metrics import regression_metrics
from galton.spec import NetworkSpec, TrainConfig
from galton.training.monitor import TrainResult, finite_params
from galton.training.replay import Reservoir


@dataclass
class HeldOut:
    """Rows that calibrate the intervals: targets (m,), predicted means (m,) and spreads
    (m,) in the target's units; ``source`` is ``validation`` (held out from training, also
    reported as ``val_`` metrics), ``cross-validation`` (every row, predicted out of fold;
    also the ``val_`` metrics) or ``training`` (nothing was held out; the model that
    fitted them had ``n_params`` effective parameters). ``calibration_pred`` (m,), when
    given, replaces ``pred`` in the calibration only: the predictions of models chosen
    without each row."""

    y: np.ndarray
    pred: np.ndarray
    spread: np.ndarray
    source: str = "validation"
    n_params: int = 0
    calibration_pred: np.ndarray | None = None


def trained_network(
    trained: list[TrainResult],
    backend: str,
    net: NetworkSpec,
    cfg: TrainConfig,
    scaling: Scaling,
    search: dict[float, float] | None = None,
) -> NetworkResults:
    """The members' training as a ``NetworkResults``; never one with non-finite parameters."""
    for result in trained:
        if not finite_params(result.params):
            raise GaltonError("training produced non-finite parameters; lower the learning rate")
    results = NetworkResults.of_training(trained, backend, net, cfg, scaling)
    results.weight_decay_search = dict(search or {})
    return results


def start_replay(est: Any, Xs: np.ndarray, ys: np.ndarray) -> Reservoir:
    """The replay sample (``replay_rows``) drawn from standardised rows ``Xs`` (n, d)."""
    replay = Reservoir.empty(Xs.shape[1], est.replay_rows)
    replay.offer(Xs, ys, np.random.default_rng([est.seed, 0]))
    return replay


def finish(
    est: Any,
    results: NetworkResults,
    train_metrics: dict[str, float],
    held_out: HeldOut,
    replay: Reservoir,
    n_samples: int,
    start: float,
) -> None:
    """Complete ``results`` and make it ``est.results_``: training metrics (from the path's
    own rows or sums), ``val_`` metrics and the interval calibration from ``held_out``, the
    replay sample, the row count and the time since ``start``."""
    metrics = dict(train_metrics)
    if held_out.source in ("validation", "cross-validation"):
        val = regression_metrics(held_out.y, held_out.pred)
        metrics.update({f"val_{k}": v for k, v in val.items()})
    results.metrics = metrics
    calibrated = held_out.pred if held_out.calibration_pred is None else held_out.calibration_pred
    results.calibration = Calibration.from_rows(
        held_out.y, calibrated, held_out.spread, held_out.source, held_out.n_params
    )
    results.replay = replay
    results.updates = []
    results.n_samples = int(n_samples)
    results.fit_seconds = time.perf_counter() - start
    est.results_ = results
