"""The data-parallel trainer: the NumPy engine with its data term summed over Dask workers.

Each optimizer step asks the workers for their partitions' gradients on the step's rows,
sums them and updates the parameters on the client, exactly as the NumPy engine keeps them;
the same batches give the same steps as the NumPy engine in one process (up to the order of
sums). It overrides only the NumPy trainer's public data hooks (``bind``,
``batch_objective``, ``data_objective``, ``evaluate``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from galton.backends import numpy_engine
from galton.backends.base import Engine
from galton.backends.numpy_engine import NumpyTrainer
from galton.distributed import TASK_RETRIES, PartitionedRows
from galton.errors import GaltonError
from galton.spec import NetworkSpec, TrainConfig


def _partition_objective(
    prepared: dict[str, np.ndarray],
    params: list[np.ndarray],
    net: NetworkSpec,
    cfg: TrainConfig,
    rows: np.ndarray | None,
) -> tuple[float, list[np.ndarray], int]:
    """Summed loss and gradients of the data term over a partition's rows ``rows`` (all
    when None), with the row count (runs on a worker, with the NumPy engine's maths)."""
    X, y = prepared["X"], prepared["y"]
    if rows is not None:
        X, y = X[rows], y[rows]
    if len(y) == 0:
        return 0.0, [np.zeros_like(p) for p in params], 0
    loss, grads = numpy_engine.objective(net, cfg, params, X, y)  # means over the rows
    return loss * len(y), [g * len(y) for g in grads], len(y)


class DaskTrainer(NumpyTrainer):
    """The ``Trainer`` protocol with the rows on Dask workers: every gradient is the sum of
    the partitions' gradients, computed where they live; the optimizer's step, its state
    and the parameters stay on the client, exactly as the NumPy engine keeps them (this
    class is that trainer with its data term computed on the cluster). The same batches
    give the same steps as the NumPy engine in one process (up to the order of sums)."""

    def bind(self, params: list[np.ndarray], X: Any, y: Any = None) -> None:
        """``X``: the ``PartitionedRows`` on the workers (``y`` is in them)."""
        if self.cfg.dtype != "float64":
            raise GaltonError("engine='dask' trains in float64")
        self.rows = X
        self.init_state(params)

    def _on_partitions(
        self, params: list[np.ndarray], rows: list[np.ndarray | None]
    ) -> tuple[float, list[np.ndarray]]:
        """Mean data loss and gradients over the given rows of each partition (all of a
        partition's rows for None)."""
        client = self.rows.client
        futures = [
            client.submit(
                _partition_objective, f, params, self.net, self.cfg, r, retries=TASK_RETRIES
            )
            for f, r in zip(self.rows.parts, rows, strict=True)
            if r is None or len(r)
        ]
        parts = client.gather(futures)
        count = sum(n for _, _, n in parts)
        loss = sum(part_loss for part_loss, _, _ in parts) / count
        grads = [sum(g[i] for _, g, _ in parts) / count for i in range(len(params))]
        return float(loss), grads

    def batch_objective(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        part = np.searchsorted(self.rows.offsets, batch, side="right") - 1
        rows = [batch[part == k] - self.rows.offsets[k] for k in range(len(self.rows.parts))]
        return self._on_partitions(self.params, rows)

    def data_objective(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        return self._on_partitions(params, [None] * len(self.rows.parts))

    def evaluate(self, X: Any, y: Any) -> float:
        if isinstance(X, PartitionedRows):
            return self._on_partitions(self.get_params(), [None] * len(X.parts))[0]
        return super().evaluate(X, y)  # held-out rows on the client


#: Trains with the NumPy engine's maths on rows kept on Dask workers (``fit(..., engine=
#: "dask")``); not in the registry: it needs the rows prepared by ``galton.distributed``.
ENGINE = Engine("dask", DaskTrainer, numpy_engine.predict)
