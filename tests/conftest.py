"""Shared fixtures: where the reference data lives, and small helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

#: Reference data shipped with the tests (origin and licence in ``tests/data/README.md``).
DATA = Path(__file__).resolve().parent / "data"
NIST_DIR = DATA / "nist_strd"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference data folder in the repository; required, never skipped."""
    assert DATA.is_dir(), f"reference data missing at {DATA}"
    return DATA


def digits(value: np.ndarray | float, certified: np.ndarray | float) -> np.ndarray:
    """Correct significant digits (log relative error); absolute digits where certified is 0."""
    v = np.atleast_1d(np.asarray(value, dtype=float))
    c = np.atleast_1d(np.asarray(certified, dtype=float))
    with np.errstate(divide="ignore"):
        err = np.where(c == 0, np.abs(v), np.abs(v - c) / np.where(c == 0, 1, np.abs(c)))
        return np.minimum(-np.log10(err), 16.0)
