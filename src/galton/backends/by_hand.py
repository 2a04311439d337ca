"""Forward and backward passes written by hand over an array namespace ``xp``.

NumPy trains with them (the reference engine), and so do the PyTorch engine's minibatch
steps: on small batches autograd's bookkeeping cost more than the arithmetic. The lines
use only what NumPy and PyTorch share (``@``, ``.T``, ``sum(axis=)``, ``clip(min=)``, ``xp.where``,
``xp.tanh``, ``xp.exp``, ``xp.abs``, ``xp.sign``, ``xp.logaddexp``, ``xp.zeros_like``,
``xp.concatenate``), so both engines run the same arithmetic.
"""

from __future__ import annotations

from typing import Any

from galton.backends.common import SQUARED_ERROR_ANCHOR, gaussian_nll, predicted_variance
from galton.spec import NetworkSpec, TrainConfig


def softplus(z: Any, xp: Any) -> Any:
    """``log(1 + exp(z))`` without overflow."""
    return xp.logaddexp(xp.zeros_like(z), z)


def logistic(z: Any, xp: Any) -> Any:
    """``1 / (1 + exp(-z))`` without overflow: ``exp(-softplus(-z))`` never exponentiates a
    positive number (``exp(-z)`` overflowed, with a warning, for z below about -709)."""
    return xp.exp(-softplus(-z, xp))


def activate(z: Any, name: str, xp: Any) -> Any:
    """The activation ``name`` at ``z``."""
    if name == "relu":
        return z.clip(min=0)
    if name == "tanh":
        return xp.tanh(z)
    if name == "sigmoid":
        return logistic(z, xp)
    if name == "silu":
        return z * logistic(z, xp)
    return z


def times_activation_grad(delta: Any, z: Any, name: str, xp: Any) -> Any:
    """``delta`` times the derivative of the activation at ``z`` (relu'(0) = 0, as in the
    other engines); relu through ``xp.relu_backward`` where the namespace has one (one
    kernel instead of a comparison, a cast and a product)."""
    if name == "relu":
        relu_backward = getattr(xp, "relu_backward", None)
        return delta * (z > 0) if relu_backward is None else relu_backward(delta, z)
    return delta * activation_grad(z, name, xp)


def activation_grad(z: Any, name: str, xp: Any) -> Any:
    """Derivative of a smooth activation at ``z``."""
    if name == "tanh":
        return 1 - xp.tanh(z) ** 2
    if name == "sigmoid":
        s = logistic(z, xp)
        return s * (1 - s)
    if name == "silu":
        s = logistic(z, xp)
        return s * (1 + z * (1 - s))
    return xp.ones_like(z)


def row_losses_and_douts(out: Any, y: Any, cfg: TrainConfig, xp: Any) -> tuple[Any, Any]:
    """Each row's loss (n,) and its derivative by the outputs (n, k)."""
    if cfg.loss == "gaussian":
        losses = gaussian_nll(out, y, lambda z: softplus(z, xp), xp.log)
        mean, raw = out[:, 0], out[:, 1]
        var = predicted_variance(raw, lambda z: softplus(z, xp))
        err = mean - y
        dvar = 0.5 / var - 0.5 * err**2 / var**2
        # softplus' is the logistic function
        dmean = err / var + SQUARED_ERROR_ANCHOR * err
        dscale = dvar * logistic(raw, xp)
        return losses, xp.concatenate([dmean[:, None], dscale[:, None]], axis=1)
    err = out[:, 0] - y
    if cfg.loss == "mse" and out.shape[1] == 1:  # the common case in three operations
        return err**2, (2 * err)[:, None]
    dout = xp.zeros_like(out)  # only the first output is a prediction (a Gaussian-loss
    # network trained on squared error first leaves its variance output alone)
    if cfg.loss == "mse":
        losses = err**2
        dout[:, 0] = 2 * err
    elif cfg.loss == "mae":
        losses = xp.abs(err)
        dout[:, 0] = xp.sign(err)
    else:
        delta = cfg.huber_delta
        small = xp.abs(err) <= delta
        losses = xp.where(small, 0.5 * err**2, delta * (xp.abs(err) - 0.5 * delta))
        dout[:, 0] = xp.where(small, err, delta * xp.sign(err))
    return losses, dout


def loss_and_dout(out: Any, y: Any, cfg: TrainConfig, xp: Any) -> tuple[float, Any]:
    """Mean loss over the batch of outputs ``out`` (n, k) and its derivative (n, k); ``y``
    (n,) or (n, 2) with row weights (``backends.base.data_loss``)."""
    n = out.shape[0]
    weights = y[:, 1] if y.ndim == 2 else None
    losses, dout = row_losses_and_douts(out, y[:, 0] if y.ndim == 2 else y, cfg, xp)
    if weights is not None:
        losses, dout = weights * losses, weights[:, None] * dout
    return float(losses.mean()), dout / n


def forward(params: list[Any], X: Any, activation: str, xp: Any) -> tuple[Any, list[tuple]]:
    """Outputs of shape (n, k) and the per-layer (input, pre-activation) cache."""
    h = X
    cache = []
    n_layers = len(params) // 2
    for layer in range(n_layers):
        z = h @ params[2 * layer] + params[2 * layer + 1]
        cache.append((h, z))
        h = activate(z, activation, xp) if layer < n_layers - 1 else z
    if len(params) % 2:  # the skip path
        h = h + X @ params[-1]
    return h, cache


def backward(params: list[Any], cache: list, dout: Any, activation: str, xp: Any) -> list[Any]:
    """Gradients of the loss with respect to every parameter, given dloss/doutputs (n, k)."""
    grads: list[Any] = [None] * len(params)
    if len(params) % 2:  # the skip path: d(X Ws) / dWs
        grads[-1] = cache[0][0].T @ dout
    delta = dout
    for layer in range(len(cache) - 1, -1, -1):
        h, _ = cache[layer]
        grads[2 * layer] = h.T @ delta
        grads[2 * layer + 1] = delta.sum(axis=0)
        if layer > 0:
            delta = times_activation_grad(
                delta @ params[2 * layer].T, cache[layer - 1][1], activation, xp
            )
    return grads


def objective(
    net: NetworkSpec, cfg: TrainConfig, params: list[Any], X: Any, y: Any, xp: Any
) -> tuple[float, list[Any]]:
    """Mean data loss over the rows ``X`` (n, d), ``y`` (n,) and its gradients (no penalty)."""
    out, cache = forward(params, X, net.activation, xp)
    loss, dout = loss_and_dout(out, y, cfg, xp)
    return loss, backward(params, cache, dout, net.activation, xp)
