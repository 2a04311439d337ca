"""NeuralRegressor: the linear neuron lands on least squares; an MLP fits curves."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NIST_DIR

import galton
from galton.backends import ENGINES as REGISTRY
from galton.data.datasets import load_dataset
from galton.data.nist import read_nist

ENGINES = list(REGISTRY)


def _linear_problems():
    for name in ("seed-least-squares", "seed-tensorflow", "seed-pytorch", "seed-theano"):
        frame = load_dataset(name)
        yield name, frame[["x"]], frame["y"].to_numpy()
    for name in ("Norris", "Pontius", "Longley"):
        problem = read_nist(NIST_DIR / f"{name}.dat")
        X = np.asarray(problem.X, dtype=float)
        if name == "Pontius":  # certified as a quadratic: the neuron's inputs are x and x^2
            X = np.column_stack([X[:, 0], X[:, 0] ** 2])
        yield name, X, problem.y


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("problem", list(_linear_problems()), ids=lambda p: p[0])
def test_linear_neuron_reaches_least_squares(problem, engine: str) -> None:
    _, X, y = problem
    ols = galton.LinearRegression().fit(X, y)
    net = galton.NeuralRegressor(hidden=(), backend=engine, seed=7).fit(X, y)
    got = np.r_[net.intercept_, net.coef_]
    # relative 1e-6; a coefficient that is exactly 0 (seed-pytorch's intercept) gets the same
    # tolerance relative to the largest coefficient
    np.testing.assert_allclose(got, ols.params_, rtol=1e-6, atol=1e-6 * np.abs(ols.params_).max())
    # trained from a random start: the history shows the loss falling to the optimum
    assert net.history_["train_loss"][0] > 2 * net.history_["train_loss"][-1]
    # conjugate gradients: at most 20 passes over the data (the tutorial recipe needs ~10,000)
    assert net.train_config_.optimizer == "cg" and net.history_["passes"][-1] <= 20


def test_cg_is_only_for_the_quadratic_loss() -> None:
    X, y = np.random.default_rng(0).normal(size=(50, 2)), np.arange(50.0)
    for kwargs in ({"hidden": (4,)}, {"hidden": (), "loss": "huber"}):
        with pytest.raises(galton.ParameterError, match="'cg' only for the linear neuron"):
            galton.NeuralRegressor(solver="cg", **kwargs).fit(X, y)
    # with a non-quadratic loss the automatic choice is not CG
    huber = galton.NeuralRegressor(hidden=(), loss="huber", max_epochs=20).fit(X, y)
    assert huber.train_config_.optimizer == "lbfgs"


def test_linear_neuron_starts_random_not_from_least_squares() -> None:
    frame = load_dataset("seed-theano")
    a = galton.NeuralRegressor(hidden=(), max_epochs=1, seed=1).fit(frame[["x"]], frame["y"])
    b = galton.NeuralRegressor(hidden=(), max_epochs=1, seed=2).fit(frame[["x"]], frame["y"])
    assert a.history_["train_loss"][0] != b.history_["train_loss"][0]


@pytest.mark.parametrize("engine", ENGINES)
def test_mlp_fits_a_curve_far_better_than_a_line(engine: str) -> None:
    frame = load_dataset("age-income")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(frame))
    train, test = frame.iloc[order[:2400]], frame.iloc[order[2400:]]
    y_test = test["income"].to_numpy()

    def rmse(model) -> float:
        return float(np.sqrt(np.mean((model.predict(test) - y_test) ** 2)))

    line = galton.LinearRegression().fit(train, "income")
    mlp = galton.NeuralRegressor(hidden=(32, 32), backend=engine, seed=0).fit(train, "income")
    assert rmse(mlp) <= 0.7 * rmse(line)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "lbfgs"])
@pytest.mark.parametrize("engine", ENGINES)
def test_every_solver_reduces_the_loss(engine: str, solver: str) -> None:
    frame = load_dataset("yacht")
    model = galton.NeuralRegressor(
        hidden=(16,),
        solver=solver,
        backend=engine,
        max_epochs=40,
        weight_decay=1e-4,
        schedule="cosine",
        seed=0,
    )
    model.fit(frame, "residuary_resistance")
    hist = model.history_["train_loss"]
    assert min(hist[1:]) < 0.5 * hist[0]
    # L-BFGS trains to its budget (weight decay regularises); the others stop early
    assert model.train_config_.early_stopping == (solver != "lbfgs")
    assert len(model.history_["val_loss"]) == (len(hist) if solver != "lbfgs" else 0)


def test_early_stopping_restores_the_best_epoch() -> None:
    frame = load_dataset("concrete")
    model = galton.NeuralRegressor(
        hidden=(64, 64), solver="adam", learning_rate=0.01, patience=5, max_epochs=400, seed=0
    )
    model.fit(frame, "strength")
    val = model.history_["val_loss"]
    assert model.stopped_early_
    assert model.best_epoch_ == int(np.argmin(val))
    assert model.metrics_["val_rmse"] > 0


def test_same_seed_same_model_different_seed_different_model() -> None:
    frame = load_dataset("yacht")
    fit = lambda seed: galton.NeuralRegressor(hidden=(8,), seed=seed, max_epochs=30).fit(  # noqa: E731
        frame, "residuary_resistance"
    )
    a, b, c = fit(3), fit(3), fit(4)
    for p, q in zip(a.params_, b.params_, strict=True):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a.params_[0], c.params_[0])


def test_losses_and_activations_train() -> None:
    frame = load_dataset("energy")
    for loss, activation in [("mae", "tanh"), ("huber", "silu"), ("mse", "sigmoid")]:
        model = galton.NeuralRegressor(
            hidden=(8,), loss=loss, activation=activation, max_epochs=60, seed=0
        ).fit(frame, "heating_load")
        assert model.metrics_["r2"] > 0.8, (loss, activation)


def test_prediction_intervals_cover_held_out_rows() -> None:
    frame = load_dataset("age-income")
    train, test = frame.iloc[:2500], frame.iloc[2500:]
    model = galton.NeuralRegressor(hidden=(32,), seed=0).fit(train, "income")
    pred, lower, upper = model.predict(test, interval=0.9)
    y = test["income"].to_numpy()
    coverage = np.mean((y >= lower) & (y <= upper))
    assert 0.82 <= coverage <= 0.97
    assert np.all(lower < pred) and np.all(pred < upper)


def test_coef_only_for_the_linear_neuron() -> None:
    frame = load_dataset("seed-theano")
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=5).fit(frame, "y")
    with pytest.raises(AttributeError, match="linear neuron"):
        _ = model.coef_


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("hidden", (64, 0), "a tuple of positive ints"),
        ("activation", "gelu", "a str among"),
        ("solver", "rmsprop", "a str among"),
        ("learning_rate", -1.0, "None or a positive float"),
    ],
)
def test_parameter_errors_name_the_parameter(param: str, value, expected: str) -> None:
    model = galton.NeuralRegressor(**{param: value})
    with pytest.raises(galton.ParameterError) as info:
        model.fit(np.ones((5, 1)), np.arange(5.0))
    message = str(info.value)
    assert message.startswith(f"The '{param}' parameter of NeuralRegressor must be {expected}")
    assert message.endswith(f"Got {value!r} instead.")


def test_tiny_data_turns_early_stopping_off_with_a_warning() -> None:
    frame = load_dataset("seed-pytorch")
    with pytest.warns(UserWarning, match="only 3 rows"):
        model = galton.NeuralRegressor(hidden=(4,), solver="adam", max_epochs=5).fit(frame, "y")
    assert not model.train_config_.early_stopping and model.history_["val_loss"] == []


def test_unavailable_engine_says_how_to_install() -> None:
    with pytest.raises(galton.BackendUnavailableError, match="caffe"):
        galton.NeuralRegressor(backend="caffe").fit(np.ones((5, 1)), np.arange(5.0))


def test_progress_bar_goes_to_stderr_only_when_asked(capsys) -> None:
    frame = load_dataset("yacht")
    galton.NeuralRegressor(hidden=(4,), max_epochs=3, progress=True).fit(
        frame, "residuary_resistance"
    )
    shown = capsys.readouterr()
    assert "epochs" in shown.err and shown.out == ""
    galton.NeuralRegressor(hidden=(4,), max_epochs=3).fit(frame, "residuary_resistance")
    silent = capsys.readouterr()
    assert silent.err == "" and silent.out == ""  # stderr is not a terminal under pytest


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_is_survived_and_reported(engine: str, tmp_path) -> None:
    frame = load_dataset("concrete")
    model = galton.NeuralRegressor(
        hidden=(32,), solver="sgd", learning_rate=50.0, max_epochs=15, backend=engine, seed=0
    )
    with pytest.warns(RuntimeWarning, match="diverged"):
        model.fit(frame, "strength")
    events = model.history_["events"]
    assert events and "halved the learning rate" in events[0]
    assert model.history_["lr"][-1] < 50.0
    assert all(np.isfinite(p).all() for p in model.params_)
    assert np.isfinite(model.predict(frame)).all()
    model.save(tmp_path / "m.galton")  # finite, so it may be saved


def test_non_finite_parameters_are_never_saved(tmp_path) -> None:
    frame = load_dataset("yacht")
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=3).fit(frame, "residuary_resistance")
    model.params_[0][0, 0] = np.nan
    with pytest.raises(galton.ModelFileError, match="non-finite"):
        model.save(tmp_path / "m.galton")
    assert not list(tmp_path.iterdir())


def test_the_recipe_resolves_every_auto_by_the_number_of_rows() -> None:
    """Up to 5000 training rows: L-BFGS for its iteration budget; above: the large-data
    recipe (Adam at 3e-3, batches of 128, a cosine schedule over about 15,000 steps)."""
    from galton.estimators.fitting.recipe import ADAM_STEP_BUDGET, resolve_config

    small = resolve_config(galton.NeuralRegressor(), 1000)
    assert (small.optimizer, small.max_epochs, small.early_stopping) == ("lbfgs", 1000, False)
    large = resolve_config(galton.NeuralRegressor(), 100_000)
    assert (large.optimizer, large.schedule, large.batch_size) == ("adam", "cosine", 128)
    assert large.learning_rate == 3e-3 and not large.early_stopping
    steps = large.max_epochs * -(-90_000 // 128)  # epochs x batches of the training rows
    assert abs(steps - ADAM_STEP_BUDGET) < 90_000 / 128
    neuron = resolve_config(galton.NeuralRegressor(hidden=()), 100_000)
    assert (neuron.optimizer, neuron.max_epochs) == ("cg", 200)
    streamed = resolve_config(galton.NeuralRegressor(hidden=(8,)), 1000, stream=True)
    assert streamed.optimizer == "adam" and streamed.early_stopping


@pytest.mark.parametrize(
    "engine, words", [("numpy", "runs on the CPU only"), ("torch", "sees no CUDA GPU")]
)
def test_device_cuda_is_refused_where_there_is_none(engine: str, words: str) -> None:
    from galton.backends import get_backend

    if get_backend(engine).has_cuda():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(galton.ParameterError, match=words):
        galton.NeuralRegressor(hidden=(4,), backend=engine, device="cuda").fit(
            np.zeros((20, 2)), np.arange(20.0)
        )
