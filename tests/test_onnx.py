"""ONNX export with preprocessing inside the graph, checked with onnxruntime; and model files
that cannot run code."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from test_cli import assert_user_error, galton_cli

import galton
from galton.data.datasets import load_dataset
from galton.onnx_export import export_onnx, onnx_inputs


@pytest.fixture(scope="module")
def data():
    frame = load_dataset("age-income").assign(senior=lambda f: f.age > 60)
    frame.loc[::97, "age"] = np.nan  # imputation must travel into the graph too
    return frame.iloc[:2400], frame.iloc[2400:]


@pytest.mark.parametrize(
    "model",
    [
        galton.LinearRegression(degree=2, missing="median"),
        galton.LinearRegression(degree=2, interactions=True, missing="median"),
        galton.NeuralRegressor(hidden=(16, 8), activation="silu", missing="mean", seed=0),
        galton.NeuralRegressor(hidden=(8,), activation="tanh", missing="mean", seed=1),
        galton.NeuralRegressor(hidden=(8,), ensemble=3, max_epochs=100, missing="mean"),
    ],
    ids=["linear", "linear-interactions", "mlp-silu", "mlp-tanh", "gaussian-ensemble"],
)
def test_onnx_matches_galton_on_held_out_rows(data, model, tmp_path: Path) -> None:
    train, test = data
    model.fit(train, "income")
    export_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    got = session.run(None, onnx_inputs(model, test))[0][:, 0]
    np.testing.assert_allclose(got, model.predict(test), rtol=1e-5)


def test_export_on_the_command_line(tmp_path: Path) -> None:
    assert (
        galton_cli(
            "fit",
            "concrete",
            "-t",
            "strength",
            "--model",
            "neural",
            "--hidden",
            "8",
            "--out",
            "m.galton",
            "--quiet",
            cwd=tmp_path,
        ).returncode
        == 0
    )
    out = galton_cli("export", "m.galton", "--onnx", "m.onnx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    frame = load_dataset("concrete")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    got = session.run(None, onnx_inputs(galton.load(tmp_path / "m.galton"), frame))[0][:, 0]
    np.testing.assert_allclose(got, galton.load(tmp_path / "m.galton").predict(frame), rtol=1e-5)
    assert_user_error(
        galton_cli("export", "nothere.galton", "--onnx", "x.onnx", cwd=tmp_path), "nothere.galton"
    )


def test_formula_models_say_they_cannot_be_exported(tmp_path: Path) -> None:
    model = galton.LinearRegression(formula="income ~ age").fit(load_dataset("age-income"))
    with pytest.raises(galton.GaltonError, match="formula"):
        export_onnx(model, tmp_path / "m.onnx")


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_model_file_cannot_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(str(marker))
    with (tmp_path / "evil.galton").open("wb") as handle:
        np.savez(handle, __meta__=np.frombuffer(b"{}", dtype=np.uint8), **{"a/coef": evil})
    with pytest.raises(galton.ModelFileError):
        galton.load(tmp_path / "evil.galton")
    assert not marker.exists()
