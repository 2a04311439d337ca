"""`galton examples`: the four tutorials reproduced, end to end, on every engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import assert_user_error, galton_cli

from galton.backends import ENGINES
from galton.examples import pytorch_example, run_examples


def _values(result) -> dict[str, float]:
    return {c.quantity: c.galton for c in result.checks}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_every_example_passes_on_every_engine(engine: str) -> None:
    results = run_examples("all", engine)
    assert [r.name for r in results] == ["least-squares", "tensorflow", "pytorch", "theano"]
    for result in results:
        assert result.passed, [c for c in result.checks if not c.passed]
    by_name = {r.name: r for r in results}
    assert _values(by_name["least-squares"])["b_0"] == pytest.approx(204 / 165, abs=1e-12)
    tf = _values(by_name["tensorflow"])
    assert tf["Weight"] == pytest.approx(1.0199214, rel=1e-5)
    assert tf["bias"] == pytest.approx(0.02561663, rel=1e-5)
    assert tf["Training cost"] == pytest.approx(5.3110332, rel=1e-5)
    assert tf["default fit: slope"] == pytest.approx(0.98780167, rel=1e-7)
    theano = _values(by_name["theano"])
    assert theano["slope m"] == pytest.approx(0.28268068, abs=1e-5)
    assert theano["intercept c"] == pytest.approx(0.45053705, abs=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_pytorch_example_lands_near_8_for_any_seed(seed: int) -> None:
    result = pytorch_example(seed=seed)
    prediction = result.checks[0].galton
    assert abs(prediction - 8.0) <= 0.05 and prediction != pytest.approx(8.0, abs=1e-6)


def test_cli_examples_all_prints_three_columns_and_plots(tmp_path: Path) -> None:
    out = galton_cli("examples", "all", "--plot", str(tmp_path / "ex.png"))
    assert out.returncode == 0, out.stderr
    for needle in (
        "tutorial printed",
        "galton",
        "exact least squares",
        "1.0199214",
        "0.98780167",
        "engine: tensorflow",
        "engine: torch",
        "engine: pytensor",
    ):
        assert needle in out.stdout
    assert "FAILED" not in out.stdout
    assert (tmp_path / "ex.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_examples_json_on_another_engine() -> None:
    out = galton_cli("examples", "theano", "--backend", "jax", "--json")
    body = json.loads(out.stdout)
    assert body["passed"] and body["examples"][0]["backend"] == "jax"


def test_cli_examples_bad_names() -> None:
    assert_user_error(galton_cli("examples", "keras"), "unknown example 'keras'")
    assert_user_error(galton_cli("examples", "all", "--backend", "caffe"), "unknown backend")


def test_age_income_walk_through():
    """``galton examples age-income``: line, network, explanation and formula, checked."""
    from galton.tutorial import age_income_tutorial

    found = age_income_tutorial(folds=3, hidden=(16,))
    assert found.passed, [c for c in found.checks if not c.passed]
    assert [t.split(".")[0] for t, _ in found.steps] == ["1", "2", "3", "4"]
    assert "~" in found.steps[3][1]  # the formula
