"""Tests of linear restrictions (issue 17): t, F and Wald tests from text or a matrix,
under the classical and robust covariances, against statsmodels to 1e-10."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import galton
from galton.cli import main
from galton.errors import ParameterError
from galton.exact.hypotheses import parse_restrictions


@pytest.fixture(scope="module")
def stackloss():
    data = sm.datasets.stackloss.load_pandas().data
    return data.drop(columns="STACKLOSS"), data["STACKLOSS"]


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC3"])
def test_f_t_and_wald_tests_match_statsmodels(stackloss, cov_type):
    X, y = stackloss
    model = galton.LinearRegression(cov_type=cov_type).fit(X, y)
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type)
    joint = "AIRFLOW = WATERTEMP, ACIDCONC = 0"
    f, g = model.f_test(joint), ref.f_test(joint)
    assert f.statistic == pytest.approx(float(np.squeeze(g.fvalue)), rel=1e-10)
    assert f.pvalue == pytest.approx(float(g.pvalue), rel=1e-9)
    assert f.df == (2, 17)
    t, u = model.t_test("2*AIRFLOW - WATERTEMP = 1"), ref.t_test("2*AIRFLOW - WATERTEMP = 1")
    assert t.statistic[0] == pytest.approx(float(np.squeeze(u.tvalue)), rel=1e-10)
    assert t.pvalue[0] == pytest.approx(float(np.squeeze(u.pvalue)), rel=1e-9)
    np.testing.assert_allclose(t.conf_int(), u.conf_int(), rtol=1e-10)
    w = model.wald_test("AIRFLOW, ACIDCONC")  # "= 0" may be left out
    v = ref.wald_test("AIRFLOW = 0, ACIDCONC = 0", use_f=False, scalar=True)
    assert w.statistic == pytest.approx(float(v.statistic), rel=1e-10)
    np.testing.assert_allclose(model.cov_params().to_numpy(), ref.cov_params(), rtol=1e-10)


def test_a_matrix_and_the_summary_frame(stackloss):
    X, y = stackloss
    model = galton.LinearRegression().fit(X, y)
    R = np.array([[0, 1, -1, 0], [0, 0, 0, 1]])
    by_matrix, by_text = model.f_test(R, [0, 0]), model.f_test("AIRFLOW = WATERTEMP, ACIDCONC")
    assert by_matrix.statistic == pytest.approx(by_text.statistic, rel=1e-14)
    frame = model.summary_frame()
    assert list(frame.index) == ["const", "AIRFLOW", "WATERTEMP", "ACIDCONC"]
    assert list(frame.columns) == ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"]
    np.testing.assert_array_equal(frame["coef"], model.params_)


def test_names_holding_equals_and_minus_signs_are_read_whole():
    names = ["const", "city=Rome", "city=Paris", "x-1", "x"]
    R, q = parse_restrictions("city=Rome = city=Paris, 2 x-1 - 0.5*x = 3", names)
    np.testing.assert_array_equal(R, [[0, 1, -1, 0, 0], [0, 0, 0, 2, -0.5]])
    np.testing.assert_array_equal(q, [0, 3])


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("AIRFLOW = = 1", "more than one '='"),
        ("AIRFLOW ** 2", "cannot read"),
        ("__import__('os')", "cannot read"),
        ("1 = 2", "names no term"),
        ("", "no restriction"),
    ],
)
def test_bad_restrictions_are_one_line_errors(stackloss, text, said):
    X, y = stackloss
    model = galton.LinearRegression().fit(X, y)
    with pytest.raises(ParameterError, match=said):
        model.f_test(text)


def test_cli_test_command(stackloss, tmp_path, capsys):
    X, y = stackloss
    galton.LinearRegression().fit(pd.concat([X, y], axis=1), "STACKLOSS").save(
        tmp_path / "m.galton"
    )
    main(["test", str(tmp_path / "m.galton"), "AIRFLOW = WATERTEMP, ACIDCONC = 0", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["F"]["df"] == [2, 17] and 0 < body["F"]["p"] < 1
    assert len(body["t"]) == 2 and body["t"][0]["restriction"] == "AIRFLOW = WATERTEMP"
    main(["test", str(tmp_path / "m.galton"), "AIRFLOW = WATERTEMP"])
    out = capsys.readouterr().out
    assert out.startswith("F test: F = ") and "AIRFLOW = WATERTEMP" in out
