"""Fitting a network on data read in chunks, never whole (``NeuralRegressor.fit_stream``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.backends.common import init_params
from galton.data.dialect import ReadOptions
from galton.data.loading import describe_source
from galton.data.standardise import RunningMoments, Scaling
from galton.errors import DataError, ParameterError
from galton.estimators.fitting.finish import HeldOut, finish, trained_network
from galton.estimators.fitting.recipe import network_for, resolve_config
from galton.estimators.params import check
from galton.estimators.results import NetworkResults
from galton.metrics import metrics_from_sums
from galton.training.replay import Reservoir
from galton.training.stream_loop import shuffled_blocks, train_stream

#: Held-out rows a streamed network keeps in memory (early stopping, calibration).
STREAM_VALIDATION_ROWS = 20_000

Pass = Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]


class _Source:
    """Passes over a source: the inputs, target and held-out mask of every chunk (the same
    rows are held out in every pass: a ``validation_fraction`` share of each chunk, at most
    ``STREAM_VALIDATION_ROWS`` in all)."""

    def __init__(
        self,
        est: Any,
        source: Any,
        target: str,
        chunk_rows: int,
        features: Any,
        options: ReadOptions | None,
    ):
        self.est, self.source, self.target = est, source, target
        self.chunk_rows, self.features, self.options = chunk_rows, features, options
        self.schema = est._new_schema()  # every pass reads (and checks) the same columns

    def chunks(self) -> Pass:
        est, held_so_far = self.est, 0
        rows = self.schema.stream_rows(
            self.source, self.target, None, self.chunk_rows, self.features, self.options
        )
        for k, (X, y, _) in enumerate(rows):
            held = np.random.default_rng([est.seed, k]).random(len(y)) < est.validation_fraction
            held &= np.cumsum(held) <= STREAM_VALIDATION_ROWS - held_so_far
            held_so_far += int(held.sum())
            yield X, y, held

    def first_pass(self) -> tuple[RunningMoments, RunningMoments, np.ndarray, np.ndarray]:
        """Moments of all rows (the standardisation) and the held-out rows."""
        x_moments = y_moments = None
        val_X, val_y = [], []
        for X, y, held in self.chunks():
            part_x, part_y = RunningMoments.of(X), RunningMoments.of(y[:, None])
            x_moments = part_x if x_moments is None else x_moments + part_x
            y_moments = part_y if y_moments is None else y_moments + part_y
            val_X.append(X[held])
            val_y.append(y[held])
        assert x_moments is not None and y_moments is not None
        return x_moments, y_moments, np.vstack(val_X), np.concatenate(val_y)


def _last_pass(
    data: _Source, results: NetworkResults, replay: Reservoir
) -> tuple[float, float, int]:
    """Sums of squared and absolute errors over the training rows, their count, and the
    replay sample offered every training row."""
    sse = sae = 0.0
    n_train = 0
    rng = np.random.default_rng([data.est.seed, 0])
    scaling = results.scaling
    for X, y, held in data.chunks():
        Xs, ys = scaling.inputs(X[~held]), scaling.target(y[~held])
        err = y[~held] - results.distribution(Xs)[0]
        sse += float(err @ err)
        sae += float(np.abs(err).sum())
        n_train += len(err)
        replay.offer(Xs, ys, rng)
    return sse, sae, n_train


def fit_streamed(
    est: Any,
    source: Any,
    target: str,
    chunk_rows: int,
    buffer_rows: int,
    features: Any,
    options: ReadOptions | None = None,
) -> None:
    """A first pass learns the standardisation and keeps held-out rows; every epoch reads
    the source again through a shuffle buffer; a last pass measures the training rows."""
    if est.ensemble != 1:
        raise ParameterError("a streamed fit trains one network (ensemble=1)")
    ok = isinstance(buffer_rows, int) and buffer_rows >= 2
    check("fit_stream", "buffer_rows", buffer_rows, ok, "an int >= 2")
    start = time.perf_counter()
    data = _Source(est, source, target, chunk_rows, features, options)
    x_moments, y_moments, X_val, y_val = data.first_pass()
    n = x_moments.n
    if len(y_val) < 2 or n - len(y_val) < 2:
        raise DataError(f"{describe_source(source)}: {n} rows are too few to hold rows out")
    scaling = Scaling.of_moments(x_moments, y_moments, est.standardize)
    cfg = resolve_config(est, n, stream=True)
    net = network_for(est, X_val.shape[1], cfg)
    engine = engine_registry.get_backend(str(est.backend))

    def blocks(epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rows = (
            (scaling.inputs(X[~held]), scaling.target(y[~held])) for X, y, held in data.chunks()
        )
        return shuffled_blocks(rows, buffer_rows, np.random.default_rng([cfg.seed, epoch]))

    Xs_val = scaling.inputs(X_val)
    initial = init_params(net, np.random.default_rng(est.seed))
    trained = train_stream(
        engine, net, initial, cfg, blocks, Xs_val, scaling.target(y_val), est.progress
    )
    results = trained_network([trained], engine.name, net, cfg, scaling)
    replay = Reservoir.empty(X_val.shape[1], est.replay_rows)
    sse, sae, n_train = _last_pass(data, results, replay)
    # the variance of all rows: close to the training rows' own
    metrics = metrics_from_sums(sse, sae, n_train, float(y_moments.m2[0]) / n)
    pred, spread = results.distribution(Xs_val)
    finish(est, results, metrics, HeldOut(y_val, pred, spread), replay, n, start)
