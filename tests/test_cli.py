"""The command line end to end, in subprocesses, on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from galton.data.datasets import load_dataset


def galton_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "galton", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def assert_user_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("galton: error: ")
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"size": rng.uniform(1, 10, n), "colour": rng.choice(["red", "blue"], n)})
    frame["price"] = 3 + 2 * frame["size"] + (frame["colour"] == "red") + rng.normal(0, 0.3, n)
    frame.to_csv(folder / "shop.csv", index=False)
    frame.drop(columns="price").head(5).to_parquet(folder / "new.parquet", index=False)
    return folder


def test_datasets_and_backends() -> None:
    out = galton_cli("datasets", "--json")
    assert out.returncode == 0
    names = {d["name"] for d in json.loads(out.stdout)["datasets"]}
    assert {"age-income", "concrete", "energy", "yacht", "seed-tensorflow"} <= names
    out = galton_cli("backends", "--json")
    engines = {b["name"]: b for b in json.loads(out.stdout)["backends"]}
    assert set(engines) == {"numpy", "torch", "tensorflow", "pytensor", "jax"}
    assert engines["numpy"]["available"] and engines["torch"]["available"]
    assert "theano" in engines["pytensor"]["aliases"]
    text = galton_cli("backends").stdout
    assert "theano 1.0.5 cannot import with NumPy 2" in text


def test_fit_linear_save_predict_info(shop: Path) -> None:
    out = galton_cli("fit", "shop.csv", "--target", "price", "--out", "lin.galton", cwd=shop)
    assert out.returncode == 0, out.stderr
    assert "R-squared" in out.stdout and "colour=red" in out.stdout
    out = galton_cli("fit", "shop.csv", "-t", "price", "--json", cwd=shop)
    body = json.loads(out.stdout)
    coef = {c["term"]: c["coef"] for c in body["coefficients"]}
    assert coef["size"] == pytest.approx(2, abs=0.05)
    assert body["statistics"]["r_squared"] > 0.95
    out = galton_cli(
        "predict", "lin.galton", "new.parquet", "--interval", "0.9", "--json", cwd=shop
    )
    assert out.returncode == 0, out.stderr
    pred = json.loads(out.stdout)
    assert pred["n"] == 5 and all(
        lo < p < hi
        for lo, p, hi in zip(pred["lower"], pred["predictions"], pred["upper"], strict=True)
    )
    out = galton_cli("predict", "lin.galton", "new.parquet", "--out", "pred.csv", cwd=shop)
    assert out.returncode == 0 and "predicted_price" in (shop / "pred.csv").read_text()
    info = json.loads(galton_cli("info", "lin.galton", "--json", cwd=shop).stdout)
    assert info["model"] == "linear" and info["target"] == "price"
    assert info["features"] == ["size", "colour"]


def test_fit_neuron_matches_linear_and_neural_runs(shop: Path) -> None:
    lin = json.loads(galton_cli("fit", "shop.csv", "-t", "price", "--json", cwd=shop).stdout)
    neuron = json.loads(
        galton_cli("fit", "shop.csv", "-t", "price", "--model", "neuron", "--json", cwd=shop).stdout
    )
    same = json.loads(
        galton_cli(
            "fit",
            "shop.csv",
            "-t",
            "price",
            "--model",
            "neural",
            "--hidden",
            "",
            "--backend",
            "torch",
            "--json",
            cwd=shop,
        ).stdout
    )
    for a, b, c in zip(
        lin["coefficients"], neuron["coefficients"], same["coefficients"], strict=True
    ):
        assert b["coef"] == pytest.approx(a["coef"], rel=1e-6)
        assert c["coef"] == pytest.approx(a["coef"], rel=1e-6)
    out = galton_cli(
        "fit",
        "shop.csv",
        "-t",
        "price",
        "--model",
        "neural",
        "--hidden",
        "8",
        "--out",
        "net.galton",
        "--json",
        cwd=shop,
    )
    body = json.loads(out.stdout)
    assert (
        body["model"] == "neural"
        and body["history"]["train_loss"][0] > body["history"]["train_loss"][-1]
    )
    info = galton_cli("info", "net.galton", cwd=shop)
    assert info.returncode == 0 and "MLP" in info.stdout


def test_json_stdout_is_only_json(shop: Path) -> None:
    out = galton_cli(
        "fit", "shop.csv", "-t", "price", "--model", "neural", "--hidden", "4", "--json", cwd=shop
    )
    json.loads(out.stdout)  # raises if anything else was printed there


def test_bundled_dataset_name_as_data() -> None:
    out = galton_cli("fit", "seed-least-squares", "--target", "y", "--json")
    body = json.loads(out.stdout)
    assert body["coefficients"][0]["coef"] == pytest.approx(204 / 165, rel=1e-15)


def test_user_errors_exit_2_with_one_line(shop: Path, tmp_path: Path) -> None:
    assert_user_error(
        galton_cli("fit", "missing.csv", "-t", "y", cwd=shop), "missing.csv", "no such file"
    )
    assert_user_error(
        galton_cli("fit", "shop.csv", "-t", "cost", cwd=shop), "shop.csv", "no column 'cost'"
    )
    assert_user_error(
        galton_cli("fit", "shop.csv", "-t", "colour", cwd=shop),
        "target 'colour' is not numeric",
        "row 1",
    )
    frame = pd.read_csv(shop / "shop.csv")
    frame.loc[[3, 7], "size"] = np.nan
    frame.to_csv(tmp_path / "gaps.csv", index=False)
    assert_user_error(
        galton_cli("fit", str(tmp_path / "gaps.csv"), "-t", "price"),
        "gaps.csv",
        "missing values (NaN) in column 'size' (2 rows)",
        "--drop-missing",
    )
    ok = galton_cli(
        "fit", str(tmp_path / "gaps.csv"), "-t", "price", "--impute", "median", "--json"
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["n_samples"] == 200
    ok = galton_cli("fit", str(tmp_path / "gaps.csv"), "-t", "price", "--drop-missing", "--json")
    assert json.loads(ok.stdout)["n_samples"] == 198
    assert_user_error(
        galton_cli("fit", "shop.csv", "-t", "price", "--features", "size,weight", cwd=shop),
        "no column 'weight'",
    )
    assert_user_error(
        galton_cli("fit", "shop.csv", "-t", "price", "--model", "forest", cwd=shop), "--model"
    )
    assert_user_error(
        galton_cli(
            "fit", "shop.csv", "-t", "price", "--model", "neural", "--backend", "caffe", cwd=shop
        ),
        "unknown backend 'caffe'",
    )
    assert_user_error(
        galton_cli(
            "fit", "shop.csv", "-t", "price", "--hidden", "a,b", "--model", "neural", cwd=shop
        ),
        "--hidden",
    )
    assert_user_error(galton_cli("fit", "shop.csv", "--bogus", cwd=shop), "--bogus")
    assert_user_error(
        galton_cli("predict", "nothere.galton", "shop.csv", cwd=shop), "nothere.galton"
    )
    (shop / "junk.galton").write_text("junk")
    assert_user_error(
        galton_cli("info", "junk.galton", cwd=shop), "junk.galton", "not a galton model file"
    )
    # a directory is streamed file by file: here one of its files lacks the target
    assert_user_error(
        galton_cli("fit", str(shop), "-t", "price"), "new.parquet", "no column 'price'"
    )


def test_predict_with_unknown_category_names_the_row(shop: Path, tmp_path: Path) -> None:
    galton_cli("fit", "shop.csv", "-t", "price", "--out", str(tmp_path / "m.galton"), cwd=shop)
    pd.DataFrame({"size": [1.0, 2.0], "colour": ["red", "teal"]}).to_csv(
        tmp_path / "q.csv", index=False
    )
    assert_user_error(
        galton_cli("predict", str(tmp_path / "m.galton"), str(tmp_path / "q.csv")),
        "q.csv",
        "unknown category 'teal' in row 2",
    )


def test_demo_datasets_fit_from_the_command_line() -> None:
    frame = load_dataset("age-income")
    assert len(frame) == 3000
    out = galton_cli(
        "fit", "age-income", "--target", "income", "--model", "neural", "--hidden", "16", "--quiet"
    )
    assert out.returncode == 0 and "Validation RMSE" in out.stdout


def test_every_command_that_reads_a_model_takes_quiet(tmp_path: Path) -> None:
    assert galton_cli("fit", "yacht", "-t", "residuary_resistance", "-o", "m.galton", "-q",
                      cwd=tmp_path).returncode == 0  # fmt: skip
    for args in (
        ["info", "m.galton", "-q"],
        ["predict", "m.galton", "yacht", "-q", "--json"],
        ["export", "m.galton", "--onnx", "m.onnx", "-q"],
        ["update", "m.galton", "yacht", "-q", "--out", "u.galton"],
    ):
        result = galton_cli(*args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
