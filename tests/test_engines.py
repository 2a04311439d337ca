"""The engines: NumPy's hand-written gradients, and PyTorch computing the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

import galton
from galton.backends import canonical_name, get_backend, unavailable_reason
from galton.backends.common import init_params
from galton.spec import ACTIVATIONS, LOSSES, NetworkSpec, TrainConfig
from galton.training import train

ENGINES = ["numpy", "torch"]  # the engines this release ships; each must import in CI


def _problem(activation: str, hidden=(5, 4), n=23, d=3, seed=0):
    rng = np.random.default_rng(seed)
    net = NetworkSpec(d, hidden, activation)
    params = init_params(net, rng)
    params = [p + rng.normal(scale=0.1, size=p.shape) for p in params]  # non-zero biases
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    return net, params, X, y


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_imports(engine: str) -> None:
    assert unavailable_reason(engine) is None
    assert engine == get_backend(engine).NAME


def test_aliases_and_unknown_names() -> None:
    assert canonical_name("theano") == "pytensor"
    assert canonical_name("PyTorch") == "torch"
    with pytest.raises(galton.BackendUnavailableError, match="unknown backend 'caffe'"):
        canonical_name("caffe")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numpy_gradient_matches_finite_differences(activation: str, loss: str) -> None:
    net, params, X, y = _problem(activation)
    cfg = TrainConfig(loss=loss, weight_decay=0.01, huber_delta=0.5)
    trainer = get_backend("numpy").make_trainer(net, params, cfg, X, y)
    _, grads = trainer.loss_and_grad(params)
    rng = np.random.default_rng(1)
    h = 1e-6
    for i, p in enumerate(params):
        for _ in range(4):
            idx = tuple(rng.integers(0, s) for s in p.shape)
            plus = [q.copy() for q in params]
            minus = [q.copy() for q in params]
            plus[i][idx] += h
            minus[i][idx] -= h
            numeric = (trainer.loss_and_grad(plus)[0] - trainer.loss_and_grad(minus)[0]) / (2 * h)
            assert grads[i][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_torch_matches_numpy_loss_and_gradients(activation: str, loss: str) -> None:
    net, params, X, y = _problem(activation)
    cfg = TrainConfig(loss=loss, weight_decay=0.01)
    ref = get_backend("numpy").make_trainer(net, params, cfg, X, y).loss_and_grad(params)
    got = get_backend("torch").make_trainer(net, params, cfg, X, y).loss_and_grad(params)
    assert got[0] == pytest.approx(ref[0], rel=1e-10, abs=1e-14)
    for g_ref, g in zip(ref[1], got[1], strict=True):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_torch_optimizer_steps_match_numpy(optimizer: str) -> None:
    """Same initial parameters and batches: the same parameters after 200 steps."""
    net, params, X, y = _problem("tanh", n=64)
    cfg = TrainConfig(
        optimizer=optimizer,
        learning_rate=0.01,
        weight_decay=0.001,
        max_epochs=25,
        batch_size=8,
        early_stopping=False,
        patience=1000,
    )
    out = {e: train(get_backend(e), net, params, cfg, X, y, progress=False) for e in ENGINES}
    for p_ref, p in zip(out["numpy"].params, out["torch"].params, strict=True):
        np.testing.assert_allclose(p, p_ref, rtol=1e-8, atol=1e-12)
    assert out["numpy"].n_epochs == 25  # 25 epochs x 8 batches = 200 steps


@pytest.mark.parametrize("engine", ENGINES)
def test_float32_training_runs_in_float32(engine: str) -> None:
    net, params, X, y = _problem("relu")
    cfg = TrainConfig(optimizer="adam", dtype="float32", max_epochs=5, early_stopping=False)
    result = train(get_backend(engine), net, params, cfg, X, y, progress=False)
    assert all(p.dtype == np.float64 for p in result.params)  # shared format stays float64
    pred = get_backend(engine).predict(net, result.params, X, "float32")
    assert pred.dtype == np.float64 and np.isfinite(pred).all()
