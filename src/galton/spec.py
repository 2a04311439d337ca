"""Frozen descriptions of a network and how it is trained, shared by every engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ACTIVATIONS = ("relu", "tanh", "sigmoid", "silu", "identity")
LOSSES = ("mse", "mae", "huber", "gaussian")
OPTIMIZERS = ("sgd", "adam", "adamw", "lbfgs", "cg")
SCHEDULES = ("constant", "cosine", "step")


@dataclass(frozen=True)
class NetworkSpec:
    """A fully connected network.

    Parameters
    ----------
    n_inputs : int
        Number of input features after preprocessing.
    hidden : tuple of int
        Widths of the hidden layers; ``()`` is a single linear neuron.
    activation : str
        Activation applied after every hidden layer.
    n_outputs : int
        1: the prediction; 2 for the Gaussian loss: the mean and the raw scale whose
        softplus is the variance.
    skip : bool
        A linear path from the inputs to the outputs beside the hidden layers
        (``y = X Ws + mlp(X)``), its weights ``Ws`` (in, out) last in the parameter list
        and never decayed: the network holds the linear model exactly, and a strong
        weight decay switches the rest off. Only with hidden layers.
    """

    n_inputs: int
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    n_outputs: int = 1
    skip: bool = False

    @property
    def has_skip(self) -> bool:
        """Whether the parameter list ends with the linear path's weights."""
        return self.skip and bool(self.hidden)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Sizes of every layer, input first and the outputs last."""
        return (self.n_inputs, *self.hidden, self.n_outputs)

    def param_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the shared parameter list ``[W1, b1, W2, b2, ...]`` (and ``Ws`` with a
        skip path); ``W`` is (in, out)."""
        sizes = self.layer_sizes
        shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            shapes += [(fan_in, fan_out), (fan_out,)]
        if self.has_skip:
            shapes.append((self.n_inputs, self.n_outputs))
        return shapes


@dataclass(frozen=True)
class TrainConfig:
    """How a network is trained; engines receive it unchanged."""

    loss: str = "mse"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    max_epochs: int = 200
    schedule: str = "constant"
    shuffle: bool = True
    early_stopping: bool = True
    validation_fraction: float = 0.1
    patience: int = 20
    tol: float = 1e-7
    huber_delta: float = 1.0
    dtype: str = "float64"
    seed: int = 0
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form for model files."""
        return asdict(self)
