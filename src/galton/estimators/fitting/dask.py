"""Fitting a network data-parallel on a Dask cluster (``engine="dask"``)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from galton.backends.common import init_params
from galton.data.loading import describe_source
from galton.errors import DataError, ParameterError
from galton.estimators.fitting.finish import HeldOut, finish, start_replay, trained_network
from galton.estimators.fitting.recipe import WEIGHT_DECAYS, network_for, resolve_config
from galton.estimators.fitting.stream import STREAM_VALIDATION_ROWS
from galton.metrics import metrics_from_sums
from galton.training import train


def _require_supported(est: Any) -> None:
    one_numpy_network = est.ensemble == 1 and est.dtype == "float64"
    if not (one_numpy_network and est.backend == "numpy" and est.standardize):
        raise ParameterError(
            f"{type(est).__name__} with engine='dask' trains one float64 network with the "
            "NumPy engine's maths on standardised data (ensemble=1, dtype='float64', "
            "backend='numpy', standardize=True)"
        )


def fit_on_dask(est: Any, source: Any, target: Any) -> None:
    """Partitions are standardised and kept on the workers; every step sums their
    gradients (``galton.backends.dask_engine``); held-out rows come to the client."""
    from galton import distributed
    from galton.backends import dask_engine

    _require_supported(est)
    start = time.perf_counter()
    with distributed.dask_client(est.scheduler) as client:
        frame = distributed.dask_frame(source)
        head = distributed.first_partition(frame)
        plan = est._new_schema().partition_plan(head, target, None)
        rows, how, X_val, y_val, rows_read = distributed.prepare_rows(
            client, frame, plan, est.seed, est.validation_fraction, STREAM_VALIDATION_ROWS
        )
        est.distributed_ = distributed.fit_record(
            client, source, frame, rows_read, len(rows) + len(y_val)
        )
        if len(y_val) < 2 or len(rows) < 2:
            raise DataError(f"{describe_source(source)}: too few rows to hold rows out")
        n_train = len(rows)
        cfg = resolve_config(est, n_train + len(y_val))
        if est.weight_decay == "auto" and cfg.optimizer == "lbfgs" and est.hidden:
            cfg = replace(cfg, weight_decay=WEIGHT_DECAYS[1])  # no search: one network
        net = network_for(est, len(how.scaling.x_mean), cfg)
        initial = init_params(net, np.random.default_rng(est.seed))
        watch = cfg.early_stopping
        trained = train(
            dask_engine.ENGINE,
            net,
            initial,
            cfg,
            rows,
            None,
            X_val if watch else None,
            y_val if watch else None,
            est.progress,
        )
        sse, sae = distributed.training_errors(rows, trained.params, net, cfg.dtype)
    scaling = how.scaling
    results = trained_network([trained], "numpy", net, cfg, scaling)
    # standardised sums: the target's variance over all rows is 1
    metrics = metrics_from_sums(sse, sae, n_train, 1.0, scale=scaling.y_scale)
    pred, spread = results.distribution(X_val)
    held = HeldOut(scaling.to_target_units(y_val), pred, spread)
    replay = start_replay(est, X_val, y_val)
    finish(est, results, metrics, held, replay, n_train + len(y_val), start)
