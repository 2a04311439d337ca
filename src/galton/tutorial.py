"""``galton examples age-income``: the bundled age-income data from the seed's straight
line to the network, to the explanation, to the readable formula, each step checked."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from galton.data.datasets import load_dataset
from galton.estimators import LinearRegression
from galton.examples import Check


@dataclass
class Tutorial:
    """The walk-through: each step's title and what galton found, and the checks."""

    steps: list[tuple[str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, quantity: str, value: float, rule: str, passed: bool) -> None:
        self.checks.append(Check(quantity, None, float(value), None, rule, bool(passed)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": "age-income",
            "steps": [{"title": t, "text": x} for t, x in self.steps],
            "checks": [c.__dict__ for c in self.checks],
            "passed": self.passed,
        }


def age_income_tutorial(folds: int = 5, hidden: tuple[int, ...] = (32,), seed: int = 0) -> Tutorial:
    """Run the walk-through on the bundled age-income data (3000 rows)."""
    from galton.comparison import compare

    data = load_dataset("age-income")
    out = Tutorial()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        line = LinearRegression().fit(data[["age"]], data["income"])
    slope = float(line.coef_[0])
    out.steps.append(
        (
            "1. The seed's straight line",
            f"income = {line.intercept_:.0f} {'+' if slope >= 0 else '-'} {abs(slope):.1f} * age: "
            f"R-squared {line.rsquared_:.3f}. "
            "Income rises and falls with age; a line through an inverted U is nearly flat.",
        )
    )
    out.check(
        "line R-squared",
        line.rsquared_,
        "below 0.1: the line misses the curve",
        line.rsquared_ < 0.1,
    )
    cmp = compare(data, "income", hidden=hidden, folds=folds, repeats=1, seed=seed, progress=False)
    red = cmp.test.reduction
    out.steps.append(
        ("2. The network against the line", f"{cmp.verdict.upper()}: {cmp.explanation}")
    )
    out.check(
        "network's RMSE reduction",
        red,
        "above 50% and significant",
        red > 0.5 and cmp.test.p < 0.05,
    )
    found = cmp.explain()
    top = next(i for i in found.importance if i.model == "network")
    wins = [r.where for r in found.regions if r.finding == "better"]
    out.steps.append(
        (
            "3. Why and where",
            f"The network relies most on {top.feature} (shuffling it raises its RMSE by "
            f"{top.rmse_increase.mean:.0f}); it wins in {len(wins)} of {len(found.regions)} "
            "regions of a depth-2 tree measured on held-out folds.",
        )
    )
    out.check(
        "network's most important input is age",
        float(top.feature == "age"),
        "age",
        top.feature == "age",
    )
    r = found.recovery
    out.steps.append(
        (
            "4. A readable formula",
            f"{r.formula}\nkeeps {r.share.mean:.0%} of the network's gain (95% CI "
            f"{r.share.ci_low:.0%} to {r.share.ci_high:.0%}). Verdict: {found.verdict_text}",
        )
    )
    out.check("share of the gain kept", r.share.mean, "at least 90%", r.share.mean >= 0.9)
    return out
