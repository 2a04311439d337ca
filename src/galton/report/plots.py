"""Figures, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from galton.atomic import atomic_write

if TYPE_CHECKING:  # a type only: the report imports no model code
    from galton.examples import ExampleResult


def plot_examples(results: list[ExampleResult], path: str | Path) -> None:
    """The tutorials' scatter plots, each with galton's line and the least-squares line.

    Parameters
    ----------
    results : list of ExampleResult
        One panel each.
    path : str or Path
        PNG file, written to a temporary name and renamed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    path = Path(path)
    cols = min(2, len(results))
    rows = (len(results) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.2 * rows), squeeze=False)
    for ax, result in zip(axes.flat, results, strict=False):
        x = np.asarray(result.x)
        grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 100)
        ax.scatter(x, result.y, s=18, color="0.3", label="data")
        slope, intercept = result.galton_line
        engine = result.backend or "exact"
        ax.plot(
            grid,
            slope * grid + intercept,
            color="tab:orange",
            lw=2,
            label=f"tutorial's procedure in galton ({engine})",
        )
        slope, intercept = result.exact_line
        ax.plot(
            grid,
            slope * grid + intercept,
            color="tab:blue",
            lw=1.2,
            ls="--",
            label="exact least squares",
        )
        status = "all checks pass" if result.passed else "CHECK FAILED"
        ax.set_title(f"{result.name}: {status}")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(results) :]:
        ax.set_visible(False)
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)
