"""The PyTensor engine (alias ``theano``): the Theano way.

Parameters and optimizer moments are ``shared`` variables, the loss is a symbolic graph,
``pytensor.grad`` differentiates it, and one compiled ``pytensor.function`` with
``updates`` performs a whole training step. PyTensor is Theano's maintained successor; the
original theano 1.0.5 cannot import with NumPy 2.

Compile mode, chosen by measurement (see ``mode_for`` and docs/guide/networks.md): the C virtual
machine linker for the linear neuron, Numba for networks with hidden layers. Compiled
functions are cached per network and training configuration, so a process pays
compilation once; both compilers also cache on disk across processes.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

with warnings.catch_warnings():  # "could not link to a BLAS": dot products use NumPy's BLAS
    warnings.simplefilter("ignore", UserWarning)
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import Mode, get_mode

from galton.backends.base import BaseTrainer, Engine, Ops, data_loss, forward, objective
from galton.backends.common import is_weight, optimizer_update, outputs_as_predictions
from galton.spec import NetworkSpec, TrainConfig

NAME = "pytensor"
# Measured (docs/guide/networks.md, "Engines"): the C VM linker compiles a graph in about
# a second cold and runs the linear neuron as fast as anything; Numba compiles a new graph
# in 5-20 s the first time on a machine (cached on disk after) but runs a 2x64 MLP epoch 4x
# faster. So: C VM for the linear neuron, Numba for networks with hidden layers.
# GALTON_PYTENSOR_MODE overrides.
LINEAR_MODE = Mode(linker="cvm", optimizer="fast_run")
MLP_MODE = get_mode("NUMBA")


def mode_for(net: NetworkSpec) -> Mode:
    """The compile mode galton uses for ``net``."""
    if os.environ.get("GALTON_PYTENSOR_MODE"):
        name = os.environ["GALTON_PYTENSOR_MODE"]
        return LINEAR_MODE if name.lower() == "cvm" else get_mode(name)
    return MLP_MODE if net.hidden else LINEAR_MODE


def _compile(mode: Mode, inputs: Sequence, outputs: Any, updates: list | None = None) -> Any:
    """``pytensor.function`` in galton's mode, without the BLAS warning of pip installs
    (PyTensor then computes dot products through NumPy, which has its own BLAS)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
        return pytensor.function(list(inputs), outputs, updates=updates, mode=mode)


OPS = Ops(
    activations={
        "relu": lambda z: pt.switch(z > 0, z, 0),
        "tanh": pt.tanh,
        "sigmoid": pt.sigmoid,
        "silu": lambda z: z * pt.sigmoid(z),
        "identity": lambda z: z,
    },
    matmul=pt.dot,
    mean=pt.mean,
    total=pt.sum,
    square=lambda z: z**2,
    abs=pt.abs,
    where=pt.switch,
    softplus=pt.softplus,
    log=pt.log,
)


def _loss(out: Any, y: Any, loss: str, delta: float) -> Any:
    """Mean loss of outputs ``out`` (n, k) against ``y`` (n,), symbolically."""
    return data_loss(OPS, out, y, loss, delta)


def _symbolic_params(net: NetworkSpec, dtype: str) -> list:
    return [
        pt.tensor(f"p{i}", dtype=dtype, shape=(None,) * len(shape))
        for i, shape in enumerate(net.param_shapes())
    ]


@cache
def _predict_function(net: NetworkSpec, dtype: str) -> Any:
    X = pt.matrix("X", dtype=dtype)
    params = _symbolic_params(net, dtype)
    return _compile(mode_for(net), [X, *params], forward(OPS, params, X, net.activation))


def predict(net: NetworkSpec, params: list[np.ndarray], X: np.ndarray, dtype: str) -> np.ndarray:
    """Predictions of shape (n,) in float64 for standardised inputs ``X`` of shape (n, d);
    (n, 2) (mean, raw scale) for a Gaussian-loss network."""
    fn = _predict_function(net, dtype)
    out = fn(np.asarray(X, dtype=dtype), *[np.asarray(p, dtype=dtype) for p in params])
    return outputs_as_predictions(np.asarray(out))


