"""Fits on Dask: exact least squares as a reduction over partitions.

Every partition is summarised where it lives, on its worker, by the mergeable triangular
factor of ``galton.exact.qr_summary``; the summaries meet pairwise in a tree of merges, and
only a (p+1) x (p+1) matrix reaches the client. Tasks are pure functions of their
partition, so when a worker dies Dask recomputes what it held on another one; the rows
each partition contributed are counted in the same tasks and checked against the row count
of the source, so a fit never silently loses rows.

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

from galton.data.chunks import is_pattern, stream_files
from galton.data.loading import split_target
from galton.data.preprocess import Preprocessor, apply_missing_policy, numeric_column
from galton.errors import DataError, GaltonError
from galton.exact import Term, build_design
from galton.exact.qr_summary import QRSummary

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
    if isinstance(source, str | Path) and (is_pattern(source) or Path(source).exists()):
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
    while len(parts) > 1:  # pairwise: depth log2(partitions), nothing waits on one task
        merged = [delayed(_merge)(a, b) for a, b in zip(parts[::2], parts[1::2], strict=False)]
        parts = merged + ([parts[-1]] if len(parts) % 2 else [])
    return client.compute(parts[0], retries=TASK_RETRIES).result()


def describe_cluster(client: Any) -> dict[str, Any]:
    """The scheduler's address and the number of workers, for the fit's record."""
    info = client.scheduler_info()
    return {"scheduler": info.get("address"), "workers": len(info.get("workers", {}))}
