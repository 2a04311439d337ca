"""The engine registry: names, aliases, lazy import and availability.

Each engine is one module whose ``ENGINE`` is a ``galton.backends.base.Engine`` (its
trainer class and ``predict``); heavy frameworks are imported only when the engine is
first used.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from galton.backends.base import Engine
from galton.errors import BackendUnavailableError


@dataclass(frozen=True)
class EngineInfo:
    """What the registry knows about an engine before importing it."""

    name: str
    module: str
    framework: str
    install: str
    note: str = ""


ENGINES: dict[str, EngineInfo] = {
    e.name: e
    for e in [
        EngineInfo(
            "numpy",
            "galton.backends.numpy_engine",
            "numpy",
            "pip install galton",
            "hand-written forward and backward passes: the reference engine",
        ),
        EngineInfo(
            "torch",
            "galton.backends.torch_engine",
            "torch",
            "pip install torch==2.13.0 && pip install 'galton[torch]'",
            "minibatch steps by hand over tensors (one fused Adam kernel); autograd for L-BFGS",
        ),
        EngineInfo(
            "tensorflow",
            "galton.backends.tensorflow_engine",
            "tensorflow",
            "pip install 'galton[tensorflow]'",
            "tf.function around tf.GradientTape, optimizer written in TensorFlow ops",
        ),
        EngineInfo(
            "pytensor",
            "galton.backends.pytensor_engine",
            "pytensor",
            "pip install 'galton[pytensor]'",
            "Theano's way: shared variables, symbolic grad, one compiled function with updates",
        ),
        EngineInfo(
            "jax",
            "galton.backends.jax_engine",
            "jax",
            "pip install 'galton[jax]'",
            "jax.jit step with jax.value_and_grad (enables jax_enable_x64 for float64)",
        ),
    ]
}
ALIASES = {"theano": "pytensor", "pytorch": "torch", "tf": "tensorflow", "np": "numpy"}


def canonical_name(name: str) -> str:
    """The registry name for ``name`` or one of its aliases (``theano`` -> ``pytensor``)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in ENGINES:
        known = ", ".join([*ENGINES, *ALIASES])
        raise BackendUnavailableError(f"unknown backend '{name}' (known: {known})")
    return key


def unavailable_reason(name: str) -> str | None:
    """Why an engine cannot be used here, or None when it can."""
    info = ENGINES[canonical_name(name)]
    if importlib.util.find_spec(info.framework) is None:
        return f"{info.framework} is not installed; install with: {info.install}"
    if importlib.util.find_spec(info.module) is None:
        return f"galton's {info.name} engine is not implemented in this version yet"
    return None


def get_backend(name: str) -> Engine:
    """Import the engine module for ``name`` (alias allowed) and return its ``Engine``."""
    key = canonical_name(name)
    reason = unavailable_reason(key)
    if reason:
        raise BackendUnavailableError(f"backend '{name}' is unavailable: {reason}")
    try:
        return importlib.import_module(ENGINES[key].module).ENGINE
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend '{name}' failed to import ({exc}); reinstall with: {ENGINES[key].install}"
        ) from None