class _Graphs:
    """Shared variables and compiled functions for one network and training configuration."""

    def __init__(self, net: NetworkSpec, cfg: TrainConfig, weighted: bool = False) -> None:
        dtype = cfg.dtype
        self.weighted = weighted  # y is (n, 2): target and row weights
        self.dtype = dtype
        zeros = [np.zeros(s, dtype=dtype) for s in net.param_shapes()]
        self.params = [pytensor.shared(z.copy(), name=f"param{i}") for i, z in enumerate(zeros)]
        self.m = [pytensor.shared(z.copy(), name=f"m{i}") for i, z in enumerate(zeros)]
        self.v = [pytensor.shared(z.copy(), name=f"v{i}") for i, z in enumerate(zeros)]
        self.t = pytensor.shared(np.asarray(0.0, dtype=dtype), name="t")
        self.X = pytensor.shared(np.zeros((1, net.n_inputs), dtype=dtype), name="X")
        self.y = pytensor.shared(np.zeros((1, 2) if weighted else 1, dtype=dtype), name="y")
        self.net, self.cfg = net, cfg
        self.mode = mode_for(net)
        self._step = self._objective = self._evaluate = None

    def step_function(self) -> Any:
        """``f(rows, lr) -> loss`` that also applies one optimizer update."""
        if self._step is None:
            cfg = self.cfg
            rows = pt.lvector("rows")
            lr = pt.scalar("lr", dtype=self.dtype)
            loss = _loss(
                forward(OPS, self.params, self.X[rows], self.net.activation),
                self.y[rows],
                cfg.loss,
                cfg.huber_delta,
            )
            grads: Any = pytensor.grad(loss, self.params)
            t = self.t + 1
            updates = [(self.t, t)]
            for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
                decay = cfg.weight_decay if is_weight(i, len(self.params)) else 0.0
                new_p, new_m, new_v = optimizer_update(
                    cfg.optimizer, p, g, self.m[i], self.v[i], t, lr, cfg.momentum, decay, pt.sqrt
                )
                updates += [
                    (p, pt.cast(new_p, self.dtype)),
                    (self.m[i], pt.cast(new_m, self.dtype)),
                    (self.v[i], pt.cast(new_v, self.dtype)),
                ]
            self._step = _compile(self.mode, [rows, lr], loss, updates)
        return self._step

    def objective_function(self) -> Any:
        """``f(*params) -> (loss + L2 penalty, *gradients)`` on the whole training data."""
        if self._objective is None:
            cfg = self.cfg
            params = _symbolic_params(self.net, self.dtype)
            loss = objective(OPS, self.net, cfg, params, self.X, self.y)
            grads: Any = pytensor.grad(loss, params)
            self._objective = _compile(self.mode, params, [loss, *grads])
        return self._objective

    def evaluate_function(self) -> Any:
        """``f(X, y) -> loss`` of the current shared parameters."""
        if self._evaluate is None:
            X = pt.matrix("Xe", dtype=self.dtype)
            y = (pt.matrix if self.weighted else pt.vector)("ye", dtype=self.dtype)
            cfg = self.cfg
            loss = _loss(
                forward(OPS, self.params, X, self.net.activation), y, cfg.loss, cfg.huber_delta
            )
            self._evaluate = _compile(self.mode, [X, y], loss)
        return self._evaluate


@cache
def _graphs(net: NetworkSpec, cfg_key: tuple, weighted: bool) -> _Graphs:
    return _Graphs(net, TrainConfig(**dict(cfg_key)), weighted)


class PytensorTrainer(BaseTrainer):
    """Binds data and starting values to the cached shared variables of its configuration."""

    def bind(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        net, cfg = self.net, self.cfg
        key = tuple(
            (k, v)
            for k, v in sorted(cfg.to_dict().items())
            if k in ("loss", "optimizer", "momentum", "weight_decay", "huber_delta", "dtype")
        )
        self.g = _graphs(net, key, np.ndim(y) == 2)
        self.dtype = cfg.dtype
        self.g.X.set_value(np.asarray(X, dtype=self.dtype))
        self.g.y.set_value(np.asarray(y, dtype=self.dtype))
        self.set_params(params)
        for m, v in zip(self.g.m, self.g.v, strict=True):
            m.set_value(np.zeros_like(m.get_value()))
            v.set_value(np.zeros_like(v.get_value()))
        self.g.t.set_value(np.asarray(0.0, dtype=self.dtype))

    def step(self, batch: np.ndarray, lr: float) -> float:
        rows = np.asarray(batch, dtype=np.int64)
        return float(self.g.step_function()(rows, np.asarray(lr, dtype=self.dtype)))

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        out = self.g.objective_function()(*[np.asarray(p, dtype=self.dtype) for p in params])
        return float(out[0]), [np.asarray(g, dtype=np.float64) for g in out[1:]]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> float:
        fn = self.g.evaluate_function()
        return float(fn(np.asarray(X, dtype=self.dtype), np.asarray(y, dtype=self.dtype)))

    def optimizer_state(self) -> dict[str, np.ndarray]:
        out = {f"m{i}": np.array(m.get_value()) for i, m in enumerate(self.g.m)}
        out.update({f"v{i}": np.array(v.get_value()) for i, v in enumerate(self.g.v)})
        out["t"] = np.array(self.g.t.get_value())
        return out

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        for i, (m, v) in enumerate(zip(self.g.m, self.g.v, strict=True)):
            m.set_value(np.asarray(state[f"m{i}"], dtype=self.dtype))
            v.set_value(np.asarray(state[f"v{i}"], dtype=self.dtype))
        self.g.t.set_value(np.asarray(state["t"], dtype=self.dtype))

    def get_params(self) -> list[np.ndarray]:
        return [np.array(p.get_value(), dtype=np.float64) for p in self.g.params]

    def set_params(self, params: list[np.ndarray]) -> None:
        for shared, value in zip(self.g.params, params, strict=True):
            shared.set_value(np.array(value, dtype=self.dtype))


ENGINE = Engine(NAME, PytensorTrainer, predict)
