"""Engine speed: import time, first fit (compilation included), and time per epoch.

Each engine runs in a fresh subprocess, on the same data and network:

- ``linear``: a linear neuron on the 16-point tutorial data (seed-theano), full-batch SGD;
- ``mlp``: a 2x64 relu MLP on 50,000 rows x 20 features, Adam, batches of 64 (``--batch``).

Run: ``.venv/bin/python bench/engines.py [--repeats 5] [--engines numpy,torch]``.
Prints a table with each engine's median and its ratio to the fastest engine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
engine, repeats, mlp_batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, sys.argv[4])  # bench/, for epochs.py
t0 = time.perf_counter()
from galton.backends import get_backend
backend = get_backend(engine)
import_s = time.perf_counter() - t0

import numpy as np
from galton.data.datasets import load_dataset
from galton.spec import NetworkSpec, TrainConfig
from epochs import timed_epochs

frame = load_dataset("seed-theano")
X = ((frame[["x"]] - frame[["x"]].mean()) / frame[["x"]].std()).to_numpy()
y = ((frame["y"] - frame["y"].mean()) / frame["y"].std()).to_numpy()
lin_first, lin_epoch = timed_epochs(
    backend,
    NetworkSpec(1, ()), X, y, TrainConfig(optimizer="sgd", learning_rate=0.01), 16, 200 * repeats
)
rng = np.random.default_rng(0)
Xm = rng.normal(size=(50_000, 20))
ym = np.sin(Xm[:, 0]) + Xm[:, 1] * Xm[:, 2] + 0.1 * rng.normal(size=50_000)
mlp_first, mlp_epoch = timed_epochs(
    backend,
    NetworkSpec(20, (64, 64), "relu"), Xm, ym, TrainConfig(optimizer="adam"), mlp_batch, repeats
)
print(json.dumps(dict(import_s=import_s, linear_first_s=lin_first, linear_epoch_s=lin_epoch,
                      mlp_first_s=mlp_first, mlp_epoch_s=mlp_epoch)))
"""

#: This folder, on the children's ``sys.path`` for ``epochs.py``.
HERE = str(Path(__file__).resolve().parent)

COLUMNS = [
    ("import_s", "import", 1.0, "s"),
    ("linear_first_s", "linear: first epoch", 1e3, "ms"),
    ("linear_epoch_s", "linear: per epoch", 1e6, "us"),
    ("mlp_first_s", "MLP: first epoch", 1.0, "s"),
    ("mlp_epoch_s", "MLP: per epoch", 1.0, "s"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engines", default="numpy,torch,tensorflow,pytensor,jax")
    parser.add_argument("--batch", type=int, default=64, help="MLP batch size")
    args = parser.parse_args()
    results = {}
    for engine in args.engines.split(","):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, engine, str(args.repeats), str(args.batch), HERE],
            capture_output=True,
            text=True,
            check=True,
        )
        results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"measured {engine}", file=sys.stderr)
    best = {key: min(r[key] for r in results.values()) for key, *_ in COLUMNS}
    header = " | ".join(f"{label} ({unit})" for _, label, _, unit in COLUMNS)
    print(f"| engine | {header} |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for engine, r in results.items():
        cells = [f"{r[k] * scale:.3g} (x{r[k] / best[k]:.1f})" for k, _, scale, _ in COLUMNS]
        print(f"| {engine} | " + " | ".join(cells) + " |")
    print(
        f"\nmedians of {args.repeats} MLP epochs and {200 * args.repeats} linear epochs; "
        f"(xN) = ratio to the fastest engine; MLP batch {args.batch}; {time.strftime('%Y-%m-%d')}"
    )


if __name__ == "__main__":
    main()
