"""Folds in parallel: worker processes (one BLAS thread each) run the same
``_Plan.run_fold`` as the serial loop, on the same seeds, so the results are identical.

Workers are forked for the NumPy engine: nothing is re-imported, and a user's script
needs no ``if __name__ == "__main__"`` guard. The other engines hold thread pools that are
not safe to fork, so their folds run serially unless ``n_jobs`` asks for processes, which
are then spawned (and a script needs the guard)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from threadpoolctl import threadpool_limits

#: Parallel folds pay a worker's start (importing galton) once per core: worth it only
#: when the folds left would take longer than this serially.
WORTH_SECONDS = 6.0

_PLAN: Any = None
_LIMITS: Any = None


def workers_for(n_jobs: int | None, folds_left: int, seconds_per_fold: float, backend: str) -> int:
    """How many processes run the remaining folds: ``n_jobs`` (None: every core when the
    work is worth a worker's start and the engine can be forked), never more than the
    folds left; 1 means serial."""
    if n_jobs is not None:
        return max(1, min(n_jobs, folds_left))
    cores = os.cpu_count() or 1
    if not _forkable(backend) or cores < 2 or folds_left < 2:
        return 1
    return min(cores, folds_left) if seconds_per_fold * folds_left >= WORTH_SECONDS else 1


def _forkable(backend: str) -> bool:
    """Whether workers for ``backend``'s folds may be forked (NumPy, where fork exists)."""
    return backend == "numpy" and "fork" in multiprocessing.get_all_start_methods()


def _start(plan: Any) -> None:
    global _PLAN, _LIMITS
    _PLAN = plan
    _LIMITS = threadpool_limits(1)  # one BLAS thread per process: cores are not shared


def _run(task: tuple[Any, Any, int]) -> dict[str, Any]:
    train, test, seed = task
    return _PLAN.run_fold(train, test, seed, lambda: None)


def run_parallel(
    plan: Any, tasks: list[tuple[Any, Any, int]], workers: int, advance: Callable[[], None]
) -> list[dict[str, Any]]:
    """``plan.run_fold`` on every ``(train, test, seed)`` task across ``workers``
    processes, results in the tasks' order (``advance`` once per model of each)."""
    context = multiprocessing.get_context("fork" if _forkable(plan.backend) else "spawn")
    results = []
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(plan,)
    ) as pool:
        for found in pool.map(_run, tasks):
            results.append(found)
            for _ in plan.names:
                advance()
    return results
