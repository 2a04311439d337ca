"""Cheaper rows in ``compare`` (issue 18, item 4): gradient-boosted trees and an additive
spline on the same folds, with Holm-corrected tests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from statsmodels.stats.multitest import multipletests
from test_cli import assert_user_error, galton_cli

import galton
from galton.comparison.extra import holm
from galton.errors import ParameterError
from galton.metrics import regression_metrics


def test_holm_matches_statsmodels():
    p = {"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.2}
    expected = multipletests(list(p.values()), method="holm")[1]
    assert list(holm(p).values()) == pytest.approx(list(expected), rel=1e-12)


@pytest.fixture(scope="module")
def compared():
    rng = np.random.default_rng(2)
    n = 400
    frame = pd.DataFrame({"x": rng.uniform(-2, 2, n), "z": rng.normal(size=n)})
    frame["y"] = np.where(frame.x > 0, 2.0, -1.0) + frame.z + rng.normal(scale=0.3, size=n)
    cmp = galton.compare(
        frame, "y", hidden=(8,), folds=3, repeats=1, also="gbm,spline", progress=False
    )
    return frame, cmp


def test_extra_rows_are_scored_on_the_same_folds(compared):
    frame, cmp = compared
    assert {"gbm", "spline"} <= set(cmp.scores)
    fold = cmp.fold_models[0]
    X, y = frame[["x", "z"]], frame["y"].to_numpy()
    direct = HistGradientBoostingRegressor(random_state=cmp.seed).fit(
        X.iloc[fold.train], y[fold.train]
    )
    rmse = regression_metrics(y[fold.test], direct.predict(X.iloc[fold.test]))["rmse"]
    assert cmp.scores["gbm"].rmse[0] == pytest.approx(rmse, rel=1e-12)
    # a step is what trees are for: they beat the line
    assert cmp.scores["gbm"].rmse.mean() < cmp.scores["linear"].rmse.mean()


def test_tests_are_holm_corrected(compared):
    _, cmp = compared
    raw = {name: c["p_unadjusted"] for name, c in cmp.challengers.items()}
    assert set(raw) == {"network", "gbm", "spline"}
    adjusted = holm(raw)
    for name, c in cmp.challengers.items():
        assert c["test"].p == pytest.approx(adjusted[name])
        assert c["test"].p >= c["p_unadjusted"]
    assert cmp.test.p == pytest.approx(adjusted["network"])  # the verdict's own test
    body = json.loads(json.dumps(cmp.to_dict(), default=float))
    assert set(body["challengers"]) == {"network", "gbm", "spline"}
    assert "Holm-adjusted" in cmp.summary()


def test_unknown_rows_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="unknown model 'svm'"):
        galton.compare("yacht", "residuary_resistance", also="svm")
    assert_user_error(
        galton_cli("compare", "yacht", "-t", "residuary_resistance", "--also", "svm"),
        "unknown model 'svm'",
    )
