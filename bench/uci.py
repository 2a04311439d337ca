"""The UCI regression benchmark: galton's defaults against the published tables.

On every split of every dataset (Hernandez-Lobato & Adams' layout: ``data/data.txt``,
``index_features.txt``, ``index_target.txt``, ``index_train_<i>.txt``,
``index_test_<i>.txt``, ``n_splits.txt``), fits galton's default ``NeuralRegressor``
(``ensemble=K`` members) and galton's exact ``LinearRegression`` on the training rows and
scores the test rows: RMSE, Gaussian log-likelihood per point, coverage and mean width of
90% prediction intervals, and training seconds. Prints per dataset the mean +- standard
error over splits beside the published MC dropout (Gal & Ghahramani 2016, Table 1), Deep
Ensembles (Lakshminarayanan et al. 2017, Table 1) and best published numbers.

Nothing is tuned per dataset and the test rows are only scored.

Run: ``.venv/bin/python bench/uci.py [--datasets concrete,energy,...|PATH] [--splits N]
[--ensemble K] [--backend numpy] [--jobs 2]``. A dataset is a name under ``--data-dir``
(default ``bench/data/uci``) or a path to a folder in the same layout (the folder that
holds ``data/``, or ``data/`` itself).
"""

from __future__ import annotations

import argparse
import ast
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: The splits ship in ``bench/data/uci`` (origin and licence in ``bench/data/README.md``);
#: ``GALTON_BENCH_DATA`` points elsewhere.
DATA = Path(os.environ.get("GALTON_BENCH_DATA", Path(__file__).resolve().parent / "data"))
UCI = DATA / "uci"
#: The NIST StRD files the tests read.
NIST = Path(__file__).resolve().parents[1] / "tests" / "data" / "nist_strd"
DATASETS = ("concrete", "energy", "kin8nm", "power-plant", "yacht")
LEVEL = 0.9

#: Published test RMSE and log-likelihood (mean, standard error over the 20 splits), from
#: ``bench/data/README.md``: MC dropout (Gal & Ghahramani 2016, Table 1), Deep Ensembles
#: (Lakshminarayanan et al. 2017, Table 1) and the best published result on these splits.
PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "concrete": {
        "dropout_rmse": (5.23, 0.12),
        "dropout_ll": (-3.04, 0.02),
        "ensembles_rmse": (6.03, 0.58),
        "ensembles_ll": (-3.06, 0.18),
        "best_rmse": (4.50, 0.18),
        "best_ll": (-2.82, 0.02),
    },
    "energy": {
        "dropout_rmse": (1.66, 0.04),
        "dropout_ll": (-1.99, 0.02),
        "ensembles_rmse": (2.09, 0.29),
        "ensembles_ll": (-1.38, 0.22),
        "best_rmse": (0.47, 0.01),
        "best_ll": (-1.21, 0.01),
    },
    "kin8nm": {
        "dropout_rmse": (0.10, 0.00),
        "dropout_ll": (0.95, 0.01),
        "ensembles_rmse": (0.09, 0.00),
        "ensembles_ll": (1.20, 0.02),
        "best_rmse": (0.08, 0.00),
        "best_ll": (1.20, 0.02),
    },
    "power-plant": {
        "dropout_rmse": (4.02, 0.04),
        "dropout_ll": (-2.80, 0.01),
        "ensembles_rmse": (4.11, 0.17),
        "ensembles_ll": (-2.79, 0.04),
        "best_rmse": (3.63, 0.04),
        "best_ll": (-2.67, 0.01),
    },
    "yacht": {
        "dropout_rmse": (1.11, 0.09),
        "dropout_ll": (-1.55, 0.03),
        "ensembles_rmse": (1.58, 0.48),
        "ensembles_ll": (-1.18, 0.21),
        "best_rmse": (0.66, 0.06),
        "best_ll": (-1.18, 0.21),
    },
}


@dataclass
class Score:
    """One model on one split's test rows."""

    rmse: float
    ll: float  # mean Gaussian log-likelihood per test point
    coverage: float  # fraction of test targets inside the 90% interval
    width: float  # mean width of the 90% interval
    seconds: float  # training time


def dataset_folder(spec: str, root: Path) -> Path:
    """The folder holding ``data.txt`` and the index files, for a name or a path."""
    path = Path(spec)
    candidates = [path / "data", path] if path.exists() else [root / spec / "data"]
    for folder in candidates:
        if (folder / "data.txt").is_file():
            return folder
    raise SystemExit(f"{spec}: no data.txt in {' or '.join(map(str, candidates))}")


def n_splits(folder: Path) -> int:
    given = folder / "n_splits.txt"
    if given.is_file():
        return int(given.read_text().split()[0])
    return len(list(folder.glob("index_train_*.txt")))


def load_split(folder: Path, split: int) -> tuple[np.ndarray, ...]:
    """``(X_train, y_train, X_test, y_test)`` of one split, in the original units."""
    data = np.loadtxt(folder / "data.txt", ndmin=2)
    features = np.atleast_1d(np.loadtxt(folder / "index_features.txt", dtype=int))
    target = int(np.loadtxt(folder / "index_target.txt"))
    train = np.atleast_1d(np.loadtxt(folder / f"index_train_{split}.txt", dtype=int))
    test = np.atleast_1d(np.loadtxt(folder / f"index_test_{split}.txt", dtype=int))
    X, y = data[:, features], data[:, target]
    return X[train], y[train], X[test], y[test]


def score(model: object, X: np.ndarray, y: np.ndarray, seconds: float) -> Score:
    mean, std = model.predict(X, return_std=True)
    band = model.predict(X, interval=LEVEL)
    ll = -0.5 * np.log(2 * np.pi * std**2) - 0.5 * ((y - mean) / std) ** 2
    return Score(
        rmse=float(np.sqrt(np.mean((y - mean) ** 2))),
        ll=float(np.mean(ll)),
        coverage=float(np.mean((band.lower <= y) & (y <= band.upper))),
        width=float(np.mean(band.upper - band.lower)),
        seconds=seconds,
    )


