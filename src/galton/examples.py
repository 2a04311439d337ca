"""The four tutorial examples of ``shared/data/seed_examples.md``, reproduced through galton.

Each example runs the tutorial's procedure with galton's own estimators and reports three
numbers per quantity: what the tutorial printed, what galton got, and the exact
least-squares answer, with the check that must hold.

The tutorials scale their losses differently from galton's mean squared error; the learning
rates below are converted so every update is the tutorial's own:

- tensorflow: ``sum(e**2) / (2 * 50)`` on one point at a time with rate 0.01 is galton's
  ``mse`` on a batch of one with rate ``0.01 / 100``;
- pytorch: ``sum(e**2)`` over the three points with rate 0.01 is ``mse`` with rate 0.03;
- theano: ``sum(e**2) / (2 n)`` with rate 0.01 is ``mse`` with rate 0.005.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from galton.data.datasets import load_dataset, seed_tensorflow_data
from galton.estimators import LinearRegression, NeuralRegressor

NAMES = ("least-squares", "tensorflow", "pytorch", "theano")


@dataclass(frozen=True)
class Check:
    """One quantity: the tutorial's number, galton's, the exact one, and the test applied."""

    quantity: str
    tutorial: float | None
    galton: float
    exact: float | None
    rule: str
    passed: bool


@dataclass
class ExampleResult:
    """An example's checks, plus what a plot needs: the data and both lines."""

    name: str
    backend: str | None
    checks: list[Check]
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    galton_line: tuple[float, float] = (0.0, 0.0)
    exact_line: tuple[float, float] = (0.0, 0.0)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every check holds."""
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["passed"] = self.passed
        return out


def _relative(value: float, target: float, tol: float) -> tuple[str, bool]:
    return f"relative error <= {tol:g}", abs(value - target) <= tol * abs(target)


def _absolute(value: float, target: float, tol: float) -> tuple[str, bool]:
    return f"within {tol:g} of exact", abs(value - target) <= tol


def _check(
    quantity: str,
    tutorial: float | None,
    galton: float,
    exact: float | None,
    rule: tuple[str, bool],
) -> Check:
    return Check(quantity, tutorial, float(galton), exact, rule[0], bool(rule[1]))


def _gradient_descent(backend: str, **overrides: Any) -> NeuralRegressor:
    """A linear neuron trained exactly as a tutorial did: raw data, plain SGD, no stopping."""
    params: dict[str, Any] = dict(
        hidden=(),
        solver="sgd",
        momentum=0.0,
        standardize=False,
        shuffle=False,
        early_stopping=False,
        tol=0.0,
        backend=backend,
    )
    params.update(overrides)
    params.setdefault("patience", params["max_epochs"])
    return NeuralRegressor(**params)


def least_squares_example(backend: str | None = None) -> ExampleResult:
    """Tutorial 1: the least-squares formula on ten points."""
    frame = load_dataset("seed-least-squares")
    model = LinearRegression().fit(frame, "y")
    b0, b1 = 204 / 165, 193 / 165
    checks = [
        _check(
            "b_0", 1.2363636363636363, model.intercept_, b0, _absolute(model.intercept_, b0, 1e-12)
        ),
        _check("b_1", 1.1696969696969697, model.coef_[0], b1, _absolute(model.coef_[0], b1, 1e-12)),
    ]
    return ExampleResult(
        "least-squares",
        None,
        checks,
        frame["x"].tolist(),
        frame["y"].tolist(),
        (model.coef_[0], model.intercept_),
        (b1, b0),
        ["exact least squares needs no engine"],
    )


def tensorflow_example(backend: str | None = None) -> ExampleResult:
    """Tutorial 2: per-point gradient descent in float32 from the tutorial's W and b."""
    backend = backend or "tensorflow"
    frame, w0, b0 = seed_tensorflow_data()
    exact = LinearRegression().fit(frame, "y")
    slope, intercept = float(exact.coef_[0]), exact.intercept_
    model = _gradient_descent(
        backend,
        learning_rate=0.01 / 100,
        batch_size=1,
        max_epochs=1000,
        dtype="float32",
        initial_params=[np.array([[w0]]), np.array([b0])],
    ).fit(frame, "y")
    w, b = float(model.coef_[0]), model.intercept_
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    cost = float(np.sum((w * x + b - y) ** 2) / (2 * len(x)))
    exact_cost = float(np.sum((slope * x + intercept - y) ** 2) / (2 * len(x)))
    default = NeuralRegressor(hidden=(), backend=backend).fit(frame, "y")
    checks = [
        _check("Weight", 1.0199214, w, slope, _relative(w, 1.0199214, 1e-5)),
        _check("bias", 0.02561663, b, intercept, _relative(b, 0.02561663, 1e-5)),
        _check("Training cost", 5.3110332, cost, exact_cost, _relative(cost, 5.3110332, 1e-5)),
        _check(
            "default fit: slope",
            None,
            default.coef_[0],
            slope,
            _relative(default.coef_[0], slope, 1e-6),
        ),
        _check(
            "default fit: intercept",
            None,
            default.intercept_,
            intercept,
            _relative(default.intercept_, intercept, 1e-6),
        ),
    ]
    notes = [
        f"initial W = {w0:.7f}, b = {b0:.7f} (NumPy legacy seed 101, drawn after the data)",
        "the tutorial's descent had not converged: least squares is the line below it; "
        "galton's default linear neuron (L-BFGS on standardised data) reaches it",
    ]
    return ExampleResult(
        "tensorflow", backend, checks, x.tolist(), y.tolist(), (w, b), (slope, intercept), notes
    )


