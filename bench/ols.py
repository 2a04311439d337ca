"""Exact least squares against the floor and the libraries people use.

For each shape, times (median of ``--repeats``) one ``X.T @ X`` (the floor), galton's
``LinearRegression().fit`` (full statistics), ``numpy.linalg.lstsq``, scikit-learn's
``LinearRegression`` and statsmodels' ``OLS().fit()`` on the same float64 array; then, in
one more run of each under tracemalloc, the peak memory it allocates beyond its inputs (as
a share of X). Timed runs are not traced, since tracing slows allocation-heavy code.
Prints a table with ratios to the floor and to galton.

Run: ``.venv/bin/python bench/ols.py [--shapes 2000000x50,200000x200] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import galton

GALTON = "galton LinearRegression"


def seconds(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_bytes(func: Callable[[], object]) -> int:
    """Peak memory allocated while ``func`` runs (numpy arrays included)."""
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def contenders(X: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {
        "floor: X.T @ X": lambda: X.T @ X,
        GALTON: lambda: galton.LinearRegression().fit(X, y),
        "numpy lstsq": lambda: np.linalg.lstsq(
            np.column_stack([np.ones(len(y)), X]), y, rcond=None
        ),
    }
    try:
        from sklearn.linear_model import LinearRegression

        found["scikit-learn LinearRegression"] = lambda: LinearRegression().fit(X, y)
    except ImportError:
        print("scikit-learn not installed: its row is missing", file=sys.stderr)
    try:
        import statsmodels.api as sm

        found["statsmodels OLS"] = lambda: sm.OLS(y, sm.add_constant(X)).fit()
    except ImportError:
        print("statsmodels not installed: its row is missing", file=sys.stderr)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="2000000x50,200000x200")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"$ python {' '.join(sys.argv)}")
    print(
        "| shape | method | seconds | x floor | x galton's time | peak extra memory (x size of X) |"
    )
    print("|---|---|---|---|---|---|")
    for shape in args.shapes.split(","):
        n, p = (int(v) for v in shape.split("x"))
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, p)) + rng.normal(size=p)
        y = X @ rng.normal(size=p) + rng.normal(size=n)
        galton.LinearRegression().fit(X[:1000], y[:1000])  # imports and thread pool
        found = contenders(X, y)
        times = {name: seconds(f, args.repeats) for name, f in found.items()}
        peaks = {name: peak_bytes(f) for name, f in found.items()}
        floor, ours = times["floor: X.T @ X"], times[GALTON]
        for name, secs in times.items():
            print(
                f"| {n:,} x {p} | {name} | {secs:.3g} | {secs / floor:.2f} | "
                f"{secs / ours:.1f} | {peaks[name] / X.nbytes:.3f} |"
            )
    print(
        f"\nmedians of {args.repeats} runs; {time.strftime('%Y-%m-%d')}; "
        f"{os.cpu_count()} cores, {platform.machine()}, numpy {np.__version__}"
    )


if __name__ == "__main__":
    main()
