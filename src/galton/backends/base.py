"""The engine contract: what every engine supplies, and the parts written once for all.

An engine is an ``Engine`` record: its name, a ``BaseTrainer`` subclass and a ``predict``.
The network's forward pass, the losses and the L2 penalty are written here once, over an
``Ops`` table of the framework's primitives (matrix product, activations, mean, ...), so an
engine module supplies that table and overrides only what its framework does differently:
how parameters are held, how a step is compiled and how gradients are taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from galton.backends.common import gaussian_nll, is_weight, outputs_as_predictions
from galton.errors import ParameterError
from galton.spec import NetworkSpec, TrainConfig

Array = Any  # a NumPy array, a torch/TensorFlow/JAX tensor or a PyTensor symbol


@dataclass(frozen=True)
class Ops:
    """A framework's primitives, enough to write the forward pass, losses and penalty.

    Every function takes and returns the framework's own arrays; ``tensor`` makes one from
    a NumPy array in a dtype name (``"float64"``), ``to_numpy`` turns one back.
    """

    activations: Mapping[str, Callable[[Array], Array]]
    matmul: Callable[[Array, Array], Array]
    mean: Callable[[Array], Array]
    total: Callable[[Array], Array]
    square: Callable[[Array], Array]
    abs: Callable[[Array], Array]
    where: Callable[[Array, Array, Array], Array]
    softplus: Callable[[Array], Array]
    log: Callable[[Array], Array]
    tensor: Callable[[np.ndarray, str], Array] = field(default=lambda a, dtype: a)
    to_numpy: Callable[[Array], np.ndarray] = field(default=np.asarray)


def forward(ops: Ops, params: list[Array], X: Array, activation: str) -> Array:
    """Outputs (n, k) of the network ``params = [W1, b1, ..., WL, bL]`` on inputs ``X``
    (n, d): affine layers with ``activation`` between them, none after the last; with a
    skip path (an odd list ending with ``Ws``) plus ``X Ws``."""
    act = ops.activations[activation]
    h = X
    n_layers = len(params) // 2
    for layer in range(n_layers):
        h = ops.matmul(h, params[2 * layer]) + params[2 * layer + 1]
        if layer < n_layers - 1:
            h = act(h)
    if len(params) % 2:
        h = h + ops.matmul(X, params[-1])
    return h


def data_loss(ops: Ops, out: Array, y: Array, loss: str, delta: float) -> Array:
    """Mean loss of outputs ``out`` (n, k) against ``y``: squared, absolute or Huber error
    of the first output, or the anchored Gaussian negative log-likelihood.

    ``y`` is the target (n,), or (n, 2) with row weights in its second column (mean 1 over
    the training rows): then the mean is weighted, ``mean(w * loss)``.
    """
    weighted = is_weighted(y)
    target = y[:, 0] if weighted else y
    per_row = row_losses(ops, out, target, loss, delta)
    return ops.mean(y[:, 1] * per_row) if weighted else ops.mean(per_row)


def is_weighted(y: Array) -> bool:
    """Whether ``y`` carries row weights: shape (n, 2) rather than (n,)."""
    return int(getattr(y, "ndim", None) or len(y.shape)) == 2


def row_losses(ops: Ops, out: Array, y: Array, loss: str, delta: float) -> Array:
    """Each row's loss (n,) of outputs ``out`` (n, k) against the target ``y`` (n,)."""
    if loss == "gaussian":
        return gaussian_nll(out, y, ops.softplus, ops.log)
    err = out[:, 0] - y
    if loss == "mse":
        return ops.square(err)
    if loss == "mae":
        return ops.abs(err)
    size = ops.abs(err)
    return ops.where(size <= delta, 0.5 * ops.square(err), delta * (size - 0.5 * delta))


def l2_penalty(ops: Ops, params: list[Array], weight_decay: float) -> Array | float:
    """``weight_decay / 2 * |W|^2`` summed over the weight matrices (biases are not decayed)."""
    if not weight_decay:
        return 0.0
    count = len(params)
    squares = sum(ops.total(ops.square(p)) for i, p in enumerate(params) if is_weight(i, count))
    return 0.5 * weight_decay * squares


def objective(
    ops: Ops, net: NetworkSpec, cfg: TrainConfig, params: list[Array], X: Array, y: Array
) -> Array:
    """Mean data loss of ``params`` on ``X`` (n, d), ``y`` (n,) plus the L2 penalty: what the
    full-batch solvers minimise."""
    out = forward(ops, params, X, net.activation)
    loss = data_loss(ops, out, y, cfg.loss, cfg.huber_delta)
    return loss + l2_penalty(ops, params, cfg.weight_decay)


