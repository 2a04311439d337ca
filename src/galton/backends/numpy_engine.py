"""The NumPy engine: forward and backward passes written by hand; the reference for the others."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from galton.backends import by_hand
from galton.backends.base import BaseTrainer, Engine, Ops, predictor
from galton.backends.common import (
    add_penalty,
    decay_vector,
    numpy_softplus,
    optimizer_update,
    unflatten_params,
)
from galton.spec import ACTIVATIONS, NetworkSpec, TrainConfig

NAME = "numpy"

#: Prediction's activations: the training passes' own (``by_hand.activate``).
_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    name: partial(by_hand.activate, name=name, xp=np) for name in ACTIVATIONS
}
OPS = Ops(
    activations=_ACTIVATIONS,
    matmul=np.matmul,
    mean=np.mean,
    total=np.sum,
    square=np.square,
    abs=np.abs,
    where=np.where,
    softplus=numpy_softplus,
    log=np.log,
    tensor=lambda a, dtype: np.asarray(a, dtype=dtype),
)


def objective(
    net: NetworkSpec, cfg: TrainConfig, params: list[np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """Mean data loss over the rows ``X`` (n, d), ``y`` (n,) and its gradients (no penalty)."""
    return by_hand.objective(net, cfg, params, X, y, np)


class NumpyTrainer(BaseTrainer):
    """Training by hand over an array namespace (``xp``, NumPy here): parameters and
    optimizer moments.

    The parameters are views into one flat vector, so an optimizer update is a dozen
    whole-vector operations instead of a dozen per layer (a third of a small step's time).
    ``batch_objective`` and ``data_objective`` are the hooks where the data term is
    computed: ``galton.backends.dask_engine.DaskTrainer`` overrides them to sum it over
    workers. ``array``, ``as_numpy`` and ``row_index`` are where another namespace differs:
    ``galton.backends.torch_engine.TorchTrainer`` overrides them.
    """

    xp: Any = np

    def array(self, values: Any) -> Any:
        """``values`` as an array of this trainer's dtype (and device)."""
        return np.asarray(values, dtype=self.dtype)

    def as_numpy(self, values: Any) -> np.ndarray:
        """An array of this namespace as a NumPy array (a copy)."""
        return np.array(values)

    def row_index(self, batch: np.ndarray) -> Any:
        """Row positions as this namespace indexes with them."""
        return batch

    def bind(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.init_state(params)
        self.X = self.array(X)
        self.y = self.array(y)

    def init_state(self, params: list[np.ndarray]) -> None:
        """Parameters (views of one flat vector) and zeroed optimizer moments."""
        cfg = self.cfg
        self.dtype = self.dtype_of(cfg.dtype)
        self.shapes = self.net.param_shapes()
        self.flat = self.array(np.zeros(sum(int(np.prod(s)) for s in self.shapes)))
        self.params = unflatten_params(self.flat, self.shapes)  # views into ``flat``
        self.decay = self.array(decay_vector(self.shapes, cfg.weight_decay))
        self.set_params(params)
        self.m = self.xp.zeros_like(self.flat)
        self.v = self.xp.zeros_like(self.flat)
        self.t = 0

    def dtype_of(self, name: str) -> Any:
        """The namespace's dtype called ``name``."""
        return np.dtype(name)

    def batch_objective(self, batch: np.ndarray) -> tuple[float, list[Any]]:
        """Mean data loss and its gradients on the rows ``batch`` at the current parameters."""
        rows = self.row_index(batch)
        return by_hand.objective(
            self.net, self.cfg, self.params, self.X[rows], self.y[rows], self.xp
        )

    def data_objective(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        """Mean data loss and its gradients over every row at ``params`` (no penalty)."""
        return objective(self.net, self.cfg, params, self.X, self.y)

    def step(self, batch: np.ndarray, lr: float) -> float:
        loss, grads = self.batch_objective(batch)
        self.update(self.xp.concatenate([g.ravel() for g in grads]), lr)
        return loss

    def update(self, grad: Any, lr: float) -> None:
        """One optimizer update of the flat parameters by the flat gradient ``grad``."""
        cfg = self.cfg
        self.t += 1
        new, self.m, self.v = optimizer_update(
            cfg.optimizer,
            self.flat,
            grad,
            self.m,
            self.v,
            self.t,
            lr,
            cfg.momentum,
            self.decay,
            self.xp.sqrt,
        )
        self.flat[:] = new  # in place: ``self.params`` are views of it

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        cast = [np.asarray(p, dtype=self.dtype) for p in params]
        loss, grads = self.data_objective(cast)
        return add_penalty(loss, grads, cast, self.cfg.weight_decay)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> float:
        out, _ = by_hand.forward(self.params, self.array(X), self.net.activation, self.xp)
        return by_hand.loss_and_dout(out, self.array(y), self.cfg, self.xp)[0]

    def optimizer_state(self) -> dict[str, np.ndarray]:
        return {"m": self.as_numpy(self.m), "v": self.as_numpy(self.v), "t": np.array(self.t)}

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        self.m = self.array(np.array(state["m"]))
        self.v = self.array(np.array(state["v"]))
        self.t = int(state["t"])

    def get_params(self) -> list[np.ndarray]:
        return [self.as_numpy(p).astype(np.float64) for p in self.params]

    def set_params(self, params: list[np.ndarray]) -> None:
        for view, value in zip(self.params, params, strict=True):
            view[...] = self.array(value)


predict = predictor(OPS)
ENGINE = Engine(NAME, NumpyTrainer, predict)
