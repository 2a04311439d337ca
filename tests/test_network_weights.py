"""Row weights in networks (issue 16): every engine minimises the weighted mean loss, the
same to 1e-8 as the NumPy reference, and a weight is a row's multiplicity."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from gradients import assert_matches_differences, assert_same_loss_and_grads

import galton
from galton.backends import ENGINES as REGISTRY
from galton.backends import get_backend
from galton.backends.common import init_params
from galton.spec import LOSSES, NetworkSpec, TrainConfig
from galton.training import train

ENGINES = list(REGISTRY)
OTHERS = [e for e in ENGINES if e != "numpy"]


def _problem(n=31, d=3, loss="mse", seed=0):
    rng = np.random.default_rng(seed)
    net = NetworkSpec(d, (5, 4), "tanh", n_outputs=2 if loss == "gaussian" else 1)
    params = [p + rng.normal(scale=0.1, size=p.shape) for p in init_params(net, rng)]
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    counts = rng.integers(1, 4, n).astype(float)  # integer weights: multiplicities
    return net, params, X, y, counts


def _packed(y, w):
    return np.column_stack([y, w / w.mean()])


@pytest.mark.parametrize("loss", LOSSES)
def test_an_integer_weight_is_a_repeated_row(loss: str) -> None:
    net, params, X, y, counts = _problem(loss=loss)
    cfg = TrainConfig(loss=loss, weight_decay=0.01, huber_delta=0.5)
    numpy_engine = get_backend("numpy")
    weighted = numpy_engine.make_trainer(net, params, cfg, X, _packed(y, counts))
    rows = np.repeat(np.arange(len(y)), counts.astype(int))
    repeated = numpy_engine.make_trainer(net, params, cfg, X[rows], y[rows])
    (a, ga), (b, gb) = weighted.loss_and_grad(params), repeated.loss_and_grad(params)
    assert a == pytest.approx(b, rel=1e-12)
    for g1, g2 in zip(ga, gb, strict=True):
        np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-14)
    # and the weights matter: unweighted is another loss
    assert numpy_engine.make_trainer(net, params, cfg, X, y).loss_and_grad(params)[0] != a


@pytest.mark.parametrize("loss", LOSSES)
def test_numpy_weighted_gradient_matches_finite_differences(loss: str) -> None:
    net, params, X, y, counts = _problem(loss=loss)
    trainer = get_backend("numpy").make_trainer(
        net, params, TrainConfig(loss=loss, huber_delta=0.5), X, _packed(y, counts)
    )
    _, grads = trainer.loss_and_grad(params)
    for i, p in enumerate(params):
        assert_matches_differences(trainer, params, grads, i, tuple(s // 2 for s in p.shape))


@pytest.mark.parametrize("engine", OTHERS)
@pytest.mark.parametrize("loss", LOSSES)
def test_weighted_loss_and_gradients_match_numpy(engine: str, loss: str) -> None:
    net, params, X, y, counts = _problem(loss=loss)
    cfg = TrainConfig(loss=loss, weight_decay=0.01)
    target = _packed(y, counts)
    ref = get_backend("numpy").make_trainer(net, params, cfg, X, target).loss_and_grad(params)
    got = get_backend(engine).make_trainer(net, params, cfg, X, target).loss_and_grad(params)
    assert_same_loss_and_grads(got, ref)


@pytest.mark.parametrize("engine", OTHERS)
def test_weighted_adam_steps_with_early_stopping_match_numpy(engine: str) -> None:
    net, params, X, y, counts = _problem(n=80)
    target = _packed(y, counts)
    cfg = TrainConfig(
        optimizer="adam",
        learning_rate=0.01,
        max_epochs=20,
        batch_size=8,
        early_stopping=True,
        patience=1000,
    )
    args = (net, params, cfg, X[:64], target[:64], X[64:], target[64:])
    ref = train(get_backend("numpy"), *args, progress=False)
    got = train(get_backend(engine), *args, progress=False)
    for p_ref, p in zip(ref.params, got.params, strict=True):
        np.testing.assert_allclose(p, p_ref, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.history["val_loss"], ref.history["val_loss"], rtol=1e-8)


def test_the_weighted_linear_neuron_reaches_weighted_least_squares() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    w = rng.uniform(0.2, 5.0, 300)
    y = X @ [1.0, -2.0, 0.5] + 0.3 + rng.normal(size=300) / np.sqrt(w)
    neuron = galton.NeuralRegressor(hidden=(), solver="lbfgs", weight_decay=0.0, seed=0)
    neuron.fit(X, y, sample_weight=w)
    wls = sm.WLS(y, sm.add_constant(X), weights=w).fit()
    np.testing.assert_allclose(neuron.coef_, wls.params[1:], rtol=1e-5)
    assert neuron.intercept_ == pytest.approx(wls.params[0], rel=1e-5)
    unweighted = sm.OLS(y, sm.add_constant(X)).fit().params[1:]
    assert np.max(np.abs(neuron.coef_ - unweighted)) > 1e-3  # the weights were used


@pytest.mark.parametrize("engine", ENGINES)
def test_weighted_networks_train_on_every_engine_from_a_column(engine: str) -> None:
    rng = np.random.default_rng(5)
    import pandas as pd

    frame = pd.DataFrame(rng.normal(size=(120, 2)), columns=["a", "b"])
    frame["y"] = np.sin(frame["a"]) + frame["b"]
    frame["w"] = rng.uniform(0.5, 2.0, 120)
    frame.loc[:9, "w"] = 0.0  # rows of weight 0 are left out
    # a fixed decay: one training per fit (the search's weights are tested on numpy below)
    settings = {"hidden": (8,), "backend": engine, "max_epochs": 30, "seed": 1}
    net = galton.NeuralRegressor(weight_decay=1e-3, **settings)
    net.fit(frame, "y", sample_weight="w")
    assert net.feature_names_in_ == ["a", "b"] and net.n_samples_ == 110
    assert net.history_["train_loss"][-1] < net.history_["train_loss"][0]
    plain = galton.NeuralRegressor(weight_decay=1e-3, **settings)
    plain.fit(frame.iloc[10:].drop(columns="w"), "y")
    assert not np.allclose(net.predict(frame), plain.predict(frame))


def test_weights_count_in_the_cross_validated_choice() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] + rng.normal(scale=0.3, size=60)
    w = np.where(X[:, 0] > 0, 4.0, 0.25)  # the bending half counts sixteen times more
    settings = {"hidden": (8,), "max_epochs": 100, "seed": 2}
    weighted = galton.NeuralRegressor(**settings).fit(X, y, sample_weight=w)
    plain = galton.NeuralRegressor(**settings).fit(X, y)
    assert weighted.calibration_.source == plain.calibration_.source == "cross-validation"
    # the candidates' cross-validated RMSE is weighted, as the held-out search's is
    assert weighted.weight_decay_search_ != pytest.approx(plain.weight_decay_search_)


def test_a_weighted_update_weighs_the_new_rows() -> None:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(100, 2))
    y = X[:, 0] - X[:, 1]
    first = galton.NeuralRegressor(hidden=(4,), max_epochs=20, seed=0).fit(X, y)
    a = galton.NeuralRegressor(hidden=(4,), max_epochs=20, seed=0).fit(X, y)
    a.partial_fit(X[:20], y[:20] + 1, sample_weight=np.r_[np.full(10, 5.0), np.ones(10)])
    first.partial_fit(X[:20], y[:20] + 1)
    assert not np.allclose(a.predict(X), first.predict(X))
