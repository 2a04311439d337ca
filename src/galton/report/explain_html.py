"""The comparison report's explanation section: importance of both models, partial
dependence, interactions, where the network wins and the readable model. It renders an
``Explanation`` (``galton.explain``) and computes nothing."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from galton.report import figures
from galton.report.parts import fmt, frame_table, png_tag

if TYPE_CHECKING:  # types only: the report imports no explanation code
    from galton.explain.results import Explanation

MODEL_NAMES = {"linear": "linear regression", "ridge": "ridge regression", "network": "network"}


def _importance(found: Explanation) -> str:
    rows: dict[str, dict[str, str]] = {}
    for item in found.importance:
        e = item.rmse_increase
        rows.setdefault(item.feature, {})[MODEL_NAMES[item.model]] = (
            f"{fmt(e.mean)} [{fmt(e.ci_low, 3)}, {fmt(e.ci_high, 3)}]"
        )
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame_table(frame, "importance", "input")


def _interactions(found: Explanation) -> str:
    if not found.interactions:
        return ""
    frame = pd.DataFrame(
        [
            (f"{i.first} × {i.second}", i.h2.mean, i.h2.ci_low, i.h2.ci_high)
            for i in found.interactions
        ],
        columns=["pair", "H²", "CI low", "CI high"],
    ).set_index("pair")
    return "<h3>Interactions in the network (Friedman's H²)</h3>" + frame_table(
        frame, "interactions", "pair"
    )


def _regions(found: Explanation, out_dir: Path | None) -> str:
    regions = sorted(found.regions, key=lambda r: -r.reduction)
    if not regions:
        return "<p>Too few rows to look for regions.</p>"
    frame = pd.DataFrame(
        [(r.where, r.rows, r.reduction, r.ci_low, r.ci_high, r.finding) for r in regions],
        columns=["region", "held-out rows", "RMSE reduction", "CI low", "CI high", "network"],
    ).set_index("region")
    png = figures.region_reductions(
        [r.where for r in regions],
        np.array([r.reduction for r in regions]),
        np.array([r.ci_low for r in regions]),
        np.array([r.ci_high for r in regions]),
    )
    caption = (
        "The network's relative RMSE reduction in each region of a depth-2 tree grown on the "
        "out-of-fold losses of half the folds, measured on the other half (95% bootstrap CI)"
    )
    return frame_table(frame, "regions", "region") + png_tag("regions", png, caption, out_dir)


def _recovered(found: Explanation) -> str:
    r = found.recovery
    share, gain = r.share, r.network_gain
    return (
        f'<p id="recovered-text">Least squares with {len(r.terms)} extra term(s) from the '
        f"network's curves and interactions, refitted in every fold, keeps "
        f"<b>{share.mean:.0%}</b> of the network's RMSE reduction (95% CI {share.ci_low:.0%} "
        f"to {share.ci_high:.0%}); the network's relative RMSE reduction over it is "
        f"{gain.mean:+.1%} (CI {gain.ci_low:+.1%} to {gain.ci_high:+.1%}).</p>"
        f'<pre id="formula">galton fit DATA --formula {html.escape(repr(r.formula))}</pre>'
        + _recovered_statistics(r.model)
    )


def _recovered_statistics(model: Any) -> str:
    """The readable model fitted on all rows: its coefficient table and fit."""
    if model is None:
        return ""
    fit = (
        f"<p>Fitted on all rows: R² {fmt(model.rsquared_)}, adjusted R² "
        f"{fmt(model.rsquared_adj_)}, residual standard error {fmt(model.resid_std_err_)}, "
        f"AIC {fmt(model.aic_)}.</p>"
    )
    return fit + frame_table(model.summary_frame(), "recovered-coefficients", "term")


def _growth(found: Explanation) -> str:
    g = found.growth
    if g is None:
        return ""
    frame = pd.DataFrame(
        [(n, e.mean, e.ci_low, e.ci_high) for n, e in zip(g.rows, g.gain, strict=True)],
        columns=["rows", "RMSE reduction", "CI low", "CI high"],
    ).set_index("rows")
    return (
        "<h3>Will more data change the verdict?</h3>"
        + frame_table(frame, "growth", "rows")
        + f'<p id="growth-text">{html.escape(g.text)}</p>'
    )


def _coverage(found: Explanation) -> str:
    if not found.coverage:
        return ""
    parts = ["<h3>Are the 90% intervals honest where it matters? (out of fold)</h3>"]
    for c in found.coverage:
        frame = c.groups.rename(columns={"mean_width": "mean width", "under": "under-covers"})
        parts.append(
            f"<p>{html.escape(MODEL_NAMES[c.model])}: {c.overall:.1%} of held-out rows inside "
            "their interval overall.</p>" + frame_table(frame, f"coverage-{c.model}", "rows")
        )
    return "\n".join(parts)


def explanation_html(found: Explanation, out_dir: Path | None, target: str) -> str:
    """The section's HTML."""
    curves: list[Any] = found.curves
    parts = [
        '<h2 id="explanation">Why and where: the explanation (out of fold)</h2>',
        f'<p id="explain-verdict"><b>{html.escape(found.verdict.upper())}</b>: '
        f"{html.escape(found.verdict_text)}</p>",
        "<h3>Permutation importance (RMSE increase when shuffled, 95% CI over folds)</h3>",
        _importance(found),
    ]
    if curves:
        png = figures.explained_dependence(curves, target)
        caption = (
            "Partial dependence of both models pooled over the folds' test rows, with the "
            "network's individual curves (grey)"
        )
        parts.append(png_tag("explained_dependence", png, caption, out_dir))
    parts += [
        _interactions(found),
        "<h3>Where the network wins</h3>",
        _regions(found, out_dir),
        "<h3>A readable model that keeps the gain</h3>",
        _recovered(found),
        _growth(found),
        _coverage(found),
    ]
    return "\n".join(parts)
