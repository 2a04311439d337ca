"""A Rich progress bar on stderr for long fits, silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def epoch_progress(
    total: int, enabled: bool | None
) -> Iterator[Callable[[int, float, float | None], None]]:
    """Yield ``update(epoch, train_loss, val_loss)``; a no-op unless enabled.

    ``enabled=None`` means: only when stderr is a terminal.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda epoch, train, val: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} epochs"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        transient=console.is_terminal,  # in a log file, keep the final line
    ) as bar:
        task = bar.add_task("fit", total=total, info="")

        def update(epoch: int, train: float, val: float | None) -> None:
            info = f"loss {train:.4g}" + (f"  val {val:.4g}" if val is not None else "")
            bar.update(task, completed=epoch + 1, info=info)

        yield update


@contextmanager
def task_progress(total: int, label: str, enabled: bool | None) -> Iterator[Callable[[], None]]:
    """Yield ``advance()`` for a bar of ``total`` units of work; a no-op unless enabled."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
