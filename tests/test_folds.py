"""Honest folds and weights in ``compare`` (issue 16): grouped K-fold never splits a
group, forward chaining never trains on the future, weights weigh every fold's errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import galton
import galton.comparison.stats
from galton.cli import main
from galton.comparison.folds import group_splits, time_splits
from galton.errors import DataError, ParameterError
from galton.metrics import regression_metrics


def test_grouped_folds_never_split_a_group_and_balance_rows():
    rng = np.random.default_rng(0)
    groups = rng.choice([f"g{i}" for i in range(17)], 400)
    splits = group_splits(groups, 5, 2, seed=3)
    assert len(splits) == 10
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == 400
    tested = np.concatenate([test for _, test in splits[:5]])
    assert sorted(tested) == list(range(400))  # each row tested once per repeat
    sizes = [len(test) for _, test in splits[:5]]
    assert max(sizes) - min(sizes) < 0.5 * np.mean(sizes)
    assert [t.tolist() for _, t in splits[:5]] != [t.tolist() for _, t in splits[5:]]


def test_time_folds_train_on_the_past_only():
    rng = np.random.default_rng(1)
    times = rng.integers(0, 50, 300).astype(float)  # ties: same time, same block
    splits = time_splits(times, 4)
    assert len(splits) == 4
    for train, test in splits:
        assert times[train].max() < times[test].min()
    trained = [len(train) for train, _ in splits]
    assert trained == sorted(trained)
    with pytest.raises(ValueError, match="distinct times"):
        time_splits(np.array([1.0, 1.0, 2.0]), 4)


def test_weighted_metrics_match_repeated_rows():
    rng = np.random.default_rng(2)
    y, pred = rng.normal(size=30), rng.normal(size=30)
    counts = rng.integers(1, 4, 30)
    rows = np.repeat(np.arange(30), counts)
    weighted = regression_metrics(y, pred, counts.astype(float))
    repeated = regression_metrics(y[rows], pred[rows])
    for key in ("rmse", "mae", "r2"):
        assert weighted[key] == pytest.approx(repeated[key], rel=1e-12)


def _stores(n=300, seed=0):
    """Sales in 15 stores: each store's level is set by its size (a store-level number),
    so a flexible model can memorise stores from it, which random folds reward."""
    rng = np.random.default_rng(seed)
    store = rng.integers(0, 15, n)
    size = rng.uniform(0, 1, 15)
    level = rng.normal(size=15) * 3
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "store": [f"s{s:02d}" for s in store],
            "size": size[store],
            "x": x,
            "y": x + level[store] + 0.3 * rng.normal(size=n),
            "week": store * 0 + np.arange(n) // 10,
        }
    )


def test_grouped_folds_deflate_a_gain_that_random_folds_inflate():
    frame = _stores()
    settings = dict(hidden=(32,), folds=5, repeats=1, progress=False, features=["size", "x"])
    shuffled = galton.compare(frame, "y", **settings)
    grouped = galton.compare(frame, "y", groups="store", **settings)
    # random folds see every store in training: the network learns store levels from size
    assert shuffled.test.reduction > grouped.test.reduction + 0.1
    assert grouped.scheme == "grouped by 'store'"
    assert any("grouped folds: 15 groups" in note for note in grouped.notes)


def test_time_folds_and_weights_through_python():
    frame = _stores(seed=1)
    frame["w"] = np.random.default_rng(3).uniform(0.5, 2.0, len(frame))
    result = galton.compare(
        frame,
        "y",
        time="week",
        sample_weight="w",
        hidden=(8,),
        progress=False,
        features=["x", "size"],
    )
    assert result.repeats == 1 and result.folds == 5
    assert result.scheme == "forward-chaining in 'week'"
    assert "week" not in result.features and "w" not in result.features
    assert result.weighted == "weighted by 'w'" and "weighted by 'w'" in result.summary()
    plain_reset = galton.comparison.stats.ramsey_reset(result.X, result.y, {})
    assert result.reset["F"] != plain_reset["F"]  # RESET on the weighted fit
    assert any("forward-chaining" in note for note in result.notes)
    with pytest.raises(ParameterError, match="groups or time, not both"):
        galton.compare(frame, "y", time="week", groups="store")
    with pytest.raises(DataError, match="no groups column 'shop'"):
        galton.compare(frame, "y", groups="shop")


def test_weights_change_the_comparison():
    frame = _stores(seed=2)
    settings = dict(hidden=(8,), folds=3, repeats=1, progress=False, features=["x", "size"])
    plain = galton.compare(frame, "y", **settings)
    weights = np.where(frame["x"] > 0, 5.0, 0.2)
    weighted = galton.compare(frame, "y", sample_weight=weights, **settings)
    assert weighted.scores["linear"].rmse.tolist() != plain.scores["linear"].rmse.tolist()


def test_cli_compare_groups_weights_and_report(tmp_path, capsys):
    frame = _stores(seed=4)
    frame["w"] = 1.0 + (frame["x"] > 0)
    frame.to_csv(tmp_path / "stores.csv", index=False)
    main(
        [
            "compare",
            str(tmp_path / "stores.csv"),
            "-t",
            "y",
            "--groups",
            "store",
            "--weights",
            "w",
            "--features",
            "x,size",
            "--hidden",
            "8",
            "--folds",
            "3",
            "--repeats",
            "1",
            "--json",
        ]
    )
    body = json.loads(capsys.readouterr().out)
    assert body["fold_scheme"] == "grouped by 'store'"
    assert [c["role"] for c in body["columns"]] == ["feature", "feature", "target"]
    with pytest.raises(SystemExit) as stop:
        main(["compare", str(tmp_path / "stores.csv"), "-t", "y", "--time", "store"])
    assert stop.value.code == 2
    assert "neither numbers nor dates" in capsys.readouterr().err
