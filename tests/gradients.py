"""Checks of a trainer's gradients shared by the engine tests: central differences and
agreement with the NumPy reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

#: The step of the central differences.
STEP = 1e-6


def assert_matches_differences(
    trainer: Any, params: list[np.ndarray], grads: list[np.ndarray], i: int, idx: tuple
) -> None:
    """Entry ``idx`` of parameter ``i``'s gradient ``grads`` (the trainer's at ``params``)
    equals the central difference of its loss (relative 1e-5, absolute 1e-8)."""
    plus, minus = [q.copy() for q in params], [q.copy() for q in params]
    plus[i][idx] += STEP
    minus[i][idx] -= STEP
    numeric = (trainer.loss_and_grad(plus)[0] - trainer.loss_and_grad(minus)[0]) / (2 * STEP)
    assert grads[i][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def assert_same_loss_and_grads(got: tuple, ref: tuple, loss_abs: float = 1e-14) -> None:
    """Another engine's ``(loss, grads)`` equals NumPy's to 1e-10 relative."""
    assert got[0] == pytest.approx(ref[0], rel=1e-10, abs=loss_abs)
    for g_ref, g in zip(ref[1], got[1], strict=True):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-14)
