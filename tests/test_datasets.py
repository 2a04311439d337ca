"""Bundled datasets: sizes, and the tutorial numbers they reproduce."""

from __future__ import annotations

import numpy as np
import pytest

import galton
from galton.data.datasets import DATASETS, age_income_data, load_dataset, seed_tensorflow_data


@pytest.mark.parametrize(
    ("name", "rows", "columns"),
    [
        ("seed-least-squares", 10, 2),
        ("seed-tensorflow", 50, 2),
        ("seed-pytorch", 3, 2),
        ("seed-theano", 16, 2),
        ("age-income", 3000, 3),
        ("concrete", 1030, 9),
        ("energy", 768, 9),
        ("yacht", 308, 7),
    ],
)
def test_bundled_shapes(name: str, rows: int, columns: int) -> None:
    frame = load_dataset(name)
    assert frame.shape == (rows, columns) == (DATASETS[name].rows, DATASETS[name].columns)
    assert DATASETS[name].target in frame.columns


def test_uci_copies_equal_the_reference_files(reference_data) -> None:
    for name in ("concrete", "energy", "yacht"):
        ref = np.loadtxt(reference_data / "uci" / name / "data.txt")
        np.testing.assert_array_equal(load_dataset(name).to_numpy(), ref)


def test_seed_least_squares_formula() -> None:
    m = galton.LinearRegression().fit("seed-least-squares", "y")
    assert m.intercept_ == 204 / 165 and m.coef_[0] == 193 / 165


def test_seed_tensorflow_is_generated_as_the_tutorial_did() -> None:
    frame, w0, b0 = seed_tensorflow_data()
    assert w0 == pytest.approx(-1.0467795, abs=5e-8)
    assert b0 == pytest.approx(1.2927646, abs=5e-8)
    m = galton.LinearRegression().fit(frame, "y")
    assert m.coef_[0] == pytest.approx(0.98780167, abs=5e-9)
    assert m.intercept_ == pytest.approx(-0.03794613, abs=5e-9)
    cost = np.sum((m.predict(frame) - frame["y"]) ** 2) / (2 * len(frame))
    assert cost == pytest.approx(4.8148176, abs=5e-8)


def test_seed_theano_least_squares() -> None:
    m = galton.LinearRegression().fit("seed-theano", "y")
    assert m.coef_[0] == pytest.approx(0.28268068, abs=5e-9)
    assert m.intercept_ == pytest.approx(0.45053705, abs=5e-9)


def test_age_income_is_deterministic_and_curved() -> None:
    a, b = age_income_data(), age_income_data()
    assert a.equals(b)
    young = a[a.age < 25].income.mean()
    middle = a[(a.age > 45) & (a.age < 55)].income.mean()
    old = a[a.age > 75].income.mean()
    assert middle > 2 * young and middle > 2 * old
