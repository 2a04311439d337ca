"""Fits on Dask: exact least squares as a reduction over partitions, networks data-parallel.

Every partition is summarised where it lives, on its worker, by the mergeable triangular
factor of ``galton.exact.qr_summary``; the summaries meet pairwise in a tree of merges, and
only a (p+1) x (p+1) matrix reaches the client. Tasks are pure functions of their
partition, so when a worker dies Dask recomputes what it held on another one; the rows
each partition contributed are counted in the same tasks and checked against the row count
of the source, so a fit never silently loses rows.

Networks train data-parallel: each partition is standardised once on its worker and stays
there; every optimizer step asks the workers for their partitions' gradients on the
step's rows, sums them and updates the parameters on the client
(``galton.backends.dask_engine``), inside the same training loop as every engine.

dask and distributed are imported here only, on first use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from galton.backends import numpy_engine
from galton.data.chunks import is_pattern, stream_files
from galton.data.loading import describe_source, split_target
from galton.data.preprocess import Preprocessor, apply_missing_policy, numeric_column
from galton.data.standardise import RunningMoments, Scaling
from galton.errors import DataError, GaltonError
from galton.exact import Term, build_design
from galton.exact.qr_summary import QRSummary
from galton.spec import NetworkSpec

#: A fit retries a task this many times after errors (lost workers are handled by Dask's
#: own rescheduling, which recomputes a dead worker's results elsewhere).
TASK_RETRIES = 3


def _dask() -> Any:
    try:
        import dask
        import dask.dataframe
        import distributed
    except ImportError:
        raise GaltonError("engine='dask' needs dask: pip install 'galton[dask]'") from None
    return dask, dask.dataframe, distributed


@contextlib.contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` (one
    single-threaded worker process per core) closed afterwards."""
    _, _, distributed = _dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except OSError as exc:
            raise GaltonError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with (
        distributed.LocalCluster(
            threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def dask_frame(source: Any) -> Any:
    """A dask DataFrame from one, or from a Parquet or CSV file, directory or glob."""
    _, dd, _ = _dask()
    if isinstance(source, dd.DataFrame):
        return source
    if isinstance(source, pd.DataFrame):
        return dd.from_pandas(source, npartitions=max(1, len(source) // 100_000))
    if not isinstance(source, str | Path):
        raise DataError(
            f"engine='dask' reads a dask DataFrame or a path, not {type(source).__name__}"
        )
    if "://" in str(source):  # remote (s3://, gcs://, ...): dask and its filesystems read it
        text = str(source)
        reader = dd.read_csv if text.lower().endswith(".csv") else dd.read_parquet
        return reader(text)
    files = stream_files(source)
    kinds = {f.suffix.lower() for f in files}
    if kinds <= {".parquet", ".pq"}:
        return dd.read_parquet([str(f) for f in files])
    if kinds == {".csv"}:
        return dd.read_csv([str(f) for f in files])
    raise DataError(f"{source}: engine='dask' reads Parquet or CSV files, found {sorted(kinds)}")


def source_rows(source: Any, frame: Any) -> int:
    """Rows in the source, counted apart from the fit: from Parquet metadata when the
    source is Parquet files, else by a separate count over the partitions."""
    local = "://" not in str(source)
    if isinstance(source, str | Path) and local and (is_pattern(source) or Path(source).exists()):
        files = stream_files(source)
        if all(f.suffix.lower() in (".parquet", ".pq") for f in files):
            import pyarrow.parquet as pq

            return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return int(frame.map_partitions(len).sum().compute())


@dataclass(frozen=True)
class PartitionPlan:
    """What every partition task needs to turn its rows into model inputs."""

    target: str
    features: list[str]
    weight: str | None
    missing: str
    preprocessor: dict[str, Any]

    def arrays(
        self, part: pd.DataFrame, index: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Inputs (m, d), target (m,) and weights of partition ``index``'s usable rows."""
        source = f"partition {index}"
        weights = None
        if self.weight is not None:
            if self.weight not in part.columns:
                raise DataError(f"{source}: no weight column '{self.weight}'")
            weights = part[self.weight].to_numpy(dtype=float)
            if not (np.isfinite(weights).all() and (weights > 0).all()):
                raise DataError(f"{source}: weights must be finite and positive")
        features, target = split_target(part, self.target, self.features, source)
        features, target = apply_missing_policy(features, target, self.missing, source)
        if weights is not None:
            weights = pd.Series(weights, index=part.index).loc[features.index].to_numpy()
        pre = Preprocessor.from_dict(self.preprocessor)
        X = pre.transform(features, source)
        y = numeric_column(target, self.target, source, role="target")
        return X, y, weights


def _partition_summary(
    part: pd.DataFrame, index: int, plan: PartitionPlan, terms: list[Term]
) -> tuple[QRSummary, int]:
    """A partition's factor and the rows it read (runs on a worker)."""
    X, y, w = plan.arrays(part, index)
    return QRSummary.of_rows(build_design(X, terms), y, w), len(part)


def _merge(a: tuple[QRSummary, int], b: tuple[QRSummary, int]) -> tuple[QRSummary, int]:
    return a[0] + b[0], a[1] + b[1]


def first_partition(frame: Any) -> pd.DataFrame:
    """The first non-empty partition, computed: it fixes column kinds and levels."""
    for k in range(frame.npartitions):
        part = frame.get_partition(k).compute()
        if len(part):
            return part
    raise DataError("the data have no rows")


def least_squares_summary(
    client: Any, frame: Any, plan: PartitionPlan, terms: list[Term]
) -> tuple[QRSummary, int]:
    """The merged factor of every partition and the rows read, by a tree of merges."""
    dask, _, _ = _dask()
    delayed = dask.delayed
    parts = [
        delayed(_partition_summary)(part, k, plan, terms)
        for k, part in enumerate(frame.to_delayed())
    ]
    return client.compute(_tree(delayed, parts, _merge), retries=TASK_RETRIES).result()


def _tree(delayed: Any, items: list[Any], merge: Any) -> Any:
    """The delayed merge of ``items`` pairwise, level by level: depth log2(len(items)),
    and no task waits on all the others."""
    while len(items) > 1:
        pairs = zip(items[::2], items[1::2], strict=False)
        items = [delayed(merge)(a, b) for a, b in pairs] + ([items[-1]] if len(items) % 2 else [])
    return items[0]


def fit_record(
    client: Any, source: Any, frame: Any, rows_read: int, rows_used: int
) -> dict[str, Any]:
    """What a distributed fit reports (``distributed_``), once the rows its tasks read
    are checked against the source's own count: a shortfall is an error, never a fit."""
    expected = source_rows(source, frame)
    if rows_read != expected:
        raise GaltonError(
            f"{describe_source(source)}: the fit read {rows_read} rows of {expected}: "
            "rows were lost on the cluster"
        )
    info = client.scheduler_info()
    return {
        "scheduler": info.get("address"),
        "workers": len(info.get("workers", {})),
        "partitions": int(frame.npartitions),
        "rows_expected": int(expected),
        "rows_read": int(rows_read),
        "rows_used": int(rows_used),
    }


# --- networks, data-parallel -------------------------------------------------------------


def _partition_moments(
    part: pd.DataFrame, index: int, plan: PartitionPlan
) -> tuple[RunningMoments, RunningMoments, int]:
    """Column moments of a partition's inputs and target, and the rows it read."""
    X, y, _ = plan.arrays(part, index)
    return RunningMoments.of(X), RunningMoments.of(y[:, None]), len(part)


def _merge_moments(a: tuple, b: tuple) -> tuple:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


@dataclass(frozen=True)
class Standardisation:
    """Where the standardised units come from, and which rows are held out."""

    scaling: Scaling
    held_out: float  # the chance that a row is held out
    seed: int


def _prepared_partition(
    part: pd.DataFrame, index: int, plan: PartitionPlan, how: Standardisation
) -> dict[str, np.ndarray]:
    """A partition's standardised training rows and held-out rows (runs on a worker; the
    held-out draw is seeded by the partition's index, so a recomputation agrees)."""
    X, y, _ = plan.arrays(part, index)
    Xs, ys = how.scaling.inputs(X), how.scaling.target(y)
    held = np.random.default_rng([how.seed, index]).random(len(ys)) < how.held_out
    return {"X": Xs[~held], "y": ys[~held], "X_val": Xs[held], "y_val": ys[held]}


def _item(prepared: dict[str, np.ndarray], key: str) -> Any:
    return prepared[key]


def _rows(prepared: dict[str, np.ndarray]) -> int:
    return len(prepared["y"])


@dataclass
class PartitionedRows:
    """Standardised training rows held on the workers, one future per partition.

    Stands in for the training arrays in ``galton.training.train``: the loop reads only
    its ``shape``; ``DaskTrainer`` does the work where the rows are.
    """

    client: Any
    parts: list[Any]  # futures of the prepared partitions
    offsets: np.ndarray  # (k + 1,) first global row of each partition, then the total
    n_features: int

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.offsets[-1]), self.n_features

    def __len__(self) -> int:
        return int(self.offsets[-1])


def prepare_rows(
    client: Any, frame: Any, plan: PartitionPlan, seed: int, held_out: float, max_held: int
) -> tuple[PartitionedRows, Standardisation, np.ndarray, np.ndarray, int]:
    """Standardise every partition where it lives and hold rows out for validation.

    Returns the training rows on the workers, the standardisation, the held-out rows
    gathered to the client (inputs (m, d), target (m,); at most about ``max_held``) and
    the number of rows the partitions read.
    """
    dask, _, _ = _dask()
    delayed = dask.delayed
    parts = frame.to_delayed()
    moments = [delayed(_partition_moments)(p, k, plan) for k, p in enumerate(parts)]
    merged = _tree(delayed, moments, _merge_moments)
    x_moments, y_moments, rows_read = client.compute(merged, retries=TASK_RETRIES).result()
    how = Standardisation(
        scaling=Scaling.of_moments(x_moments, y_moments),
        held_out=min(held_out, max_held / max(x_moments.n, 1)),
        seed=seed,
    )
    # client.compute keeps each partition's recipe: a lost worker's rows are rebuilt
    futures = client.compute(
        [delayed(_prepared_partition)(p, k, plan, how) for k, p in enumerate(parts)],
        retries=TASK_RETRIES,
    )
    lengths = client.gather([client.submit(_rows, f, retries=TASK_RETRIES) for f in futures])
    X_val = np.vstack(client.gather([client.submit(_item, f, "X_val") for f in futures]))
    y_val = np.concatenate(client.gather([client.submit(_item, f, "y_val") for f in futures]))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = PartitionedRows(client, futures, offsets, len(how.scaling.x_mean))
    return rows, how, X_val, y_val, int(rows_read)


def _partition_errors(
    prepared: dict[str, np.ndarray], params: list[np.ndarray], net: NetworkSpec, dtype: str
) -> tuple[float, float, int]:
    """Sums of squared and absolute errors of the network's mean (standardised units) and
    the rows they cover."""
    out = numpy_engine.predict(net, params, prepared["X"], dtype)
    err = (out if out.ndim == 1 else out[:, 0]) - prepared["y"]
    return float(err @ err), float(np.abs(err).sum()), len(err)


def training_errors(
    rows: PartitionedRows, params: list[np.ndarray], net: NetworkSpec, dtype: str
) -> tuple[float, float]:
    """Sums of squared and absolute errors over every training row (standardised units),
    checking that every row is still there after training."""
    futures = [
        rows.client.submit(_partition_errors, f, params, net, dtype, retries=TASK_RETRIES)
        for f in rows.parts
    ]
    sums = rows.client.gather(futures)
    counted = sum(n for _, _, n in sums)
    if counted != len(rows):
        raise GaltonError(f"{counted} training rows left on the cluster of {len(rows)}")
    return sum(s for s, _, _ in sums), sum(a for _, a, _ in sums)
