"""The comparison report: one self-contained HTML file (styles and images embedded).

It renders a ``Comparison`` and its ``Illustration`` (``galton.comparison.illustrate``:
both models refitted on 80% of the rows for what cross-validation cannot show) and the
cross-validation's out-of-fold predictions; it fits nothing and imports no model.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from galton.report import figures
from galton.report.explain_html import explanation_html
from galton.report.parts import check_destination, fmt, png_tag, write_page

if TYPE_CHECKING:  # types only: the report layer imports no comparison or model code
    from galton.comparison.illustrate import Illustration
    from galton.comparison.results import Comparison


def metrics_table(cmp: Comparison) -> str:
    """Each model's cross-validated scores and times (the report's and a notebook's)."""
    rows = []
    for s in cmp.scores.values():
        cells = [html.escape(s.label)]
        for metric in ("rmse", "mae", "r2"):
            mean, se = s.mean_se(metric)
            cells.append(f"{fmt(mean)} ± {fmt(se, 2)}")
        cells += [fmt(s.fit_seconds.mean(), 3), fmt(s.predict_seconds.mean(), 2)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>" for h in ("model", "RMSE", "MAE", "R²", "fit (s)", "predict (s)")
    )
    return f'<table id="metrics"><tr>{head}</tr>{"".join(rows)}</table>'


def _columns_table(cmp: Comparison) -> str:
    """Each column's type and role, as ``galton describe`` shows them."""
    names = ("column", "type", "detail", "role", "why")
    head = "".join(f"<th>{h}</th>" for h in names)
    rows = [
        "<tr>" + "".join(f"<td>{html.escape(str(c[k]))}</td>" for k in names) + "</tr>"
        for c in cmp.columns
    ]
    return f'<table id="columns" class="roles"><tr>{head}</tr>{"".join(rows)}</table>'


def _coefficient_table(model: Any) -> str:
    ci = model.conf_int().to_numpy()
    head = "".join(
        f"<th>{h}</th>" for h in ("term", "coef", "std err", "t", "P>|t|", "[0.025", "0.975]")
    )
    rows = []
    for k, name in enumerate(model.term_names_):
        if name in model.aliased_:
            rows.append(f"<tr><td>{html.escape(name)}</td><td colspan=6>aliased</td></tr>")
            continue
        cells = [
            model.params_.iloc[k],
            model.bse_.iloc[k],
            model.tvalues_.iloc[k],
            model.pvalues_.iloc[k],
            ci[k, 0],
            ci[k, 1],
        ]
        rows.append(
            f"<tr><td>{html.escape(name)}</td>"
            + "".join(f"<td>{fmt(c)}</td>" for c in cells)
            + "</tr>"
        )
    return f'<table id="coefficients"><tr>{head}</tr>{"".join(rows)}</table>'


def _curves(cmp: Comparison, shown: Illustration, plots_dir: Path | None) -> str:
    if shown.single_input is not None:
        name, values, grid, linear, network = shown.single_input
        png = figures.single_input_fit(values, cmp.y, grid, linear, network, name, cmp.target)
        caption = (
            "The data with the regression line and the network's curve (both fitted on 80% "
            "of the rows)"
        )
        return png_tag("fit", png, caption, plots_dir)
    if not shown.curves:
        return ""
    png = figures.partial_dependence(shown.curves, cmp.target)
    caption = (
        "Partial dependence: the mean prediction as one feature varies, for the features "
        "the network relies on most"
    )
    return png_tag("partial_dependence", png, caption, plots_dir)


def _fault_tolerance(shown: Illustration, plots_dir: Path | None) -> tuple[str, str]:
    """The knockout figure and the sentence that reads it."""
    fractions, knocked, linear_rmse = (
        shown.knockout_fractions,
        shown.knockout_means,
        shown.linear_rmse,
    )
    png = figures.fault_tolerance(fractions, knocked, shown.knockout_spreads, linear_rmse)
    caption = (
        "Fault tolerance: the network's held-out RMSE when 10, 25 and 50% of every hidden "
        f"layer's units are zeroed ({shown.knockout_draws} random draws each), against the "
        "linear model's RMSE"
    )
    worse = [f for f, m in zip(fractions, knocked, strict=True) if m > linear_rmse]
    text = (
        f"Intact, the network's held-out RMSE is {fmt(knocked[0])} (linear regression: "
        f"{fmt(linear_rmse)}). With 10%, 25% and 50% of its hidden units zeroed it is "
        f"{', '.join(fmt(m) for m in knocked[1:])}: it still gives output, "
        + (
            f"but from {worse[0]:.0%} knocked out it is worse than the linear model."
            if worse
            else "and stays better than the linear model throughout."
        )
    )
    return png_tag("fault_tolerance", png, caption, plots_dir), text


