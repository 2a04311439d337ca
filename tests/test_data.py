"""Data in: file formats, table types, column types, missing values, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import galton
from galton.data.loading import read_table, split_target
from galton.data.preprocess import Preprocessor, apply_missing_policy

FRAME = pd.DataFrame(
    {
        "size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "colour": ["red", "blue", "red", "green", "blue", "green", "red", "blue"],
        "new": [True, False, True, False, True, True, False, False],
        "price": [3.1, 4.9, 7.2, 9.1, 10.8, 13.2, 15.1, 16.8],
    }
)


@pytest.mark.parametrize(
    ("suffix", "writer"),
    [
        (".csv", lambda f, p: f.to_csv(p, index=False)),
        (".tsv", lambda f, p: f.to_csv(p, sep="\t", index=False)),
        (".parquet", lambda f, p: f.to_parquet(p, index=False)),
        (".jsonl", lambda f, p: f.to_json(p, orient="records", lines=True)),
    ],
)
def test_file_formats_sniffed_from_extension(tmp_path: Path, suffix: str, writer) -> None:
    path = tmp_path / f"data{suffix}"
    writer(FRAME, path)
    frame = read_table(path)
    pd.testing.assert_frame_equal(frame, FRAME, check_dtype=False)


def test_format_override(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    FRAME.to_csv(path, sep="\t", index=False)
    assert list(read_table(path, fmt="tsv").columns) == list(FRAME.columns)
    assert list(read_table(path).columns) == list(FRAME.columns)  # .txt: sniffed
    odd = tmp_path / "data.xyz"
    FRAME.to_csv(odd, index=False)
    with pytest.raises(galton.DataError, match=r"unknown file type '\.xyz'"):
        read_table(odd)
    assert list(read_table(odd, fmt="csv").columns) == list(FRAME.columns)


def test_table_types_all_give_the_same_fit() -> None:
    import polars as pl
    import pyarrow as pa

    reference = galton.LinearRegression().fit(FRAME, "price").params_
    for table in (pl.from_pandas(FRAME), pa.Table.from_pandas(FRAME)):
        np.testing.assert_allclose(galton.LinearRegression().fit(table, "price").params_, reference)
    arr = FRAME[["size"]].to_numpy()
    m = galton.LinearRegression().fit(arr, FRAME["price"].to_numpy())
    assert m.feature_names_in_ == ["x0"]


def test_bundled_name_works_wherever_a_path_does() -> None:
    assert len(read_table("concrete")) == 1030


def test_categories_and_booleans_are_encoded_and_stored() -> None:
    X, _ = split_target(FRAME, "price", None, "frame")
    pre = Preprocessor().fit(X)
    assert pre.feature_names_ == ["size", "colour=green", "colour=red", "new"]
    out = pre.transform(X)
    np.testing.assert_array_equal(out[:, 1], (FRAME["colour"] == "green").astype(float))
    np.testing.assert_array_equal(out[:, 3], FRAME["new"].astype(float))
    again = Preprocessor.from_dict(pre.to_dict()).transform(X)
    np.testing.assert_array_equal(again, out)
    unseen = X.assign(colour=["purple"] + list(X["colour"][1:]))
    with pytest.raises(
        galton.DataError, match="column 'colour' has unknown category 'purple' in row 1"
    ):
        pre.transform(unseen, "new.csv")


def test_feature_selection_and_missing_columns() -> None:
    X, y = split_target(FRAME, "price", ["size"], "shop.csv")
    assert list(X.columns) == ["size"] and y.name == "price"
    with pytest.raises(galton.DataError, match="shop.csv: no column 'weight'"):
        split_target(FRAME, "price", ["weight"], "shop.csv")
    with pytest.raises(galton.DataError, match="shop.csv: no column 'cost'"):
        split_target(FRAME, "cost", None, "shop.csv")


def test_non_numeric_target_names_the_row() -> None:
    frame = FRAME.assign(price=["1", "2", "x", "4", "5", "6", "7", "8"])
    with pytest.raises(galton.DataError, match="target 'price' is not numeric: row 3 has 'x'"):
        galton.LinearRegression().fit(frame, "price")


def test_mostly_numeric_column_with_a_typo_is_an_error() -> None:
    sizes = [str(v) for v in range(1, 17)]
    sizes[7] = "8x"
    frame = pd.concat([FRAME] * 2, ignore_index=True).assign(size=sizes)
    with pytest.raises(galton.DataError, match="column 'size' is not numeric: row 8 has '8x'"):
        galton.LinearRegression().fit(frame, "price")


def _with_gaps() -> pd.DataFrame:
    frame = FRAME.copy()
    frame.loc[1, "size"] = np.nan
    frame.loc[4, "size"] = np.nan
    frame.loc[2, "colour"] = None
    return frame


def test_missing_values_are_an_error_by_default() -> None:
    with pytest.raises(galton.DataError) as info:
        galton.LinearRegression().fit(_with_gaps(), "price")
    message = str(info.value)
    assert "'size' (2 rows)" in message and "'colour' (1 row)" in message
    assert "--drop-missing" in message and "--impute" in message


def test_drop_missing() -> None:
    m = galton.LinearRegression(missing="drop").fit(_with_gaps(), "price")
    assert m.n_samples_ == 5


@pytest.mark.parametrize("how", ["mean", "median"])
def test_impute(how: str) -> None:
    frame = _with_gaps()
    m = galton.LinearRegression(missing=how).fit(frame, "price")
    assert m.n_samples_ == 8
    fill = m.preprocessor_.columns_[0]["fill"]
    present = frame["size"].dropna()
    assert fill == pytest.approx(present.mean() if how == "mean" else present.median())


def test_missing_target_rows_are_dropped_under_imputation() -> None:
    frame = FRAME.copy()
    frame.loc[0, "price"] = np.nan
    X, y = split_target(frame, "price", None, "f")
    X2, y2 = apply_missing_policy(X, y, "mean", "f")
    assert len(y2) == 7


def test_file_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(galton.DataError, match="nope.csv: no such file or bundled dataset"):
        read_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(galton.DataError, match="empty.csv: the file is empty"):
        read_table(empty)
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    with pytest.raises(galton.DataError) as info:
        read_table(broken)
    assert "broken.parquet: cannot read as parquet" in str(info.value)
    assert "\n" not in str(info.value)


def test_lists_and_array_likes_are_accepted() -> None:
    X = [[1.0], [2.0], [3.0], [4.0]]
    m = galton.LinearRegression().fit(X, [2.0, 4.1, 5.9, 8.0])
    assert m.predict([[5.0]]).shape == (1,)
    with pytest.raises(galton.DataError, match="is expecting 1 features"):
        m.predict([[1.0, 2.0]])


def test_unsupported_inputs_say_so() -> None:
    import scipy.sparse

    with pytest.raises(galton.DataError, match="sparse input is not supported"):
        galton.LinearRegression().fit(scipy.sparse.csr_matrix(np.eye(3)), [1.0, 2.0, 3.0])
    with pytest.raises(galton.DataError, match="Complex data not supported"):
        galton.LinearRegression().fit(np.ones((3, 1)) * 1j, [1.0, 2.0, 3.0])
    with pytest.raises(galton.DataError, match="no data rows"):
        galton.NeuralRegressor().fit(FRAME.iloc[:0], "price")


def test_works_inside_scikit_learn_model_selection() -> None:
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    frame = pd.concat([FRAME] * 3, ignore_index=True)
    X, y = frame[["size"]].to_numpy(), frame["price"].to_numpy()
    scores = cross_val_score(galton.LinearRegression(), X, y, cv=3)
    assert scores.min() > 0.9
    copy = clone(galton.NeuralRegressor(hidden=(3,), seed=5))
    assert copy.get_params()["seed"] == 5 and copy.hidden == (3,)
