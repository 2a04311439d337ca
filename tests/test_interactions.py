"""Full polynomial expansions (issue 17, item 5): ``degree`` with ``interactions``.

The terms are scikit-learn's ``PolynomialFeatures`` in its order; the fit equals
statsmodels' OLS on that design to 1e-10; a text column's indicators are multiplied by the
other inputs but never by each other; the terms survive the model file, ONNX (see
``test_onnx.py``), ANOVA, streaming and the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from model_files import read_raw, write_raw
from sklearn.preprocessing import PolynomialFeatures
from statsmodels.stats.anova import anova_lm
from test_cli import assert_user_error, galton_cli

import galton
from galton.errors import ModelFileError, ParameterError
from galton.exact.design import Term, polynomial_terms

TOL = 1e-10


def _stackloss() -> tuple[pd.DataFrame, pd.Series]:
    data = sm.datasets.stackloss.load_pandas().data
    return data.drop(columns="STACKLOSS"), data["STACKLOSS"]


def _fair() -> tuple[pd.DataFrame, pd.Series]:
    data = sm.datasets.fair.load_pandas().data
    return data[["age", "yrs_married", "children"]], data["affairs"]


@pytest.mark.parametrize("degree, data", [(2, _stackloss), (3, _fair)])
def test_terms_and_fit_match_polynomial_features_and_statsmodels(degree, data):
    X, y = data()
    model = galton.LinearRegression(degree=degree, interactions=True).fit(X, y)
    poly = PolynomialFeatures(degree).fit(X)
    expected = ["const"] + [n.replace(" ", ":") for n in poly.get_feature_names_out()[1:]]
    assert model.term_names_ == expected
    reference = sm.OLS(y.to_numpy(), poly.transform(X)).fit()
    np.testing.assert_allclose(model.params_.to_numpy(), reference.params, rtol=TOL, atol=0)
    np.testing.assert_allclose(model.bse_.to_numpy(), reference.bse, rtol=1e-9)
    assert model.rsquared_ == pytest.approx(reference.rsquared, rel=TOL)
    scale = float(np.abs(y).max())
    np.testing.assert_allclose(model.predict(X), reference.fittedvalues, rtol=0, atol=TOL * scale)


@pytest.mark.parametrize("solver", ["qr", "extended", "cholesky"])
def test_every_solver_forms_the_products(solver):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3)) * [1.0, 8.5, 0.3]
    y = 1 + X[:, 0] * X[:, 1] - 5 * X[:, 2] ** 2 * X[:, 0] + rng.normal(size=200)
    model = galton.LinearRegression(degree=3, interactions=True, solver=solver).fit(X, y)
    reference = sm.OLS(y, PolynomialFeatures(3).fit_transform(X)).fit()
    np.testing.assert_allclose(model.params_.to_numpy(), reference.params, rtol=1e-8)


def test_text_columns_interact_with_numbers_not_with_themselves():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"a": rng.normal(size=150), "b": rng.normal(size=150), "g": rng.choice(list("uvw"), 150)}
    )
    y = frame.a * frame.b + (frame.g == "v") * frame.a + rng.normal(size=150)
    model = galton.LinearRegression(degree=2, interactions=True).fit(frame, y)
    names = model.term_names_
    assert "g=v:g=w" not in names and "g=v^2" not in names
    assert {"a:g=v", "a:g=w", "b:g=v", "a:b", "a^2"} <= set(names)
    # the same design written as a formula in statsmodels
    reference = smf.ols("y ~ (a + b + C(g)) ** 2 + I(a ** 2) + I(b ** 2)", frame.assign(y=y)).fit()
    assert model.rsquared_ == pytest.approx(reference.rsquared, rel=TOL)
    assert len(names) == len(reference.params)
    assert model.params_["a:g=v"] == pytest.approx(reference.params["a:C(g)[T.v]"], rel=1e-9)


def test_anova_groups_each_interaction_as_a_term():
    X, y = _stackloss()
    data = X.rename(columns=str.lower).assign(y=y)
    model = galton.LinearRegression(degree=2, interactions=True).fit(
        data[["airflow", "watertemp"]], y
    )
    reference = smf.ols(
        "y ~ airflow + watertemp + I(airflow ** 2) + airflow:watertemp + I(watertemp ** 2)", data
    ).fit()
    found = model.anova(1)
    expected = anova_lm(reference, typ=1)
    np.testing.assert_allclose(found["sum_sq"].to_numpy(), expected["sum_sq"].to_numpy(), rtol=1e-9)
    assert list(found.index) == [
        "airflow",
        "watertemp",
        "airflow^2",
        "airflow:watertemp",
        "watertemp^2",
        "Residual",
    ]


def test_model_file_keeps_the_terms_and_refuses_forged_ones(tmp_path):
    X, y = _stackloss()
    model = galton.LinearRegression(degree=2, interactions=True).fit(X, y)
    path = tmp_path / "m.galton"
    model.save(path)
    loaded = galton.load(path)
    assert loaded.terms_ == model.terms_ and loaded.term_names_ == model.term_names_
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    meta, arrays = read_raw(path)
    forged = [t for t in meta["terms"] if len(t) == 3][0]
    forged[2][0][0] = 99  # a factor naming no column
    write_raw(path, meta, arrays)
    with pytest.raises(ModelFileError, match="names no column"):
        galton.load(path)


def test_streamed_fit_equals_the_fit_in_memory(tmp_path):
    X, y = _stackloss()
    path = tmp_path / "s.csv"
    X.assign(STACKLOSS=y).to_csv(path, index=False)
    whole = galton.LinearRegression(degree=2, interactions=True).fit(X, y)
    streamed = galton.LinearRegression(degree=2, interactions=True)
    streamed.fit_stream(path, "STACKLOSS", chunk_rows=5)
    np.testing.assert_allclose(streamed.params_.to_numpy(), whole.params_.to_numpy(), rtol=1e-8)


def test_interactions_need_a_degree_and_no_formula():
    X, y = _stackloss()
    with pytest.raises(ParameterError, match="degree >= 2"):
        galton.LinearRegression(interactions=True).fit(X, y)
    with pytest.raises(ParameterError, match="formula"):
        galton.LinearRegression(degree=2, interactions=True, formula="y ~ a").fit(X)


def test_polynomial_terms_are_graded():
    terms = polynomial_terms(2, 2, True, interactions=True)
    assert terms == [Term(None, 0), Term(0), Term(1), Term(0, 2), Term(0, 1, ((1, 1),)), Term(1, 2)]
    assert [t.degree for t in terms] == [0, 1, 1, 2, 2, 2]
    assert Term.from_list(Term(0, 2, ((3, 1),)).to_list()) == Term(0, 2, ((3, 1),))


def test_command_line(tmp_path):
    X, y = _stackloss()
    path = tmp_path / "s.csv"
    X.assign(STACKLOSS=y).to_csv(path, index=False)
    done = galton_cli("fit", str(path), "-t", "STACKLOSS", "--degree", "2", "--interactions")
    assert done.returncode == 0 and "AIRFLOW:WATERTEMP" in done.stdout
    assert_user_error(
        galton_cli("fit", str(path), "-t", "STACKLOSS", "--interactions"), "degree >= 2"
    )
    assert_user_error(
        galton_cli("fit", str(path), "-t", "STACKLOSS", "--model", "neural", "--interactions"),
        "--interactions applies to --model linear",
    )
