"""Explanations (issue 18): the terms proposed from known curves, the regions found in
known paired losses, and the whole explanation of a comparison with known structure,
in Python and on the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_cli import galton_cli

import galton
from galton.explain.recover import augmented, propose
from galton.explain.regions import where_the_network_wins
from galton.explain.terms import Term

RNG = np.random.default_rng(7)
N = 400
FRAME = pd.DataFrame(
    {
        "x": RNG.uniform(-2, 2, N),
        "z": RNG.normal(size=N),
        "pos": RNG.uniform(0.5, 10, N),
        "g": RNG.choice(["a", "b", "c"], N),
    }
)
CATEGORIES = {"g": ["a", "b", "c"]}


def _terms(truth) -> list[Term]:
    """What ``propose`` reads off a known function (in place of a network) on FRAME."""
    predict = lambda X: truth(X).to_numpy(dtype=float)  # noqa: E731
    scale = float(np.std(truth(FRAME)))
    return propose(predict, FRAME, scale, CATEGORIES, np.random.default_rng(0))


def _kinds(terms: list[Term]) -> set[tuple[str, tuple[str, ...]]]:
    return {(t.kind, t.features) for t in terms}


def test_an_inverted_u_gets_a_square():
    assert _kinds(_terms(lambda X: -3 * X.x**2 + X.z)) == {("square", ("x",))}


def test_a_product_gets_an_interaction():
    found = _terms(lambda X: X.x * X.z * 2 + X.x)
    assert _kinds(found) == {("product", ("x", "z"))}
    assert found[0].formula() == "x:z"


def test_a_step_gets_a_step_where_it_is():
    found = _terms(lambda X: 2 * np.sign(X.x - 0.3) + 0.5 * X.z)
    assert _kinds(found) == {("step", ("x",))}
    assert found[0].knots[0] == pytest.approx(0.3, abs=0.15)


def test_a_sine_gets_hinges():
    assert _kinds(_terms(lambda X: np.sin(3 * X.x) + X.z)) == {("hinges", ("x",))}


def test_a_logarithm_gets_a_log():
    assert _kinds(_terms(lambda X: 3 * np.log(X.pos) + X.z)) == {("log", ("pos",))}


def test_a_line_gets_nothing():
    assert _terms(lambda X: 2 * X.x - X.z + X.pos) == []


def test_a_curve_that_differs_by_level_is_multiplied_by_the_levels():
    found = _terms(lambda X: X.x**2 * (1 + 2 * (X.g == "b")) + X.z)
    kinds = _kinds(found)
    assert ("square", ("x",)) in kinds
    product = next(t for t in found if t.kind == "product")
    assert set(product.features) == {"x", "g"} and product.shape is not None
    # the columns are what the formula says: the levels times x and times x squared
    columns = augmented(FRAME, found).columns
    assert "g=b:I(x ** 2)" in columns or "I(x ** 2):g=b" in columns
    assert "C(g):I(x ** 2)" in product.formula()


def test_regions_are_found_where_the_network_wins_and_nowhere_else():
    rng = np.random.default_rng(1)
    n = 2000
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(-2, 2, n)})
    net = rng.chisquare(1, n)
    lin = net + np.where(X.x2 > 0.5, 3.0, 0.0) * rng.chisquare(1, n)
    halves = (np.arange(0, n, 2), np.arange(1, n, 2))
    regions = where_the_network_wins(X, lin, net, None, halves, seed=0)
    better = [r for r in regions if r.finding == "better"]
    assert better and all(r.rules[0].feature == "x2" for r in better)
    assert all(r.rules[0].value == pytest.approx(0.5, abs=0.25) for r in regions)
    assert all(r.finding == "same" for r in regions if "x2 ≤" in r.where)


@pytest.fixture(scope="module")
def curved():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({"x": rng.uniform(-2, 2, n), "z": rng.normal(size=n)})
    frame["y"] = 3 * frame.x**2 + frame.z + rng.normal(scale=0.5, size=n)
    cmp = galton.compare(frame, "y", hidden=(16,), folds=4, repeats=1, progress=False)
    return frame, cmp, cmp.explain()


def test_explanation_of_a_curve(curved):
    frame, cmp, found = curved
    assert cmp.verdict == "yay"
    network = [i for i in found.importance if i.model == "network"]
    assert network[0].feature == "x" and network[0].rmse_increase.ci_low > 0
    recovered = found.recovery
    assert [t.formula() for t in recovered.terms] == ["I(x ** 2)"]
    assert recovered.share.mean > 0.95 and recovered.share.ci_high > 0.99  # the truth: all
    assert found.verdict == "nay: a readable model does"
    assert "keeps" in found.verdict_text and "Nay to the network" in found.verdict_text
    curve = next(c for c in found.curves if c.feature == "x")
    assert curve.network[0] > curve.network[len(curve.grid) // 2] < curve.network[-1]
    # the formula printed is the model fitted: the same predictions through formulaic
    again = galton.LinearRegression(formula=recovered.formula).fit(frame)
    np.testing.assert_allclose(
        again.predict(frame),
        recovered.model.predict(augmented(frame.drop(columns="y"), recovered.terms)),
        rtol=1e-9,
    )
    body = json.loads(json.dumps(found.to_dict()))
    assert body["recovered"]["formula"] == recovered.formula


def test_cli_explain(tmp_path):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.uniform(-2, 2, 300), "z": rng.normal(size=300)})
    frame["y"] = np.sin(2 * frame.x) * 3 + frame.z + rng.normal(scale=0.3, size=300)
    frame.to_csv(tmp_path / "d.csv", index=False)
    args = [str(tmp_path / "d.csv"), "-t", "y", "--folds", "3", "--repeats", "1", "--hidden", "16"]
    done = galton_cli("explain", *args, "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["explanation"]["recovered"]["terms"][0].startswith("np.maximum(x")
    assert {i["feature"] for i in body["explanation"]["importance"]} == {"x", "z"}
    text = galton_cli("compare", *args, "--explain", "--quiet")
    assert "A readable model" in text.stdout and "Where the network wins" in text.stdout


def test_learning_curve_of_the_gain(curved):
    _, cmp, found = curved
    growth = found.growth
    assert growth is not None and growth.rows[-1] == len(cmp.y)
    assert growth.rows[0] < growth.rows[1] < growth.rows[2]
    assert growth.gain[-1].mean == pytest.approx(cmp.test.reduction, rel=1e-9)  # one repeat
    assert "significant" in growth.text


def test_projection_of_rows_needed():
    from galton.explain.folds import Estimate
    from galton.explain.growth import _words, rows_needed

    small = Estimate(0.02, -0.01, 0.05)
    assert rows_needed(1000, small) == 2250
    assert rows_needed(1000, Estimate(0.02, 0.01, 0.03)) is None  # significant already
    assert rows_needed(1000, Estimate(0.001, -0.05, 0.052)) is None  # beyond 20x
    # the interval's half width 0.03 against a gain of 0.02: (0.03 / 0.02)^2 = 2.25 x rows
    assert "about 2250 rows" in _words(1000, small, "growing", 2250)
    assert "unlikely" in _words(1000, Estimate(-0.01, -0.03, 0.01), "flat", None)


def test_coverage_finds_where_constant_variance_intervals_under_cover():
    rng = np.random.default_rng(11)
    n = 600
    frame = pd.DataFrame({"x": rng.uniform(0, 3, n)})
    frame["y"] = frame.x + rng.normal(size=n) * (0.1 + frame.x**2)  # noise grows with x
    cmp = galton.compare(frame, "y", hidden=(8,), folds=3, repeats=1, progress=False)
    found = cmp.explain()
    linear = next(c for c in found.coverage if c.model == "linear")
    assert 0.85 < linear.overall < 0.97  # about right on average ...
    assert linear.groups.loc["decile 10", "under"]  # ... but not where the noise is
    assert linear.groups.loc["decile 1", "coverage"] > 0.97  # and too wide where it is not
    body = found.to_dict()["interval_coverage"]
    assert {c["model"] for c in body} == {"linear", "network"}


def test_the_learning_curve_keeps_to_the_time_budget(curved):
    from galton.explain.run import _affordable

    _, cmp, _ = curved
    notes: list[str] = []
    cmp.time_budget = cmp.elapsed_seconds  # nothing left
    try:
        assert not _affordable(cmp, notes) and "learning curve left out" in notes[0]
        cmp.time_budget = cmp.elapsed_seconds + 1e6
        assert _affordable(cmp, [])
    finally:
        cmp.time_budget = None
