"""Model files: JSON metadata plus raw arrays in one ``.npz`` container, no pickle.

Layout: every array is stored under ``a/<name>``; ``__meta__`` is the UTF-8 JSON
metadata (format version, galton version, model state) as a uint8 array. The metadata
carries a SHA-256 checksum over the canonical metadata and every array's name, dtype,
shape and bytes, so a corrupted, truncated or edited file fails to load. Files are
written to a temporary name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from galton.atomic import atomic_write
from galton.errors import ModelFileError

FORMAT = "galton-model"
FORMAT_VERSION = 1


def _checksum(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{arr.dtype.str}|{arr.shape}".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def write_model_file(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON-able) and numeric ``arrays`` to ``path`` atomically."""
    from galton import __version__

    path = Path(path)
    for name, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise ModelFileError(f"array '{name}' has dtype object, which model files refuse")
    body = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "galton_version": __version__,
        **meta,
    }
    body["checksum"] = _checksum(body, arrays)
    payload = {f"a/{k}": np.asarray(v) for k, v in arrays.items()}
    payload["__meta__"] = np.frombuffer(json.dumps(body).encode("utf-8"), dtype=np.uint8)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **payload)

    atomic_write(path, write)


def read_model_file(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a model file; returns ``(meta, arrays)``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = list(data.files)
            if "__meta__" not in names:
                raise ModelFileError(f"{path}: not a galton model file (no metadata)")
            meta = json.loads(bytes(data["__meta__"]).decode("utf-8"))
            arrays = {n[2:]: data[n] for n in names if n.startswith("a/")}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ModelFileError(
            f"{path}: not a galton model file, or truncated or corrupted ({type(exc).__name__})"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a galton model file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format {meta.get('format_version')} is not supported "
            f"(this galton reads format {FORMAT_VERSION})"
        )
    stored = meta.pop("checksum", None)
    if stored != _checksum(meta, arrays):
        raise ModelFileError(f"{path}: checksum mismatch: the file was modified or corrupted")
    return meta, arrays
