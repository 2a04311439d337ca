"""Diagnostics of a least-squares fit (issue 17): the assumption tests of the summary,
influence measures and VIF, against statsmodels to 1e-10."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.diagnostic import het_breuschpagan, het_white
from statsmodels.stats.outliers_influence import OLSInfluence, variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera, omni_normtest

import galton
from galton.cli import main
from galton.errors import ParameterError

TOL = 1e-10


def _expected(reference) -> dict[str, float]:
    """statsmodels' numbers for the same fit: whitened residuals; the heteroskedasticity
    tests on the design as given (its intercept included)."""
    e, exog = reference.wresid, reference.model.exog
    omnibus = omni_normtest(e)
    jb, jb_p, skew, kurtosis = jarque_bera(e)
    bp, white = het_breuschpagan(e, exog), het_white(e, exog)
    return {
        "omnibus": omnibus[0],
        "omnibus_p": omnibus[1],
        "skew": skew,
        "kurtosis": kurtosis,
        "jarque_bera": jb,
        "jarque_bera_p": jb_p,
        "durbin_watson": durbin_watson(e),
        "breusch_pagan": bp[0],
        "breusch_pagan_p": bp[1],
        "breusch_pagan_f": bp[2],
        "breusch_pagan_f_p": bp[3],
        "white": white[0],
        "white_p": white[1],
        "white_f": white[2],
        "white_f_p": white[3],
    }


@pytest.mark.parametrize("weighted", [False, True])
def test_assumption_tests_match_statsmodels(weighted):
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    w = np.linspace(0.5, 3.0, len(y)) if weighted else None
    model = galton.LinearRegression().fit(X, y, sample_weight=w)
    exog = sm.add_constant(X)
    reference = (sm.WLS(y, exog, weights=w) if weighted else sm.OLS(y, exog)).fit()
    found = model.diagnostics()
    for key, value in _expected(reference).items():
        assert found[key] == pytest.approx(float(value), rel=1e-9), key
    assert "Durbin-Watson: " in model.summary() and "White: " in model.summary()


def test_influence_and_vif_match_statsmodels():
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    model = galton.LinearRegression().fit(X, y)
    reference = sm.OLS(y, sm.add_constant(X)).fit()
    got = model.influence()
    ref = OLSInfluence(reference).summary_frame()
    pairs = {
        "hat": "hat_diag",
        "student_resid_internal": "standard_resid",
        "student_resid_external": "student_resid",
        "cooks_d": "cooks_d",
        "dffits": "dffits",
        "dfb_AIRFLOW": "dfb_AIRFLOW",
        "dfb_const": "dfb_const",
    }
    for ours, theirs in pairs.items():
        # (atol: a DFBETA of 1e-5 is a difference of numbers near 0.3)
        np.testing.assert_allclose(got[ours], ref[theirs], rtol=TOL, atol=1e-12, err_msg=ours)
    cooks_p = OLSInfluence(reference).cooks_distance[1]
    np.testing.assert_allclose(got["cooks_d_p"], cooks_p, rtol=1e-9)
    vif = model.vif()
    exog = sm.add_constant(X).to_numpy()
    for j, name in enumerate(vif.index):
        if name != "const":
            assert vif[name] == pytest.approx(variance_inflation_factor(exog, j), rel=TOL)
    assert np.isnan(vif["const"])


def test_a_saved_model_keeps_its_diagnostics_and_asks_for_rows(tmp_path):
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    model = galton.LinearRegression().fit(X, y)
    model.save(tmp_path / "m.galton")
    again = galton.load(tmp_path / "m.galton")
    assert again.diagnostics() == model.diagnostics()
    assert again.summary() == model.summary()
    with pytest.raises(ParameterError, match="no training rows"):
        again.influence()
    pd.testing.assert_frame_equal(again.influence(X, y), model.influence())
    pd.testing.assert_series_equal(again.vif(X), model.vif())


def test_streamed_and_updated_fits_print_no_stale_diagnostics():
    data = sm.datasets.stackloss.load_pandas().data
    streamed = galton.LinearRegression().fit_stream(data, "STACKLOSS", chunk_rows=7)
    assert "Durbin-Watson" not in streamed.summary()
    assert streamed.to_dict()["diagnostics"] is None
    model = galton.LinearRegression().fit(data, "STACKLOSS")
    model.partial_fit(data.head(5), "STACKLOSS")
    assert "Durbin-Watson" not in model.summary()  # the first rows' tests would be stale


def test_cli_json_carries_the_diagnostics(tmp_path, capsys):
    data = sm.datasets.stackloss.load_pandas().data
    data.to_csv(tmp_path / "s.csv", index=False)
    main(["fit", str(tmp_path / "s.csv"), "-t", "STACKLOSS", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["diagnostics"]["durbin_watson"] == pytest.approx(1.485131034341, rel=1e-9)


def test_named_results_residuals_and_fitted_values():
    data = sm.datasets.stackloss.load_pandas().data
    X, y = data.drop(columns="STACKLOSS"), data["STACKLOSS"]
    model = galton.LinearRegression().fit(X, y)
    reference = sm.OLS(y, sm.add_constant(X)).fit()
    for ours, theirs in ((model.params_, reference.params), (model.bse_, reference.bse)):
        assert list(ours.index) == ["const", *X.columns]
        np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(model.resid_, reference.resid, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(model.fittedvalues_, reference.fittedvalues, rtol=1e-10)
    assert model.conf_int(0.1).loc["AIRFLOW", 1] == pytest.approx(
        reference.conf_int(0.1).loc["AIRFLOW", 1], rel=1e-10
    )
    assert model.coef_.shape == (3,)  # scikit-learn's arrays stay arrays


def test_cli_influence_of_a_saved_model(tmp_path, capsys):
    """``galton influence MODEL DATA``: statsmodels' measures of every row, the flagged
    rows by their number in the file (a row dropped for a missing value counted), VIF."""
    data = sm.datasets.stackloss.load_pandas().data
    data.loc[20, "STACKLOSS"] = data.loc[20, "STACKLOSS"] + 25  # data row 21: an outlier
    with_gap = data.copy()
    with_gap.loc[4, "AIRFLOW"] = np.nan  # data row 5 has no value: dropped
    with_gap.to_csv(tmp_path / "s.csv", index=False)
    main(
        [
            "fit",
            str(tmp_path / "s.csv"),
            "-t",
            "STACKLOSS",
            "--drop-missing",
            "-o",
            str(tmp_path / "m.galton"),
            "-q",
        ]
    )
    capsys.readouterr()
    csv = tmp_path / "rows.csv"
    main(
        [
            "influence",
            str(tmp_path / "m.galton"),
            str(tmp_path / "s.csv"),
            "--out",
            str(csv),
            "--json",
        ]
    )
    body = json.loads(capsys.readouterr().out)
    kept = data.drop(index=4)
    reference = OLSInfluence(
        sm.OLS(kept["STACKLOSS"], sm.add_constant(kept.drop(columns="STACKLOSS"))).fit()
    )
    rows = pd.read_csv(csv)
    assert list(rows["row"]) == [r + 1 for r in kept.index]
    np.testing.assert_allclose(rows["cooks_d"], reference.cooks_distance[0], rtol=1e-9)
    assert body["rows"][0]["row"] == 21 and body["flagged"] >= 1
    exog = sm.add_constant(kept.drop(columns="STACKLOSS")).to_numpy()
    assert body["vif"]["AIRFLOW"] == pytest.approx(variance_inflation_factor(exog, 1), rel=1e-10)
    main(["influence", str(tmp_path / "m.galton"), str(tmp_path / "s.csv"), "--top", "3"])
    out = capsys.readouterr().out
    assert "rows flagged" in out and "Variance inflation factors" in out
