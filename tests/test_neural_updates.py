"""Networks beyond one in-memory fit: warm-started updates with replay, and streamed fits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import galton
from galton.cli import main
from galton.data.datasets import load_dataset
from galton.data.standardise import RunningMoments
from galton.errors import ParameterError
from galton.training.replay import Reservoir
from galton.training.stream_loop import shuffled_blocks


def curve(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.uniform(-2, 2, size=(n, 2)), columns=["u", "v"])
    frame["y"] = np.sin(2 * frame.u) + frame.v**2 + shift + 0.05 * rng.normal(size=n)
    return frame


def rmse(model: galton.NeuralRegressor, frame: pd.DataFrame) -> float:
    return float(np.sqrt(np.mean((model.predict(frame[["u", "v"]]) - frame.y) ** 2)))


def test_reservoir_is_a_uniform_sample() -> None:
    rng = np.random.default_rng(0)
    kept = np.zeros(1000)
    for _ in range(300):
        reservoir = Reservoir.empty(1, 50)
        for start in range(0, 1000, 130):  # offered in uneven pieces, like updates
            rows = np.arange(start, min(start + 130, 1000), dtype=float)
            reservoir.offer(rows[:, None], rows, rng)
        assert len(reservoir.y) == 50 and reservoir.seen == 1000
        kept[reservoir.y.astype(int)] += 1
    # each row kept with chance 50/1000: early and late rows alike
    assert kept[:500].sum() == pytest.approx(kept[500:].sum(), rel=0.1)
    assert kept.mean() == pytest.approx(300 * 50 / 1000)


def test_partial_fit_continues_training_and_records_it(tmp_path) -> None:
    old, new = curve(2000, 0), curve(800, 1, shift=0.5)  # the new rows moved up
    model = galton.NeuralRegressor(hidden=(32,), max_epochs=150, replay_rows=300, seed=2)
    model.fit(old, "y")
    before = (rmse(model, old), rmse(model, new))
    epochs_before = len(model.history_["train_loss"])
    model.partial_fit(new, epochs=30)
    record = model.updates_[0]
    assert record["rows"] == 800 and record["replayed"] == 300 and record["epochs"] == 30
    assert record["loss_after"] < record["loss_before"]
    assert len(model.history_["train_loss"]) == epochs_before + 30
    assert model.history_["events"][-1].startswith("update 1: 800 new rows + 300 replayed")
    assert model.n_samples_ == 2800
    assert rmse(model, new) < 0.5 * before[1]  # learned the shift
    # the file keeps the replay sample and the record; a loaded model updates the same way
    model.save(tmp_path / "m.galton")
    loaded = galton.load(tmp_path / "m.galton")
    assert loaded.updates_ == model.updates_
    assert np.array_equal(loaded.replay_.X, model.replay_.X)
    twin = galton.load(tmp_path / "m.galton")
    loaded.partial_fit(new, epochs=3)
    twin.partial_fit(new, epochs=3)
    assert np.array_equal(loaded.predict(old[["u", "v"]]), twin.predict(old[["u", "v"]]))


def test_replay_holds_the_old_rows() -> None:
    old, new = curve(2000, 0), curve(800, 1, shift=0.5)
    forgetful = galton.NeuralRegressor(hidden=(32,), max_epochs=150, seed=2).fit(old, "y")
    replaying = galton.NeuralRegressor(hidden=(32,), max_epochs=150, seed=2, replay_rows=800)
    replaying.fit(old, "y")
    forgetful.partial_fit(new, epochs=30)
    replaying.partial_fit(new, epochs=30)
    assert rmse(replaying, old) < rmse(forgetful, old)


def test_update_refuses_other_columns() -> None:
    model = galton.NeuralRegressor(hidden=(4,), max_epochs=5).fit(curve(200, 0), "y")
    with pytest.raises(galton.GaltonError, match="no column 'v'"):
        model.partial_fit(curve(50, 1).drop(columns="v"))
    with pytest.raises(ParameterError, match="epochs"):
        model.partial_fit(curve(50, 1), epochs=0)


def test_running_moments_and_shuffle_buffer() -> None:
    rng = np.random.default_rng(1)
    A = rng.normal(size=(1000, 3)) * [1, 100, 1e-3] + [5, -7, 1e4]
    merged = sum((RunningMoments.of(p) for p in np.array_split(A, 7)[1:]), RunningMoments.of(A[:0]))
    merged = RunningMoments.of(np.array_split(A, 7)[0]) + merged
    assert np.allclose(merged.mean, A.mean(axis=0), rtol=1e-14)
    assert np.allclose(merged.std, A.std(axis=0), rtol=1e-12)
    chunks = [(A[i : i + 90], np.arange(i, min(i + 90, 1000))) for i in range(0, 1000, 90)]
    blocks = list(shuffled_blocks(chunks, 300, rng))
    seen = np.concatenate([y for _, y in blocks])
    assert sorted(seen) == list(range(1000))  # every row once
    first = blocks[0][1]
    assert len(first) <= 300 and first.max() > 200  # mixed rows from several chunks
    assert not np.array_equal(seen, np.sort(seen))


def test_streamed_network_matches_the_in_memory_one(tmp_path) -> None:
    train_rows, test_rows = curve(6000, 3), curve(1000, 4)
    path = tmp_path / "rows.csv"
    train_rows.to_csv(path, index=False)
    settings = {"hidden": (32,), "max_epochs": 40, "solver": "adam", "seed": 5}
    streamed = galton.NeuralRegressor(**settings).fit_stream(
        path, "y", chunk_rows=700, buffer_rows=2000
    )
    in_memory = galton.NeuralRegressor(**settings).fit(train_rows, "y")
    assert streamed.n_samples_ == 6000
    assert streamed.history_["val_loss"][-1] < 0.1 * streamed.history_["val_loss"][0]
    assert rmse(streamed, test_rows) < 1.3 * rmse(in_memory, test_rows)
    assert streamed.metrics_["r2"] > 0.95 and "val_rmse" in streamed.metrics_
    lower, upper = streamed.predict(test_rows[["u", "v"]], interval=0.9)[1:]
    covered = np.mean((test_rows.y >= lower) & (test_rows.y <= upper))
    assert 0.8 < covered < 0.98
    again = galton.NeuralRegressor(**settings).fit_stream(
        path, "y", chunk_rows=700, buffer_rows=2000
    )
    assert np.array_equal(
        again.predict(test_rows[["u", "v"]]), streamed.predict(test_rows[["u", "v"]])
    )
    with pytest.raises(ParameterError, match="minibatches"):
        galton.NeuralRegressor(solver="lbfgs").fit_stream(path, "y")


def test_cli_neural_stream_and_update(tmp_path, capsys) -> None:
    data, more = tmp_path / "a.csv", tmp_path / "b.csv"
    curve(3000, 0).to_csv(data, index=False)
    curve(500, 1, shift=0.5).to_csv(more, index=False)
    model = tmp_path / "n.galton"
    main(
        [
            "fit",
            str(data),
            "-t",
            "y",
            "--model",
            "neural",
            "--hidden",
            "16",
            "--stream",
            "--epochs",
            "20",
            "--replay-rows",
            "200",
            "-o",
            str(model),
            "--json",
        ]
    )
    body = json.loads(capsys.readouterr().out)
    assert body["n_samples"] == 3000 and body["solver"] == "adam"
    main(["update", str(model), str(more), "--epochs", "5", "-o", str(tmp_path / "u.galton")])
    out = capsys.readouterr().out
    assert "updated with 500 rows" in out
    updated = galton.load(tmp_path / "u.galton")
    assert updated.updates_[0]["replayed"] == 200 and updated.n_samples_ == 3500
    assert galton.load(model).n_samples_ == 3000  # --out left MODEL alone


def test_a_diverging_stream_recovers_like_a_fit_in_memory() -> None:
    """The stream loop watches divergence with the same monitor as in memory: the last
    good parameters, a fresh optimizer and half the rate, recorded and warned about."""
    frame = load_dataset("concrete")
    chunks = [frame.iloc[:500], frame.iloc[500:]]
    model = galton.NeuralRegressor(
        hidden=(32,), solver="sgd", learning_rate=50.0, max_epochs=6, seed=0, progress=False
    )
    with pytest.warns(RuntimeWarning, match="diverged"):
        model.fit_stream(chunks, "strength", chunk_rows=200, buffer_rows=300)
    events = model.history_["events"]
    assert events and "halved the learning rate" in events[0]
    assert model.history_["lr"][-1] < 50.0
    assert all(np.isfinite(p).all() for p in model.params_)
    assert np.isfinite(model.predict(frame)).all()
