"""Learning-rate schedules: the rate for each epoch from the base rate."""

from __future__ import annotations

import math


def learning_rate(schedule: str, base: float, epoch: int, max_epochs: int) -> float:
    """Rate for ``epoch`` (0-based).

    ``constant`` keeps ``base``; ``cosine`` anneals to zero over ``max_epochs``;
    ``step`` halves it every quarter of ``max_epochs``.
    """
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * epoch / max(1, max_epochs)))
    if schedule == "step":
        return base * 0.5 ** (epoch // max(1, max_epochs // 4))
    return base
