"""Neural regression, time to accuracy: galton against scikit-learn and a plain PyTorch loop.

On UCI kin8nm and power-plant (the standard splits, from ``bench/data/uci``) and on a
synthetic non-linear 200,000 x 20 dataset, measures test RMSE and wall time of

- galton's default ``NeuralRegressor`` (numpy and torch engines; only ``max_epochs`` is
  varied, to trace time against accuracy),
- scikit-learn's ``MLPRegressor`` with adam (early stopping) and with lbfgs (200, 500 and
  2000 iterations), with one hidden layer of 50 (the UCI papers' network) and with
  galton's default hidden layers,
- a plain PyTorch loop (one hidden layer of 50, Adam, batch 32, 10 and 40 epochs),

all on inputs and target standardised on the training rows. Then, per dataset: the time
each needs to reach ``MLPRegressor``-lbfgs's test RMSE (the fastest of its runs that
reaches it; "-" if none does), and galton's best RMSE within ``MLPRegressor``-adam's time.
Finally the linear neuron (``hidden=()``) against least squares on the tutorial data and
NIST Norris, Pontius and Longley: passes over the data and time to within 1e-6.

Run: ``.venv/bin/python bench/neural.py [--splits 3] [--repeats 3] [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import galton  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from uci import NIST, UCI, dataset_folder, load_split  # noqa: E402

#: galton's budgets (max_epochs) tried to trace time against accuracy; None = the default
LADDER = (10, 20, 40, 80, 120, None)
#: the same for large data, where the default is already ~10 epochs of Adam
LARGE_LADDER = (1, 3, None)
LARGE = 50_000
#: The issue's reference competitors: one hidden layer of 50 (the UCI papers' network)
REFERENCE_HIDDEN = (50,)


@dataclass
class Split:
    name: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass
class Run:
    method: str
    budget: str
    rmse: float
    seconds: float


def uci_split(name: str, split: int) -> Split:
    """Split ``split`` of a UCI dataset in Hernandez-Lobato & Adams' layout."""
    return Split(f"{name} {split}", *load_split(dataset_folder(name, UCI), split))


