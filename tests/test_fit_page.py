"""The single-fit page (issue 17, item 4): ``model.to_html()`` and ``galton fit --report``.

Its numbers are checked against statsmodels (fitted values, leverage, Cook's distance,
studentised residuals, partial-regression residuals) and against known truth (a planted
outlier is flagged by its row number; a line's partial dependence has the line's slope);
the page itself in Chromium (``test_report_browser.py``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import OLSInfluence

import galton
from galton.cli import main
from galton.errors import GaltonError
from galton.estimators.inspection import partial_dependence
from galton.estimators.page import linear_page, network_page
from galton.report.fit_figures import binned_mean

TOL = 1e-10


def _stackloss() -> tuple[pd.DataFrame, pd.Series]:
    data = sm.datasets.stackloss.load_pandas().data
    return data.drop(columns="STACKLOSS"), data["STACKLOSS"]


@pytest.mark.parametrize("weighted", [False, True])
def test_residual_panels_match_statsmodels(weighted):
    """Weighted fits: the panels of the whitened rows sqrt(w) x, sqrt(w) y, as R's
    ``plot.lm`` (statsmodels' ``OLSInfluence`` of a ``WLS`` mixes whitened and raw
    rows, so the reference is OLS on the whitened rows)."""
    X, y = _stackloss()
    w = np.linspace(0.5, 3.0, len(y)) if weighted else None
    model = galton.LinearRegression().fit(X, y, sample_weight=w)
    root = np.ones(len(y)) if w is None else np.sqrt(w)
    exog = sm.add_constant(X).mul(root, axis=0)
    reference = sm.OLS(y * root, exog).fit()
    influence = OLSInfluence(reference)
    res = linear_page(model, None, None, None).residuals
    assert res is not None
    np.testing.assert_allclose(res.fitted, reference.fittedvalues, rtol=TOL)
    np.testing.assert_allclose(res.resid, reference.resid, atol=TOL * np.abs(y).max())
    np.testing.assert_allclose(res.leverage, influence.hat_matrix_diag, rtol=1e-9)
    np.testing.assert_allclose(res.cooks, influence.cooks_distance[0], rtol=1e-9)
    np.testing.assert_allclose(res.standardised, influence.resid_studentized_internal, rtol=1e-9)
    assert res.n_params == 4 and list(res.rows) == list(range(1, len(y) + 1))


def test_partial_regression_residuals_match_statsmodels():
    """Each panel's residuals are those of the term and of the target on the other
    terms, and the slope through them is the term's coefficient."""
    X, y = _stackloss()
    model = galton.LinearRegression().fit(X, y)
    page = linear_page(model, None, None, None)
    exog = sm.add_constant(X)
    assert [name for name, *_ in page.added_variable] == list(X.columns)
    for name, ex, ey, slope in page.added_variable:
        others = exog.drop(columns=name)
        np.testing.assert_allclose(ex, sm.OLS(exog[name], others).fit().resid, atol=1e-9)
        np.testing.assert_allclose(ey, sm.OLS(y, others).fit().resid, atol=1e-9)
        assert slope == pytest.approx(model.params_[name], rel=TOL)
        assert (ex @ ey) / (ex @ ex) == pytest.approx(model.params_[name], rel=1e-9)


def test_planted_outlier_is_flagged_by_its_row_number():
    """Row numbers count the data's rows, also when rows with missing values were
    dropped before the fit."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    y = 2 * x + rng.normal(scale=0.3, size=80)
    y[57] += 6.0  # data row 58
    frame = pd.DataFrame({"x": x, "y": y})
    frame.loc[10, "x"] = np.nan
    model = galton.LinearRegression(missing="drop").fit(frame, "y")
    page = linear_page(model, None, None, None)
    assert page.influential is not None
    assert int(page.influential["row"].iloc[0]) == 58
    assert "Cook's distance > 4/n" in page.influential_rule
    html = model.to_html()
    assert re.search(r"<td>58</td>", html)


def test_page_holds_the_tables_and_the_figures(tmp_path):
    X, y = _stackloss()
    model = galton.LinearRegression(cov_type="HC3").fit(X, y)
    path = tmp_path / "fit.html"
    text = model.to_html(path, plots_dir=tmp_path / "plots")
    assert path.read_text(encoding="utf-8") == text
    for table in ("statistics", "coefficients", "tests", "anova", "influential"):
        assert f'id="{table}"' in text
    assert f"{model.params_['AIRFLOW']:.4g}" in text and "HC3" in text
    assert "P&gt;|z|" in text  # robust tests are z tests
    assert text.count("data:image/png;base64,") == 2
    found = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert found == ["partial_regression.png", "residual_panels.png"]


def test_missing_directory_is_refused_before_any_work(tmp_path):
    model = galton.LinearRegression().fit(*_stackloss())
    with pytest.raises(GaltonError, match="does not exist"):
        model.to_html(tmp_path / "no" / "fit.html")
    assert not (tmp_path / "no").exists()


def test_loaded_model_draws_from_rows_given_again(tmp_path):
    X, y = _stackloss()
    model = galton.LinearRegression().fit(X, y)
    model.save(tmp_path / "m.galton")
    loaded = galton.load(tmp_path / "m.galton")
    bare = linear_page(loaded, None, None, None)
    assert bare.residuals is None and any("give the rows" in n for n in bare.notes)
    assert bare.coefficients is not None and bare.tests  # kept in the file
    again = linear_page(loaded, X, y, None)
    assert again.residuals is not None
    np.testing.assert_allclose(
        again.residuals.cooks, linear_page(model, None, None, None).residuals.cooks, rtol=1e-12
    )


def test_linear_partial_dependence_has_the_slope():
    """Known truth: a linear model's partial dependence is a line with the coefficient's
    slope, and its ICE curves are parallel to it."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.integers(0, 9, 200)})
    y = 1.5 * frame["a"] - 0.7 * frame["b"] + rng.normal(size=200)
    model = galton.LinearRegression().fit(frame, y)
    dep = partial_dependence(model.predict, frame, "b", np.random.default_rng(1))
    slopes = np.diff(dep.mean) / np.diff(dep.grid)
    np.testing.assert_allclose(slopes, model.params_["b"], rtol=1e-9)
    np.testing.assert_allclose(
        dep.ice - dep.ice[:, :1], np.outer(np.ones(len(dep.ice)), dep.mean - dep.mean[0]), atol=1e-9
    )


