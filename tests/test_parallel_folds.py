"""Folds in parallel (issue 19, item 4): worker processes with one BLAS thread each give
exactly the serial run's numbers, and the fitted fold models come back for explanations."""

from __future__ import annotations

import numpy as np

import galton
from galton.comparison.parallel import WORTH_SECONDS, workers_for


def test_parallel_folds_equal_serial_folds_exactly():
    options = {"hidden": (8,), "folds": 3, "repeats": 2, "seed": 3, "progress": False}
    serial = galton.compare("yacht", "residuary_resistance", n_jobs=1, **options)
    parallel = galton.compare("yacht", "residuary_resistance", n_jobs=2, **options)
    for name, scores in serial.scores.items():
        np.testing.assert_array_equal(parallel.scores[name].rmse, scores.rmse)
    for name, values in serial.oof.items():
        np.testing.assert_array_equal(parallel.oof[name], values)
    assert (parallel.verdict, parallel.test.p) == (serial.verdict, serial.test.p)
    # the workers' fitted models came back: the explanation reads them
    assert len(parallel.fold_models) == 3
    a = serial.explain().importance
    b = parallel.explain().importance
    assert [(i.feature, i.rmse_increase.mean) for i in a] == [
        (i.feature, i.rmse_increase.mean) for i in b
    ]


def test_how_many_workers():
    assert workers_for(3, 10, 0.01, "torch") == 3  # asked for
    assert workers_for(8, 2, 0.01, "numpy") == 2  # never more than the folds left
    assert workers_for(None, 10, WORTH_SECONDS, "torch") == 1  # not forkable: serial
    assert workers_for(None, 10, 0.01, "numpy") == 1  # not worth a worker's start
    assert workers_for(None, 1, 100.0, "numpy") == 1
