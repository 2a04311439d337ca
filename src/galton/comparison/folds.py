"""Cross-validation folds: how many, and which rows (the same for every model)."""

from __future__ import annotations

import numpy as np


def default_folds(n: int) -> tuple[int, int]:
    """Folds and repeats from the number of rows: more repeats where data are few."""
    folds = max(2, min(10, n // 10)) if n < 5000 else 5
    repeats = 3 if n <= 2000 else (2 if n <= 20000 else 1)
    return folds, repeats


def cv_splits(n: int, folds: int, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train_rows, test_rows)`` for every fold of every repeat, the same for every model."""
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(repeats):
        parts = np.array_split(rng.permutation(n), folds)
        for k in range(folds):
            test = np.sort(parts[k])
            train = np.sort(np.concatenate([parts[j] for j in range(folds) if j != k]))
            splits.append((train, test))
    return splits