def test_network_page_has_learning_curves_and_dependence(tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.uniform(-2, 2, 300), "g": rng.choice(["a", "b", "c"], 300)})
    frame["y"] = frame["x"] ** 2 + (frame["g"] == "b") + rng.normal(scale=0.1, size=300)
    net = galton.NeuralRegressor(hidden=(16,), max_epochs=150, progress=False, seed=0)
    net.fit(frame, "y")
    bare = network_page(net, None, None)
    assert bare.history is net.history_ and bare.residuals is None and bare.notes
    page = network_page(net, frame, "y")
    assert page.residuals is not None
    np.testing.assert_allclose(page.residuals.fitted, net.predict(frame.drop(columns="y")))
    names = {d.name: d for d in page.dependence}
    assert set(names) == {"x", "g"} and names["g"].categorical
    curve = names["x"]
    # the curve a network learned for x**2 is higher at the ends than in the middle
    assert curve.mean[0] > curve.mean[len(curve.grid) // 2] < curve.mean[-1]
    probes = pd.concat([frame.drop(columns="y").assign(x=v) for v in curve.grid])
    expected = net.predict(probes).reshape(len(curve.grid), -1).mean(axis=1)
    np.testing.assert_allclose(curve.mean, expected, rtol=1e-12)  # all 300 rows probed
    text = net.to_html(tmp_path / "net.html", frame, "y")
    assert 'id="fig-learning_curves"' in text and 'id="fig-partial_dependence"' in text


def test_ridge_page_shows_residuals_of_given_rows():
    X, y = _stackloss()
    ridge = galton.RidgeRegression().fit(X, y)
    page = ridge._page(X, y, None)
    assert page.residuals is not None
    np.testing.assert_allclose(page.residuals.resid, y - ridge.predict(X))
    assert page.residuals.leverage is None  # three panels: no Cook's distance for ridge


def test_binned_mean_smooths_in_equal_count_bins():
    x = np.arange(100, dtype=float)
    mx, my = binned_mean(x, 2 * x)
    assert len(mx) == 10 and np.allclose(my, 2 * mx)


def test_cli_fit_report(tmp_path, capsys):
    X, y = _stackloss()
    path = tmp_path / "stack.csv"
    X.assign(STACKLOSS=y).to_csv(path, index=False)
    page = tmp_path / "fit.html"
    main(["fit", str(path), "-t", "STACKLOSS", "--cov", "HC1", "--report", str(page)])
    assert "report written to" in capsys.readouterr().out
    assert 'id="coefficients"' in page.read_text(encoding="utf-8")
    net_page = tmp_path / "net.html"
    args = ["fit", str(path), "-t", "STACKLOSS", "--model", "neural", "--hidden", "4"]
    main([*args, "--epochs", "30", "--quiet", "--report", str(net_page)])
    assert 'id="fig-partial_dependence"' in net_page.read_text(encoding="utf-8")
    bad = tmp_path / "none" / "fit.html"
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(path), "-t", "STACKLOSS", "--report", str(bad)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "does not exist" in err


def test_streamed_fit_page_says_why_it_has_no_plots(tmp_path):
    X, y = _stackloss()
    path = tmp_path / "stack.csv"
    X.assign(STACKLOSS=y).to_csv(path, index=False)
    page = tmp_path / "fit.html"
    main(["fit", str(path), "-t", "STACKLOSS", "--stream", "--report", str(page)])
    text = page.read_text(encoding="utf-8")
    assert 'id="coefficients"' in text and "No residual plots" in text
