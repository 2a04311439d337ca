"""The JAX engine: ``jax.jit``-compiled steps with ``jax.value_and_grad``.

float64 needs JAX's ``jax_enable_x64`` switch, which is process-wide: the engine turns it on
when it is imported (JAX arrays created as float32 stay float32).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

from galton.backends.base import (  # noqa: E402
    BaseTrainer,
    Engine,
    Ops,
    data_loss,
    forward,
    l2_penalty,
)
from galton.backends.common import (  # noqa: E402
    is_weight,
    optimizer_update,
    outputs_as_predictions,
)
from galton.spec import NetworkSpec  # noqa: E402

NAME = "jax"
OPS = Ops(
    activations={
        "relu": jax.nn.relu,
        "tanh": jnp.tanh,
        "sigmoid": jax.nn.sigmoid,
        "silu": jax.nn.silu,
        "identity": lambda z: z,
    },
    matmul=jnp.matmul,
    mean=jnp.mean,
    total=jnp.sum,
    square=jnp.square,
    abs=jnp.abs,
    where=jnp.where,
    softplus=jax.nn.softplus,
    log=jnp.log,
)


State = tuple[Any, Any, Any, Any]  # (params, m, v, t): tuples of arrays, and the step count


def _data_loss(
    params: tuple, X: jax.Array, y: jax.Array, activation: str, loss: str, delta: float
) -> jax.Array:
    return data_loss(OPS, forward(OPS, list(params), X, activation), y, loss, delta)


def _objective(
    params: tuple, X: jax.Array, y: jax.Array, activation: str, loss: str, delta: float, wd: float
) -> jax.Array:
    return _data_loss(params, X, y, activation, loss, delta) + l2_penalty(OPS, list(params), wd)


@partial(jax.jit, static_argnames=("activation", "loss", "delta", "wd"))
def _value_and_grad(
    params: tuple, X: jax.Array, y: jax.Array, activation: str, loss: str, delta: float, wd: float
) -> tuple[jax.Array, tuple]:
    return jax.value_and_grad(_objective)(params, X, y, activation, loss, delta, wd)


@partial(jax.jit, static_argnames=("activation", "loss", "delta"))
def _evaluate(
    params: tuple, X: jax.Array, y: jax.Array, activation: str, loss: str, delta: float
) -> jax.Array:
    return _data_loss(params, X, y, activation, loss, delta)


@partial(jax.jit, static_argnames=("activation",))
def _predict(params: tuple, X: jax.Array, activation: str) -> jax.Array:
    return forward(OPS, list(params), X, activation)


@partial(jax.jit, static_argnames=("activation", "loss", "delta", "optimizer", "momentum", "wd"))
def _step(
    state: State,
    X: jax.Array,
    y: jax.Array,
    rows: jax.Array,
    lr: jax.Array,
    activation: str,
    loss: str,
    delta: float,
    optimizer: str,
    momentum: float,
    wd: float,
) -> tuple[State, jax.Array]:
    params, m, v, t = state
    value, grads = jax.value_and_grad(_data_loss)(params, X[rows], y[rows], activation, loss, delta)
    t = t + 1
    new = [
        optimizer_update(
            optimizer,
            p,
            g,
            mi,
            vi,
            t,
            lr,
            momentum,
            wd if is_weight(i, len(params)) else 0.0,
            jnp.sqrt,
        )
        for i, (p, g, mi, vi) in enumerate(zip(params, grads, m, v, strict=True))
    ]
    params = tuple(n[0] for n in new)
    m = tuple(n[1] for n in new)
    v = tuple(n[2] for n in new)
    return (params, m, v, t), value


@partial(jax.jit, static_argnames=("activation", "loss", "delta", "optimizer", "momentum", "wd"))
def _epoch(
    state: State,
    X: jax.Array,
    y: jax.Array,
    batches: jax.Array,
    lr: jax.Array,
    activation: str,
    loss: str,
    delta: float,
    optimizer: str,
    momentum: float,
    wd: float,
) -> tuple[State, jax.Array]:
    """Steps over the rows of ``batches`` (k, batch) in one compiled ``lax.scan``."""

    def body(carry: State, rows: jax.Array) -> tuple[State, jax.Array]:
        return _step(carry, X, y, rows, lr, activation, loss, delta, optimizer, momentum, wd)

    return jax.lax.scan(body, state, batches)


def predict(net: NetworkSpec, params: list[np.ndarray], X: np.ndarray, dtype: str) -> np.ndarray:
    """Predictions of shape (n,) in float64 for standardised inputs ``X`` of shape (n, d);
    (n, 2) (mean, raw scale) for a Gaussian-loss network."""
    arrays = tuple(jnp.asarray(np.asarray(p), dtype=dtype) for p in params)
    out = _predict(arrays, jnp.asarray(np.asarray(X), dtype=dtype), net.activation)
    return outputs_as_predictions(np.asarray(out))


class JaxTrainer(BaseTrainer):
    """Immutable state ``(params, m, v, t)`` threaded through a jitted step."""

    params: tuple[jax.Array, ...]

    def bind(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        net, cfg = self.net, self.cfg
        self.dtype = jnp.dtype(cfg.dtype)
        # committed to the device: jitted steps then run where the data are
        self.device = jax.devices("gpu" if cfg.device == "cuda" else "cpu")[0]
        self.X = jax.device_put(jnp.asarray(np.asarray(X), dtype=self.dtype), self.device)
        self.y = jax.device_put(jnp.asarray(np.asarray(y), dtype=self.dtype), self.device)
        self.set_params(params)
        zeros = tuple(jnp.zeros_like(p) for p in self.params)
        self.state = (self.params, zeros, zeros, jnp.asarray(0.0, dtype=self.dtype))
        self._static = {"activation": net.activation, "loss": cfg.loss, "delta": cfg.huber_delta}

    def step(self, batch: np.ndarray, lr: float) -> float:
        cfg = self.cfg
        self.state, value = _step(
            (self.params, *self.state[1:]),
            self.X,
            self.y,
            jnp.asarray(batch),
            jnp.asarray(lr, dtype=self.dtype),
            optimizer=cfg.optimizer,
            momentum=cfg.momentum,
            wd=cfg.weight_decay,
            **self._static,
        )
        self.params = self.state[0]
        return float(value)

    def run_epoch(self, order: np.ndarray, batch_size: int, lr: float) -> float:
        # Full batches in one scan (launching a jitted step costs more than a small step),
        # then the shorter last batch as one step.
        cfg = self.cfg
        n_full = len(order) // batch_size
        lr_j = jnp.asarray(lr, dtype=self.dtype)
        static = dict(
            optimizer=cfg.optimizer, momentum=cfg.momentum, wd=cfg.weight_decay, **self._static
        )
        total = 0.0
        state = (self.params, *self.state[1:])
        if n_full:
            batches = jnp.asarray(order[: n_full * batch_size].reshape(n_full, batch_size))
            state, losses = _epoch(state, self.X, self.y, batches, lr_j, **static)
            total += float(jnp.sum(losses)) * batch_size
        rest = order[n_full * batch_size :]
        if len(rest):
            state, value = _step(state, self.X, self.y, jnp.asarray(rest), lr_j, **static)
            total += float(value) * len(rest)
        self.state = state
        self.params = state[0]
        return total / len(order)

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        arrays = tuple(jnp.asarray(np.asarray(p), dtype=self.dtype) for p in params)
        value, grads = _value_and_grad(
            arrays, self.X, self.y, wd=self.cfg.weight_decay, **self._static
        )
        return float(value), [np.asarray(g, dtype=np.float64) for g in grads]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> float:
        Xj = jnp.asarray(np.asarray(X), dtype=self.dtype)
        yj = jnp.asarray(np.asarray(y), dtype=self.dtype)
        return float(_evaluate(self.params, Xj, yj, **self._static))

    def optimizer_state(self) -> dict[str, np.ndarray]:
        _, m, v, t = self.state
        out = {f"m{i}": np.asarray(a) for i, a in enumerate(m)}
        out.update({f"v{i}": np.asarray(a) for i, a in enumerate(v)})
        out["t"] = np.asarray(t)
        return out

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        k = len(self.params)
        m = tuple(jnp.asarray(state[f"m{i}"], dtype=self.dtype) for i in range(k))
        v = tuple(jnp.asarray(state[f"v{i}"], dtype=self.dtype) for i in range(k))
        self.state = (self.params, m, v, jnp.asarray(state["t"], dtype=self.dtype))

    def get_params(self) -> list[np.ndarray]:
        return [np.asarray(p, dtype=np.float64) for p in self.params]

    def set_params(self, params: list[np.ndarray]) -> None:
        self.params = tuple(
            jax.device_put(jnp.asarray(np.asarray(p), dtype=self.dtype), self.device)
            for p in params
        )


def has_cuda() -> bool:
    """Whether JAX sees a CUDA GPU (``device="auto"`` then uses it)."""
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:  # no GPU backend in this jax install
        return False


ENGINE = Engine(NAME, JaxTrainer, predict, has_cuda, gpu_capable=True)
