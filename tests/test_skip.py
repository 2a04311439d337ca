"""The skip path (issue 19, item 1): a linear path from the inputs to the output beside
the hidden layers, never decayed. Its gradients are the same on every engine as NumPy's
(themselves checked by finite differences), it starts random, a strong weight decay on
the hidden layers leaves least squares, and it survives the model file and ONNX."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from gradients import assert_matches_differences, assert_same_loss_and_grads

import galton
from galton.backends import ENGINES as REGISTRY
from galton.backends import get_backend
from galton.backends.common import decay_vector, init_params, is_weight
from galton.onnx_export import export_onnx, onnx_inputs
from galton.spec import NetworkSpec, TrainConfig

OTHERS = [e for e in REGISTRY if e != "numpy"]


def _problem(loss: str = "mse", seed: int = 0):
    rng = np.random.default_rng(seed)
    net = NetworkSpec(3, (5, 4), "tanh", 2 if loss == "gaussian" else 1, skip=True)
    params = init_params(net, rng)
    return net, params, rng.normal(size=(31, 3)), rng.normal(size=31)


def test_the_skip_weights_come_last_random_and_undecayed():
    net, params, _, _ = _problem()
    assert [p.shape for p in params][-1] == (3, 1) and len(params) == 7
    assert np.all(params[-1] != 0)  # a random start, not zeros nor least squares
    assert [is_weight(i, 7) for i in range(7)] == [True, False, True, False, True, False, False]
    assert decay_vector(net.param_shapes(), 0.5)[-3:].tolist() == [0.0, 0.0, 0.0]
    assert NetworkSpec(3, (), skip=True).param_shapes() == [(3, 1), (1,)]  # no hidden: none


@pytest.mark.parametrize("loss", ["mse", "gaussian"])
def test_numpy_gradient_matches_finite_differences(loss):
    net, params, X, y = _problem(loss)
    trainer = get_backend("numpy").make_trainer(net, params, TrainConfig(loss=loss), X, y)
    _, grads = trainer.loss_and_grad(params)
    for i, p in enumerate(params):
        assert_matches_differences(trainer, params, grads, i, tuple(s // 2 for s in p.shape))


@pytest.mark.parametrize("engine", OTHERS)
def test_engines_match_numpy(engine):
    net, params, X, y = _problem()
    cfg = TrainConfig(weight_decay=0.01)
    ref = get_backend("numpy").make_trainer(net, params, cfg, X, y).loss_and_grad(params)
    got = get_backend(engine).make_trainer(net, params, cfg, X, y).loss_and_grad(params)
    assert_same_loss_and_grads(got, ref, loss_abs=0.0)


@pytest.fixture(scope="module")
def line():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    frame["y"] = 2 * frame.a - frame.b + 0.5 * frame.c + rng.normal(size=400)
    return frame


def test_a_strong_decay_leaves_least_squares(line):
    """With the hidden layers decayed away, gradient descent lands on the least-squares
    line through the skip path, from a random start."""
    exact = galton.LinearRegression().fit(line, "y")
    net = galton.NeuralRegressor(
        hidden=(16,), skip=True, weight_decay=100.0, seed=0, progress=False
    )
    net.fit(line, "y")
    assert net.history_["train_loss"][-1] < net.history_["train_loss"][0]
    X = line.drop(columns="y")
    gap = np.sqrt(np.mean((net.predict(X) - exact.predict(X)) ** 2))
    assert gap < 0.02 * np.std(line.y)


def test_model_file_and_onnx_keep_the_skip_path(line, tmp_path):
    net = galton.NeuralRegressor(hidden=(8,), skip=True, max_epochs=50, seed=1, progress=False)
    net.fit(line, "y")
    net.save(tmp_path / "m.galton")
    loaded = galton.load(tmp_path / "m.galton")
    assert loaded.net_.has_skip
    X = line.drop(columns="y")
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    export_onnx(net, tmp_path / "m.onnx")
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, onnx_inputs(net, X))[0][:, 0]
    np.testing.assert_allclose(got, net.predict(X), rtol=1e-5)


def test_the_search_can_switch_the_hidden_layers_off(line):
    """``weight_decay="auto"`` with a skip path: on a line the validation rows choose a
    decay that leaves least squares; on a curve a small one that keeps the bend."""
    exact = galton.LinearRegression().fit(line, "y")
    net = galton.NeuralRegressor(hidden=(16,), skip=True, seed=0, progress=False).fit(line, "y")
    assert set(net.weight_decay_search_) == {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0}
    X = line.drop(columns="y")
    gap = np.sqrt(np.mean((net.predict(X) - exact.predict(X)) ** 2))
    assert gap < 0.02 * np.std(line.y)  # without the skip path: 0.064 (measured)
    curved = line.assign(y=line.a**2 + line.b)
    bent = galton.NeuralRegressor(hidden=(16,), skip=True, seed=0, progress=False).fit(curved, "y")
    assert bent.train_config_.weight_decay <= 1e-2
    assert bent.score(X, curved.y) > 0.98
