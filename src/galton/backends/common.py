"""Arithmetic every engine shares: initialisation, the Gaussian loss, optimizer updates,
parameter layouts (the engine contract itself is ``galton.backends.base``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    if net.has_skip:  # the linear path starts random too (Glorot), never at least squares
        fan_in, fan_out = shapes[-1]
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)))
    return params


#: Floor of the predicted variance (standardised units) under the Gaussian loss, so a
#: network cannot buy likelihood by shrinking a variance to zero.
MIN_VARIANCE = 1e-6
LOG_2PI = float(np.log(2 * np.pi))
#: Weight of the squared-error anchor added to the Gaussian negative log-likelihood (in
#: standardised units: a second Gaussian of unit variance, the target's own). Plain NLL
#: lets a network give up on rows by inflating their variance: a Gaussian ensemble's test
#: RMSE on UCI energy and yacht was 5x its squared-error twin's. The anchor keeps the mean
#: fitting every row while the NLL shapes the variance, and stays a true objective, which
#: L-BFGS's line search needs (beta-NLL's stopped gradient is not one).
SQUARED_ERROR_ANCHOR = 1.0


def numpy_softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` without overflow."""
    return np.logaddexp(0, z)


def predicted_variance(raw: Any, softplus: Callable[[Any], Any] = numpy_softplus) -> Any:
    """The variance a Gaussian-loss network predicts from its raw scale output: softplus
    (the engine's own, NumPy's by default) plus the floor ``MIN_VARIANCE``."""
    return softplus(raw) + MIN_VARIANCE


def gaussian_nll(
    out: Any, y: Any, softplus: Callable[[Any], Any], log: Callable[[Any], Any]
) -> Any:
    """Per-row Gaussian negative log-likelihood of ``y`` (n,) under outputs ``out`` (n, 2),
    plus the squared-error anchor: the outputs are the mean and the raw scale, whose
    softplus plus ``MIN_VARIANCE`` is the variance.

    Pure arithmetic like ``optimizer_update``: engines pass their own softplus and log.
    """
    var = predicted_variance(out[:, 1], softplus)
    sq = (y - out[:, 0]) ** 2
    return 0.5 * (LOG_2PI + log(var) + sq / var + SQUARED_ERROR_ANCHOR * sq)


def outputs_as_predictions(out: np.ndarray) -> np.ndarray:
    """An engine's output matrix (n, k) as ``predict`` returns it: shape (n,) for one
    output, (n, 2) (mean, raw scale) for the Gaussian loss; float64."""
    out = np.asarray(out, dtype=np.float64)
    return out[:, 0] if out.shape[1] == 1 else out


ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


def optimizer_update(
    name: str,
    param: Any,
    grad: Any,
    m: Any,
    v: Any,
    t: Any,
    lr: Any,
    momentum: float,
    decay: Any,
    sqrt: Callable[[Any], Any],
) -> tuple[Any, Any, Any]:
    """One optimizer update of one parameter, returning ``(param, m, v)``.

    Pure arithmetic, so the same lines serve NumPy arrays, TensorFlow tensors, JAX arrays
    and PyTensor symbols; only ``sqrt`` is the engine's own. The formulas are PyTorch's:
    SGD keeps ``m = momentum * m + g`` (``m`` starts at zero, so step one is plain ``g``);
    Adam divides the bias-corrected moments with ``eps`` outside the square root; ``decay``
    is an L2 term added to the gradient, except for AdamW where it shrinks the parameter.
    ``t`` is the 1-based step number.
    """
    if name == "sgd":
        m = momentum * m + (grad + decay * param)
        return param - lr * m, m, v
    if name == "adamw":
        param = param * (1 - lr * decay)
        g = grad
    else:
        g = grad + decay * param
    m = ADAM_BETA1 * m + (1 - ADAM_BETA1) * g
    v = ADAM_BETA2 * v + (1 - ADAM_BETA2) * g * g
    m_hat = m / (1 - ADAM_BETA1**t)
    v_hat = v / (1 - ADAM_BETA2**t)
    return param - lr * m_hat / (sqrt(v_hat) + ADAM_EPS), m, v


def is_weight(index: int, count: int) -> bool:
    """Weight decay applies to the layers' weight matrices (even indices of a list of
    ``count`` parameters), not to biases nor to a skip path's weights (the odd last one)."""
    return index % 2 == 0 and not (count % 2 == 1 and index == count - 1)


def flatten_params(params: list[np.ndarray]) -> np.ndarray:
    """The parameter list as one float64 vector (the layout of ``unflatten_params``)."""
    return np.concatenate([np.ravel(p) for p in params]).astype(np.float64)


def unflatten_params(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """Split a flat vector into arrays of ``shapes``; the pieces are views of ``flat``."""
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[start : start + size].reshape(shape))
        start += size
    return out


def add_penalty(
    loss: float, grads: list[np.ndarray], params: list[np.ndarray], weight_decay: float
) -> tuple[float, list[np.ndarray]]:
    """The data ``loss`` and ``grads`` plus the L2 penalty ``weight_decay / 2 * |W|^2`` on
    the weights (not the biases), in float64."""
    grads = list(grads)
    for i, p in enumerate(params):
        if weight_decay and is_weight(i, len(params)):
            loss += 0.5 * weight_decay * float(np.sum(p * p))
            grads[i] = grads[i] + weight_decay * p
    return float(loss), [np.asarray(g, dtype=np.float64) for g in grads]


def decay_vector(shapes: list[tuple[int, ...]], weight_decay: float) -> np.ndarray:
    """Per-entry weight decay for a flat parameter vector: ``weight_decay`` on weights, 0 on
    biases."""
    return np.concatenate(
        [
            np.full(int(np.prod(s)), weight_decay if is_weight(i, len(shapes)) else 0.0)
            for i, s in enumerate(shapes)
        ]
    )
