"""Updating a fitted network on new rows (``NeuralRegressor.partial_fit``, ``galton update``)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.estimators.params import check
from galton.spec import TrainConfig
from galton.training import train
from galton.training.loop import continued_history

#: Passes over the new (and replayed) rows in a network's ``partial_fit`` by default.
UPDATE_EPOCHS = 10


def _update_config(
    cfg: TrainConfig, number: int, epochs: int | None, learning_rate: float | None
) -> TrainConfig:
    """The fit's config for update ``number``: Adam-family solvers keep theirs (others
    switch to Adam), a constant rate, no early stopping, a seed of its own."""
    adam_family = cfg.optimizer in ("adam", "adamw", "sgd")
    return replace(
        cfg,
        optimizer=cfg.optimizer if adam_family else "adam",
        learning_rate=float(learning_rate or (cfg.learning_rate if adam_family else 1e-3)),
        schedule="constant",
        max_epochs=int(epochs or UPDATE_EPOCHS),
        early_stopping=False,
        seed=int(cfg.seed + 1000 * number),
    )


def update_network(
    est: Any,
    X: Any,
    y: Any,
    epochs: int | None,
    learning_rate: float | None,
    sample_weight: Any = None,
) -> None:
    """Every member trains on from its parameters over the new rows (weighted by
    ``sample_weight``, scaled to mean 1) plus the replay sample (weight 1); the
    standardisation and calibration of the first fit are kept, the update recorded."""
    start = time.perf_counter()
    ok = epochs is None or (isinstance(epochs, int) and epochs > 0)
    check("partial_fit", "epochs", epochs, ok, "None or a positive int")
    results = est.results_
    X_new, y_new, w_new = est.schema_.new_rows(X, y, sample_weight)
    Xs, ys = results.scaling.inputs(X_new), results.scaling.target(y_new)
    number = len(results.updates) + 1
    replay = results.replay
    replayed = len(replay.y)
    X_all = np.vstack([Xs, replay.X]) if replayed else Xs
    y_all = np.concatenate([ys, replay.y]) if replayed else ys
    if w_new is not None:
        weights = np.concatenate([w_new / np.mean(w_new), np.ones(replayed)])
        y_all = np.column_stack([y_all, weights])
    cfg = _update_config(results.train_config, number, epochs, learning_rate)
    engine = engine_registry.get_backend(results.backend)
    trained = [
        train(
            engine,
            results.net,
            params,
            replace(cfg, seed=cfg.seed + m),
            X_all,
            y_all,
            progress=est.progress,
        )
        for m, params in enumerate(results.members)
    ]
    results.members = [result.params for result in trained]
    first = trained[0].history
    before, after = first["train_loss"][0], min(first["train_loss"])
    results.history.update(continued_history(results.history, first))
    record = {
        "rows": int(len(ys)),
        "replayed": int(replayed),
        "epochs": int(trained[0].n_epochs),
        "loss_before": float(before),
        "loss_after": float(after),
    }
    results.history["events"] = [
        *results.history.get("events", []),
        f"update {number}: {len(ys)} new rows + {replayed} replayed, {record['epochs']} "
        f"epochs of {cfg.optimizer}; training loss {before:.4g} -> {after:.4g}",
    ]
    results.updates.append(record)
    for history, result in zip(results.member_histories, trained, strict=True):
        history += result.history["train_loss"][1:]
    replay.offer(Xs, ys, np.random.default_rng([est.seed, number]))
    results.n_samples += int(len(ys))
    results.n_epochs += record["epochs"]
    results.fit_seconds += time.perf_counter() - start
