"""One conformance suite for every engine in the registry.

A new engine is tested by registering it: every test here is parametrised over
``galton.backends.ENGINES`` and compares the engine with the NumPy reference. An engine
that fails to import is a failure, never a skip.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradients import assert_matches_differences, assert_same_loss_and_grads

import galton
from galton.backends import ENGINES as REGISTRY
from galton.backends import canonical_name, get_backend, unavailable_reason
from galton.backends.common import init_params
from galton.data.datasets import load_dataset
from galton.spec import ACTIVATIONS, LOSSES, NetworkSpec, TrainConfig
from galton.training import train

ENGINES = list(REGISTRY)
OTHERS = [e for e in ENGINES if e != "numpy"]


def _problem(activation: str, hidden=(5, 4), n=23, d=3, seed=0, loss="mse"):
    rng = np.random.default_rng(seed)
    net = NetworkSpec(d, hidden, activation, n_outputs=2 if loss == "gaussian" else 1)
    params = init_params(net, rng)
    params = [p + rng.normal(scale=0.1, size=p.shape) for p in params]  # non-zero biases
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    return net, params, X, y


def test_registry_lists_the_five_engines() -> None:
    assert ENGINES == ["numpy", "torch", "tensorflow", "pytensor", "jax"]


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_imports(engine: str) -> None:
    assert unavailable_reason(engine) is None
    assert engine == get_backend(engine).name


def test_aliases_and_unknown_names() -> None:
    assert canonical_name("theano") == "pytensor"
    assert canonical_name("PyTorch") == "torch"
    assert get_backend("theano").name == "pytensor"
    with pytest.raises(galton.BackendUnavailableError, match="unknown backend 'caffe'"):
        canonical_name("caffe")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numpy_gradient_matches_finite_differences(activation: str, loss: str) -> None:
    net, params, X, y = _problem(activation, loss=loss)
    cfg = TrainConfig(loss=loss, weight_decay=0.01, huber_delta=0.5)
    trainer = get_backend("numpy").make_trainer(net, params, cfg, X, y)
    _, grads = trainer.loss_and_grad(params)
    rng = np.random.default_rng(1)
    for i, p in enumerate(params):
        for _ in range(4):
            idx = tuple(rng.integers(0, s) for s in p.shape)
            assert_matches_differences(trainer, params, grads, i, idx)


@pytest.mark.parametrize("engine", OTHERS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_loss_and_gradients_match_numpy(engine: str, activation: str, loss: str) -> None:
    net, params, X, y = _problem(activation, loss=loss)
    cfg = TrainConfig(loss=loss, weight_decay=0.01)
    ref = get_backend("numpy").make_trainer(net, params, cfg, X, y).loss_and_grad(params)
    got = get_backend(engine).make_trainer(net, params, cfg, X, y).loss_and_grad(params)
    assert_same_loss_and_grads(got, ref)


@pytest.mark.parametrize("engine", OTHERS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_200_optimizer_steps_match_numpy(engine: str, optimizer: str) -> None:
    """Same initial parameters and batches, float64: the same parameters after 200 steps."""
    net, params, X, y = _problem("tanh", n=64)
    cfg = TrainConfig(
        optimizer=optimizer,
        learning_rate=0.01,
        momentum=0.9,
        weight_decay=0.001,
        max_epochs=25,
        batch_size=8,
        early_stopping=False,
        patience=1000,
    )
    ref = train(get_backend("numpy"), net, params, cfg, X, y, progress=False)
    got = train(get_backend(engine), net, params, cfg, X, y, progress=False)
    assert ref.n_epochs == 25  # 25 epochs x 8 batches = 200 steps
    for p_ref, p in zip(ref.params, got.params, strict=True):
        np.testing.assert_allclose(p, p_ref, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.history["train_loss"], ref.history["train_loss"], rtol=1e-8)


@pytest.mark.parametrize("engine", OTHERS)
def test_lbfgs_matches_numpy(engine: str) -> None:
    net, params, X, y = _problem("silu", n=40)
    cfg = TrainConfig(optimizer="lbfgs", max_epochs=30, early_stopping=False, weight_decay=1e-3)
    ref = train(get_backend("numpy"), net, params, cfg, X, y, progress=False)
    got = train(get_backend(engine), net, params, cfg, X, y, progress=False)
    for p_ref, p in zip(ref.params, got.params, strict=True):
        np.testing.assert_allclose(p, p_ref, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_float32_training_runs_in_float32(engine: str) -> None:
    net, params, X, y = _problem("relu")
    cfg = TrainConfig(optimizer="adam", dtype="float32", max_epochs=5, early_stopping=False)
    result = train(get_backend(engine), net, params, cfg, X, y, progress=False)
    assert all(p.dtype == np.float64 for p in result.params)  # shared format stays float64
    ref = train(get_backend("numpy"), net, params, cfg, X, y, progress=False)
    for p_ref, p in zip(ref.params, result.params, strict=True):
        np.testing.assert_allclose(p, p_ref, rtol=1e-4, atol=1e-5)  # float32 rounding only
    pred = get_backend(engine).predict(net, result.params, X, "float32")
    assert pred.dtype == np.float64 and np.isfinite(pred).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_linear_neuron_reaches_least_squares(engine: str) -> None:
    frame = load_dataset("seed-theano")
    ols = galton.LinearRegression().fit(frame, "y")
    net = galton.NeuralRegressor(hidden=(), backend=engine, seed=3).fit(frame, "y")
    np.testing.assert_allclose(np.r_[net.intercept_, net.coef_], ols.params_, rtol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_estimator_features_run_on_every_engine(engine: str) -> None:
    """Early stopping, schedules, weight decay, every activation and loss, minibatches,
    ensembles of Gaussian-loss networks and their intervals."""
    frame = load_dataset("yacht")
    for activation, loss, solver, schedule, ensemble in [
        ("relu", "mse", "adam", "cosine", 1),
        ("tanh", "huber", "sgd", "step", 1),
        ("silu", "mae", "adamw", "constant", 1),
        ("sigmoid", "mse", "lbfgs", "constant", 1),
        ("relu", "gaussian", "adam", "constant", 2),
    ]:
        model = galton.NeuralRegressor(
            hidden=(8,),
            activation=activation,
            loss=loss,
            ensemble=ensemble,
            solver=solver,
            schedule=schedule,
            weight_decay=1e-4,
            max_epochs=30,
            patience=5,
            early_stopping=True,
            backend=engine,
            seed=0,
        )
        model.fit(frame, "residuary_resistance")
        hist = model.history_["train_loss"]
        assert min(hist[1:]) < hist[0], (activation, loss, solver)
        assert model.history_["val_loss"]
        band = model.predict(frame.head(20), interval=0.9)
        assert np.all(band.lower < band.upper)


@pytest.mark.parametrize("trained_on", ENGINES)
def test_saved_model_predicts_the_same_on_every_engine(tmp_path: Path, trained_on: str) -> None:
    frame = load_dataset("concrete")
    model = galton.NeuralRegressor(hidden=(16, 8), backend=trained_on, max_epochs=20, seed=0)
    model.fit(frame, "strength")
    path = tmp_path / "net.galton"
    model.save(path)
    expected = model.predict(frame)
    for loaded_on in ENGINES:
        loaded = galton.load(path, backend=loaded_on)
        np.testing.assert_allclose(loaded.predict(frame), expected, rtol=1e-12, atol=1e-12)


def test_a_missing_framework_is_explained_with_its_install_command(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a)
    )
    reason = unavailable_reason("jax")
    assert reason is not None and "pip install 'galton[jax]'" in reason
    with pytest.raises(galton.BackendUnavailableError, match=r"galton\[jax\]"):
        galton.NeuralRegressor(backend="jax").fit(np.ones((5, 1)), np.arange(5.0))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_interrupted_and_resumed_training_equals_an_uninterrupted_run(
    engine: str, optimizer: str, tmp_path: Path
) -> None:
    from galton.training.checkpoint import read_checkpoint, write_checkpoint
    from galton.training.loop import Checkpointing, TrainingInterrupted

    net, params, X, y = _problem("tanh", n=64)
    X_val, y_val = X[:16], y[:16]
    cfg = TrainConfig(
        optimizer=optimizer,
        learning_rate=0.05,
        max_epochs=12,
        batch_size=8,
        patience=3,
        weight_decay=1e-3,
    )
    backend = get_backend(engine)
    whole = train(backend, net, params, cfg, X, y, X_val, y_val, progress=False)
    path = tmp_path / "ckpt"
    calls = {"n": 0}

    def stop_after_five() -> bool:
        calls["n"] += 1
        return calls["n"] == 5

    hooks = Checkpointing(stop_after_five, lambda st: write_checkpoint(path, st, {}))
    with pytest.raises(TrainingInterrupted):
        train(backend, net, params, cfg, X, y, X_val, y_val, progress=False, checkpointing=hooks)
    state, _ = read_checkpoint(path)
    assert state["epoch"] == 5
    resumed = train(
        backend,
        net,
        params,
        cfg,
        X,
        y,
        X_val,
        y_val,
        progress=False,
        checkpointing=Checkpointing(lambda: False, lambda st: None, state),
    )
    for a, b in zip(whole.params, resumed.params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert whole.history == resumed.history and whole.best_epoch == resumed.best_epoch


@pytest.mark.parametrize("namespace", ["numpy", "torch"])
def test_logistic_is_exact_and_silent_at_extremes(namespace: str) -> None:
    """The hand-written logistic (sigmoid and silu, the Gaussian loss's variance gradient)
    never exponentiates a large positive number: no overflow warning far out in either
    tail, and it agrees with scipy's ``expit`` everywhere."""
    import warnings

    from scipy.special import expit

    from galton.backends.by_hand import logistic

    xp = np if namespace == "numpy" else pytest.importorskip("torch")
    z = np.array([-1000.0, -745.0, -709.5, -40.0, -1.5, 0.0, 2.0, 40.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        got = logistic(xp.asarray(z) if namespace == "numpy" else xp.tensor(z), xp)
    np.testing.assert_allclose(np.asarray(got), expit(z), rtol=1e-12, atol=1e-300)


def test_gaussian_loss_gradient_is_finite_for_a_vanishing_variance() -> None:
    """A variance output far below zero (softplus ~ 0: the floor variance) gives a finite
    loss and gradient without an overflow warning (it warned in a UCI ensemble run)."""
    import warnings

    net, params, X, y = _problem("relu", loss="gaussian")
    params[-1][..., 1] = -1000.0  # the output bias of the raw scale
    trainer = get_backend("numpy").make_trainer(net, params, TrainConfig(loss="gaussian"), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = trainer.loss_and_grad(params)
    assert np.isfinite(loss)
    assert all(np.isfinite(g).all() for g in grads)
