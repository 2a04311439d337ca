"""Distributed fits on a 2-worker Dask LocalCluster: exact, row-counted, fault tolerant."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import dask
import dask.dataframe as dd
import distributed as distributed_lib
import numpy as np
import pandas as pd
import pytest

import galton
from galton import distributed
from galton.cli import main
from galton.errors import GaltonError

TOL = 1e-10


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, as CI runs them."""
    with (
        distributed_lib.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed_lib.Client(local) as client,
    ):
        yield local, client


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 30_000
    frame = pd.DataFrame(rng.normal(size=(n, 5)) * [1, 2, 50, 0.1, 1], columns=list("abcde"))
    frame["kind"] = rng.choice(["p", "q", "r"], n)
    frame["w"] = rng.uniform(0.5, 2.0, n)
    frame["y"] = frame.a - 2 * frame.b + 0.01 * frame.c + (frame.kind == "q") + rng.normal(size=n)
    return frame


def test_parquet_directory_fit_equals_the_in_memory_fit(cluster, table, tmp_path) -> None:
    local, _ = cluster
    for k in range(6):
        table.iloc[k * 5000 : (k + 1) * 5000].drop(columns="w").to_parquet(
            tmp_path / f"{k}.parquet"
        )
    model = galton.LinearRegression(engine="dask", scheduler=local.scheduler_address)
    model.fit(str(tmp_path), "y")
    reference = galton.LinearRegression().fit(table.drop(columns="w"), "y")
    assert relative(model.params_, reference.params_) < TOL
    assert relative(model.bse_, reference.bse_) < TOL
    assert model.rsquared_ == pytest.approx(reference.rsquared_, rel=TOL)
    assert model.distributed_["workers"] == 2
    assert model.distributed_["partitions"] == 6
    assert model.distributed_["rows_read"] == model.distributed_["rows_expected"] == 30_000


def test_weighted_dask_frame(cluster, table) -> None:
    local, _ = cluster
    frame = dd.from_pandas(table, npartitions=7)
    model = galton.LinearRegression(engine="dask", scheduler=local.scheduler_address)
    model.fit(frame, "y", sample_weight="w")
    reference = galton.LinearRegression().fit(
        table.drop(columns=["w", "y"]), table.y, sample_weight=table.w
    )
    assert relative(model.params_, reference.params_) < TOL
    assert model.llf_ == pytest.approx(reference.llf_, rel=TOL)


def test_lost_rows_are_an_error(cluster, table, monkeypatch) -> None:
    local, _ = cluster
    monkeypatch.setattr(distributed, "source_rows", lambda source, frame: len(table) + 1)
    model = galton.LinearRegression(engine="dask", scheduler=local.scheduler_address)
    with pytest.raises(GaltonError, match="read 30000 rows of 30001"):
        model.fit(dd.from_pandas(table, npartitions=3), "y")


def _slow_partition(k: int, rows: pd.DataFrame) -> pd.DataFrame:
    time.sleep(0.4)  # long enough for a worker to die in the middle of the fit
    return rows


def test_a_worker_killed_mid_fit_loses_no_rows(cluster, table) -> None:
    import cloudpickle

    local, client = cluster
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests
    delayed = dask.delayed
    parts = [delayed(_slow_partition)(k, table.iloc[k * 1000 : (k + 1) * 1000]) for k in range(30)]
    frame = dd.from_delayed(parts, meta=table.iloc[:0])
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]

    def kill_soon() -> None:
        time.sleep(2.0)
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon)
    killer.start()
    model = galton.LinearRegression(engine="dask", scheduler=local.scheduler_address)
    model.fit(frame, "y", sample_weight="w")
    killer.join()
    assert victim not in client.run(os.getpid).values()  # the worker did die (and restarted)
    reference = galton.LinearRegression().fit(
        table.drop(columns=["w", "y"]), table.y, sample_weight=table.w
    )
    assert relative(model.params_, reference.params_) < TOL
    assert model.distributed_["rows_read"] == model.distributed_["rows_expected"] == 30_000
    assert model.n_samples_ == 30_000


