"""Formulas (formulaic syntax) in the API and on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_cli import assert_user_error, galton_cli

import galton
from galton.data.datasets import load_dataset


def test_formula_equals_the_explicit_design() -> None:
    frame = load_dataset("age-income")
    by_formula = galton.LinearRegression(formula="income ~ age + I(age**2) + C(education)")
    by_formula.fit(frame)
    explicit = galton.LinearRegression(degree=2).fit(frame, "income")
    np.testing.assert_allclose(np.sort(by_formula.params_), np.sort(explicit.params_), rtol=1e-8)
    assert by_formula.term_names_[:3] == ["const", "age", "I(age ** 2)"]
    no_intercept = galton.LinearRegression(formula="income ~ age - 1").fit(frame)
    assert no_intercept.term_names_ == ["age"] and no_intercept.intercept_ == 0.0


@pytest.mark.parametrize("kind", ["linear", "neural"])
def test_the_model_stores_its_formula_and_applies_it_at_predict_time(kind: str, tmp_path) -> None:
    frame = load_dataset("concrete").assign(
        region=lambda f: np.where(
            f.index % 3 == 0, "north", np.where(f.index % 3 == 1, "east", "west")
        )
    )
    formula = "strength ~ cement + water + I(age**0.5) + C(region)"
    model = (
        galton.LinearRegression(formula=formula)
        if kind == "linear"
        else galton.NeuralRegressor(hidden=(8,), max_epochs=30, formula=formula)
    )
    model.fit(frame)
    model.save(tmp_path / "m.galton")
    loaded = galton.load(tmp_path / "m.galton")
    new = frame.drop(columns="strength").head(20)
    np.testing.assert_allclose(loaded.predict(new), model.predict(new), rtol=1e-12)
    with pytest.raises(galton.DataError, match="categories"):
        loaded.predict(new.assign(region="south"))
    with pytest.raises(galton.DataError, match="only the table"):
        galton.LinearRegression(formula=formula).fit(frame, "strength")


def test_formula_on_the_command_line(tmp_path: Path) -> None:
    frame = load_dataset("concrete").head(300).assign(region=["a", "b", "c"] * 100)
    frame.to_csv(tmp_path / "mix.csv", index=False)
    out = galton_cli(
        "fit",
        "mix.csv",
        "--formula",
        "strength ~ cement + water + I(age**0.5) + C(region)",
        "--json",
        "--out",
        "m.galton",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    terms = [c["term"] for c in json.loads(out.stdout)["coefficients"]]
    assert terms == [
        "const",
        "cement",
        "water",
        "I(age ** 0.5)",
        "C(region)[T.b]",
        "C(region)[T.c]",
    ]
    pd.DataFrame({"cement": [300.0], "water": [180.0], "age": [28.0], "region": ["b"]}).to_csv(
        tmp_path / "one.csv", index=False
    )
    pred = galton_cli("predict", "m.galton", "one.csv", "--json", cwd=tmp_path)
    assert pred.returncode == 0 and len(json.loads(pred.stdout)["predictions"]) == 1
    assert_user_error(
        galton_cli("fit", "mix.csv", "--formula", "strength ~ nope", cwd=tmp_path),
        "mix.csv",
        "nope",
    )
    assert_user_error(galton_cli("fit", "mix.csv", cwd=tmp_path), "--target")
