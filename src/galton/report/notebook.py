"""What a notebook shows (``_repr_html_``): a fitted estimator's tables, a comparison's
verdict banner, scores and per-fold figure, and an explanation, as HTML fragments whose
styles are scoped to one block so they do not restyle the notebook. Like the rest of the
report layer it renders numbers it is given and imports no model."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from galton.report import figures
from galton.report.explain_html import explanation_html
from galton.report.html import metrics_table
from galton.report.parts import frame_table, png_tag

if TYPE_CHECKING:  # types only: the report layer imports no comparison or model code
    from galton.comparison.results import Comparison
    from galton.estimators.page import FitPage

STYLE = """<style>
.galton-nb table{border-collapse:collapse;margin:.3em 0 .8em}
.galton-nb th,.galton-nb td{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}
.galton-nb th:first-child,.galton-nb td:first-child{text-align:left}
.galton-nb .verdict{padding:.4em 1em;margin:.4em 0;border-radius:4px}
.galton-nb .verdict.yay{background:#e6f4e6;border-left:6px solid #2e7d32}
.galton-nb .verdict.nay{background:#fbe9e7;border-left:6px solid #c62828}
.galton-nb .word{font-size:1.5em;font-weight:bold}
.galton-nb figure{margin:.3em 0}.galton-nb img{max-width:640px}
</style>"""


def block(body: str) -> str:
    """``body`` inside the scoped block, with its styles."""
    return f'<div class="galton-nb">{STYLE}{body}</div>'


def unfitted_html(text: str) -> str:
    """An estimator before ``fit``: its repr."""
    return block(f"<pre>{html.escape(text)}</pre><p>not fitted</p>")


def card_html(page: FitPage) -> str:
    """A fitted estimator: its title, statistics and coefficient table, and the text
    summary folded away."""
    parts = [f"<b>{html.escape(page.title)}</b>"]
    if page.statistics:
        values = list(page.statistics.values())
        stats = pd.DataFrame({"value": values}, index=list(page.statistics))
        parts.append(frame_table(stats, "statistics", "statistic"))
    if page.coefficients is not None:
        parts.append(frame_table(page.coefficients, "coefficients", "term"))
    parts.append(
        f"<details><summary>summary</summary><pre>{html.escape(page.summary)}</pre></details>"
    )
    return block("".join(parts))


def comparison_html(cmp: Comparison) -> str:
    """A comparison: the verdict banner and its explanation, the scores table, the key
    figure (each fold's RMSE reduction against the threshold) and the notes."""
    t = cmp.test
    png = figures.fold_differences(
        cmp.fold_reductions, t.reduction, t.ci_low, t.ci_high, cmp.threshold
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in cmp.notes)
    body = f"""
<section class="verdict {cmp.verdict}"><span class="word">{cmp.verdict.upper()}</span>
<p>{html.escape(cmp.explanation)}</p></section>
<p>{cmp.n_samples} rows, target <b>{html.escape(cmp.target)}</b>; {cmp.folds}-fold
cross-validation ({html.escape(cmp.scheme)}) × {cmp.repeats} repeat(s), seed {cmp.seed}.</p>
{metrics_table(cmp)}
{png_tag("fold_differences", png, "RMSE reduction by the network on each fold", None)}
{f"<ul>{notes}</ul>" if notes else ""}"""
    return block(body)


def explained_html(found: Any, target: str) -> str:
    """An explanation: the report's section, figures embedded."""
    return block(explanation_html(found, None, target))
