"""Checkpoint files: the training loop's state, in the model-file container (no pickle)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from galton.errors import ModelFileError
from galton.io import read_model_file, write_model_file
from galton.model_schema import validate_checkpoint

_LISTS = ("params", "best_params")


def write_checkpoint(path: str | Path, state: dict[str, Any], meta: dict[str, Any]) -> None:
    """Write the loop's ``state`` and the estimator's ``meta`` atomically to ``path``."""
    arrays: dict[str, np.ndarray] = {}
    for key in _LISTS:
        for i, value in enumerate(state[key]):
            arrays[f"{key}_{i}"] = np.asarray(value)
    for key, value in state.get("optimizer", {}).items():
        arrays[f"opt_{key}"] = np.asarray(value)
    scalars = {k: v for k, v in state.items() if k not in (*_LISTS, "optimizer")}
    counts = {key: len(state[key]) for key in _LISTS}
    write_model_file(
        path, {"kind": "checkpoint", "state": scalars, "counts": counts, **meta}, arrays
    )


def read_checkpoint(
    path: str | Path, shapes: list[tuple[int, ...]] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The loop state and the metadata written by ``write_checkpoint``, every field checked
    (``shapes``: the network's parameter shapes, when known)."""
    meta, arrays = read_model_file(path)
    if meta.get("kind") != "checkpoint":
        raise ModelFileError(f"{path}: not a galton training checkpoint")
    validate_checkpoint(path, meta, arrays, shapes)
    meta.pop("signed", None)
    state = dict(meta.pop("state"))
    for key, count in meta.pop("counts").items():
        state[key] = [arrays[f"{key}_{i}"] for i in range(count)]
    if state.get("solver") == "minibatch":
        state["optimizer"] = {k[4:]: v for k, v in arrays.items() if k.startswith("opt_")}
    return state, meta


@contextmanager
def stop_on_signals() -> Iterator[dict[str, int | None]]:
    """While active, Ctrl-C and SIGTERM set ``flag["signal"]`` instead of killing the process,
    so training can stop at the next epoch boundary and write its checkpoint."""
    flag: dict[str, int | None] = {"signal": None}
    if threading.current_thread() is not threading.main_thread():
        yield flag  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, _frame: Any) -> None:
        flag["signal"] = signum

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