def _verdict_html(cmp: Comparison, hidden: tuple[int, ...]) -> str:
    """The heading, the verdict and the numbers behind it."""
    t, reset = cmp.test, cmp.reset
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in cmp.notes)
    backend = html.escape(cmp.network_params["backend"])
    return f"""
<h1>Does a neural network beat linear regression on this data?</h1>
<p class="sub">Target <b>{html.escape(cmp.target)}</b> from {len(cmp.features)} feature(s),
{cmp.n_samples} rows{html.escape(", " + cmp.weighted) if cmp.weighted else ""}; {cmp.folds}-fold
cross-validation ({html.escape(cmp.scheme)}) ×
{cmp.repeats} repeat(s), seed
{cmp.seed}; network {html.escape(str(list(hidden)))} on {backend}.</p>
<section id="verdict" class="verdict {cmp.verdict}">
<div class="word">{cmp.verdict.upper()}</div>
<p>{html.escape(cmp.explanation)}</p>
</section>
<h2>Cross-validated scores (mean ± standard error over folds)</h2>
{metrics_table(cmp)}
<p>Network versus {cmp.scores[cmp.baseline].label}: training {fmt(cmp.fit_ratio, 3)}× the
time, predicting {fmt(cmp.predict_ratio, 3)}×. Corrected resampled t-test (Nadeau &amp;
Bengio 2003) on the relative RMSE reductions: t = {fmt(t.t)} on {t.df} df,
p = {fmt(t.p, 3)}. Ramsey's RESET test of the linear fit: F = {fmt(reset["F"])},
p = {fmt(reset["p"], 3)}.</p>
{f'<ul class="notes">{notes}</ul>' if notes else ""}"""


def _figures_html(cmp: Comparison, shown: Illustration, out_dir: Path | None) -> str:
    """The folds' differences, what the models learned, and the out-of-fold plots."""
    t = cmp.test
    folds = figures.fold_differences(
        cmp.fold_reductions, t.reduction, t.ci_low, t.ci_high, cmp.threshold
    )
    mask = ~np.isnan(cmp.oof[cmp.baseline])
    baseline = "linear regression" if cmp.baseline == "linear" else "ridge regression"
    oof = {baseline: cmp.oof[cmp.baseline], "neural network": cmp.oof["network"]}
    oof = {k: v[mask] for k, v in oof.items()}
    y = cmp.y[mask]
    return "\n".join(
        [
            "<h2>Per-fold paired differences</h2>",
            png_tag(
                "fold_differences",
                folds,
                "Each fold's relative RMSE reduction by the network (above zero: the network "
                "did better), the mean with its corrected 95% confidence interval, and the "
                "threshold",
                out_dir,
            ),
            "<h2>What the models learned</h2>",
            _curves(cmp, shown, out_dir),
            png_tag(
                "predicted_vs_actual",
                figures.predicted_vs_actual(y, oof),
                "Out-of-fold predictions against the truth (first repeat)",
                out_dir,
            ),
            png_tag(
                "residuals",
                figures.residuals(y, oof),
                "Out-of-fold residuals against predictions (first repeat)",
                out_dir,
            ),
            png_tag(
                "learning_curves",
                figures.learning_curves(shown.history),
                "The network's loss per epoch, from its random start",
                out_dir,
            ),
        ]
    )


def _explanation(cmp: Comparison, out_dir: Path | None) -> str:
    """The explanation's section, when ``cmp.explain()`` has run."""
    if cmp.explained is None:
        return ""
    return explanation_html(cmp.explained, out_dir, cmp.target)


def write_report(
    cmp: Comparison,
    shown: Illustration,
    path: str | Path,
    plots_dir: str | Path | None = None,
) -> None:
    """Render ``cmp`` and ``shown`` as one HTML file at ``path`` (and each figure as PNG in
    ``plots_dir``); the file appears whole or not at all."""
    path = Path(path)
    check_destination(path)
    out_dir = Path(plots_dir) if plots_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    fault, fault_text = _fault_tolerance(shown, out_dir)
    body = f"""
<main>
{_verdict_html(cmp, shown.hidden)}
<h2>Columns and their roles</h2>
{_columns_table(cmp)}
{_figures_html(cmp, shown, out_dir)}
<h2>Linear regression coefficients (all rows)</h2>
{_coefficient_table(shown.coefficients)}
<h2>Fault tolerance</h2>
<p id="fault-text">{html.escape(fault_text)}</p>
{fault}
{_explanation(cmp, out_dir)}
</main>"""
    title = f"galton compare: {cmp.verdict} for {cmp.target}"
    write_page(path, title, body)
