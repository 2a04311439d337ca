"""The NumPy engine: forward and backward passes written by hand; the reference for the others."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from galton.backends.base import BaseTrainer, Engine, Ops, predictor
from galton.backends.common import (
    SQUARED_ERROR_ANCHOR,
    add_penalty,
    decay_vector,
    gaussian_nll,
    numpy_softplus,
    optimizer_update,
    predicted_variance,
    unflatten_params,
)
from galton.spec import NetworkSpec, TrainConfig

NAME = "numpy"

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "identity": lambda z: z,
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


def _activation_grad(z: np.ndarray, name: str) -> np.ndarray:
    """Derivative of the activation at ``z`` (relu'(0) = 0, as in the other engines)."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if name == "silu":
        s = 1 / (1 + np.exp(-z))
        return s * (1 + z * (1 - s))
    return np.ones_like(z)


def _loss_and_dout(out: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> tuple[float, np.ndarray]:
    """Mean loss over the batch of outputs ``out`` (n, k) and its derivative (n, k); ``y``
    (n,) or (n, 2) with row weights (``backends.base.data_loss``)."""
    n = out.shape[0]
    weights = y[:, 1] if y.ndim == 2 else None
    losses, dout = _row_losses_and_douts(out, y[:, 0] if y.ndim == 2 else y, cfg)
    if weights is not None:
        losses, dout = weights * losses, weights[:, None] * dout
    return float(np.mean(losses)), dout / n


def _row_losses_and_douts(
    out: np.ndarray, y: np.ndarray, cfg: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's loss (n,) and its derivative by the outputs (n, k)."""
    if cfg.loss == "gaussian":
        losses = gaussian_nll(out, y, numpy_softplus, np.log)
        mean, raw = out[:, 0], out[:, 1]
        var = predicted_variance(raw)
        err = mean - y
        dvar = 0.5 / var - 0.5 * err**2 / var**2
        # softplus' is the logistic function
        dmean = err / var + SQUARED_ERROR_ANCHOR * err
        return losses, np.column_stack([dmean, dvar / (1 + np.exp(-raw))])
    err = out[:, 0] - y
    dout = np.zeros_like(out)  # only the first output is a prediction (a Gaussian-loss
    # network trained on squared error first leaves its variance output alone)
    if cfg.loss == "mse":
        losses, dout[:, 0] = err**2, 2 * err
    elif cfg.loss == "mae":
        losses, dout[:, 0] = np.abs(err), np.sign(err)
    else:
        delta = cfg.huber_delta
        small = np.abs(err) <= delta
        losses = np.where(small, 0.5 * err**2, delta * (np.abs(err) - 0.5 * delta))
        dout[:, 0] = np.where(small, err, delta * np.sign(err))
    return losses, dout


def forward(
    params: list[np.ndarray], X: np.ndarray, activation: str
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Outputs of shape (n, k) and the per-layer (input, pre-activation) cache."""
    h = X
    cache = []
    n_layers = len(params) // 2
    for layer in range(n_layers):
        z = h @ params[2 * layer] + params[2 * layer + 1]
        cache.append((h, z))
        h = _ACTIVATIONS[activation](z) if layer < n_layers - 1 else z
    if len(params) % 2:  # the skip path
        h = h + X @ params[-1]
    return h, cache


def backward(
    params: list[np.ndarray], cache: list, dout: np.ndarray, activation: str
) -> list[np.ndarray]:
    """Gradients of the loss with respect to every parameter, given dloss/doutputs (n, k)."""
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    if len(params) % 2:  # the skip path: d(X Ws) / dWs
        grads[-1] = cache[0][0].T @ dout
    delta = dout
    for layer in range(len(cache) - 1, -1, -1):
        h, _ = cache[layer]
        grads[2 * layer] = h.T @ delta
        grads[2 * layer + 1] = delta.sum(axis=0)
        if layer > 0:
            delta = (delta @ params[2 * layer].T) * _activation_grad(
                cache[layer - 1][1], activation
            )
    return grads


def objective(
    net: NetworkSpec, cfg: TrainConfig, params: list[np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """Mean data loss over the rows ``X`` (n, d), ``y`` (n,) and its gradients (no penalty)."""
    out, cache = forward(params, X, net.activation)
    loss, dout = _loss_and_dout(out, y, cfg)
    return loss, backward(params, cache, dout, net.activation)


class NumpyTrainer(BaseTrainer):
    """Plain NumPy training state: parameters and optimizer moments.

    The parameters are views into one flat vector, so an optimizer update is a dozen
    whole-vector operations instead of a dozen per layer (a third of a small step's time).
    ``batch_objective`` and ``data_objective`` are the hooks where the data term is
    computed: ``galton.backends.dask_engine.DaskTrainer`` overrides them to sum it over workers.
    """

    def bind(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.init_state(params)
        self.X = np.asarray(X, dtype=self.dtype)
        self.y = np.asarray(y, dtype=self.dtype)

    def init_state(self, params: list[np.ndarray]) -> None:
        """Parameters (views of one flat vector) and zeroed optimizer moments."""
        cfg = self.cfg
        self.dtype = np.dtype(cfg.dtype)
        self.shapes = self.net.param_shapes()
        self.flat = np.zeros(sum(int(np.prod(s)) for s in self.shapes), dtype=self.dtype)
        self.params = unflatten_params(self.flat, self.shapes)  # views into ``flat``
        self.decay = decay_vector(self.shapes, cfg.weight_decay).astype(self.dtype)
        self.set_params(params)
        self.m = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat)
        self.t = 0

    def batch_objective(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean data loss and its gradients on the rows ``batch`` at the current parameters."""
        return objective(self.net, self.cfg, self.params, self.X[batch], self.y[batch])

    def data_objective(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        """Mean data loss and its gradients over every row at ``params`` (no penalty)."""
        return objective(self.net, self.cfg, params, self.X, self.y)

    def step(self, batch: np.ndarray, lr: float) -> float:
        cfg = self.cfg
        loss, grads = self.batch_objective(batch)
        grad = np.concatenate([g.ravel() for g in grads])
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
            np.sqrt,
        )
        self.flat[:] = new  # in place: ``self.params`` are views of it
        return loss

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        cast = [np.asarray(p, dtype=self.dtype) for p in params]
        loss, grads = self.data_objective(cast)
        return add_penalty(loss, grads, cast, self.cfg.weight_decay)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> float:
        out, _ = forward(self.params, np.asarray(X, dtype=self.dtype), self.net.activation)
        return _loss_and_dout(out, np.asarray(y, dtype=self.dtype), self.cfg)[0]

    def optimizer_state(self) -> dict[str, np.ndarray]:
        return {"m": self.m.copy(), "v": self.v.copy(), "t": np.array(self.t)}

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        self.m = np.array(state["m"], dtype=self.dtype)
        self.v = np.array(state["v"], dtype=self.dtype)
        self.t = int(state["t"])

    def get_params(self) -> list[np.ndarray]:
        return [p.astype(np.float64) for p in self.params]

    def set_params(self, params: list[np.ndarray]) -> None:
        for view, value in zip(self.params, params, strict=True):
            view[...] = value


predict = predictor(OPS)
ENGINE = Engine(NAME, NumpyTrainer, predict)