def pytorch_example(backend: str | None = None, seed: int = 0) -> ExampleResult:
    """Tutorial 3: full-batch SGD on the sum of squared errors, random start."""
    backend = backend or "torch"
    frame = load_dataset("seed-pytorch")
    model = _gradient_descent(
        backend, learning_rate=0.03, batch_size=3, max_epochs=500, dtype="float32", seed=seed
    ).fit(frame, "y")
    pred = float(model.predict(np.array([[4.0]]))[0])
    checks = [
        _check("prediction at x = 4", 7.966438293457031, pred, 8.0, _absolute(pred, 8.0, 0.05))
    ]
    return ExampleResult(
        "pytorch",
        backend,
        checks,
        frame["x"].tolist(),
        frame["y"].tolist(),
        (float(model.coef_[0]), model.intercept_),
        (2.0, 0.0),
        [f"random start (seed {seed}); 500 epochs leave the slow direction short of exact"],
    )


def theano_example(backend: str | None = None, seed: int = 0) -> ExampleResult:
    """Tutorial 4: 10000 full-batch gradient steps from a random start."""
    backend = backend or "pytensor"
    frame = load_dataset("seed-theano")
    exact = LinearRegression().fit(frame, "y")
    model = _gradient_descent(
        backend, learning_rate=0.005, batch_size=len(frame), max_epochs=10000, seed=seed
    ).fit(frame, "y")
    m, c = float(model.coef_[0]), model.intercept_
    checks = [
        _check("slope m", None, m, 0.28268068, _absolute(m, 0.28268068, 1e-5)),
        _check("intercept c", None, c, 0.45053705, _absolute(c, 0.45053705, 1e-5)),
    ]
    return ExampleResult(
        "theano",
        backend,
        checks,
        frame["x"].tolist(),
        frame["y"].tolist(),
        (m, c),
        (float(exact.coef_[0]), exact.intercept_),
        ["the tutorial printed no final values: its descent ends within ~1e-6 of least squares"],
    )


EXAMPLES: dict[str, Callable[..., ExampleResult]] = {
    "least-squares": least_squares_example,
    "tensorflow": tensorflow_example,
    "pytorch": pytorch_example,
    "theano": theano_example,
}


def run_examples(which: str = "all", backend: str | None = None) -> list[ExampleResult]:
    """Run one example by name, or ``all``, on the tutorial's engine unless ``backend``."""
    names = NAMES if which == "all" else (which,)
    return [EXAMPLES[name](backend) for name in names]
