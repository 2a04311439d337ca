"""Where the verdict turns: a curved relation with fewer rows or more noise.

Data: ``y = sin(2a) + 0.3 b + noise`` with a, b uniform on [-2, 2]. For each number of rows
and noise level, runs ``galton.compare`` (default settings, seed 0) and prints the verdict
with the network's mean RMSE reduction. Also prints the verdicts on the bundled datasets.
Run: ``.venv/bin/python bench/verdicts.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import galton
from galton.data.datasets import DATASETS

ROWS = (50, 100, 200, 400, 800)
NOISE = (0.1, 0.3, 1.0, 2.0)


def curved(n: int, noise: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    return pd.DataFrame({"a": a, "b": b, "y": np.sin(2 * a) + 0.3 * b + rng.normal(0, noise, n)})


def main() -> None:
    print("| rows \\ noise sd | " + " | ".join(f"{s:g}" for s in NOISE) + " |")
    print("|---" * (len(NOISE) + 1) + "|")
    for n in ROWS:
        cells = []
        for noise in NOISE:
            result = galton.compare(curved(n, noise), "y", seed=0)
            cells.append(f"{result.verdict} ({result.test.reduction:+.0%}, p {result.test.p:.2g})")
        print(f"| {n} | " + " | ".join(cells) + " |")
    print("\n| dataset | rows | verdict | linear RMSE | network RMSE | reduction (95% CI) | p |")
    print("|---|---|---|---|---|---|---|")
    for name in ("concrete", "energy", "yacht", "age-income"):
        d = DATASETS[name]
        r = galton.compare(name, d.target, seed=0)
        t = r.test
        print(
            f"| {name} | {r.n_samples} | {r.verdict} | {r.scores['linear'].rmse.mean():.4g} | "
            f"{r.scores['network'].rmse.mean():.4g} | {t.reduction:+.1%} "
            f"({t.ci_low:+.1%} to {t.ci_high:+.1%}) | {t.p:.2g} |"
        )


if __name__ == "__main__":
    main()
