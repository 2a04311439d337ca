"""GPU speed: epoch time per engine and batch size, and time to accuracy on UCI data.

For a CUDA machine (it refuses to run without one unless ``--device cpu``):

1. **Epoch time.** Each engine in a fresh process trains a relu MLP on 200,000 rows x 20
   features by Adam, one epoch to compile and warm up, then the median of ``--repeats``
   epochs, at every batch size of ``--batches``, for a 2x64 and a 3x512 network. NumPy on
   the CPU is measured beside them as the reference.
2. **Time to accuracy.** On split 0 of each dataset of ``--datasets`` (UCI layout, as
   ``bench/uci.py``: ``kin8nm`` ships in ``bench/data/uci``; give protein's folder as a
   path), ``NeuralRegressor(backend=E, device=D)`` with the large-data recipe; prints the fit
   seconds, the test RMSE, and the seconds until the validation loss first came within 2%
   of its final best (fit seconds x that epoch / epochs run).

Run on a GPU machine: ``.venv/bin/python bench/gpu.py`` (defaults: engines
torch,jax,tensorflow on cuda, batches 64,512,4096, datasets kin8nm).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)

EPOCH_CHILD = r"""
import json, sys
import numpy as np
engine, device, hidden = sys.argv[1], sys.argv[2], sys.argv[4]
batch, repeats = int(sys.argv[3]), int(sys.argv[5])
sys.path.insert(0, sys.argv[6])  # bench/, for epochs.py
from epochs import timed_epochs
from galton.backends import get_backend
from galton.spec import NetworkSpec, TrainConfig
backend = get_backend(engine)
rng = np.random.default_rng(0)
X = rng.normal(size=(200_000, 20))
y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=len(X))
net = NetworkSpec(20, tuple(int(h) for h in hidden.split("x")), "relu")
cfg = TrainConfig(optimizer="adam", dtype="float32", device=backend.device(device))
first, epoch = timed_epochs(backend, net, X, y, cfg, batch, repeats)
print(json.dumps({"first_s": first, "epoch_s": epoch}))
"""

ACCURACY_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
from uci import load_split
import galton
engine, device, folder = sys.argv[1], sys.argv[2], sys.argv[3]
X, y, X_test, y_test = load_split(__import__("pathlib").Path(folder), 0)
t = time.perf_counter()
net = galton.NeuralRegressor(backend=engine, device=device, solver="adam", dtype="float32",
                             early_stopping=True, progress=False).fit(X, y)
seconds = time.perf_counter() - t
rmse = float(np.sqrt(np.mean((net.predict(X_test) - y_test) ** 2)))
val = np.asarray(net.history_["val_loss"][1:])
reached = int(np.argmax(val <= 1.02 * val.min())) + 1
print(json.dumps({"fit_s": seconds, "rmse": rmse, "epochs": len(val),
                  "to_accuracy_s": seconds * reached / len(val)}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def epoch_table(engines: list[str], device: str, batches: list[int], repeats: int) -> None:
    print("| engine | device | network | batch | first epoch (s) | per epoch (s) | x numpy |")
    print("|---|---|---|---|---|---|---|")
    for hidden in ("64x64", "512x512x512"):
        for batch in batches:
            runs = [("numpy", "cpu"), *((e, device) for e in engines)]
            rows = [
                (e, where, child(EPOCH_CHILD, e, where, str(batch), hidden, str(repeats), HERE))
                for e, where in runs
            ]
            reference = rows[0][2]
            for engine, where, r in rows:
                if "error" in r:
                    print(f"| {engine} | {where} | {hidden} | {batch} | {r['error']} | | |")
                    continue
                ratio = r["epoch_s"] / reference.get("epoch_s", float("nan"))
                print(
                    f"| {engine} | {where} | {hidden} | {batch} | {r['first_s']:.3g} | "
                    f"{r['epoch_s']:.3g} | {ratio:.2f} |",
                    flush=True,
                )


def accuracy_table(engines: list[str], device: str, datasets: list[str]) -> None:
    from uci import UCI, dataset_folder

    print(
        "\n| dataset | engine | device | fit (s) | to within 2% of best val loss (s) | epochs "
        "| test RMSE |"
    )
    print("|---|---|---|---|---|---|---|")
    for spec in datasets:
        folder = dataset_folder(spec, UCI)
        for engine, where in [("numpy", "cpu"), *((e, device) for e in engines)]:
            r = child(ACCURACY_CHILD, engine, where, str(folder), HERE)
            if "error" in r:
                print(f"| {spec} | {engine} | {where} | {r['error']} | | | |")
                continue
            print(
                f"| {spec} | {engine} | {where} | {r['fit_s']:.1f} | {r['to_accuracy_s']:.1f} | "
                f"{r['epochs']} | {r['rmse']:.4g} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="torch,jax,tensorflow")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", default="64,512,4096")
    parser.add_argument("--datasets", default="kin8nm")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, HERE)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            sys.exit("bench/gpu.py: no CUDA GPU here (use --device cpu to try it on the CPU)")
    print(f"$ python {' '.join(sys.argv)}")
    engines = args.engines.split(",")
    epoch_table(engines, args.device, [int(b) for b in args.batches.split(",")], args.repeats)
    accuracy_table(engines, args.device, args.datasets.split(","))
    print(f"\n{time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
