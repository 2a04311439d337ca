"""A guard at prediction time (issue 18, item 7): ``check`` / ``predict(check=True)`` /
``galton predict --check`` flag rows outside the training ranges, of high leverage, or
where the line and the network disagree beyond their intervals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from model_files import read_raw, write_raw
from test_cli import assert_user_error, galton_cli

import galton
from galton.errors import ModelFileError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(0, 10, 300), "b": rng.normal(size=300)})
    frame["y"] = 2 * frame.a - frame.b + rng.normal(size=300)
    return frame


def test_rows_outside_the_training_ranges_are_named(data):
    model = galton.LinearRegression().fit(data, "y")
    new = pd.DataFrame({"a": [5.0, 12.0, -1.0], "b": [0.0, 0.0, 9.0]})
    found = model.check(new)
    assert list(found["outside_range"]) == ["", "a", "a, b"]
    assert list(found["flagged"]) == [False, True, True]
    np.testing.assert_allclose(found["prediction"], model.predict(new))
    pd.testing.assert_frame_equal(model.predict(new, check=True), found)


def test_leverage_is_that_of_the_exact_factor(data):
    model = galton.LinearRegression().fit(data, "y")
    new = pd.DataFrame({"a": [5.0, 40.0], "b": [0.0, 0.0]})
    design = np.column_stack([np.ones(len(data)), data[["a", "b"]]])
    x0 = np.column_stack([np.ones(2), new])
    expected = np.einsum("ij,jk,ik->i", x0, np.linalg.inv(design.T @ design), x0)
    found = model.check(new)
    np.testing.assert_allclose(found["leverage"], expected, rtol=1e-10)
    assert list(found["high_leverage"]) == [False, True]


def test_the_line_and_the_network_disagree_where_the_curve_is(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.uniform(-3, 3, 600)})
    frame["y"] = frame.x + 10 * np.exp(-8 * frame.x**2) + rng.normal(scale=0.3, size=600)
    line = galton.LinearRegression().fit(frame, "y")
    net = galton.NeuralRegressor(hidden=(16,), seed=0, progress=False).fit(frame, "y")
    new = pd.DataFrame({"x": [0.0, 2.9]})
    found = line.check(new, against=net)
    # at x = 0 the bump: the line misses it by more than both intervals allow
    assert bool(found["disagree"].iloc[0]) and found["other_prediction"].iloc[0] > 8
    assert not found["disagree"].iloc[1]
    mine = line.predict(new, interval=0.95)
    theirs = net.predict(new, interval=0.95)
    half = np.hypot((mine.upper - mine.lower) / 2, (theirs.upper - theirs.lower) / 2)
    np.testing.assert_array_equal(
        found["disagree"], np.abs(mine.prediction - theirs.prediction) > half
    )
    pd.testing.assert_frame_equal(
        net.predict(new, check=True, against=line)[["flagged"]],
        net.check(new, against=line)[["flagged"]],
    )


def test_ranges_travel_in_the_model_file(data, tmp_path):
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=20, progress=False).fit(data, "y")
    path = tmp_path / "m.galton"
    model.save(path)
    loaded = galton.load(path)
    np.testing.assert_array_equal(loaded.schema_.input_min_, data[["a", "b"]].min().to_numpy())
    meta, arrays = read_raw(path)
    meta["input_ranges"] = [[0.0], [1.0]]  # one range for two inputs
    write_raw(path, meta, arrays)
    with pytest.raises(ModelFileError, match="input_ranges"):
        galton.load(path)
    del meta["input_ranges"]  # a file written before ranges existed still loads
    write_raw(path, meta, arrays)
    assert "outside_range" not in galton.load(path).check(data.drop(columns="y")).columns


def test_streamed_ranges_cover_every_chunk(data, tmp_path):
    data.to_csv(tmp_path / "d.csv", index=False)
    model = galton.LinearRegression().fit_stream(tmp_path / "d.csv", "y", chunk_rows=50)
    np.testing.assert_array_equal(model.schema_.input_max_, data[["a", "b"]].max().to_numpy())


def test_cli_predict_check(data, tmp_path):
    data.to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"a": [5.0, 50.0], "b": [0.0, 0.0]}).to_csv(tmp_path / "new.csv", index=False)
    assert (
        galton_cli(
            "fit", str(tmp_path / "d.csv"), "-t", "y", "-o", str(tmp_path / "m.galton"), "-q"
        ).returncode
        == 0
    )
    done = galton_cli(
        "predict", str(tmp_path / "m.galton"), str(tmp_path / "new.csv"), "--check", "--json"
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["flagged"] == 1 and body["rows"]["outside_range"] == ["", "a"]
    galton_cli(
        "fit",
        str(tmp_path / "d.csv"),
        "-t",
        "y",
        "--model",
        "ridge",
        "-o",
        str(tmp_path / "r.galton"),
        "-q",
    )
    assert_user_error(
        galton_cli(
            "predict",
            str(tmp_path / "m.galton"),
            str(tmp_path / "new.csv"),
            "--against",
            str(tmp_path / "r.galton"),
        ),
        "prediction intervals",
    )
