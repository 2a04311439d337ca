"""`galton compare`: the statistics, verdicts on data with known truth, and the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_cli import assert_user_error, galton_cli

import galton
from galton.comparison import (
    CANDIDATES,
    corrected_resampled_t_test,
    cv_splits,
    default_folds,
    ramsey_reset,
)


def test_corrected_t_test_matches_the_formula() -> None:
    d = np.array([0.1, 0.05, 0.12, 0.08, 0.02, 0.11, 0.07, 0.09, 0.04, 0.06])
    test = corrected_resampled_t_test(d, n_train=900, n_test=100)
    se = math.sqrt((1 / 10 + 100 / 900) * d.var(ddof=1))
    assert test.se == pytest.approx(se)
    assert test.t == pytest.approx(d.mean() / se)
    assert test.p == pytest.approx(2 * stats.t.sf(d.mean() / se, 9))
    q = stats.t.ppf(0.975, 9)
    assert (test.ci_low, test.ci_high) == pytest.approx((d.mean() - q * se, d.mean() + q * se))
    # the correction widens the interval over the naive t-test's
    assert se > math.sqrt(d.var(ddof=1) / 10)


def test_folds_cover_every_row_once_per_repeat() -> None:
    splits = cv_splits(103, 5, 2, seed=4)
    assert len(splits) == 10
    for r in range(2):
        tests = np.concatenate([t for _, t in splits[5 * r : 5 * r + 5]])
        assert sorted(tests) == list(range(103))
    for train, test in splits:
        assert not set(train) & set(test) and len(train) + len(test) == 103
    again = cv_splits(103, 5, 2, seed=4)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again, strict=True))
    assert default_folds(300) == (10, 3) and default_folds(50_000) == (5, 1)


def test_reset_sees_curvature_and_not_a_line() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 300)
    X = pd.DataFrame({"x": x})
    assert ramsey_reset(X, 1 + 2 * x + rng.normal(0, 0.3, 300), {})["p"] > 0.01
    assert ramsey_reset(X, 1 + x + x**2 + rng.normal(0, 0.3, 300), {})["p"] < 1e-6


def _synthetic(kind: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    noise = rng.normal(0, 0.3, n)
    y = {
        "linear": 1 + 2 * a - b + noise,
        "noise": noise,
        "inverted-u": 3 - a**2 + 0.5 * b + noise,
        "sine": np.sin(2 * a) + 0.3 * b + noise,
        "interaction": a * b + 0.5 * a + noise,
    }[kind]
    return pd.DataFrame({"a": a, "b": b, "y": y})


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("linear", "nay"),
        ("noise", "nay"),
        ("inverted-u", "yay"),
        ("sine", "yay"),
        ("interaction", "yay"),
    ],
)
def test_verdicts_on_data_with_known_truth(kind: str, expected: str, seed: int) -> None:
    frame = _synthetic(kind, 400, seed)
    result = galton.compare(frame, "y", hidden=(32,), folds=5, repeats=2, seed=seed)
    assert result.verdict == expected, result.explanation
    assert result.neuron_gap < 1e-3  # the sanity row: the linear neuron matches least squares


def test_same_seed_same_numbers_and_json_has_every_number() -> None:
    frame = _synthetic("sine", 200, 0)
    a = galton.compare(frame, "y", hidden=(16,), folds=4, repeats=1, seed=3).to_dict()
    b = galton.compare(frame, "y", hidden=(16,), folds=4, repeats=1, seed=3).to_dict()
    for key in ("verdict", "rmse_reduction", "reset", "chosen_hidden"):
        assert a[key] == b[key]
    # the explanation's numbers agree; only its timing clause ("4x longer") may not
    assert a["explanation"].split(")")[0] == b["explanation"].split(")")[0]
    assert a["models"]["network"]["rmse"]["folds"] == b["models"]["network"]["rmse"]["folds"]
    for model in ("linear", "neuron", "network"):
        for metric in ("rmse", "mae", "r2", "fit_seconds", "predict_seconds"):
            assert len(a["models"][model][metric]["folds"]) == 4
    assert set(a["rmse_reduction"]) >= {"mean", "ci_low", "ci_high", "t", "df", "p"}
    assert set(a["cost"]) == {"fit_ratio", "predict_ratio"}


def test_auto_architecture_is_chosen_inside_each_training_fold() -> None:
    result = galton.compare(_synthetic("sine", 200, 5), "y", hidden="auto", folds=3, repeats=1)
    assert len(result.chosen_hidden) == 3
    assert all(tuple(h) in CANDIDATES for h in result.chosen_hidden)


def test_time_budget_scales_down_and_says_so() -> None:
    frame = _synthetic("sine", 600, 0)
    result = galton.compare(frame, "y", hidden=(16,), folds=10, repeats=3, time_budget=0.2)
    assert result.folds * result.repeats < 30
    assert result.notes and result.notes[0].startswith("time budget 0.2 s")


def test_categorical_levels_missing_from_a_fold_do_not_break_it() -> None:
    frame = _synthetic("linear", 120, 0).assign(group=["a"] * 117 + ["rare"] * 3)
    result = galton.compare(frame, "y", hidden=(8,), folds=3, repeats=1)
    assert result.verdict in ("yay", "nay")


def test_cli_compare_end_to_end(tmp_path: Path) -> None:
    report, plots = tmp_path / "report.html", tmp_path / "plots"
    out = galton_cli(
        "compare",
        "yacht",
        "--target",
        "residuary_resistance",
        "--folds",
        "4",
        "--repeats",
        "1",
        "--hidden",
        "16",
        "--report",
        str(report),
        "--plots",
        str(plots),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["verdict"] == "yay" and body["explanation"].startswith("yay: ")
    assert body["models"]["network"]["rmse"]["mean"] < body["models"]["linear"]["rmse"]["mean"]
    page = report.read_text()
    assert 'id="verdict"' in page and "http://" not in page and "https://" not in page
    names = {p.name for p in plots.glob("*.png")}
    assert names >= {
        "fold_differences.png",
        "partial_dependence.png",
        "predicted_vs_actual.png",
        "residuals.png",
        "learning_curves.png",
        "fault_tolerance.png",
    }
    text = galton_cli("compare", "seed-least-squares", "--target", "y", "--hidden", "4", "--quiet")
    assert text.returncode == 0 and text.stdout.startswith("Verdict: NAY")


def test_cli_compare_errors() -> None:
    assert_user_error(galton_cli("compare", "yacht", "-t", "nope"), "no column 'nope'")
    assert_user_error(galton_cli("compare", "seed-pytorch", "-t", "y"), "too few to cross-validate")
    assert_user_error(
        galton_cli("compare", "yacht", "-t", "residuary_resistance", "--folds", "1"),
        "folds must be between 2",
    )


def test_report_for_one_input_shows_the_tutorial_picture(tmp_path: Path) -> None:
    frame = _synthetic("inverted-u", 150, 0)[["a", "y"]]
    result = galton.compare(frame, "y", hidden=(16,), folds=3, repeats=1)
    result.to_html(tmp_path / "r.html", tmp_path / "plots")
    page = (tmp_path / "r.html").read_text()
    assert 'id="fig-fit"' in page and 'id="fig-partial_dependence"' not in page
    assert 'id="fault-text"' in page and "coefficients" in page
    assert (tmp_path / "plots" / "fit.png").stat().st_size > 1000


def test_a_network_that_lost_every_fold_is_not_called_noise() -> None:
    """Three folds, all lost, not significant: the explanation says it lost on every fold
    instead of "within noise"; mixed folds keep the plain wording."""
    from galton.comparison.stats import explain_verdict

    reset = {"F": 1.0, "df1": 2, "df2": 10, "p": 0.5}
    lost = np.array([-0.05, -0.30, -0.12])
    test = corrected_resampled_t_test(lost, 600, 300)
    assert test.p > 0.05
    verdict, text = explain_verdict(test, 0.02, 0.05, 3.0, reset, lost)
    assert verdict == "nay" and "lost on every fold (3 of 3)" in text
    assert "within noise" not in text
    mixed = np.array([-0.05, 0.30, -0.12])
    _, text = explain_verdict(
        corrected_resampled_t_test(mixed, 600, 300), 0.02, 0.05, 3.0, reset, mixed
    )
    assert "within noise" in text and "every fold" not in text


def test_few_folds_earn_a_low_power_note() -> None:
    frame = _synthetic("linear", 120, 0)
    result = galton.compare(frame, "y", hidden=(8,), folds=3, repeats=1, seed=0)
    assert any(note.startswith("low power: the paired test has 2 degrees") for note in result.notes)
    many = galton.compare(frame, "y", hidden=(8,), folds=4, repeats=3, seed=0)
    assert not any(note.startswith("low power") for note in many.notes)
