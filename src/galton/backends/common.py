"""Pieces every engine shares: parameter initialisation and the trainer contract."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from galton.spec import NetworkSpec


def init_params(net: NetworkSpec, rng: np.random.Generator) -> list[np.ndarray]:
    """Random initial parameters ``[W1, b1, ..., WL, bL]`` in float64, identical on every engine.

    Weights are uniform: He-scaled (``sqrt(6 / fan_in)``) before relu and silu,
    Glorot-scaled (``sqrt(6 / (fan_in + fan_out))``) otherwise and for the output layer;
    biases start at zero.
    """
    params: list[np.ndarray] = []
    shapes = net.param_shapes()
    n_layers = len(shapes) // 2
    for layer in range(n_layers):
        fan_in, fan_out = shapes[2 * layer]
        last = layer == n_layers - 1
        if not last and net.activation in ("relu", "silu"):
            limit = np.sqrt(6.0 / fan_in)
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)))
        params.append(np.zeros(fan_out))
    return params


def is_weight(index: int) -> bool:
    """Weight decay applies to weight matrices (even indices), not biases."""
    return index % 2 == 0


class Trainer(Protocol):
    """What the training loop needs from an engine, on data bound at creation.

    Engines implement it over ``X`` of shape (n, d) and ``y`` of shape (n,), both already
    standardised; parameters cross the boundary as lists of NumPy arrays.
    """

    def step(self, batch: np.ndarray, lr: float) -> float:
        """One optimizer step on the rows ``batch``; returns the batch loss before the step."""
        ...

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        """Full-data objective (data loss plus L2 penalty) and its gradient at ``params``."""
        ...

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> float:
        """Data loss of the current parameters on other data (no penalty)."""
        ...

    def get_params(self) -> list[np.ndarray]:
        """Copies of the current parameters in float64."""
        ...

    def set_params(self, params: list[np.ndarray]) -> None:
        """Replace the current parameters."""
        ...
