"""The single-fit page's figures: R's four ``plot.lm`` panels, partial-regression plots
and partial dependence with ICE curves; each a function returning PNG bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from galton.report.figures import (
    LINEAR_COLOUR,
    NETWORK_COLOUR,
    dependence_panel,
    figure,
    grid_of_panels,
    render,
)

if TYPE_CHECKING:  # types only: the report imports no model code
    from galton.estimators.inspection import Dependence
    from galton.estimators.page import Residuals

#: Points drawn at most per scatter (a fixed, evenly spread subset beyond).
MAX_POINTS = 5000
#: Rows labelled with their number in each residual panel, as R labels three.
LABELLED = 3
SMOOTH_BINS = 25


def _shown(n: int) -> np.ndarray:
    """The rows drawn: all, or ``MAX_POINTS`` evenly spread."""
    return np.arange(n) if n <= MAX_POINTS else np.linspace(0, n - 1, MAX_POINTS).astype(int)


def binned_mean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A smooth of ``y`` on ``x``: means of ``y`` in up to ``SMOOTH_BINS`` bins of equal
    count (at least 10 rows each) along ``x``, at each bin's mean ``x`` (ties in ``x``
    stay in one bin)."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    bins = max(1, min(SMOOTH_BINS, len(x) // 10))
    edges = np.unique(np.quantile(xs, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(which, minlength=len(edges) - 1)
    keep = counts > 0
    mx = np.bincount(which, weights=xs, minlength=len(edges) - 1)[keep] / counts[keep]
    my = np.bincount(which, weights=ys, minlength=len(edges) - 1)[keep] / counts[keep]
    return mx, my


def _label(ax: Any, x: np.ndarray, y: np.ndarray, rows: np.ndarray, by: np.ndarray) -> None:
    """Name the ``LABELLED`` rows with the largest ``by`` by their row number."""
    for i in np.argsort(-by, kind="stable")[:LABELLED]:
        ax.annotate(
            str(rows[i]), (x[i], y[i]), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )


def _scatter(ax: Any, x: np.ndarray, y: np.ndarray, colour: str, smooth: bool = True) -> None:
    shown = _shown(len(x))
    ax.scatter(x[shown], y[shown], s=8, alpha=0.5, color=colour)
    if smooth and len(x) >= 30 and len(np.unique(x)) > 2:
        sx, sy = binned_mean(x, y)
        ax.plot(sx, sy, color="tab:red", lw=1.5)


def _qq(ax: Any, res: Residuals, colour: str) -> None:
    from scipy import stats

    n = len(res.standardised)
    order = np.argsort(res.standardised, kind="stable")
    theory = stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    ordered = res.standardised[order]
    shown = _shown(n)
    ax.scatter(theory[shown], ordered[shown], s=8, alpha=0.5, color=colour)
    lo, hi = float(theory[0]), float(theory[-1])
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--")
    _label(ax, theory, ordered, res.rows[order], np.abs(ordered))
    ax.set_xlabel("theoretical quantiles (normal)")
    ax.set_ylabel("standardised residuals")
    ax.set_title("Normal Q-Q")


def _leverage(ax: Any, res: Residuals, colour: str) -> None:
    """Standardised residuals against leverage with Cook's distance 0.5 and 1 contours."""
    assert res.leverage is not None and res.cooks is not None
    h, r = res.leverage, res.standardised
    _scatter(ax, h, r, colour)
    top = max(float(np.max(h)), 1e-6) * 1.05
    grid = np.linspace(top / 200, min(top, 0.999), 200)
    for level, style in ((0.5, "--"), (1.0, ":")):
        bound = np.sqrt(level * res.n_params * (1 - grid) / grid)
        ax.plot(grid, bound, color="tab:red", ls=style, lw=1, label=f"Cook's distance {level:g}")
        ax.plot(grid, -bound, color="tab:red", ls=style, lw=1)
    span = max(float(np.max(np.abs(r))), 1.0) * 1.15
    ax.set_ylim(-span, span)
    _label(ax, h, r, res.rows, res.cooks)
    ax.set_xlabel("leverage")
    ax.set_ylabel("standardised residuals")
    ax.set_title("Residuals vs leverage")
    ax.legend(fontsize=7, loc="lower left")


def residual_panels(res: Residuals, network: bool = False, as_figure: bool = False) -> Any:
    """R's ``plot.lm``: residuals vs fitted, normal Q-Q, scale-location and (least
    squares) residuals vs leverage with Cook's contours; red: a binned-mean smooth. PNG
    bytes, or (``as_figure``) the matplotlib figure."""
    colour = NETWORK_COLOUR if network else LINEAR_COLOUR
    panels = 3 if res.leverage is None else 4

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(2, 2, 1)
        _scatter(ax, res.fitted, res.resid, colour)
        ax.axhline(0, color="0.3", lw=1, ls="--")
        _label(ax, res.fitted, res.resid, res.rows, np.abs(res.resid))
        ax.set(xlabel="fitted values", ylabel="residuals", title="Residuals vs fitted")
        _qq(fig.add_subplot(2, 2, 2), res, colour)
        ax = fig.add_subplot(2, 2, 3)
        root = np.sqrt(np.abs(res.standardised))
        _scatter(ax, res.fitted, root, colour)
        _label(ax, res.fitted, root, res.rows, root)
        ax.set(xlabel="fitted values", ylabel="√|standardised residuals|", title="Scale-location")
        if panels == 4:
            _leverage(fig.add_subplot(2, 2, 4), res, colour)

    return figure(draw, size=(10.0, 8.0)) if as_figure else render(draw, size=(10.0, 8.0))


def added_variable_plots(
    items: list[tuple[str, np.ndarray, np.ndarray, float]], target: str
) -> bytes:
    """Partial-regression plots: each term's residual against the target's, both after
    the other terms, with the line of the term's coefficient."""

    def draw(fig: Any) -> None:
        cols = min(3, len(items))
        rows = (len(items) + cols - 1) // cols
        for k, (name, ex, ey, slope) in enumerate(items):
            ax = fig.add_subplot(rows, cols, k + 1)
            _scatter(ax, ex, ey, LINEAR_COLOUR, smooth=False)
            ends = np.array([ex.min(), ex.max()])
            ax.plot(ends, slope * ends, color="tab:red", lw=1.5)
            ax.set_xlabel(f"{name} | others")
            ax.set_ylabel(f"{target} | others")
            ax.set_title(f"{name}: slope {slope:.4g}", fontsize=9)

    rows = (len(items) + 2) // 3
    return render(draw, size=(10.0, 3.2 * rows))


def dependence_plots(curves: list[Dependence], target: str) -> bytes:
    """Partial dependence (thick) over individual conditional expectation curves (thin)
    for each input; a text column's levels as points."""

    def one(ax: Any, k: int) -> None:
        dep = curves[k]
        lines = [(dep.mean, NETWORK_COLOUR, "partial dependence")]
        dependence_panel(
            ax, dep.grid, dep.categorical, dep.ice, lines, (dep.name, f"predicted {target}")
        )

    return render(grid_of_panels(len(curves), one), size=(9.0, 3.4 * ((len(curves) + 1) // 2)))
