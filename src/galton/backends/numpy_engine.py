"""The NumPy engine: forward and backward passes written by hand; the reference for the others."""

from __future__ import annotations

import numpy as np

from galton.backends.common import (
    SQUARED_ERROR_ANCHOR,
    add_penalty,
    decay_vector,
    epoch_by_steps,
    gaussian_nll,
    numpy_softplus,
    optimizer_update,
    outputs_as_predictions,
    predicted_variance,
    unflatten_params,
)
from galton.spec import NetworkSpec, TrainConfig

NAME = "numpy"
FRAMEWORK = "numpy"


def _activate(z: np.ndarray, name: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "silu":
        return z / (1 + np.exp(-z))
    return z


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
    """Mean loss over the batch of outputs ``out`` (n, k) and its derivative (n, k)."""
    n = out.shape[0]
    if cfg.loss == "gaussian":
        loss = float(np.mean(gaussian_nll(out, y, numpy_softplus, np.log)))
        mean, raw = out[:, 0], out[:, 1]
        var = predicted_variance(raw)
        err = mean - y
        dvar = 0.5 / var - 0.5 * err**2 / var**2
        # softplus' is the logistic function
        dmean = err / var + SQUARED_ERROR_ANCHOR * err
        return loss, np.column_stack([dmean, dvar / (1 + np.exp(-raw))]) / n
    err = out[:, 0] - y
    dout = np.zeros_like(out)  # only the first output is a prediction (a Gaussian-loss
    # network trained on squared error first leaves its variance output alone)
    if cfg.loss == "mse":
        loss, dout[:, 0] = float(np.mean(err**2)), 2 * err / n
    elif cfg.loss == "mae":
        loss, dout[:, 0] = float(np.mean(np.abs(err))), np.sign(err) / n
    else:
        delta = cfg.huber_delta
        small = np.abs(err) <= delta
        loss = float(np.mean(np.where(small, 0.5 * err**2, delta * (np.abs(err) - 0.5 * delta))))
        dout[:, 0] = np.where(small, err, delta * np.sign(err)) / n
    return loss, dout


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
        h = _activate(z, activation) if layer < n_layers - 1 else z
    return h, cache


def backward(
    params: list[np.ndarray], cache: list, dout: np.ndarray, activation: str
) -> list[np.ndarray]:
    """Gradients of the loss with respect to every parameter, given dloss/doutputs (n, k)."""
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
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


def predict(net: NetworkSpec, params: list[np.ndarray], X: np.ndarray, dtype: str) -> np.ndarray:
    """Predictions of shape (n,) in float64 for standardised inputs ``X`` of shape (n, d);
    (n, 2) (mean, raw scale) for a Gaussian-loss network."""
    cast = [np.asarray(p, dtype=dtype) for p in params]
    return outputs_as_predictions(forward(cast, np.asarray(X, dtype=dtype), net.activation)[0])


class NumpyTrainer:
    """Plain NumPy training state: parameters and optimizer moments.

    The parameters are views into one flat vector, so an optimizer update is a dozen
    whole-vector operations instead of a dozen per layer (a third of a small step's time).
    """

    def __init__(
        self,
        net: NetworkSpec,
        params: list[np.ndarray],
        cfg: TrainConfig,
        X: np.ndarray,
        y: np.ndarray,
    ) -> None:
        self._bind_state(net, params, cfg)
        self.X = np.asarray(X, dtype=self.dtype)
        self.y = np.asarray(y, dtype=self.dtype)

    def _bind_state(self, net: NetworkSpec, params: list[np.ndarray], cfg: TrainConfig) -> None:
        """Parameters (views of one flat vector) and the optimizer's moments, no data."""
        self.net, self.cfg = net, cfg
        self.dtype = np.dtype(cfg.dtype)
        self.shapes = net.param_shapes()
        self.flat = np.zeros(sum(int(np.prod(s)) for s in self.shapes), dtype=self.dtype)
        self.params = unflatten_params(self.flat, self.shapes)  # views into ``flat``
        self.decay = decay_vector(self.shapes, cfg.weight_decay).astype(self.dtype)
        self.set_params(params)
        self.m = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat)
        self.t = 0

    def _objective(self, params, X, y) -> tuple[float, list[np.ndarray]]:
        return objective(self.net, self.cfg, params, X, y)

    def _batch_objective(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean loss and gradients on the rows ``batch`` at the current parameters."""
        return self._objective(self.params, self.X[batch], self.y[batch])

    def step(self, batch: np.ndarray, lr: float) -> float:
        cfg = self.cfg
        loss, grads = self._batch_objective(batch)
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

    def run_epoch(self, order: np.ndarray, batch_size: int, lr: float) -> float:
        return epoch_by_steps(self, order, batch_size, lr)

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        cast = [np.asarray(p, dtype=self.dtype) for p in params]
        loss, grads = self._objective(cast, self.X, self.y)
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


def make_trainer(
    net: NetworkSpec, params: list[np.ndarray], cfg: TrainConfig, X: np.ndarray, y: np.ndarray
) -> NumpyTrainer:
    """A trainer over standardised ``X`` (n, d) and ``y`` (n,), starting from ``params``."""
    return NumpyTrainer(net, params, cfg, X, y)
