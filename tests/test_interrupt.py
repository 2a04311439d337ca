"""Interrupting `galton fit` with a real signal, and resuming to the uninterrupted result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from model_files import checkpoint_state

import galton


def _command(engine: str, epochs: int, out: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "galton",
        "fit",
        "yacht",
        "--target",
        "residuary_resistance",
        "--model",
        "neural",
        "--hidden",
        "16",
        "--solver",
        "adam",
        "--epochs",
        str(epochs),
        "--patience",
        str(epochs),
        "--no-early-stopping",
        "--backend",
        engine,
        "--seed",
        "1",
        "--quiet",
        "--out",
        out,
    ]


@pytest.mark.parametrize(
    ("engine", "epochs", "sig"),
    # enough epochs that training, not start-up (torch's import), fills most of the run:
    # at 1500 torch epochs a signal at 20-65% of it mostly landed before training began
    [("numpy", 8000, signal.SIGINT), ("torch", 5000, signal.SIGTERM)],
)
def test_killed_fit_resumes_to_the_uninterrupted_parameters(
    engine: str, epochs: int, sig: int, tmp_path: Path
) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.perf_counter()
    whole = subprocess.run(
        _command(engine, epochs, "whole.galton"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    duration = time.perf_counter() - start
    assert whole.returncode == 0, whole.stderr

    checkpoint = tmp_path / "part.galton.checkpoint"
    # Signal mid-training: half-way through the uninterrupted run's time, or, should start-up
    # or training speed differ this time, a little earlier or later.
    for fraction in (0.5, 0.35, 0.65, 0.2, 0.8):
        checkpoint.unlink(missing_ok=True)
        (tmp_path / "part.galton").unlink(missing_ok=True)
        proc = subprocess.Popen(
            _command(engine, epochs, "part.galton"),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(duration * fraction)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
        if proc.returncode == 128 + sig and checkpoint.is_file():
            break
    assert proc.returncode == 128 + sig, err
    assert checkpoint.is_file() and not (tmp_path / "part.galton").exists()
    assert f"--resume {checkpoint.name}" in err and "Traceback" not in err

    resumed = subprocess.run(
        [*_command(engine, epochs, "part.galton"), "--resume", str(checkpoint)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    a, b = galton.load(tmp_path / "whole.galton"), galton.load(tmp_path / "part.galton")
    for p, q in zip(a.params_, b.params_, strict=True):
        np.testing.assert_array_equal(p, q)
    assert a.history_["train_loss"] == b.history_["train_loss"]


def test_resume_refuses_other_data_and_settings(tmp_path: Path) -> None:
    from galton.training.checkpoint import write_checkpoint

    model = galton.NeuralRegressor(hidden=(4,), solver="adam", max_epochs=3, seed=0)
    model.fit("yacht", "residuary_resistance")
    write_checkpoint(
        tmp_path / "c", checkpoint_state(model.params_), {"fingerprint": "other", "estimator": {}}
    )
    with pytest.raises(galton.DataError, match="other data"):
        model.fit("yacht", "residuary_resistance", resume=tmp_path / "c")
    with pytest.raises(galton.ModelFileError, match="not a galton training checkpoint"):
        model.save(tmp_path / "m.galton")
        model.fit("yacht", "residuary_resistance", resume=tmp_path / "m.galton")
