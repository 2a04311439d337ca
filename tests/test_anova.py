"""Analysis of variance (issue 17): type I, II and III tables and nested-model tests
against statsmodels' anova_lm and compare_lr_test to 1e-10."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

import galton
from galton.cli import main
from galton.errors import ParameterError

FORMULA = "invest ~ C(firm) + value + capital"


@pytest.fixture(scope="module")
def grunfeld():
    return sm.datasets.grunfeld.load_pandas().data


@pytest.mark.parametrize("typ", [1, 2, 3])
def test_formula_tables_match_statsmodels(grunfeld, typ):
    ours = galton.LinearRegression(formula=FORMULA).fit(grunfeld).anova(typ)
    theirs = anova_lm(smf.ols(FORMULA, grunfeld).fit(), typ=typ)
    assert list(ours.index) == list(theirs.index)
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(float), theirs.to_numpy(float), rtol=1e-10)


def test_a_text_column_is_one_term_without_a_formula(grunfeld):
    weights = np.linspace(0.5, 2.0, len(grunfeld))
    table = (
        galton.LinearRegression()
        .fit(grunfeld[["firm", "value", "capital", "invest"]], "invest", sample_weight=weights)
        .anova(2)
    )
    reference = anova_lm(
        smf.wls("invest ~ firm + value + capital", grunfeld, weights=weights).fit(), typ=2
    )
    assert list(table.index) == ["firm", "value", "capital", "Residual"]
    np.testing.assert_allclose(table.to_numpy(float), reference.to_numpy(float), rtol=1e-10)


def test_nested_models_f_and_likelihood_ratio(grunfeld):
    small = galton.LinearRegression(formula="invest ~ value + capital").fit(grunfeld)
    large = galton.LinearRegression(formula=FORMULA).fit(grunfeld)
    table = galton.anova(small, large)
    s = smf.ols("invest ~ value + capital", grunfeld).fit()
    big = smf.ols(FORMULA, grunfeld).fit()
    ref = anova_lm(s, big)
    assert table.loc[1, "F"] == pytest.approx(ref.loc[1, "F"], rel=1e-10)
    assert table.loc[1, "Pr(>F)"] == pytest.approx(ref.loc[1, "Pr(>F)"], rel=1e-9)
    lr = big.compare_lr_test(s)
    assert table.loc[1, "lr"] == pytest.approx(lr[0], rel=1e-10)
    assert table.loc[1, "Pr(>Chi2)"] == pytest.approx(lr[1], rel=1e-9)
    with pytest.raises(ParameterError, match="smaller"):
        galton.anova(large, small)
    with pytest.raises(ParameterError, match="typ must be"):
        large.anova(4)


def test_saved_tables_and_the_cli(grunfeld, tmp_path, capsys):
    large = galton.LinearRegression(formula=FORMULA).fit(grunfeld)
    small = galton.LinearRegression(formula="invest ~ value + capital").fit(grunfeld)
    large.save(tmp_path / "large.galton")
    small.save(tmp_path / "small.galton")
    again = galton.load(tmp_path / "large.galton")
    pd.testing.assert_frame_equal(again.anova(3), large.anova(3))
    main(["anova", str(tmp_path / "large.galton"), "--typ", "1", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert [row["index"] for row in body["anova"]] == ["C(firm)", "value", "capital", "Residual"]
    main(["anova", str(tmp_path / "small.galton"), str(tmp_path / "large.galton")])
    out = capsys.readouterr().out
    assert "df_diff" in out and "Pr(>Chi2)" in out
    with pytest.raises(SystemExit) as stop:
        main(["anova", str(tmp_path / "large.galton"), str(tmp_path / "small.galton")])
    assert stop.value.code == 2 and "smaller" in capsys.readouterr().err


#: Interactions, where the types differ: type II tests a term after every term that does
#: not contain it (statsmodels' anova_lm, R's car::Anova), type III after all others.
#: Type I is sequential in R's order (main effects first, then interactions, as R's
#: ``terms(lm)`` sorts them), which formulaic keeps; patsy regroups terms by their numeric
#: factors, so statsmodels' own type I table differs from R's. The reference for R's
#: ``anova(lm)`` is then the chain of nested models, one term added at a time.
INTERACTIONS = {
    "invest ~ value * capital": ["value", "capital", "value:capital"],
    "invest ~ C(firm) * value + capital": ["C(firm)", "value", "capital", "C(firm):value"],
    "invest ~ value + capital + C(firm):value": ["value", "capital", "C(firm):value"],
}


@pytest.fixture(scope="module")
def five_firms(grunfeld):
    return grunfeld[grunfeld.firm.isin(grunfeld.firm.unique()[:5])]


@pytest.mark.parametrize("formula", list(INTERACTIONS))
def test_type_one_is_r_sequential_order(five_firms, formula):
    terms = INTERACTIONS[formula]
    ours = galton.LinearRegression(formula=formula).fit(five_firms).anova(1)
    assert list(ours.index) == [*terms, "Residual"]
    chain = [smf.ols("invest ~ 1", five_firms).fit()]
    chain += [
        smf.ols("invest ~ " + " + ".join(terms[: k + 1]), five_firms).fit()
        for k in range(len(terms))
    ]
    steps = anova_lm(*chain)
    np.testing.assert_allclose(ours["sum_sq"].iloc[:-1], steps["ss_diff"].iloc[1:], rtol=1e-9)
    np.testing.assert_allclose(ours["df"].iloc[:-1], steps["df_diff"].iloc[1:])
    assert ours["sum_sq"].iloc[-1] == pytest.approx(chain[-1].ssr, rel=1e-10)


@pytest.mark.parametrize("formula", list(INTERACTIONS))
@pytest.mark.parametrize("typ", [2, 3])
def test_interaction_tables_match_statsmodels(five_firms, formula, typ):
    ours = galton.LinearRegression(formula=formula).fit(five_firms).anova(typ)
    theirs = anova_lm(smf.ols(formula, five_firms).fit(), typ=typ)
    assert sorted(ours.index) == sorted(theirs.index)
    theirs = theirs.loc[ours.index]
    np.testing.assert_allclose(ours.to_numpy(float), theirs.to_numpy(float), rtol=1e-9)


def test_products_without_a_formula_respect_marginality(grunfeld):
    """``degree=2, interactions=True`` on a text and a numeric column: the products of
    ``value`` with the firm indicators are one term, tested as statsmodels does."""
    data = grunfeld[grunfeld.firm.isin(grunfeld.firm.unique()[:4])].reset_index(drop=True)
    model = galton.LinearRegression(degree=2, interactions=True)
    table = model.fit(data[["value", "firm", "invest"]], "invest").anova(2)
    assert list(table.index) == ["value", "firm", "value^2", "value:firm", "Residual"]
    reference = smf.ols("invest ~ value + C(firm) + I(value ** 2) + value:C(firm)", data).fit()
    names = {"C(firm)": "firm", "I(value ** 2)": "value^2", "value:C(firm)": "value:firm"}
    theirs = anova_lm(reference, typ=2).rename(index=names).loc[table.index]
    # value^2 reaches 3.7e7 here: statsmodels' float64 fit keeps about 1e-9 of the value
    # row (1.9e-9 measured with numpy 2.4.6 and statsmodels 0.15)
    np.testing.assert_allclose(table.to_numpy(float), theirs.to_numpy(float), rtol=1e-8)


def test_formula_factors_read_levels_whole():
    from galton.exact.anova import formula_factors

    assert formula_factors("C(g)[T.a:b]:x") == ("C(g)", "x")
    assert formula_factors("np.log(x):I(z ** 2)") == ("np.log(x)", "I(z ** 2)")
    assert formula_factors("Intercept") == ("const",)
