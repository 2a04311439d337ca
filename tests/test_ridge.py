"""Ridge regression (issue 16): closed form against statsmodels and scikit-learn to 1e-10,
exact leave-one-out against refits, and the baseline compare uses on wide data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import Ridge

import galton
from galton.cli import main
from galton.errors import ParameterError


def _data(n=60, p=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 10, p)  # columns of unlike scales
    y = X[:, :3] @ np.array([0.5, -0.2, 0.05]) + 3 + rng.normal(size=n)
    return X, y


def _standardised(model, X):
    s = model.solution_
    return (X - s.x_mean) / s.x_scale


@pytest.mark.parametrize("alpha", [0.5, 7.0, 120.0])
def test_fixed_penalty_matches_statsmodels_and_scikit_learn(alpha):
    X, y = _data()
    model = galton.RidgeRegression(alpha=alpha).fit(X, y)
    Z = _standardised(model, X)
    # statsmodels: (Z'Z + n alpha' I)^-1 Z'y on centred data, so alpha' = alpha / n
    ref = sm.OLS(y - y.mean(), Z).fit_regularized(alpha=alpha / len(y), L1_wt=0).params
    np.testing.assert_allclose(model.coef_ * model.solution_.x_scale, ref, rtol=1e-10, atol=1e-12)
    sk = Ridge(alpha=alpha).fit(Z, y)
    np.testing.assert_allclose(model.predict(X), sk.predict(Z), rtol=1e-10)


def test_weighted_ridge_matches_scikit_learn():
    X, y = _data(seed=1)
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(y))
    model = galton.RidgeRegression(alpha=3.0).fit(X, y, sample_weight=w)
    sk = Ridge(alpha=3.0).fit(_standardised(model, X), y, sample_weight=w)
    np.testing.assert_allclose(model.predict(X), sk.predict(_standardised(model, X)), rtol=1e-10)


def test_leave_one_out_is_exact():
    X, y = _data(n=40, p=5, seed=3)
    model = galton.RidgeRegression().fit(X, y)
    Z, lam = _standardised(model, X), model.alpha_
    errors = []
    for i in range(len(y)):  # refit without row i (the scaling fixed, as the formula has it)
        keep = np.arange(len(y)) != i
        zm, ym = Z[keep].mean(axis=0), y[keep].mean()
        A = (Z[keep] - zm).T @ (Z[keep] - zm) + lam * np.eye(Z.shape[1])
        b = np.linalg.solve(A, (Z[keep] - zm).T @ (y[keep] - ym))
        errors.append(y[i] - ym - (Z[i] - zm) @ b)
    assert model.loo_rmse_ == pytest.approx(np.sqrt(np.mean(np.square(errors))), rel=1e-10)
    assert model.loo_mse_[0] >= model.loo_mse_.min()  # alpha 0 (least squares) was a candidate


def test_alpha_zero_is_least_squares_and_auto_picks_a_penalty_on_wide_data():
    X, y = _data(n=80, p=5)
    zero = galton.RidgeRegression(alpha=0.0).fit(X, y)
    ols = galton.LinearRegression().fit(X, y)
    np.testing.assert_allclose(zero.coef_, ols.coef_, rtol=1e-9)
    rng = np.random.default_rng(4)
    wide = rng.normal(size=(50, 120))
    target = wide[:, :4].sum(axis=1) + rng.normal(size=50)
    fitted = galton.RidgeRegression().fit(wide, target)
    assert fitted.alpha_ > 0 and np.isfinite(fitted.loo_rmse_)
    assert fitted.effective_df_ < 50


def test_save_load_summary_and_parameters(tmp_path):
    X, y = _data()
    model = galton.RidgeRegression().fit(pd.DataFrame(X).add_prefix("x"), y)
    model.save(tmp_path / "r.galton")
    again = galton.load(tmp_path / "r.galton")
    assert isinstance(again, galton.RidgeRegression)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert "Penalty alpha" in again.summary() and "x7" in again.summary()
    with pytest.raises(ParameterError, match="'alpha' parameter"):
        galton.RidgeRegression(alpha=-1.0).fit(X, y)
    assert not hasattr(model, "partial_fit")  # refit: leave-one-out needs all the rows


def test_cli_fit_ridge_predict_and_export(tmp_path, capsys):
    X, y = _data()
    frame = pd.DataFrame(X).add_prefix("x").assign(y=y)
    frame.to_csv(tmp_path / "d.csv", index=False)
    main(
        [
            "fit",
            str(tmp_path / "d.csv"),
            "-t",
            "y",
            "--model",
            "ridge",
            "--json",
            "-o",
            str(tmp_path / "m.galton"),
        ]
    )
    body = json.loads(capsys.readouterr().out)
    assert body["model"] == "ridge" and body["statistics"]["alpha"] > 0
    pytest.importorskip("onnxruntime")
    import onnxruntime

    from galton.onnx_export import onnx_inputs

    with pytest.raises(SystemExit) as stop:
        main(["update", str(tmp_path / "m.galton"), str(tmp_path / "d.csv")])
    assert stop.value.code == 2 and "cannot be updated" in capsys.readouterr().err
    main(["export", str(tmp_path / "m.galton"), "--onnx", str(tmp_path / "m.onnx")])
    model = galton.load(tmp_path / "m.galton")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    got = session.run(None, onnx_inputs(model, frame))[0][:, 0]
    np.testing.assert_allclose(got, model.predict(frame), rtol=1e-10)


def test_wide_data_gets_a_ridge_baseline_and_never_a_yay_from_an_unidentified_line():
    # more columns than rows, y linear in 5 of them: least squares is not identified
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 90))
    y = X[:, :5] @ np.array([3.0, -2.0, 1.5, 1.0, -1.0]) + rng.normal(size=60)
    frame = pd.DataFrame(X).add_prefix("x").assign(y=y)
    result = galton.compare(frame, "y", hidden=(16,), folds=3, repeats=1, progress=False)
    assert result.baseline == "ridge"
    assert "least squares is not identified" in result.baseline_reason
    assert result.verdict == "nay"
    assert "ridge regression" in result.explanation
    # the least squares fit is awful out of sample; the ridge baseline is not
    assert result.scores["linear"].rmse.mean() > result.scores["ridge"].rmse.mean()
    assert result.to_dict()["baseline"]["model"] == "ridge"
