"""A uniform sample of the rows seen so far (reservoir sampling), replayed in updates.

Warm-started training on new rows alone drifts towards them and forgets the old ones; a
stored uniform sample of the old rows, trained on beside the new, holds the network to
everything it has seen. The reservoir stays uniform over all rows however many updates
add to it (Vitter's algorithm R).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Reservoir:
    """At most ``capacity`` rows, a uniform sample of the ``seen`` rows offered so far.

    Attributes
    ----------
    X : ndarray of shape (m, d)
    y : ndarray of shape (m,)
    seen : int
    capacity : int
    """

    X: np.ndarray
    y: np.ndarray
    seen: int
    capacity: int

    @classmethod
    def empty(cls, n_features: int, capacity: int) -> Reservoir:
        return cls(np.empty((0, n_features)), np.empty(0), 0, capacity)

    def offer(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> None:
        """Offer rows ``X`` (n, d), ``y`` (n,): each kept with probability capacity/seen."""
        room = max(0, min(self.capacity - len(self.y), len(y)))
        if room:  # not yet full: the first rows go in
            self.X = np.vstack([self.X, X[:room]])
            self.y = np.concatenate([self.y, y[:room]])
        index = self.seen + room + np.arange(len(y) - room)  # 0-based position of each row
        keep = np.flatnonzero(rng.random(len(index)) < self.capacity / (index + 1)) + room
        slots = rng.integers(0, max(self.capacity, 1), len(keep))
        for row, slot in zip(keep, slots, strict=True):  # in order: a later row wins a slot
            self.X[slot] = X[row]
            self.y[slot] = y[row]
        self.seen += len(y)
