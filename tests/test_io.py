"""Model files: round trips, engine portability, and refusing damaged files."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from model_files import read_raw, write_raw

import galton
from galton.data.datasets import load_dataset


@pytest.fixture(scope="module")
def concrete():
    return load_dataset("concrete")


def test_linear_round_trip(tmp_path: Path, concrete) -> None:
    model = galton.LinearRegression(degree=2).fit(concrete, "strength")
    path = tmp_path / "lin.galton"
    model.save(path)
    loaded = galton.load(path)
    np.testing.assert_array_equal(loaded.predict(concrete), model.predict(concrete))
    a = model.predict(concrete, interval="prediction")
    b = loaded.predict(concrete, interval="prediction")
    np.testing.assert_array_equal(a.lower, b.lower)
    assert loaded.summary() == model.summary()
    assert loaded.rsquared_ == model.rsquared_


@pytest.mark.parametrize("trained_on", ["numpy", "torch"])
@pytest.mark.parametrize("loaded_on", ["numpy", "torch"])
def test_neural_model_predicts_identically_on_any_engine(
    tmp_path: Path, concrete, trained_on: str, loaded_on: str
) -> None:
    model = galton.NeuralRegressor(hidden=(16, 8), backend=trained_on, max_epochs=30, seed=0)
    model.fit(concrete, "strength")
    path = tmp_path / "net.galton"
    model.save(path)
    loaded = galton.load(path, backend=loaded_on)
    assert loaded.backend_ == loaded_on
    np.testing.assert_allclose(
        loaded.predict(concrete), model.predict(concrete), rtol=1e-12, atol=1e-12
    )
    assert loaded.history_ == model.history_
    assert loaded.train_config_ == model.train_config_


def test_file_holds_no_pickle_and_full_metadata(tmp_path: Path, concrete) -> None:
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=5).fit(concrete, "strength")
    path = tmp_path / "m.galton"
    model.save(path)
    meta, _ = read_raw(path)  # the public safetensors reader: data only
    for key in (
        "format_version",
        "galton_version",
        "preprocessor",
        "backend",
        "train_config",
        "metrics",
        "checksum",
        "feature_names",
    ):
        assert key in meta
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left nothing behind
    columns = meta["preprocessor"]["columns"]
    assert columns[0] == {"name": "cement", "dtype": "float64", "kind": "numeric"}


def test_truncated_file_is_refused(tmp_path: Path, concrete) -> None:
    path = tmp_path / "m.galton"
    galton.LinearRegression().fit(concrete, "strength").save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(galton.ModelFileError, match="truncated or corrupted"):
        galton.load(path)


def test_tampered_file_fails_its_checksum(tmp_path: Path, concrete) -> None:
    path = tmp_path / "m.galton"
    galton.LinearRegression().fit(concrete, "strength").save(path)
    meta, arrays = read_raw(path)
    arrays["coef"] = arrays["coef"] * 1.01  # edit the coefficients, keep the metadata
    write_raw(path, meta, arrays, rechecksum=False)
    with pytest.raises(galton.ModelFileError, match="checksum mismatch"):
        galton.load(path)


def test_flipped_byte_is_refused(tmp_path: Path, concrete) -> None:
    path = tmp_path / "m.galton"
    galton.LinearRegression().fit(concrete, "strength").save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(galton.ModelFileError):
        galton.load(path)


def test_not_a_model_file(tmp_path: Path) -> None:
    path = tmp_path / "x.galton"
    path.write_text("hello")
    with pytest.raises(galton.ModelFileError, match="not a galton model file"):
        galton.load(path)
    with pytest.raises(galton.ModelFileError, match="no such model file"):
        galton.load(tmp_path / "missing.galton")


def test_a_crash_while_writing_leaves_no_file(tmp_path: Path, concrete, monkeypatch) -> None:
    from galton.atomic import atomic_write

    def crash(tmp: str) -> None:
        Path(tmp).write_text("half a file")
        raise KeyboardInterrupt  # the process dies in the middle of the write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.csv", crash)
    assert list(tmp_path.iterdir()) == []
    model = galton.LinearRegression().fit(concrete, "strength")
    model.save(tmp_path / "m.galton")
    before = (tmp_path / "m.galton").read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(galton.GaltonError, match="m.galton: cannot write .No space left"):
        model.save(tmp_path / "m.galton")
    assert (tmp_path / "m.galton").read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["m.galton"]
