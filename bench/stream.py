"""Least squares beyond memory: a streamed fit, an online update and a Dask fit of one big file.

Writes (once; ``--keep`` reuses it) a CSV of at least ``--gigabytes`` GB under ``--dir``:
20 numeric columns and a target linear in them plus noise, generated in seeded blocks.
Then measures, each in its own process so that its peak resident memory is its own:

- ``galton fit FILE --target y --stream --memory-limit LIMIT`` (one pass, QR merges);
- ``galton update MODEL NEW.csv --memory-limit LIMIT`` of a model fitted on the first rows,
  with the rest of the file's rows in a second file;
- ``LinearRegression(engine="dask")`` on a 2-worker ``LocalCluster`` reading the file
  in 64 MB blocks (workers' peaks reported apart);

and compares each one's coefficients with galton's in-memory fit of the same rows (the
blocks generated again in memory). Prints rows per second, peak memory against the limit,
and the largest relative coefficient difference.

Run: ``.venv/bin/python bench/stream.py [--gigabytes 5] [--memory-limit 1GB] [--dir /tmp]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import galton
from galton.data.chunks import parse_memory

N_FEATURES = 20
BLOCK_ROWS = 250_000
COEFS = np.linspace(-2.0, 2.0, N_FEATURES)


def blocks(n_blocks: int):
    """The data, block by block: inputs (m, 20) on different scales, target (m,)."""
    rng = np.random.default_rng(2026)
    scales = np.logspace(-1, 2, N_FEATURES)
    for _ in range(n_blocks):
        X = rng.normal(size=(BLOCK_ROWS, N_FEATURES)) * scales
        yield X, 3.0 + X @ (COEFS / scales) + rng.normal(size=BLOCK_ROWS)


NAMES = [f"x{j}" for j in range(N_FEATURES)] + ["y"]


def _table(X: np.ndarray, y: np.ndarray):
    import pyarrow as pa

    columns = [pa.array(X[:, j]) for j in range(N_FEATURES)] + [pa.array(y)]
    return pa.Table.from_arrays(columns, names=NAMES)


def blocks_for(gigabytes: float) -> int:
    """Blocks whose CSV holds at least ``gigabytes`` (1e9 bytes), from one block's size."""
    import pyarrow as pa
    import pyarrow.csv as pv

    sink = pa.BufferOutputStream()
    pv.write_csv(_table(*next(blocks(1))), sink)
    return max(2, int(np.ceil(gigabytes * 1e9 / sink.getvalue().size)))


def write_csv(path: Path, n_blocks: int, first: int = 0) -> None:
    """Blocks ``first`` to ``n_blocks - 1`` as one CSV (shortest round-trip decimals)."""
    import pyarrow as pa
    import pyarrow.csv as pv

    with pv.CSVWriter(str(path), pa.schema([(n, pa.float64()) for n in NAMES])) as writer:
        for k, (X, y) in enumerate(blocks(n_blocks)):
            if k >= first:
                writer.write_table(_table(X, y))


def in_memory_fits(n_blocks: int, first_rows: int, model: Path) -> tuple[np.ndarray, float]:
    """galton's in-memory coefficients of all the rows and its seconds; the fit of the
    first ``first_rows`` rows is saved to ``model`` (what the update starts from)."""
    X = np.empty((n_blocks * BLOCK_ROWS, N_FEATURES))
    y = np.empty(n_blocks * BLOCK_ROWS)
    for k, (Xb, yb) in enumerate(blocks(n_blocks)):
        X[k * BLOCK_ROWS : (k + 1) * BLOCK_ROWS], y[k * BLOCK_ROWS : (k + 1) * BLOCK_ROWS] = Xb, yb
    # an array's columns are named x0, x1, ... and its target y, as in the CSV
    first = galton.LinearRegression().fit(X[:first_rows], y[:first_rows])
    first.save(model)
    start = time.perf_counter()
    everything = galton.LinearRegression().fit(X, y)
    return everything.params_, time.perf_counter() - start


#: Runs a galton command in a child process and reports its own peak resident memory.
#: (VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent.)
CHILD = """
import json, sys, time
from galton.cli import main
start = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as stop:
    if stop.code:
        raise
status = open("/proc/self/status").read().split("VmHWM:")[1].split()
print(json.dumps({"seconds": time.perf_counter() - start, "peak": int(status[0]) * 1024}),
      file=sys.stderr)
"""