def epoch_by_steps(trainer: BaseTrainer, order: np.ndarray, batch_size: int, lr: float) -> float:
    """One epoch as consecutive ``step`` calls on ``order`` cut into batches.

    Returns the mean of the batch losses weighted by batch size. Engines whose steps are
    cheap to launch use this; the others fuse the whole epoch into one compiled call.
    """
    total = 0.0
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        total += trainer.step(rows, lr) * len(rows)
    return total / len(order)


class BaseTrainer:
    """Training state for one network on data bound at creation.

    Subclasses hold the parameters and optimizer moments in their framework's way and
    implement the abstract methods below, over ``X`` of shape (n, d) and ``y`` of shape
    (n,), both already standardised; parameters cross the boundary as lists of NumPy
    arrays. The training loops (``galton.training``) only call these methods.
    """

    def __init__(
        self, net: NetworkSpec, params: list[np.ndarray], cfg: TrainConfig, X: Any, y: Any
    ) -> None:
        self.net, self.cfg = net, cfg
        self.bind(params, X, y)

    def bind(self, params: list[np.ndarray], X: Any, y: Any) -> None:
        """Hold the data and the starting parameters; zero the optimizer's state."""
        raise NotImplementedError

    def step(self, batch: np.ndarray, lr: float) -> float:
        """One optimizer step on the rows ``batch``; returns the batch loss before the step."""
        raise NotImplementedError

    def run_epoch(self, order: np.ndarray, batch_size: int, lr: float) -> float:
        """Steps over ``order`` in batches of ``batch_size`` (the last may be shorter);
        returns the size-weighted mean batch loss."""
        return epoch_by_steps(self, order, batch_size, lr)

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        """Full-data objective (data loss plus L2 penalty) and its gradient at ``params``."""
        raise NotImplementedError

    def evaluate(self, X: Any, y: Any) -> float:
        """Data loss of the current parameters on other data (no penalty)."""
        raise NotImplementedError

    def get_params(self) -> list[np.ndarray]:
        """Copies of the current parameters in float64."""
        raise NotImplementedError

    def set_params(self, params: list[np.ndarray]) -> None:
        """Replace the current parameters."""
        raise NotImplementedError

    def optimizer_state(self) -> dict[str, np.ndarray]:
        """The optimizer's moments and step count as NumPy arrays (for checkpoints)."""
        raise NotImplementedError

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore what ``optimizer_state`` returned, so training continues bit for bit."""
        raise NotImplementedError


Predict = Callable[[NetworkSpec, list[np.ndarray], np.ndarray, str], np.ndarray]


def predictor(ops: Ops) -> Predict:
    """``predict(net, params, X, dtype)`` for an engine whose ``ops`` run eagerly:
    predictions (n,) in float64 for standardised inputs ``X`` (n, d); (n, 2) (mean, raw
    scale) for a Gaussian-loss network."""

    def predict(
        net: NetworkSpec, params: list[np.ndarray], X: np.ndarray, dtype: str
    ) -> np.ndarray:
        tensors = [ops.tensor(np.asarray(p), dtype) for p in params]
        out = forward(ops, tensors, ops.tensor(np.asarray(X), dtype), net.activation)
        return outputs_as_predictions(ops.to_numpy(out))

    return predict


def _no_gpu() -> bool:
    return False


@dataclass(frozen=True)
class Engine:
    """One engine: what the training loops and estimators use of it.

    Attributes
    ----------
    name : str
        The registry name (``numpy``, ``torch``, ...).
    trainer : type of BaseTrainer
        Built by ``make_trainer`` for every training (and every stream block).
    predict : callable
        ``predict(net, params, X, dtype)`` -> ndarray (n,) or (n, 2), float64.
    has_cuda : callable
        Whether the engine sees a CUDA GPU now.
    gpu_capable : bool
        Whether the engine can train on a GPU at all (else it runs on the CPU only).
    """

    name: str
    trainer: type[BaseTrainer]
    predict: Predict
    has_cuda: Callable[[], bool] = _no_gpu
    gpu_capable: bool = False

    def make_trainer(
        self, net: NetworkSpec, params: list[np.ndarray], cfg: TrainConfig, X: Any, y: Any
    ) -> BaseTrainer:
        """A trainer over standardised ``X`` (n, d) and ``y`` (n,), starting from ``params``."""
        return self.trainer(net, params, cfg, X, y)

    def device(self, requested: str) -> str:
        """The device a ``device=requested`` fit trains on: ``auto`` resolved, ``cuda`` checked."""
        if requested == "cuda" and not self.has_cuda():
            where = "sees no CUDA GPU" if self.gpu_capable else "runs on the CPU only"
            raise ParameterError(f"device='cuda': the {self.name} engine {where}")
        if requested == "auto":
            return "cuda" if self.has_cuda() else "cpu"
        return requested
