"""Row weights by column name: Python and the command line, checked against statsmodels'
weighted least squares."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from test_cli import assert_user_error, galton_cli

import galton


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 80
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = 1 + frame.a - 2 * frame.b + rng.normal(size=n) / rng.uniform(0.5, 2, n)
    frame["w"] = rng.uniform(0.5, 2.0, n)
    return frame


def _wls(frame: pd.DataFrame) -> sm.regression.linear_model.RegressionResults:
    return sm.WLS(frame.y, sm.add_constant(frame[["a", "b"]]), weights=frame.w).fit()


def test_a_weight_column_by_name_is_weighted_least_squares(table: pd.DataFrame) -> None:
    model = galton.LinearRegression().fit(table, "y", sample_weight="w")
    reference = _wls(table)
    assert model.feature_names_in_ == ["a", "b"]  # the weights are not a feature
    np.testing.assert_allclose(model.params_, reference.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(model.bse_, reference.bse.to_numpy(), rtol=1e-10)
    by_array = galton.LinearRegression().fit(table[["a", "b"]], table.y, sample_weight=table.w)
    np.testing.assert_allclose(by_array.params_, model.params_, rtol=1e-12)


def test_weight_columns_are_checked(table: pd.DataFrame) -> None:
    with pytest.raises(galton.DataError, match="no weight column 'ww' .*did you mean 'w'"):
        galton.LinearRegression().fit(table, "y", sample_weight="ww")
    text = table.assign(w=table.w.astype(str))
    text.loc[3, "w"] = "heavy"
    with pytest.raises(galton.DataError, match="weight 'w' is not numeric: row 4 has 'heavy'"):
        galton.LinearRegression().fit(text, "y", sample_weight="w")


def test_the_command_line_weights_in_memory_and_streamed(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    table.to_csv(tmp_path / "t.csv", index=False)
    reference = _wls(table).params.to_numpy()
    for extra in ([], ["--stream"], ["--features", "a,b"]):
        result = galton_cli("fit", "t.csv", "-t", "y", "--weights", "w", "--json", *extra,
                            cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        assert body["features"] == ["a", "b"]
        coefs = [c["coef"] for c in body["coefficients"]]
        np.testing.assert_allclose(coefs, reference, rtol=1e-9)
    neural = galton_cli("fit", "t.csv", "-t", "y", "--weights", "w", "--model", "neural",
                        "--hidden", "4", "--epochs", "20", "--json", cwd=tmp_path)  # fmt: skip
    assert neural.returncode == 0, neural.stderr  # networks take weights in memory
    assert json.loads(neural.stdout)["features"] == ["a", "b"]
    streamed = galton_cli("fit", "t.csv", "-t", "y", "--weights", "w", "--model", "neural",
                          "--stream", cwd=tmp_path)  # fmt: skip
    assert_user_error(streamed, "--weights: streamed and Dask networks take no row weights")