def run_cli(*argv: str) -> tuple[dict, dict]:
    """The command's JSON output and its {seconds, peak bytes}."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])


def _peak_bytes() -> int:
    """This process's peak resident memory (VmHWM)."""
    with open("/proc/self/status") as handle:
        return int(handle.read().split("VmHWM:")[1].split()[0]) * 1024


def dask_fit(path: Path) -> tuple[np.ndarray, float, dict, int]:
    """Coefficients, seconds, the fit's record and the workers' largest peak memory."""
    import dask.dataframe as dd
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, memory_limit=0
        ) as cluster,
        distributed.Client(cluster),
    ):
        frame = dd.read_csv(str(path), blocksize="64MB")
        start = time.perf_counter()
        model = galton.LinearRegression(engine="dask", scheduler=cluster.scheduler_address)
        model.fit(frame, "y")
        seconds = time.perf_counter() - start
        with distributed.Client(cluster.scheduler_address) as client:
            peaks = client.run(_peak_bytes)
    return model.params_, seconds, model.distributed_, max(peaks.values())


def relative(a: list | np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - b) / np.abs(b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=5.0)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="reuse (and keep) the data file")
    args = parser.parse_args()
    limit = parse_memory(args.memory_limit)
    n_blocks = blocks_for(args.gigabytes)
    path = args.dir / f"galton-stream-{args.gigabytes:g}GB.csv"
    rest = args.dir / "galton-stream-rest.csv"
    started = time.perf_counter()
    if not (args.keep and path.exists()):
        write_csv(path, n_blocks)
    update_from = n_blocks - max(1, n_blocks // 10)  # the last tenth arrives as an update
    if not (args.keep and rest.exists()):
        write_csv(rest, n_blocks, first=update_from)
    n = n_blocks * BLOCK_ROWS
    size = path.stat().st_size
    print(f"$ python bench/stream.py --gigabytes {args.gigabytes:g} ", end="")
    print(f"--memory-limit {args.memory_limit}")
    print(
        f"{platform.machine()}, {os.cpu_count()} cores; {path.name}: {size / 1e9:.2f} GB, "
        f"{n:,} rows x {N_FEATURES + 1} columns (written in {time.perf_counter() - started:.0f} s)"
    )
    scratch = tempfile.TemporaryDirectory()
    model = Path(scratch.name) / "first.galton"
    reference, memory_seconds = in_memory_fits(n_blocks, update_from * BLOCK_ROWS, model)
    rows: list[tuple[str, int, float, int, str, float]] = []

    streamed, cost = run_cli(
        "fit", str(path), "--target", "y", "--stream", "--memory-limit", args.memory_limit
    )
    coefs = [c["coef"] for c in streamed["coefficients"]]
    rows.append(
        (
            "galton fit --stream",
            n,
            cost["seconds"],
            cost["peak"],
            "process",
            relative(coefs, reference),
        )
    )

    # a model fitted in memory on the first nine tenths takes the last tenth as an update
    updated, cost = run_cli("update", str(model), str(rest), "--memory-limit", args.memory_limit)
    coefs = [c["coef"] for c in updated["coefficients"]]
    added = updated["rows_added"]
    rows.append(
        (
            "galton update (last tenth)",
            added,
            cost["seconds"],
            cost["peak"],
            "process",
            relative(coefs, reference),
        )
    )
    scratch.cleanup()

    coefs, seconds, record, worker_peak = dask_fit(path)
    assert record["rows_read"] == record["rows_expected"] == n, record
    rows.append(
        (
            "engine='dask', 2 workers",
            n,
            seconds,
            worker_peak,
            "largest worker",
            relative(coefs, reference),
        )
    )

    gigabytes = n * N_FEATURES * 8 / 1e9
    print(
        f"\nin-memory reference: LinearRegression().fit of the {gigabytes:.1f} GB array, ", end=""
    )
    print(f"{memory_seconds:.1f} s\n")
    print("| mode | rows | seconds | rows/s | peak memory | vs limit | max rel. coef. difference |")
    print("|---|---|---|---|---|---|---|")
    for name, count, secs, peak, whose, diff in rows:
        share = f"{peak / limit:.2f}" if whose == "process" else "-"  # workers: Dask's own
        print(
            f"| {name} | {count:,} | {secs:.1f} | {count / secs:,.0f} "
            f"| {peak / 2**20:,.0f} MiB ({whose}) | {share} | {diff:.1e} |"
        )
    if not args.keep:
        for file in (path, rest):
            file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
