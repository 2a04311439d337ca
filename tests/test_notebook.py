"""Rich output in notebooks (issue 20, item 2): ``_repr_html_`` of fitted estimators,
comparisons and explanations, and ``plot()`` returning matplotlib figures."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import galton


class _Balanced(HTMLParser):
    """Counts open elements; void elements (img, br) close themselves."""

    VOID = {"img", "br", "hr", "meta", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def _balanced(text: str) -> bool:
    parser = _Balanced()
    parser.feed(text)
    return parser.stack == []


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 2))
    y = 1.5 * x[:, 0] - x[:, 1] ** 2 + rng.normal(scale=0.2, size=n)
    return pd.DataFrame({"<b>x1": x[:, 0], "x2": x[:, 1], "y": y})


def test_least_squares_shows_its_statistics_and_coefficients_as_tables():
    model = galton.LinearRegression()
    assert "not fitted" in model._repr_html_()
    model.fit(_frame(), "y")
    page = model._repr_html_()
    assert _balanced(page)
    assert 'id="coefficients"' in page and 'id="statistics"' in page
    assert "&lt;b&gt;x1" in page and "<b>x1" not in page  # names are escaped
    r2 = re.search(r"<td>R-squared</td><td>([^<]+)</td>", page)
    assert r2 is not None and float(r2.group(1)) == pytest.approx(model.rsquared_, rel=1e-3)
    for k, name in enumerate(model.term_names_):
        assert f"{model.params_.iloc[k]:.4g}" in page, name


def test_a_network_shows_its_training_metrics():
    net = galton.NeuralRegressor(hidden=(4,), seed=0, max_epochs=30).fit(_frame(), "y")
    page = net._repr_html_()
    assert _balanced(page) and "training RMSE" in page
    assert f"{net.metrics_['rmse']:.4g}" in page


def test_a_comparison_shows_the_verdict_scores_and_folds():
    cmp = galton.compare(_frame(), "y", hidden=(8,), folds=3, repeats=1, progress=False)
    page = cmp._repr_html_()
    assert _balanced(page)
    assert f'class="verdict {cmp.verdict}"' in page and cmp.verdict.upper() in page
    assert page.count("<img") == 1 and "data:image/png;base64," in page
    for scores in cmp.scores.values():
        assert scores.label in page
    figure = cmp.plot()
    assert isinstance(figure, Figure)
    points = figure.axes[0].collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(points)[:, 1], 100 * cmp.fold_reductions)
    explanation = cmp.explain()
    html_text = explanation._repr_html_()
    assert _balanced(html_text) and "Permutation importance" in html_text


def test_plot_draws_each_model_s_diagnostics():
    data = _frame()
    linear = galton.LinearRegression().fit(data, "y")
    assert len(linear.plot().axes) == 4  # R's plot.lm: four panels
    net = galton.NeuralRegressor(hidden=(4,), seed=0, max_epochs=30).fit(data, "y")
    curves = net.plot()  # no rows: the learning curves
    assert len(curves.axes) == 1
    np.testing.assert_allclose(curves.axes[0].lines[0].get_ydata(), net.history_["train_loss"])
    assert len(net.plot(data, "y").axes) == 3  # residual panels (no leverage for a network)
    ridge = galton.RidgeRegression().fit(data, "y")
    with pytest.raises(galton.ParameterError, match="needs the rows"):
        ridge.plot()
