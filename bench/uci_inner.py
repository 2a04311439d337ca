"""How galton's neural defaults were chosen without looking at a test row.

Each of the first ``N`` training splits of the given UCI datasets is cut again 80/20 (seed
``100 + split``); every candidate setting (a JSON object of ``NeuralRegressor`` arguments)
is fitted on the 80% and scored on the 20%: RMSE, Gaussian log-likelihood, seconds. The
UCI test rows are never read for scoring.

Run: ``.venv/bin/python bench/uci_inner.py concrete,energy,yacht 5 '{}'
'{"weight_decay": 1e-4}' ...``
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from uci import UCI, dataset_folder, load_split  # noqa: E402


def inner_job(job: tuple[str, int, dict]) -> tuple[str, str, float, float, float]:
    """One candidate on one inner split; runs in a worker with one BLAS thread."""
    from threadpoolctl import threadpool_limits

    import galton

    name, split, settings = job
    warnings.simplefilter("ignore")
    X, y, _, _ = load_split(dataset_folder(name, UCI), split)  # the test rows are unused
    order = np.random.default_rng(100 + split).permutation(len(y))
    cut = int(0.8 * len(y))
    fit_rows, score_rows = order[:cut], order[cut:]
    with threadpool_limits(1):
        start = time.perf_counter()
        model = galton.NeuralRegressor(**settings).fit(X[fit_rows], y[fit_rows])
        seconds = time.perf_counter() - start
        mean, std = model.predict(X[score_rows], return_std=True)
    truth = y[score_rows]
    rmse = float(np.sqrt(np.mean((mean - truth) ** 2)))
    ll = float(np.mean(-0.5 * np.log(2 * np.pi * std**2) - 0.5 * ((truth - mean) / std) ** 2))
    return name, json.dumps(settings), rmse, ll, seconds


def main() -> None:
    datasets, n_splits = sys.argv[1].split(","), int(sys.argv[2])
    candidates = [json.loads(text) for text in sys.argv[3:]] or [{}]
    jobs = [(d, s, c) for d in datasets for c in candidates for s in range(n_splits)]
    scores: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        for name, settings, rmse, ll, seconds in pool.map(inner_job, jobs):
            scores.setdefault((name, settings), []).append((rmse, ll, seconds))
    print("| dataset | settings | inner RMSE | inner LL | seconds |\n|---|---|---|---|---|")
    for (name, settings), values in scores.items():
        v = np.array(values)
        print(f"| {name} | `{settings}` | {v[:, 0].mean():.4g} | {v[:, 1].mean():.3f} | "
              f"{v[:, 2].mean():.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
