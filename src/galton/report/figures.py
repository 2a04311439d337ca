"""The comparison report's figures: each a function returning PNG bytes (matplotlib, Agg)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


LINEAR_COLOUR, NETWORK_COLOUR = "tab:blue", "tab:orange"


def _ticks(**kwargs: Any) -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(**kwargs)


def _plain_numbers(minor: bool = False) -> Any:
    """Tick labels as plain numbers (``0.01``), not mathtext (``10^{-2}``); minor ticks
    unlabelled."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    return NullFormatter() if minor else FuncFormatter(lambda value, _: f"{value:g}")


def figure(draw: Callable[[Any], None], size: tuple[float, float] = (6.4, 4.0)) -> Any:
    """Run ``draw(fig)`` on a new matplotlib ``Figure`` and return it (for notebooks:
    made without pyplot, so no backend or global figure list changes)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = Figure(figsize=size)
        draw(fig)
        fig.tight_layout()
    return fig


def render(draw: Callable[[Any], None], size: tuple[float, float] = (6.4, 4.0)) -> bytes:
    """Run ``draw(fig)`` on a new figure and return it as PNG bytes."""
    plt = _pyplot()
    # labels are column names from the data: printed as written, never parsed as mathtext
    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = plt.figure(figsize=size)
        try:
            draw(fig)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()
        finally:
            plt.close(fig)


def fold_differences(
    reductions: np.ndarray,
    mean: float,
    low: float,
    high: float,
    threshold: float,
    as_figure: bool = False,
) -> Any:
    """Per-fold relative RMSE reductions with their mean, 95% CI and the threshold: PNG
    bytes, or (``as_figure``) the matplotlib figure."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        folds = np.arange(1, len(reductions) + 1)
        ax.axhspan(100 * low, 100 * high, color=NETWORK_COLOUR, alpha=0.15, label="95% CI")
        ax.axhline(100 * mean, color=NETWORK_COLOUR, lw=2, label=f"mean {mean:+.1%}")
        ax.axhline(100 * threshold, color="tab:green", ls="--", label=f"threshold {threshold:.0%}")
        ax.axhline(0, color="0.3", lw=1)
        ax.scatter(folds, 100 * reductions, color="0.2", zorder=3, s=18, label="fold")
        ax.xaxis.set_major_locator(_ticks(integer=True))
        ax.set_xlabel("fold (all repeats)")
        ax.set_ylabel("RMSE reduction by the network (%)")
        ax.set_title("Paired per-fold differences")
        ax.legend(fontsize=8)

    return figure(draw) if as_figure else render(draw)


def single_input_fit(
    x: np.ndarray,
    y: np.ndarray,
    grid: np.ndarray,
    linear: np.ndarray,
    network: np.ndarray,
    xname: str,
    yname: str,
) -> bytes:
    """The tutorial's picture: data, the regression line and the network's curve."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.scatter(x, y, s=8, color="0.4", alpha=0.6, label="data")
        ax.plot(grid, linear, color=LINEAR_COLOUR, lw=2, label="linear regression")
        ax.plot(grid, network, color=NETWORK_COLOUR, lw=2, label="neural network")
        ax.set_xlabel(xname)
        ax.set_ylabel(yname)
        ax.set_title("Data with both models")
        ax.legend(fontsize=8)

    return render(draw)


def partial_dependence(
    curves: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], yname: str
) -> bytes:
    """Partial-dependence curves ``(feature, grid, linear, network)`` for several features."""

    def draw(fig: Any) -> None:
        cols = min(2, len(curves))
        rows = (len(curves) + cols - 1) // cols
        for k, (name, grid, lin, net) in enumerate(curves):
            ax = fig.add_subplot(rows, cols, k + 1)
            ax.plot(grid, lin, color=LINEAR_COLOUR, lw=2, label="linear regression")
            ax.plot(grid, net, color=NETWORK_COLOUR, lw=2, label="neural network")
            ax.set_xlabel(name)
            ax.set_ylabel(f"mean predicted {yname}")
            if k == 0:
                ax.legend(fontsize=8)
        fig.suptitle("Partial dependence of the most important features")

    rows = (len(curves) + 1) // 2
    return render(draw, size=(9.0, 3.4 * rows))


def predicted_vs_actual(y: np.ndarray, predictions: dict[str, np.ndarray]) -> bytes:
    """Out-of-fold predictions against the truth, one panel per model."""

    def draw(fig: Any) -> None:
        lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
        for k, (label, pred) in enumerate(predictions.items()):
            ax = fig.add_subplot(1, len(predictions), k + 1)
            colour = LINEAR_COLOUR if k == 0 else NETWORK_COLOUR
            ax.scatter(y, pred, s=6, alpha=0.5, color=colour)
            ax.xaxis.set_major_locator(_ticks(nbins=4))
            ax.plot([lo, hi], [lo, hi], color="0.3", lw=1)
            ax.set_xlabel("actual")
            ax.set_ylabel("predicted (out of fold)")
            ax.set_title(label)

    return render(draw, size=(9.0, 4.0))


def residuals(y: np.ndarray, predictions: dict[str, np.ndarray]) -> bytes:
    """Out-of-fold residuals against predictions, one panel per model."""

    def draw(fig: Any) -> None:
        for k, (label, pred) in enumerate(predictions.items()):
            ax = fig.add_subplot(1, len(predictions), k + 1)
            colour = LINEAR_COLOUR if k == 0 else NETWORK_COLOUR
            ax.scatter(pred, y - pred, s=6, alpha=0.5, color=colour)
            ax.xaxis.set_major_locator(_ticks(nbins=4))
            ax.axhline(0, color="0.3", lw=1)
            ax.set_xlabel("predicted (out of fold)")
            ax.set_ylabel("residual")
            ax.set_title(label)

    return render(draw, size=(9.0, 4.0))


def learning_curves(history: dict[str, list[float]], as_figure: bool = False) -> Any:
    """The network's training and validation loss per epoch (entry 0: the random start):
    PNG bytes, or (``as_figure``) the matplotlib figure."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.plot(history["train_loss"], label="training loss", color=NETWORK_COLOUR)
        if history.get("val_loss"):
            ax.plot(history["val_loss"], label="validation loss", color="tab:red")
        ax.set_yscale("log")
        # plain tick labels: the page prints text as written, never as mathtext
        ax.yaxis.set_major_formatter(_plain_numbers())
        ax.yaxis.set_minor_formatter(_plain_numbers(minor=True))
        ax.set_xlabel("epoch (L-BFGS: iteration)")
        ax.set_ylabel("loss (standardised units)")
        ax.set_title("The network's learning curves")
        ax.legend(fontsize=8)

    return figure(draw) if as_figure else render(draw)