def synthetic_split(n: int = 200_000, d: int = 20, seed: int = 0) -> Split:
    """A smooth non-linear function of 20 inputs plus noise; 90% train, 10% test."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (
        np.sin(2 * X[:, 0])
        + X[:, 1] * X[:, 2]
        + 0.5 * X[:, 3] ** 2
        + np.tanh(X[:, 4] + X[:, 5] - X[:, 6])
        + 0.3 * X[:, 7:] @ rng.normal(size=d - 7)
        + 0.1 * rng.normal(size=n)
    )
    cut = int(0.9 * n)
    return Split(f"synthetic {n:,} x {d}", X[:cut], y[:cut], X[cut:], y[cut:])


def timed(fit_predict: Callable[[], np.ndarray], split: Split, repeats: int) -> tuple[float, float]:
    """(test RMSE, median seconds) of ``fit_predict`` (which returns test predictions)."""
    times, pred = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        pred = fit_predict()
        times.append(time.perf_counter() - start)
    rmse = float(np.sqrt(np.mean((pred - split.y_test) ** 2)))
    print(f"  {split.name}: {rmse:.4g} in {times}", file=sys.stderr, flush=True)
    return rmse, statistics.median(times)


def standardised(split: Split) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    mean, std = split.X.mean(axis=0), split.X.std(axis=0)
    std[std == 0] = 1.0
    y_mean, y_std = float(split.y.mean()), float(split.y.std())
    return (
        (split.X - mean) / std,
        (split.X_test - mean) / std,
        (split.y - y_mean) / y_std,
        y_mean,
        y_std,
    )


def galton_runs(split: Split, backend: str, device: str, repeats: int) -> list[Run]:
    runs = []
    for budget in LARGE_LADDER if len(split.y) > LARGE else LADDER:

        def fit_predict(budget: int | None = budget) -> np.ndarray:
            model = galton.NeuralRegressor(backend=backend, max_epochs=budget, device=device)
            return model.fit(split.X, split.y).predict(split.X_test)

        rmse, secs = timed(fit_predict, split, repeats)
        label = "default" if budget is None else f"max_epochs={budget}"
        runs.append(Run(f"galton ({backend})", label, rmse, secs))
    return runs


def sklearn_runs(
    split: Split, hidden: tuple[int, ...], repeats: int, lbfgs_iters: list[int]
) -> list[Run]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    Xs, Xt, ys, y_mean, y_std = standardised(split)
    runs = []
    settings = [("adam", {"early_stopping": True, "max_iter": 200}, "early stopping")]
    settings += [("lbfgs", {"max_iter": it}, f"max_iter={it}") for it in lbfgs_iters]
    for solver, extra, label in settings:

        def fit_predict(solver: str = solver, extra: dict = extra) -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = MLPRegressor(
                    hidden_layer_sizes=hidden, solver=solver, random_state=0, **extra
                ).fit(Xs, ys)
            return model.predict(Xt) * y_std + y_mean

        rmse, secs = timed(fit_predict, split, 1 if solver == "lbfgs" else repeats)
        runs.append(Run(f"MLPRegressor {solver} {hidden}", label, rmse, secs))
    return runs


def torch_loop_runs(split: Split, hidden: tuple[int, ...], device: str, repeats: int) -> list[Run]:
    """The loop a PyTorch user writes: Adam, batch 32, MSE, float32."""
    import torch

    Xs, Xt, ys, y_mean, y_std = standardised(split)
    dev = torch.device("cuda" if device == "cuda" else "cpu")
    runs = []
    for epochs in (10, 40):

        def fit_predict(epochs: int = epochs) -> np.ndarray:
            torch.manual_seed(0)
            layers: list[torch.nn.Module] = []
            width = Xs.shape[1]
            for h in hidden:
                layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
                width = h
            model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1)).to(dev)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            X = torch.as_tensor(Xs, dtype=torch.float32, device=dev)
            y = torch.as_tensor(ys, dtype=torch.float32, device=dev)
            for _ in range(epochs):
                for idx in torch.randperm(len(y), device=dev).split(32):
                    opt.zero_grad()
                    loss = torch.nn.functional.mse_loss(model(X[idx])[:, 0], y[idx])
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                out = model(torch.as_tensor(Xt, dtype=torch.float32, device=dev))[:, 0]
            return out.cpu().numpy().astype(np.float64) * y_std + y_mean

        rmse, secs = timed(fit_predict, split, repeats)
        runs.append(Run(f"plain PyTorch loop {hidden}", f"{epochs} epochs", rmse, secs))
    return runs


@dataclass
class Summary:
    """One split's verdict against MLPRegressor with ``hidden`` layers."""

    split: str
    hidden: tuple[int, ...]
    reach: dict[str, float | None]  # per method: seconds to lbfgs's best RMSE (None: never)
    target: float  # lbfgs's best test RMSE
    target_seconds: float
    adam_rmse: float
    adam_seconds: float
    best_within_adam: float | None  # galton's best RMSE within adam's time

    def ratio(self, method: str) -> float | None:
        hit = self.reach.get(method)
        return None if hit is None else self.target_seconds / hit

    def note(self) -> str:
        hit = self.reach.get("galton (numpy)")
        within = self.best_within_adam
        return (
            f"against MLPRegressor {self.hidden}: lbfgs's best RMSE {self.target:.4g} took "
            f"{self.target_seconds:.1f} s; galton (numpy) reached it in "
            + (f"{hit:.2f} s" if hit is not None else "- (never)")
            + f"; within adam's {self.adam_seconds:.2f} s galton's best RMSE is "
            + (f"{within:.4g}" if within is not None else "- (no run finished)")
            + f" vs adam's {self.adam_rmse:.4g}"
        )


def summarise(split: str, runs: list[Run], hidden: tuple[int, ...]) -> Summary:
    """Time to reach the best RMSE of MLPRegressor-lbfgs with ``hidden`` layers, per method,
    and galton's best RMSE within MLPRegressor-adam's time."""
    lbfgs = [r for r in runs if r.method == f"MLPRegressor lbfgs {hidden}"]
    target_run = min(lbfgs, key=lambda r: r.rmse)
    reach: dict[str, float | None] = {}
    for method in dict.fromkeys(r.method for r in runs):
        hits = [r.seconds for r in runs if r.method == method and r.rmse <= target_run.rmse]
        reach[method] = min(hits) if hits else None
    adam = next(r for r in runs if r.method == f"MLPRegressor adam {hidden}")
    within = [r.rmse for r in runs if r.method.startswith("galton") and r.seconds <= adam.seconds]
    return Summary(
        split,
        hidden,
        reach,
        target_run.rmse,
        target_run.seconds,
        adam.rmse,
        adam.seconds,
        min(within) if within else None,
    )


