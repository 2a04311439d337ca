"""Real data: does ``compare``'s default network ever lose significantly to least squares?

Runs ``galton.compare`` with its defaults (folds and repeats from the rows, seed 0) on real
regression datasets that ship inside installed packages (statsmodels and scikit-learn; no
download), and prints per dataset: both models' mean test RMSE over the folds, the
network's RMSE reduction with the corrected paired test's 95% CI and p, the verdict,
whether the network is *significantly worse* (the CI lies below 0), the out-of-fold
coverage of the network's and least squares' 90% prediction intervals (first repeat),
the weight decays its folds chose, and scikit-learn's
``MLPRegressor((64, 64), early_stopping=True)`` on the same first-repeat folds as an
independent reference.

Run: ``.venv/bin/python bench/realdata.py [--datasets fair,star98,...] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

LEVEL = 0.9


def _statsmodels(name: str, target: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    import statsmodels.api as sm

    frame = getattr(sm.datasets, name).load_pandas().data
    frame = frame.drop(columns=list(drop))
    return frame.rename(columns={target: "target"})


def _star98() -> pd.DataFrame:
    """The share of students above the national median maths score, per school district."""
    frame = _statsmodels("star98", "NABOVE")
    share = frame["target"] / (frame["target"] + frame["NBELOW"])
    return frame.drop(columns=["NBELOW"]).assign(target=share)


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame  # its response is already named target


#: Each dataset as a frame whose column ``target`` is the response.
DATASETS: dict[str, Callable[[], pd.DataFrame]] = {
    "fair": lambda: _statsmodels("fair", "affairs"),
    "star98": _star98,
    "randhie": lambda: _statsmodels("randhie", "mdvis"),
    "grunfeld": lambda: _statsmodels("grunfeld", "invest"),
    "engel": lambda: _statsmodels("engel", "foodexp"),
    "longley": lambda: _statsmodels("longley", "TOTEMP"),
    "statecrime": lambda: _statsmodels("statecrime", "murder"),
    "copper": lambda: _statsmodels("copper", "WORLDCONSUMPTION"),
    "ccard": lambda: _statsmodels("ccard", "AVGEXP"),
    "scotland": lambda: _statsmodels("scotland", "YES"),
    "stackloss": lambda: _statsmodels("stackloss", "STACKLOSS"),
    "diabetes": _diabetes,
}


def _mlp_rmse(frame: pd.DataFrame, folds: list) -> float:
    """scikit-learn's MLPRegressor((64, 64), early_stopping=True; without it below 100
    training rows) on standardised inputs (text columns one-hot) and target, scored on the
    same folds' test rows."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    X = pd.get_dummies(frame.drop(columns="target"), drop_first=True).to_numpy(float)
    y = frame["target"].to_numpy(float)
    rmse = []
    for fold in folds:
        xs = StandardScaler().fit(X[fold.train])
        mu, sd = y[fold.train].mean(), y[fold.train].std() or 1.0
        early = len(fold.train) >= 100  # its 10% validation split needs rows
        mlp = MLPRegressor(
            hidden_layer_sizes=(64, 64), early_stopping=early, max_iter=2000, random_state=0
        )
        mlp.fit(xs.transform(X[fold.train]), (y[fold.train] - mu) / sd)
        pred = mlp.predict(xs.transform(X[fold.test])) * sd + mu
        rmse.append(np.sqrt(np.mean((pred - y[fold.test]) ** 2)))
    return float(np.mean(rmse))


def _coverage(cmp, model: str) -> float:  # type: ignore[no-untyped-def]
    """Out-of-fold coverage of ``model``'s 90% prediction intervals over the first repeat."""
    covered = []
    for fold in cmp.fold_models:
        band = fold.models[model].predict(cmp.X.iloc[fold.test], interval=LEVEL)
        y = cmp.y[fold.test]
        covered.append((band.lower <= y) & (y <= band.upper))
    return float(np.mean(np.concatenate(covered)))


def run(name: str) -> dict:
    """One dataset's row of the table (runs in a worker with one BLAS thread)."""
    import warnings

    from threadpoolctl import threadpool_limits

    import galton

    frame = DATASETS[name]()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        cmp = galton.compare(frame, "target", seed=0, n_jobs=1, progress=False)
        seconds = time.perf_counter() - start
        mlp = _mlp_rmse(frame, cmp.fold_models)
    first = len(cmp.fold_models)
    test = cmp.test
    row = {
        "dataset": name,
        "rows": len(frame),
        "inputs": frame.shape[1] - 1,
        "folds": f"{cmp.folds}x{cmp.repeats}",
        "linear": float(cmp.scores["linear"].rmse.mean()),
        "network": float(cmp.scores["network"].rmse.mean()),
        "mlp": mlp,
        "linear_first": float(cmp.scores["linear"].rmse[:first].mean()),
        "reduction": test.reduction,
        "ci": (test.ci_low, test.ci_high),
        "p": test.p,
        "verdict": cmp.verdict,
        "worse": test.ci_high < 0,
        "coverage": _coverage(cmp, "network"),
        "linear_coverage": _coverage(cmp, "linear"),
        "decays": Counter(cmp.chosen_weight_decay).most_common(2),
        "seconds": seconds,
    }
    print(f"  {name}: {cmp.verdict} in {seconds:.0f} s", file=sys.stderr, flush=True)
    return row


def report(rows: list[dict]) -> None:
    print(
        "| dataset | rows | inputs | folds | least squares RMSE | network RMSE | reduction "
        "(95% CI) | p | verdict | significantly worse | network 90% coverage | "
        "least squares 90% coverage | "
        "decays chosen (folds) | MLPRegressor RMSE (first repeat; least squares) | seconds |"
    )
    print("|---" * 15 + "|")
    for r in rows:
        low, high = r["ci"]
        decays = ", ".join(f"{d:g} ({k})" for d, k in r["decays"])
        print(
            f"| {r['dataset']} | {r['rows']} | {r['inputs']} | {r['folds']} | "
            f"{r['linear']:.4g} | {r['network']:.4g} | {r['reduction']:+.1%} "
            f"({low:+.1%} to {high:+.1%}) | {r['p']:.2g} | {r['verdict']} | "
            f"{'YES' if r['worse'] else 'no'} | {r['coverage']:.1%} | "
            f"{r['linear_coverage']:.1%} | {decays} | "
            f"{r['mlp']:.4g} ({r['linear_first']:.4g}) | {r['seconds']:.0f} |"
        )
    worse = [r["dataset"] for r in rows if r["worse"]]
    print(f"\nsignificantly worse than least squares: {', '.join(worse) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    names = args.datasets.split(",")
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown datasets: {', '.join(unknown)} (known: {', '.join(DATASETS)})")
    print(f"$ python {' '.join(sys.argv)}")
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # a clean process: one BLAS thread each
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        rows = list(pool.map(run, names))
    report(rows)
    print(f"\n{len(rows)} datasets in {(time.perf_counter() - start) / 60:.1f} min wall")


if __name__ == "__main__":
    main()
