"""Shared fixtures: where the reference data lives, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GALTON_SHARED", REPO.parent / "shared"))
NIST_DIR = SHARED / "data" / "nist_strd"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only reference data folder (``../shared/data``); required, never skipped."""
    path = SHARED / "data"
    assert path.is_dir(), f"reference data missing at {path}; set GALTON_SHARED"
    return path


def digits(value: np.ndarray | float, certified: np.ndarray | float) -> np.ndarray:
    """Correct significant digits (log relative error); absolute digits where certified is 0."""
    v = np.atleast_1d(np.asarray(value, dtype=float))
    c = np.atleast_1d(np.asarray(certified, dtype=float))
    with np.errstate(divide="ignore"):
        err = np.where(c == 0, np.abs(v), np.abs(v - c) / np.where(c == 0, 1, np.abs(c)))
        return np.minimum(-np.log10(err), 16.0)