def run_split(
    job: tuple[str, Path, int, int, str, dict[str, Any]],
) -> tuple[str, int, Score, Score]:
    """Fit both models on one split; runs in a worker process with one BLAS thread."""
    from threadpoolctl import threadpool_limits

    import galton

    name, folder, split, ensemble, backend, options = job
    X, y, X_test, y_test = load_split(folder, split)
    with threadpool_limits(1):
        if backend == "torch":
            import torch

            torch.set_num_threads(1)
        start = time.perf_counter()
        linear = galton.LinearRegression().fit(X, y)
        linear_score = score(linear, X_test, y_test, time.perf_counter() - start)
        start = time.perf_counter()
        net = galton.NeuralRegressor(backend=backend, ensemble=ensemble, **options).fit(X, y)
        net_score = score(net, X_test, y_test, time.perf_counter() - start)
    print(
        f"  {name} {split}: net RMSE {net_score.rmse:.4g} LL {net_score.ll:.3f} "
        f"cover {net_score.coverage:.2f} in {net_score.seconds:.1f} s; "
        f"linear RMSE {linear_score.rmse:.4g}",
        file=sys.stderr,
        flush=True,
    )
    return name, split, net_score, linear_score


def mean_se(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values)
    se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0
    return float(v.mean()), se


def fmt(pair: tuple[float, float], digits: int) -> str:
    return f"{pair[0]:.{digits}f} ± {pair[1]:.{digits}f}"


def digits_for(name: str) -> int:
    return 3 if name == "kin8nm" else 2


def report(results: dict[str, list[tuple[Score, Score]]], ensemble: int) -> None:
    label = "galton network" + (f" (ensemble of {ensemble})" if ensemble > 1 else "")
    print(
        f"\n| dataset | splits | {label} RMSE | galton least squares RMSE | MC dropout RMSE | "
        "Deep Ensembles RMSE | best published RMSE | below MC dropout | below best |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, pairs in results.items():
        d = digits_for(name)
        net = mean_se([p[0].rmse for p in pairs])
        lin = mean_se([p[1].rmse for p in pairs])
        pub = PUBLISHED.get(name)
        cells = ["-"] * 5
        if pub:
            cells = [fmt(pub["dropout_rmse"], d), fmt(pub["ensembles_rmse"], d)]
            cells += [fmt(pub["best_rmse"], d)]
            cells += [
                "yes" if net[0] < pub["dropout_rmse"][0] else "no",
                "yes" if net[0] < pub["best_rmse"][0] else "no",
            ]
        print(f"| {name} | {len(pairs)} | {fmt(net, d)} | {fmt(lin, d)} | {' | '.join(cells)} |")
    print(
        f"\n| dataset | {label} LL | least squares LL | MC dropout LL | Deep Ensembles LL | "
        f"best published LL | {label} {LEVEL:.0%} coverage | mean width | "
        f"least squares coverage | seconds per split (network) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, pairs in results.items():
        net_ll = mean_se([p[0].ll for p in pairs])
        lin_ll = mean_se([p[1].ll for p in pairs])
        pub = PUBLISHED.get(name)
        published = (
            [fmt(pub[k], 2) for k in ("dropout_ll", "ensembles_ll", "best_ll")]
            if pub
            else ["-"] * 3
        )
        cover = np.mean([p[0].coverage for p in pairs])
        width = np.mean([p[0].width for p in pairs])
        lin_cover = np.mean([p[1].coverage for p in pairs])
        secs = np.mean([p[0].seconds for p in pairs])
        print(
            f"| {name} | {fmt(net_ll, 2)} | {fmt(lin_ll, 2)} | {' | '.join(published)} | "
            f"{cover:.1%} | {width:.3g} | {lin_cover:.1%} | {secs:.1f} |"
        )


def parse_options(text: str) -> dict[str, Any]:
    """``key=value;...`` (values Python literals, read by ``ast.literal_eval``)."""
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, _, value = item.partition("=")
        options[key.strip()] = ast.literal_eval(value.strip())
    return options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--data-dir", type=Path, default=UCI)
    parser.add_argument("--splits", type=int, default=None, help="first N splits (default all)")
    parser.add_argument("--ensemble", type=int, default=1)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--options",
        default="",
        help="NeuralRegressor settings to try instead of the defaults, e.g. "
        "'skip=False;hidden=(32,)' (Python literals, ';' between)",
    )
    args = parser.parse_args()
    options = parse_options(args.options)
    print(f"$ python {' '.join(sys.argv)}")
    jobs = []
    for spec in args.datasets.split(","):
        folder = dataset_folder(spec, args.data_dir)
        name = spec if not Path(spec).exists() else folder.resolve().parent.name
        count = n_splits(folder) if args.splits is None else min(args.splits, n_splits(folder))
        jobs += [(name, folder, s, args.ensemble, args.backend, options) for s in range(count)]
    start = time.perf_counter()
    results: dict[str, list[tuple[Score, Score]]] = {}
    context = multiprocessing.get_context("spawn")  # a clean process: one BLAS thread each
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        for name, _split, net, linear in pool.map(run_split, jobs):
            results.setdefault(name, []).append((net, linear))
    report(results, args.ensemble)
    total = time.perf_counter() - start
    print(
        f"\n{len(jobs)} splits in {total / 60:.1f} min wall with {args.jobs} worker(s) "
        f"({args.backend} engine); {time.strftime('%Y-%m-%d')}"
    )


if __name__ == "__main__":
    main()
