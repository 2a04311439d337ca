"""The bad-input catalogue: every case through the command line and the Python API.

Each gives one clear line (exit status 2 on the command line, a ``ValueError`` subclass with
the same text in Python) or a documented recovery, never a traceback or a silently wrong
model.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_files import read_raw, write_raw
from test_cli import assert_user_error, galton_cli

import galton


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"size": rng.uniform(1, 10, 40), "colour": rng.choice(["red", "blue"], 40)}
    )
    frame["price"] = 2 * frame["size"] + rng.normal(0, 0.1, 40)
    frame.to_csv(tmp_path / "good.csv", index=False)
    return tmp_path


def both(folder: Path, path: str, target: str, *needles: str, extra: tuple = ()) -> None:
    """The CLI exits 2 with one line holding ``needles``; the API raises the same text."""
    assert_user_error(galton_cli("fit", path, "--target", target, *extra, cwd=folder), *needles)
    with pytest.raises(galton.GaltonError) as info:
        galton.LinearRegression().fit(
            str(folder / path) if (folder / path).exists() else path, target
        )
    assert isinstance(info.value, ValueError)
    for needle in needles:
        assert needle in str(info.value)


def test_missing_file(folder: Path) -> None:
    both(folder, "absent.csv", "price", "absent.csv", "no such file")


def test_directory_instead_of_file(folder: Path) -> None:
    (folder / "sub").mkdir()
    both(folder, "sub", "price", "is a directory")


def test_binary_file(folder: Path) -> None:
    (folder / "blob.parquet").write_bytes(bytes(range(256)) * 40)
    both(folder, "blob.parquet", "price", "blob.parquet", "cannot read as parquet")
    (folder / "blob.csv").write_bytes(np.random.default_rng(1).bytes(5000))
    assert_user_error(galton_cli("fit", "blob.csv", "-t", "price", cwd=folder), "blob.csv")


def test_empty_file_and_header_only(folder: Path) -> None:
    (folder / "empty.csv").write_text("")
    both(folder, "empty.csv", "price", "the file is empty")
    (folder / "header.csv").write_text("size,price\n")
    both(folder, "header.csv", "price", "no data rows")


def test_one_row(folder: Path) -> None:
    (folder / "one.csv").write_text("size,price\n1,2\n")
    both(folder, "one.csv", "price", "1 sample(s) left to fit; need at least 2")


def test_target_missing_suggests_close_names(folder: Path) -> None:
    both(folder, "good.csv", "prise", "no column 'prise'", "did you mean 'price'?")


def test_non_numeric_target(folder: Path) -> None:
    both(folder, "good.csv", "colour", "target 'colour' is not numeric", "row 1")


def test_all_missing_column(folder: Path) -> None:
    frame = pd.read_csv(folder / "good.csv").assign(empty=np.nan)
    frame.to_csv(folder / "hole.csv", index=False)
    both(folder, "hole.csv", "price", "missing values (NaN) in column 'empty' (40 rows)")
    assert_user_error(
        galton_cli("fit", "hole.csv", "-t", "price", "--impute", "mean", cwd=folder),
        "column 'empty' has no values",
    )


@pytest.mark.parametrize("column", ["size", "price"])
def test_nan_and_infinity(folder: Path, column: str) -> None:
    frame = pd.read_csv(folder / "good.csv")
    frame.loc[5, column] = np.nan
    frame.to_csv(folder / "nan.csv", index=False)
    both(folder, "nan.csv", "price", f"missing values (NaN) in column '{column}' (1 row)")
    frame.loc[5, column] = np.inf
    frame.to_csv(folder / "inf.csv", index=False)
    both(folder, "inf.csv", "price", f"'{column}' has an infinite value: row 6")


def test_constant_target_warns_and_fits(folder: Path) -> None:
    pd.read_csv(folder / "good.csv").assign(price=3.0).to_csv(folder / "flat.csv", index=False)
    out = galton_cli("fit", "flat.csv", "-t", "price", "--json", cwd=folder)
    assert out.returncode == 0 and "target 'price' is constant" in out.stderr
    assert json.loads(out.stdout)["coefficients"][0]["coef"] == pytest.approx(3.0)
    with pytest.warns(UserWarning, match="constant"):
        model = galton.NeuralRegressor(hidden=(4,), max_epochs=5).fit(folder / "flat.csv", "price")
    assert np.allclose(model.predict(folder / "flat.csv"), 3.0)


def test_constant_and_duplicate_features_are_aliased(folder: Path) -> None:
    frame = pd.read_csv(folder / "good.csv")
    frame.assign(twice=2 * frame["size"], one=1.0).to_csv(folder / "dup.csv", index=False)
    out = galton_cli("fit", "dup.csv", "-t", "price", "--json", cwd=folder)
    assert out.returncode == 0 and "aliased columns not estimated: twice, one" in out.stderr
    aliased = [c["term"] for c in json.loads(out.stdout)["coefficients"] if c["aliased"]]
    assert aliased == ["twice", "one"]
    with pytest.warns(galton.AliasedColumnsWarning):
        galton.LinearRegression().fit(folder / "dup.csv", "price")


def test_more_features_than_rows(folder: Path) -> None:
    rng = np.random.default_rng(2)
    pd.DataFrame(rng.normal(size=(4, 7)), columns=[*"abcdef", "y"]).to_csv(
        folder / "wide.csv", index=False
    )
    out = galton_cli("fit", "wide.csv", "-t", "y", "--json", cwd=folder)
    assert out.returncode == 0 and "aliased" in out.stderr
    assert json.loads(out.stdout)["statistics"]["rank"] == 4


def test_huge_and_tiny_magnitudes(folder: Path) -> None:
    x = 1e13 + np.arange(30.0)
    pd.DataFrame({"x": x, "y": 2 * x + 1}).to_csv(folder / "big.csv", index=False)
    body = json.loads(galton_cli("fit", "big.csv", "-t", "y", "--json", cwd=folder).stdout)
    assert [c["coef"] for c in body["coefficients"]] == [1.0, 2.0]  # exact
    x = np.linspace(1, 2, 50) * 1e300
    y = 3e-200 * x + np.sin(np.arange(50)) * 1e99
    model = galton.LinearRegression().fit(x[:, None], y)
    scaled = galton.LinearRegression().fit(x[:, None] / 1e300, y / 1e99)
    assert model.coef_[0] == pytest.approx(scaled.coef_[0] * 1e99 / 1e300, rel=1e-12)
    assert model.bse_.iloc[1] == pytest.approx(scaled.bse_.iloc[1] * 1e99 / 1e300, rel=1e-9)
    assert np.isfinite(
        galton.NeuralRegressor(hidden=()).fit(x[:, None], y).predict(x[:, None])
    ).all()


def test_float32_input_over_500k_rows_accumulates_in_float64(folder: Path) -> None:
    rng = np.random.default_rng(3)
    n = 600_000
    X = rng.normal(5, 1, size=(n, 2)).astype(np.float32)
    y = (3 + X @ np.array([1.5, -2.0], dtype=np.float32) + rng.normal(0, 0.1, n)).astype(np.float32)
    model = galton.LinearRegression().fit(X, y)
    reference = np.linalg.lstsq(
        np.column_stack([np.ones(n), X.astype(np.float64)]), y.astype(np.float64), rcond=None
    )[0]
    np.testing.assert_allclose(model.params_, reference, rtol=1e-9)
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_parquet(folder / "f32.parquet")
    body = json.loads(galton_cli("fit", "f32.parquet", "-t", "y", "--json", cwd=folder).stdout)
    np.testing.assert_allclose([c["coef"] for c in body["coefficients"]], reference, rtol=1e-9)


def test_predict_time_columns(folder: Path) -> None:
    assert (
        galton_cli("fit", "good.csv", "-t", "price", "--out", "m.galton", cwd=folder).returncode
        == 0
    )
    frame = pd.read_csv(folder / "good.csv")
    frame[["colour", "size"]].assign(extra=1).to_csv(folder / "shuffled.csv", index=False)
    model = galton.load(folder / "m.galton")
    np.testing.assert_allclose(model.predict(folder / "shuffled.csv"), model.predict(frame))
    assert galton_cli("predict", "m.galton", "shuffled.csv", cwd=folder).returncode == 0
    frame[["colour"]].to_csv(folder / "lacking.csv", index=False)
    assert_user_error(
        galton_cli("predict", "m.galton", "lacking.csv", cwd=folder),
        "lacking.csv",
        "no column 'size'",
    )
    with pytest.raises(galton.DataError, match="no column 'size'"):
        model.predict(folder / "lacking.csv")
    frame.assign(colour="green").to_csv(folder / "green.csv", index=False)
    assert_user_error(
        galton_cli("predict", "m.galton", "green.csv", cwd=folder),
        "unknown category 'green' in row 1",
    )


def test_model_files_newer_truncated_tampered(folder: Path) -> None:
    galton_cli("fit", "good.csv", "-t", "price", "--out", "m.galton", cwd=folder)
    meta, arrays = read_raw(folder / "m.galton")
    meta["format_version"] = 99
    write_raw(folder / "newer.galton", meta, arrays)
    assert_user_error(galton_cli("info", "newer.galton", cwd=folder), "format 99 is not supported")
    raw = (folder / "m.galton").read_bytes()
    (folder / "cut.galton").write_bytes(raw[: len(raw) // 2])
    assert_user_error(galton_cli("predict", "cut.galton", "good.csv", cwd=folder), "truncated")
    for name in ("newer.galton", "cut.galton"):
        with pytest.raises(galton.ModelFileError):
            galton.load(folder / name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading a good file stays silent
        galton.load(folder / "m.galton")


def test_a_two_column_y_is_named_as_such() -> None:
    X = np.zeros((10, 2))
    expected = r"y must be one target column, got .* shape \(10, 2\)"
    with pytest.raises(galton.DataError, match=expected):
        galton.LinearRegression().fit(X, np.zeros((10, 2)))


def test_the_network_summary_counts_the_rows_held_out() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=5).fit(X, X[:, 0])
    assert "Observations: 300 (270 trained, 30 held out)" in model.summary()
    # 100 rows: cross-validation chooses and every row trains, less any to stop on
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=5).fit(X[:100], X[:100, 0])
    assert "Observations: 100   " in model.summary()
    model.set_params(early_stopping=True).fit(X[:100], X[:100, 0])
    assert "Observations: 100 (90 trained, 10 held out)" in model.summary()


def test_rows_keep_their_numbers_after_rows_before_them_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,y\n1,3\n,3\n3,4\n4,x\n5,6\n")
    result = galton_cli("fit", "d.csv", "-t", "y", "--drop-missing", cwd=tmp_path)
    assert_user_error(result, "target 'y' is not numeric: row 4 has 'x'")
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "y": [1.0, 2.0, 3.0, np.inf]})
    frame.index = [10, 11, 12, 13]  # the user's labels do not number the rows
    with pytest.raises(galton.DataError, match="row 4 has inf"):
        galton.LinearRegression(missing="drop").fit(frame, "y")


def test_a_target_with_few_values_is_warned_about() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    classes = rng.integers(0, 3, 60).astype(float)
    with pytest.warns(UserWarning, match="takes only 3 distinct values .*regression may not"):
        galton.LinearRegression().fit(pd.DataFrame(X, columns=["a", "b"]).assign(y=classes), "y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a quantity: no warning
        galton.LinearRegression().fit(X, X[:, 0] + rng.normal(size=60))