def fault_tolerance(
    fractions: list[float], network: list[float], spread: list[float], linear: float
) -> bytes:
    """Network RMSE with hidden units knocked out, against the linear model's RMSE."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        pct = [100 * f for f in fractions]
        ax.errorbar(
            pct,
            network,
            yerr=spread,
            marker="o",
            color=NETWORK_COLOUR,
            capsize=3,
            label="neural network (mean ± sd over draws)",
        )
        ax.axhline(linear, color=LINEAR_COLOUR, ls="--", label="linear regression")
        ax.set_xlabel("hidden units knocked out (%)")
        ax.set_ylabel("held-out RMSE")
        ax.set_title("Is the network fault tolerant?")
        ax.legend(fontsize=8)

    return render(draw)


def region_reductions(
    names: list[str], reduction: np.ndarray, low: np.ndarray, high: np.ndarray
) -> bytes:
    """Each region's relative RMSE reduction by the network with its interval."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        rows = np.arange(len(names))
        colours = [
            NETWORK_COLOUR if lo > 0 else LINEAR_COLOUR if hi < 0 else "0.6"
            for lo, hi in zip(low, high, strict=True)
        ]
        ax.barh(rows, 100 * reduction, color=colours, alpha=0.7)
        ax.errorbar(
            100 * reduction,
            rows,
            xerr=[100 * (reduction - low), 100 * (high - reduction)],
            fmt="none",
            ecolor="0.2",
            capsize=3,
        )
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(rows, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("RMSE reduction by the network (%)")
        ax.set_title("Where the network wins")

    return render(draw, size=(8.0, 1.0 + 0.5 * len(names)))


def dependence_panel(
    ax: Any,
    grid: np.ndarray,
    categorical: bool,
    ice: np.ndarray,
    curves: list[tuple[np.ndarray, str, str]],
    labels: tuple[str, str],
) -> None:
    """One input's partial dependence: individual curves ``ice`` (m, g) in grey under
    ``curves`` (values (g,), colour, label); a text column's levels as points."""
    x = np.arange(len(grid)) if categorical else grid.astype(float)
    style = "o" if categorical else "-"
    for curve in ice:
        ax.plot(x, curve, style, color="0.7", lw=0.5, alpha=0.5, ms=2)
    for values, colour, label in curves:
        ax.plot(x, values, style, color=colour, lw=2.5, ms=6, label=label)
    if categorical:
        ax.set_xticks(x, [str(v) for v in grid], rotation=30, fontsize=7)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])


def grid_of_panels(count: int, draw_one: Callable[[Any, int], None]) -> Callable[[Any], None]:
    """A drawing of ``count`` panels two to a row, ``draw_one(ax, k)`` each."""

    def draw(fig: Any) -> None:
        cols = min(2, count)
        rows = (count + cols - 1) // cols
        for k in range(count):
            draw_one(fig.add_subplot(rows, cols, k + 1), k)

    return draw


def explained_dependence(curves: list[Any], yname: str) -> bytes:
    """Both models' partial dependence per input with the network's ICE curves."""

    def one(ax: Any, k: int) -> None:
        c = curves[k]
        lines = [(c.linear, LINEAR_COLOUR, "linear"), (c.network, NETWORK_COLOUR, "network")]
        dependence_panel(
            ax, c.grid, c.categorical, c.ice, lines, (c.feature, f"mean predicted {yname}")
        )
        if k == 0:
            ax.legend(fontsize=8)

    return render(grid_of_panels(len(curves), one), size=(9.0, 3.4 * ((len(curves) + 1) // 2)))
