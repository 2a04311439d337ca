"""Noise and noisy lines: does ``compare``'s network tie the line, and is the verdict NAY?

For pure noise and for lines (4 inputs, coefficients 1, -1, 0.5, 0) with Gaussian,
heavy-tailed (Student t, 2 degrees of freedom) or heteroscedastic noise (SD 1 + |x1|),
at each number of rows and seed, runs ``galton.compare`` with its defaults and records the
network's mean RMSE over the folds relative to least squares' and the verdict. Prints per
kind and size the mean and worst relative RMSE over seeds and the share of NAY verdicts.

Run: ``.venv/bin/python bench/noise.py [--rows 50,200,2000] [--seeds 20] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

KINDS = ("noise", "gaussian", "heavy-tailed", "heteroscedastic")


def frame(kind: str, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of ``kind``: inputs a-d standard normal, target ``y``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    line = X @ np.array([1.0, -1.0, 0.5, 0.0])
    noise = {
        "noise": rng.normal(size=n),
        "gaussian": rng.normal(size=n),
        "heavy-tailed": rng.standard_t(2, size=n),
        "heteroscedastic": (1 + np.abs(X[:, 0])) * rng.normal(size=n),
    }[kind]
    y = noise if kind == "noise" else line + noise
    return pd.DataFrame(X, columns=list("abcd")).assign(y=y)


def run(job: tuple[str, int, int]) -> tuple[str, int, int, float, str, float]:
    """One compare: (kind, rows, seed, network RMSE / least squares RMSE - 1, verdict, s)."""
    import warnings

    from threadpoolctl import threadpool_limits

    import galton

    kind, n, seed = job
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        cmp = galton.compare(frame(kind, n, seed), "y", seed=seed, n_jobs=1, progress=False)
    ratio = cmp.scores["network"].rmse.mean() / cmp.scores["linear"].rmse.mean() - 1
    return kind, n, seed, float(ratio), cmp.verdict, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="50,200,2000")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"$ python {' '.join(sys.argv)}")
    jobs = [
        (kind, int(n), seed)
        for kind in args.kinds.split(",")
        for n in args.rows.split(",")
        for seed in range(args.seeds)
    ]
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # a clean process: one BLAS thread each
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        results = pd.DataFrame(
            list(pool.map(run, jobs)),
            columns=["kind", "rows", "seed", "excess", "verdict", "seconds"],
        )
    print(
        "| data | rows | seeds | network RMSE vs least squares: mean | worst | NAY verdicts "
        "| seconds per compare |"
    )
    print("|---|---|---|---|---|---|---|")
    for (kind, n), group in results.groupby(["kind", "rows"], sort=False):
        print(
            f"| {kind} | {n} | {len(group)} | {group.excess.mean():+.1%} | "
            f"{group.excess.max():+.1%} | {(group.verdict == 'nay').mean():.0%} | "
            f"{group.seconds.median():.1f} |"
        )
    print(f"\n{len(jobs)} compares in {(time.perf_counter() - start) / 60:.1f} min wall")


if __name__ == "__main__":
    main()
