"""Exact least squares against the floor and the libraries people use.

For each shape, times (median of ``--repeats``) one ``X.T @ X`` (the floor), galton's
``LinearRegression().fit`` (full statistics), ``numpy.linalg.lstsq``, scikit-learn's
``LinearRegression`` and statsmodels' ``OLS().fit()`` on the same float64 array, with the
peak extra memory each allocates (tracemalloc, as a share of X), and prints ratios to the
floor. Run: ``.venv/bin/python bench/ols.py [--shapes 2000000x50,200000x200] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import galton


def measure(func: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median seconds and peak traced allocation (bytes) of ``func``."""
    times, peak = [], 0
    for _ in range(repeats):
        tracemalloc.start()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), peak


def contenders(X: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {
        "floor: X.T @ X": lambda: X.T @ X,
        "galton LinearRegression": lambda: galton.LinearRegression().fit(X, y),
        "numpy lstsq": lambda: np.linalg.lstsq(
            np.column_stack([np.ones(len(y)), X]), y, rcond=None
        ),
    }
    try:
        from sklearn.linear_model import LinearRegression

        found["scikit-learn LinearRegression"] = lambda: LinearRegression().fit(X, y)
    except ImportError:
        pass
    try:
        import statsmodels.api as sm

        found["statsmodels OLS"] = lambda: sm.OLS(y, sm.add_constant(X)).fit()
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="2000000x50,200000x200")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| shape | method | seconds | x floor | peak extra memory (x size of X) |")
    print("|---|---|---|---|---|")
    for shape in args.shapes.split(","):
        n, p = (int(v) for v in shape.split("x"))
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, p))
        y = X @ rng.normal(size=p) + rng.normal(size=n)
        results = {name: measure(f, args.repeats) for name, f in contenders(X, y).items()}
        floor = results["floor: X.T @ X"][0]
        for name, (seconds, peak) in results.items():
            print(
                f"| {n:,} x {p} | {name} | {seconds:.3g} | {seconds / floor:.1f} | "
                f"{peak / X.nbytes:.2f} |"
            )
    print(f"\nmedians of {args.repeats}; {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
