"""Reading and rewriting model files as an attacker would: through the public safetensors
library, with the checksum recomputed (it is keyless, so anyone can)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from galton.io import _checksum


def read_raw(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The metadata (checksum included) and arrays of a format-2 file, unchecked."""
    with safe_open(str(path), "np") as handle:
        meta = json.loads(handle.metadata()["galton"])
        arrays = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    return meta, arrays


def write_raw(
    path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray], rechecksum: bool = True
) -> None:
    """Write ``meta`` and ``arrays`` as a format-2 file; ``rechecksum`` makes the checksum
    match the new content, as a tamperer would."""
    meta = dict(meta)
    if rechecksum:
        meta.pop("checksum", None)
        meta.pop("signature", None)
        meta["checksum"] = _checksum(meta, arrays)
    save_file(arrays, str(path), metadata={"galton": json.dumps(meta)})


def checkpoint_state(params: list[np.ndarray], **changes: Any) -> dict[str, Any]:
    """A complete minibatch checkpoint state for ``params`` (the training loop's fields),
    with ``changes`` applied."""
    state = {
        "solver": "minibatch",
        "epoch": 1,
        "best": 1.0,
        "since_best": 0,
        "best_epoch": 1,
        "history": {"train_loss": [1.0, 0.9]},
        "events": [],
        "params": params,
        "best_params": params,
        "optimizer": {},
    }
    return {**state, **changes}
