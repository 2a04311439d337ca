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


def group_splits(
    groups: np.ndarray, folds: int, repeats: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped K-fold: every group's rows fall in one test fold, never in both training
    and test. Groups are dealt, largest first (ties in a seeded random order), to the fold
    with the fewest rows so far, like scikit-learn's ``GroupKFold``; each repeat shuffles
    the ties anew.

    Parameters
    ----------
    groups : array (n,)
        The group of each row.
    """
    labels, codes, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(repeats):
        order = np.lexsort((rng.permutation(len(labels)), -sizes))
        fold_of = np.empty(len(labels), dtype=int)
        load = np.zeros(folds)
        for g in order:
            fold_of[g] = int(np.argmin(load))
            load[fold_of[g]] += sizes[g]
        row_fold = fold_of[codes]
        for k in range(folds):
            splits.append((np.flatnonzero(row_fold != k), np.flatnonzero(row_fold == k)))
    return splits


def time_splits(times: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Forward chaining: the distinct times, in order, cut into ``folds + 1`` blocks of
    about equal rows; fold k trains on blocks 0..k-1 and tests on block k (k = 1..folds),
    so a model never sees the future of the rows it predicts. Rows with the same time
    stay in one block.

    Parameters
    ----------
    times : array (n,)
        A sortable time of each row (numbers or datetimes).
    """
    distinct, codes, counts = np.unique(times, return_inverse=True, return_counts=True)
    if len(distinct) < folds + 1:
        raise ValueError(f"{len(distinct)} distinct times for {folds + 1} blocks")
    # block of each distinct time: by the cumulative share of rows before it
    share = (np.cumsum(counts) - counts) / counts.sum()
    block = np.minimum((share * (folds + 1)).astype(int), folds)
    # every block non-empty: fall back to equal numbers of distinct times
    if len(np.unique(block)) < folds + 1:
        block = np.arange(len(distinct)) * (folds + 1) // len(distinct)
    row_block = block[codes]
    return [
        (np.flatnonzero(row_block < k), np.flatnonzero(row_block == k)) for k in range(1, folds + 1)
    ]