def _times(ratio: float | None) -> str:
    """``12.0x``, or ``-`` when galton never got there."""
    return "-" if ratio is None else f"{ratio:.1f}x"


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def overall_table(summaries: list[Summary], engines: list[str]) -> None:
    """Per split and width: how many times sooner than lbfgs galton reached its RMSE, and
    galton's best RMSE within adam's time against adam's."""
    heads = " | ".join(f"galton ({e}) sooner than lbfgs" for e in engines)
    print(
        f"\n| split | MLPRegressor width | lbfgs RMSE, s | {heads} | adam RMSE, s | "
        "galton's best RMSE within adam's time |"
    )
    print("|---|---|---|" + "---|" * len(engines) + "---|---|")
    for s in summaries:
        ratios = " | ".join(_times(s.ratio(f"galton ({e})")) for e in engines)
        print(
            f"| {s.split} | {s.hidden} | {s.target:.4g}, {s.target_seconds:.1f} | {ratios} | "
            f"{s.adam_rmse:.4g}, {s.adam_seconds:.2f} | {_cell(s.best_within_adam, '.4g')} |"
        )


def linear_neuron_table(repeats: int) -> None:
    from galton.data.datasets import load_dataset
    from galton.data.nist import read_nist

    problems = []
    for name in ("seed-least-squares", "seed-tensorflow", "seed-pytorch", "seed-theano"):
        frame = load_dataset(name)
        problems.append((name, frame[["x"]].to_numpy(float), frame["y"].to_numpy(float)))
    for name in ("Norris", "Pontius", "Longley"):
        problem = read_nist(NIST / f"{name}.dat")
        X = np.asarray(problem.X, dtype=float)
        if name == "Pontius":
            X = np.column_stack([X[:, 0], X[:, 0] ** 2])
        problems.append((name, X, np.asarray(problem.y, dtype=float)))
    print(
        "\n| data | passes over the data | seconds | max relative difference from least squares |"
    )
    print("|---|---|---|---|")
    for name, X, y in problems:
        exact = galton.LinearRegression().fit(X, y).params_
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            net = galton.NeuralRegressor(hidden=()).fit(X, y)
            times.append(time.perf_counter() - start)
        got = np.r_[net.intercept_, net.coef_]
        scale = np.maximum(np.abs(exact), 1e-6 * np.abs(exact).max())
        diff = float(np.max(np.abs(got - exact) / scale))
        passes = net.history_["passes"][-1]
        print(f"| {name} | {passes} | {statistics.median(times):.4f} | {diff:.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="kin8nm,power-plant,synthetic")
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engines", default="numpy,torch")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--lbfgs-iters", default="200,500,2000")
    args = parser.parse_args()
    lbfgs_iters = [int(v) for v in args.lbfgs_iters.split(",")]
    print(f"$ python {' '.join(sys.argv)}")
    hidden = galton.NeuralRegressor().hidden
    print(
        f"galton default hidden layers {hidden}; MLPRegressor runs with {REFERENCE_HIDDEN} "
        "(the UCI papers' network, the issue's reference) and with galton's layers"
    )
    every: list[Summary] = []
    for dataset in args.datasets.split(","):
        splits = (
            [synthetic_split()]
            if dataset == "synthetic"
            else [uci_split(dataset, s) for s in range(args.splits)]
        )
        for split in splits:
            runs: list[Run] = []
            for engine in args.engines.split(","):
                runs += galton_runs(split, engine, args.device, args.repeats)
            # on large data lbfgs's iterations cost seconds each: 2000 would take half an hour
            iters = lbfgs_iters if len(split.y) <= LARGE else [i for i in lbfgs_iters if i <= 200]
            for width in dict.fromkeys((REFERENCE_HIDDEN, hidden)):
                runs += sklearn_runs(split, width, args.repeats, iters or lbfgs_iters[:1])
            runs += torch_loop_runs(split, REFERENCE_HIDDEN, args.device, args.repeats)
            widths = list(dict.fromkeys((REFERENCE_HIDDEN, hidden)))
            summaries = [summarise(split.name, runs, w) for w in widths]
            every.extend(summaries)
            print(f"\n### {split.name} ({len(split.y):,} training rows)\n")
            heads = " | ".join(f"time to lbfgs {w}'s RMSE" for w in widths)
            print(f"| method | budget | test RMSE | seconds | {heads} |")
            print("|---|---|---|---|" + "---|" * len(summaries))
            for run in runs:
                cells = " | ".join(_cell(s.reach[run.method], ".2f") for s in summaries)
                print(
                    f"| {run.method} | {run.budget} | {run.rmse:.4g} | {run.seconds:.2f} | "
                    f"{cells} |"
                )
            for summary in summaries:
                print(f"\n{summary.note()}", flush=True)
    overall_table(every, args.engines.split(","))
    linear_neuron_table(args.repeats)
    print(f"\nmedians of {args.repeats} runs (lbfgs: 1); {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