def test_cli_engine_dask(cluster, table, tmp_path, capsys) -> None:
    local, _ = cluster
    table.iloc[:20_000].drop(columns="w").to_parquet(tmp_path / "a.parquet")
    table.iloc[20_000:].drop(columns="w").to_parquet(tmp_path / "b.parquet")
    argv = ["fit", str(tmp_path / "*.parquet"), "--target", "y", "--engine", "dask"]
    main([*argv, "--scheduler", local.scheduler_address, "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["distributed"]["rows_read"] == 30_000
    reference = galton.LinearRegression().fit(table.drop(columns="w"), "y")
    assert relative([c["coef"] for c in body["coefficients"]], reference.params_) < TOL
    main([*argv, "--scheduler", local.scheduler_address])
    assert "30000 rows read of 30000 in the source" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--scheduler", "tcp://127.0.0.1:9"])
    assert stop.value.code == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def _scattered(client, X: np.ndarray, y: np.ndarray, cuts: list[int]):
    """Standardised rows split into partitions held by the workers."""
    bounds = [0, *cuts, len(y)]
    # a list: scattering a dict would scatter its values under its keys
    parts = client.scatter(
        [{"X": X[a:b], "y": y[a:b]} for a, b in zip(bounds, bounds[1:], strict=False)]
    )
    return distributed.PartitionedRows(client, parts, np.array(bounds), X.shape[1])


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_data_parallel_training_equals_one_process(cluster, optimizer: str) -> None:
    """The same start and batches: the summed partition gradients take the same steps."""
    from galton.backends import dask_engine, get_backend
    from galton.backends.common import init_params
    from galton.spec import NetworkSpec, TrainConfig
    from galton.training import train

    _, client = cluster
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 3))
    y = np.tanh(X[:, 0]) - X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=600)
    net = NetworkSpec(3, (8,), "tanh")
    start = init_params(net, np.random.default_rng(0))
    cfg = TrainConfig(
        optimizer=optimizer,
        learning_rate=0.01,
        batch_size=50,
        max_epochs=4 if optimizer == "adam" else 15,
        weight_decay=1e-3,
        early_stopping=False,
        seed=3,
    )
    alone = train(get_backend("numpy"), net, start, cfg, X, y, progress=False)
    rows = _scattered(client, X, y, [100, 350, 351])
    together = train(dask_engine.ENGINE, net, start, cfg, rows, None, progress=False)
    for a, b in zip(together.params, alone.params, strict=True):
        assert relative(a, b) < 1e-9
    assert together.history["train_loss"] == pytest.approx(alone.history["train_loss"], rel=1e-9)
    assert together.history["train_loss"][-1] < together.history["train_loss"][0]


def test_neural_fit_on_the_cluster(cluster, tmp_path) -> None:
    local, _ = cluster
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.uniform(-2, 2, size=(3000, 2)), columns=["u", "v"])
    frame["y"] = np.sin(2 * frame.u) + frame.v**2 + 0.05 * rng.normal(size=3000)
    for k in range(3):
        frame.iloc[k * 1000 : (k + 1) * 1000].to_parquet(tmp_path / f"{k}.parquet")
    model = galton.NeuralRegressor(
        hidden=(16,), max_epochs=60, engine="dask", scheduler=local.scheduler_address, seed=1
    ).fit(str(tmp_path), "y")
    assert model.train_config_.optimizer == "lbfgs"
    assert model.history_["train_loss"][-1] < 0.2 * model.history_["train_loss"][0]
    assert model.distributed_["rows_read"] == model.distributed_["rows_expected"] == 3000
    assert model.n_samples_ == 3000
    assert model.metrics_["val_r2"] > 0.9
    model.save(tmp_path / "net.galton")
    again = galton.load(tmp_path / "net.galton")
    assert np.allclose(again.predict(frame[["u", "v"]]), model.predict(frame[["u", "v"]]))


def test_a_worker_killed_mid_training_loses_no_rows(cluster, tmp_path) -> None:
    """Partitions live on the workers between steps: a dead worker's are rebuilt from
    their files, and the final count of training rows is checked."""
    local, client = cluster
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(rng.normal(size=(4000, 3)), columns=["a", "b", "c"])
    frame["y"] = np.tanh(frame.a) + frame.b * frame.c + 0.1 * rng.normal(size=4000)
    for k in range(4):
        frame.iloc[k * 1000 : (k + 1) * 1000].to_parquet(tmp_path / f"{k}.parquet")
    victim = sorted(client.run(os.getpid).values())[0]

    def kill_soon() -> None:
        time.sleep(3.0)
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon)
    killer.start()
    model = galton.NeuralRegressor(
        hidden=(16,), max_epochs=400, engine="dask", scheduler=local.scheduler_address
    ).fit(str(tmp_path), "y")
    killer.join()
    assert victim not in client.run(os.getpid).values()
    assert model.n_epochs_ > 20  # the kill came during training, not after it
    assert model.distributed_["rows_read"] == model.distributed_["rows_expected"] == 4000
    assert model.metrics_["val_r2"] > 0.8
