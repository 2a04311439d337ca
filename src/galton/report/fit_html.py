"""The single-fit page (``model.to_html()``, ``galton fit --report``): one self-contained
HTML file rendered from a ``FitPage`` (``galton.estimators.page``); it fits nothing."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from galton.report import figures, fit_figures
from galton.report.parts import check_destination, document, frame_table, png_tag, write_page

if TYPE_CHECKING:  # a type only: the report imports no model code
    from galton.estimators.page import FitPage

INFLUENCE_COLUMNS = {
    "row": "row",
    "cooks_d": "Cook's D",
    "hat": "leverage",
    "student_resid_external": "ext. studentised",
    "dffits": "DFFITS",
}


def _statistics(page: FitPage) -> str:
    frame = pd.DataFrame({"value": list(page.statistics.values())}, index=list(page.statistics))
    return frame_table(frame, "statistics", "statistic")


def _tests(page: FitPage) -> str:
    if not page.tests:
        return ""
    frame = pd.DataFrame(
        [(v, p) for _, v, p in page.tests],
        columns=["statistic", "p"],
        index=[name for name, _, _ in page.tests],
    )
    return "<h2>Assumption tests of the residuals</h2>" + frame_table(frame, "tests", "test")


def _influential(page: FitPage, listed: int = 20) -> str:
    found = page.influential
    if found is None:
        return ""
    head = (
        f'<h2>Influential rows</h2><p id="influence-text">{len(found)} row(s) flagged '
        f"({html.escape(page.influential_rule)})"
        + (f"; the {listed} with the largest Cook's distance:" if len(found) > listed else ".")
        + "</p>"
    )
    if not len(found):
        return head
    shown = found.head(listed)[list(INFLUENCE_COLUMNS)].rename(columns=INFLUENCE_COLUMNS)
    shown = shown.set_index("row")
    return head + frame_table(shown, "influential", "row")


def _sections(page: FitPage) -> list[tuple[str, str, bytes, str]]:
    """The figures the page has: (heading, name, PNG, caption) each."""
    network = page.history is not None
    found = []
    if page.history is not None:
        png = figures.learning_curves(page.history)
        found.append(
            ("Learning curves", "learning_curves", png, "Loss per epoch, from the random start")
        )
    if page.residuals is not None:
        caption = (
            "Residuals vs fitted, normal Q-Q, scale-location"
            + ("" if network else " and residuals vs leverage with Cook's distance contours")
            + " (red: binned-mean smooth; the most extreme rows numbered)"
        )
        png = fit_figures.residual_panels(page.residuals, network)
        found.append(("Residual diagnostics", "residual_panels", png, caption))
    if page.added_variable:
        caption = (
            "Partial regression: each term and the target after the other terms; red: the "
            "coefficient"
        )
        png = fit_figures.added_variable_plots(page.added_variable, page.target)
        found.append(("Partial-regression plots", "partial_regression", png, caption))
    if page.dependence:
        caption = (
            "Partial dependence (thick) and individual conditional expectation curves (grey) "
            "of the inputs the network relies on most (permutation importance on these rows)"
        )
        png = fit_figures.dependence_plots(page.dependence, page.target)
        found.append(("Partial dependence", "partial_dependence", png, caption))
    return found


def _figures(page: FitPage, out_dir: Path | None) -> str:
    return "\n".join(
        f"<h2>{heading}</h2>\n{png_tag(name, png, caption, out_dir)}"
        for heading, name, png, caption in _sections(page)
    )


def render_fit_page(page: FitPage, plots_dir: str | Path | None = None) -> tuple[str, str]:
    """The page's title and body (figures also written as PNG to ``plots_dir``)."""
    out_dir = Path(plots_dir) if plots_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in page.notes)
    coefficients = (
        ""
        if page.coefficients is None
        else "<h2>Coefficients</h2>" + frame_table(page.coefficients, "coefficients", "term")
    )
    anova = (
        ""
        if page.anova is None
        else "<h2>Analysis of variance (type II)</h2>" + frame_table(page.anova, "anova", "term")
    )
    body = f"""
<main>
<h1 id="title">{html.escape(page.title)}</h1>
<h2>Fit</h2>
{_statistics(page)}
{coefficients}
{_tests(page)}
{anova}
{_figures(page, out_dir)}
{_influential(page)}
{f'<ul class="notes">{notes}</ul>' if notes else ""}
<h2>Summary</h2>
<pre id="summary">{html.escape(page.summary)}</pre>
</main>"""
    return f"galton fit: {page.title}", body


def fit_page_html(
    page: FitPage, path: str | Path | None = None, plots_dir: str | Path | None = None
) -> str:
    """The page as HTML text, also written whole to ``path`` when given."""
    if path is not None:
        check_destination(path)
    title, body = render_fit_page(page, plots_dir)
    return write_page(path, title, body) if path is not None else document(title, body)
