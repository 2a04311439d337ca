"""Robust covariances (issue 17): HC0-HC3, HAC and cluster-robust standard errors, tests,
intervals and F against statsmodels to 1e-10 on the datasets it ships."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import galton
from galton.cli import main
from galton.errors import ModelFileError, ParameterError
from galton.io import read_model_file, write_model_file

TOL = 1e-10


def _agree(model, reference, X_new=None, exog_new=None) -> None:
    """Every statistic that follows the covariance, to ``TOL`` relative (terms matched by
    name: a formula orders them its own way)."""
    names = [{"const": "Intercept"}.get(n, n) for n in model.term_names_]
    if not set(names) <= set(reference.params.index):
        names = list(reference.params.index)  # arrays: statsmodels names them by position
    np.testing.assert_allclose(model.bse_, reference.bse[names], rtol=TOL)
    np.testing.assert_allclose(model.tvalues_, reference.tvalues[names], rtol=TOL)
    np.testing.assert_allclose(model.pvalues_, reference.pvalues[names], rtol=1e-8)
    np.testing.assert_allclose(model.conf_int(), reference.conf_int().loc[names], rtol=TOL)
    assert model.results_.fvalue == pytest.approx(reference.fvalue, rel=TOL)
    assert model.results_.f_pvalue == pytest.approx(reference.f_pvalue, rel=1e-8)
    if X_new is not None:
        frame = reference.get_prediction(exog_new).summary_frame(alpha=0.1)
        got = model.predict(X_new, interval=0.9)
        np.testing.assert_allclose(got.lower, frame["obs_ci_lower"], rtol=TOL)
        mean = model.predict(X_new, interval="confidence", level=0.9)
        np.testing.assert_allclose(mean.upper, frame["mean_ci_upper"], rtol=TOL)


@pytest.mark.parametrize(
    ("cov_type", "kwds"),
    [("HC0", {}), ("HC1", {}), ("HC2", {}), ("HC3", {}), ("HAC", {"maxlags": 2})],
)
def test_stackloss_heteroskedasticity_and_autocorrelation_robust(cov_type, kwds):
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    reference = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type, cov_kwds=dict(kwds))
    model = galton.LinearRegression(cov_type=cov_type, cov_kwds=kwds).fit(X, y)
    _agree(model, reference, X.iloc[:5], sm.add_constant(X).iloc[:5])
    assert model.results_.uses_normal  # statsmodels' default: z tests
    classical = galton.LinearRegression().fit(X, y)
    assert not np.allclose(model.bse_, classical.bse_)  # the covariance was used


def test_weighted_least_squares_with_a_robust_covariance():
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    w = np.linspace(0.5, 2.0, len(y))
    reference = sm.WLS(y, sm.add_constant(X), weights=w).fit(cov_type="HC1")
    model = galton.LinearRegression(cov_type="HC1").fit(X, y, sample_weight=w)
    _agree(model, reference)


def test_grunfeld_firm_effects_clustered_by_firm_from_the_column():
    data = sm.datasets.grunfeld.load_pandas().data
    formula = "invest ~ value + capital + C(firm)"
    codes = pd.factorize(data["firm"])[0]
    reference = smf.ols(formula, data).fit(cov_type="cluster", cov_kwds={"groups": codes})
    model = galton.LinearRegression(
        formula=formula, cov_type="cluster", cov_kwds={"groups": "firm"}
    ).fit(data)
    assert model.results_.robust.n_groups == 11 and model.results_.df_inference == 10
    _agree(model, reference)


def test_macrodata_newey_west_with_t_tests():
    data = sm.datasets.macrodata.load_pandas().data
    X, y = data[["realcons", "realinv"]], data["realgdp"]
    kwds = {"maxlags": 4, "use_t": True}
    reference = sm.OLS(y, sm.add_constant(X)).fit(cov_type="HAC", cov_kwds=dict(kwds))
    model = galton.LinearRegression(cov_type="HAC", cov_kwds=kwds).fit(X, y)  # (statsmodels
    # takes use_t out of the dict it is given, hence the copy above)
    _agree(model, reference, X.iloc[:4], sm.add_constant(X).iloc[:4])
    assert not model.results_.uses_normal


def test_fair_clustered_by_an_array_with_dropped_rows():
    data = sm.datasets.fair.load_pandas().data.iloc[:600].copy()
    groups = (np.arange(len(data)) % 37).astype(float)
    data.loc[data.index[[3, 10]], "age"] = np.nan  # dropped: the clusters follow
    keep = data["age"].notna().to_numpy()
    X, y = data[["rate_marriage", "age", "yrs_married"]], data["affairs"]
    reference = sm.OLS(y[keep], sm.add_constant(X[keep])).fit(
        cov_type="cluster", cov_kwds={"groups": groups[keep]}
    )
    model = galton.LinearRegression(
        missing="drop", cov_type="cluster", cov_kwds={"groups": groups}
    ).fit(X, y)
    _agree(model, reference)


def test_summary_json_file_and_refusals(tmp_path):
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    model = galton.LinearRegression(cov_type="HC3").fit(X, y)
    assert "Covariance: HC3 (z tests)" in model.summary() and "P>|z|" in model.summary()
    assert model.to_dict()["statistics"]["cov_type"] == "HC3"
    model.save(tmp_path / "m.galton")
    again = galton.load(tmp_path / "m.galton")
    np.testing.assert_array_equal(again.bse_, model.bse_)
    assert again.summary() == model.summary()
    with pytest.raises(ParameterError, match="cannot be updated"):
        again.partial_fit(X, y)
    with pytest.raises(ParameterError, match="needs the rows in memory"):
        galton.LinearRegression(cov_type="HC0").fit_stream(data, "STACKLOSS")
    with pytest.raises(ParameterError, match="'cov_kwds' parameter"):
        galton.LinearRegression(cov_type="HAC").fit(X, y)
    with pytest.raises(ParameterError, match="'cov_type' parameter"):
        galton.LinearRegression(cov_type="HC9").fit(X, y)
    meta, arrays = read_model_file(tmp_path / "m.galton")
    del arrays["cov_robust"]
    write_model_file(tmp_path / "bad.galton", meta, arrays)
    with pytest.raises(ModelFileError, match="cov_robust"):
        galton.load(tmp_path / "bad.galton")


def test_cli_cov_options(tmp_path, capsys):
    data = sm.datasets.grunfeld.load_pandas().data
    data.to_csv(tmp_path / "grunfeld.csv", index=False)
    main(["fit", str(tmp_path / "grunfeld.csv"), "-t", "invest", "--features", "value,capital",
          "--cov", "cluster:firm", "--json"])  # fmt: skip
    body = json.loads(capsys.readouterr().out)
    assert body["features"] == ["value", "capital"]
    assert body["statistics"]["cov_type"] == "cluster" and body["statistics"]["tests"] == "z"
    main(["fit", str(tmp_path / "grunfeld.csv"), "-t", "invest", "--features", "value,capital",
          "--cov", "hac:3"])  # fmt: skip
    assert "HAC (Newey-West, 3 lags; z tests)" in capsys.readouterr().out
    for bad, said in (("hc7", "--cov must be one of"), ("hac", "needs a number of lags")):
        with pytest.raises(SystemExit) as stop:
            main(["fit", str(tmp_path / "grunfeld.csv"), "-t", "invest", "--cov", bad])
        assert stop.value.code == 2 and said in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fit", str(tmp_path / "grunfeld.csv"), "-t", "invest", "--model", "ridge",
              "--cov", "HC1"])  # fmt: skip
    assert "--cov applies to --model linear" in capsys.readouterr().err
