"""A verdict in seconds (issue 19, item 4): the first repeat stops the run when it already
settles the verdict, folds of heavy networks run in parallel from the first, and training
keeps its freed memory; none of it changes a number that is computed."""

from __future__ import annotations

import numpy as np
import pandas as pd

import galton
import galton.comparison.run as run
from galton.comparison.stats import settled
from galton.training.heap import keep_freed_memory

OPTIONS = {"hidden": (8,), "seed": 1, "progress": False, "n_jobs": 1}


def _curve(n: int = 250, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n, 2))
    y = np.sin(2 * x[:, 0]) * 3 + x[:, 1] + rng.normal(scale=0.3, size=n)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})


def test_interim_boundary_needs_a_wide_margin():
    # ten folds, 90/10 splits: the 99.9% interval is mean +/- t(0.9995, 9) * se
    clear_gain = np.array([0.50, 0.52, 0.48, 0.51, 0.49, 0.50, 0.53, 0.47, 0.50, 0.50])
    test = settled(clear_gain, 900, 100, 0.02)
    assert test is not None and test.ci_low > 0.02
    clear_tie = np.array([0.001, -0.002, 0.0, 0.001, -0.001, 0.0, 0.002, -0.001, 0.0, 0.0])
    assert settled(clear_tie, 900, 100, 0.02) is not None
    # a 5% gain with a spread of 3 points: significant at 95%, unsettled at 99.9%
    noisy_gain = np.array([0.05, 0.09, 0.01, 0.06, 0.04, 0.08, 0.02, 0.05, 0.03, 0.07])
    assert settled(noisy_gain, 900, 100, 0.02) is None


def test_a_clear_first_repeat_skips_the_others_and_says_so():
    data = _curve()
    quick = galton.compare(data, "y", **OPTIONS)
    assert quick.verdict == "yay" and quick.repeats == 1 and quick.folds == 10
    note = next(n for n in quick.notes if n.startswith("ran 1 repeat of 3"))
    assert "99.9% interval" in note and "above the 2% threshold" in note
    assert not any(n.startswith("low power") for n in quick.notes)
    # asked-for repeats always run, on the same first folds
    full = galton.compare(data, "y", repeats=3, **OPTIONS)
    assert full.repeats == 3 and len(full.scores["network"].rmse) == 30
    np.testing.assert_array_equal(full.scores["network"].rmse[:10], quick.scores["network"].rmse)
    assert full.verdict == quick.verdict


def test_an_unsettled_first_repeat_runs_every_repeat():
    data = _curve()
    first = galton.compare(data, "y", repeats=1, **OPTIONS)
    # a threshold at the first repeat's own mean: its interval straddles it
    threshold = float(first.test.reduction)
    result = galton.compare(data, "y", threshold=threshold, **OPTIONS)
    assert result.repeats == 3 and len(result.scores["network"].rmse) == 30
    assert not any(n.startswith("ran 1 repeat") for n in result.notes)


def test_heavy_folds_run_in_parallel_from_the_first_with_the_same_numbers(monkeypatch):
    options = {"hidden": (8,), "folds": 3, "repeats": 2, "seed": 3, "progress": False}
    serial = galton.compare("yacht", "residuary_resistance", n_jobs=1, **options)
    monkeypatch.setattr(run, "HEAVY_FOLD", 0)  # every fold counts as heavy
    seen = []
    real = run.run_parallel
    monkeypatch.setattr(
        run, "run_parallel", lambda plan, tasks, *a: seen.append(tasks) or real(plan, tasks, *a)
    )
    parallel = galton.compare("yacht", "residuary_resistance", n_jobs=2, **options)
    assert seen and seen[0][0][2] == 3000  # fold 0 (seed * 1000) ran in a worker
    for name, scores in serial.scores.items():
        np.testing.assert_array_equal(parallel.scores[name].rmse, scores.rmse)
    assert (parallel.verdict, parallel.test.p) == (serial.verdict, serial.test.p)


def test_heavy_means_a_second_or_more_of_network_a_fold():
    plan = run._Plan(pd.DataFrame({"a": [0.0]}), np.zeros(1), (64, 64), "numpy", "error", {})
    assert plan.heavy(927)  # concrete's training folds
    assert not plan.heavy(180)  # 200 rows
    plan.hidden = "auto"  # the widest candidate counts
    assert plan.heavy(400) and not plan.heavy(300)


def test_freed_memory_is_kept_once_per_process():
    first = keep_freed_memory()
    assert isinstance(first, bool) and keep_freed_memory() is first
    if first:  # glibc: the fit's numbers are those of the same fit before (a fixed seed)
        a = galton.NeuralRegressor(hidden=(4,), seed=0, max_epochs=20).fit(_curve(50), "y")
        b = galton.NeuralRegressor(hidden=(4,), seed=0, max_epochs=20).fit(_curve(50), "y")
        np.testing.assert_array_equal(a.predict(_curve(50)), b.predict(_curve(50)))
