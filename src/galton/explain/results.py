"""What ``explain`` returns: importance, curves, interactions, regions and the recovered
model, as text and JSON-ready data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from galton.explain.coverage import Coverage
from galton.explain.dependence import Curve, Interaction
from galton.explain.growth import Growth
from galton.explain.importance import Importance
from galton.explain.recover import Recovery
from galton.explain.regions import Region

MODEL_NAMES = {"linear": "linear regression", "ridge": "ridge regression", "network": "network"}


@dataclass
class Explanation:
    """Why and where the network differs from the line, out of fold.

    Attributes
    ----------
    target : str
    baseline : str
        The linear model compared (``linear`` or ``ridge``).
    verdict : str
        ``yay``, ``nay`` or ``nay: a readable model does`` (the third answer).
    importance : list of Importance
    curves : list of Curve
    interactions : list of Interaction
    regions : list of Region
    recovery : Recovery
    notes : list of str
    """

    target: str
    baseline: str
    verdict: str
    verdict_text: str
    importance: list[Importance]
    curves: list[Curve]
    interactions: list[Interaction]
    regions: list[Region]
    recovery: Recovery
    notes: list[str] = field(default_factory=list)
    growth: Growth | None = None
    coverage: list[Coverage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Every number, JSON-ready."""
        return {
            "target": self.target,
            "baseline": self.baseline,
            "verdict": self.verdict,
            "verdict_text": self.verdict_text,
            "importance": [i.to_dict() for i in self.importance],
            "partial_dependence": [c.to_dict() for c in self.curves],
            "interactions": [i.to_dict() for i in self.interactions],
            "regions": [r.to_dict() for r in self.regions],
            "recovered": self.recovery.to_dict(),
            "learning_curve": self.growth.to_dict() if self.growth else None,
            "interval_coverage": [c.to_dict() for c in self.coverage],
            "notes": self.notes,
        }

    def _repr_html_(self) -> str:
        """In a notebook: the report's explanation section, figures embedded."""
        from galton.report.notebook import explained_html

        return explained_html(self, self.target)

    def summary(self) -> str:
        """The explanation in words and small tables."""
        lines = [f"Explanation ({self.verdict.upper()}): {self.verdict_text}", ""]
        lines.append("Permutation importance, out of fold (RMSE increase when shuffled, 95% CI):")
        for model in (self.baseline, "network"):
            rows = [i for i in self.importance if i.model == model][:8]
            lines.append(f"  {MODEL_NAMES[model]}:")
            for i in rows:
                e = i.rmse_increase
                lines.append(
                    f"    {i.feature:<24}{e.mean:>11.4g}  [{e.ci_low:.4g}, {e.ci_high:.4g}]"
                    f"  ({i.share:+.1%} of RMSE)"
                )
        if self.interactions:
            lines.append("Interactions in the network (Friedman's H squared, 95% CI):")
            for pair in self.interactions[:5]:
                h = pair.h2
                lines.append(
                    f"  {pair.first} x {pair.second}: {h.mean:.3f} "
                    f"[{h.ci_low:.3f}, {h.ci_high:.3f}]"
                )
        lines.append("Where the network wins (a depth-2 tree, measured on held-out folds):")
        lines += [f"  {line}" for line in region_lines(self.regions)]
        r = self.recovery
        lines += [
            "A readable model (least squares with the network's terms, refitted in every fold):",
            f"  {r.formula}",
            f"  keeps {r.share.mean:.0%} of the network's RMSE reduction "
            f"(95% CI {r.share.ci_low:.0%} to {r.share.ci_high:.0%}); {versus(r)}",
            f"  fit it: galton fit DATA --formula '{r.formula}'"
            + (
                f" (on all rows: R-squared {r.model.rsquared_:.4f}, residual standard error "
                f"{r.model.resid_std_err_:.4g}; its coefficients in --json and the report)"
                if r.model is not None
                else ""
            ),
        ]
        if self.growth is not None:
            g = self.growth
            sizes = ", ".join(
                f"{n} rows {e.mean:+.1%} [{e.ci_low:+.1%}, {e.ci_high:+.1%}]"
                for n, e in zip(g.rows, g.gain, strict=True)
            )
            lines += [
                "Will more data change the verdict? The gain by rows: " + sizes,
                f"  {g.text}",
            ]
        lines += coverage_lines(self.coverage)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def coverage_lines(found: list[Coverage]) -> list[str]:
    """Each model's overall coverage and the groups where it falls short."""
    lines = []
    for c in found:
        short = [f"{g} ({row.coverage:.0%})" for g, row in c.groups.iterrows() if row.under]
        lines.append(
            f"90% intervals of {MODEL_NAMES[c.model]}: {c.overall:.1%} of held-out rows covered"
            + (f"; under-cover in {', '.join(short)}" if short else "; no group under-covers")
        )
    return lines


def versus(r: Recovery) -> str:
    """The network against the readable model, in words."""
    g = r.network_gain
    side = "lower" if g.mean >= 0 else "higher"
    return (
        f"the network's RMSE is {abs(g.mean):.1%} {side} than the readable model's (95% CI "
        f"of the network's reduction {g.ci_low:+.1%} to {g.ci_high:+.1%})"
    )


def region_lines(regions: list[Region]) -> list[str]:
    """Each region in words; or that the gain is spread evenly."""
    if not regions:
        return ["no region: too few rows to split"]
    found = [r for r in regions if r.finding != "same"]
    if not found:
        return ["no region differs: the network's gain, if any, is spread evenly"]
    words = {"better": "the network's RMSE is", "worse": "the network's RMSE is"}
    out = []
    for r in sorted(regions, key=lambda r: -r.reduction):
        if r.finding == "same":
            text = "no difference"
        else:
            change = "lower" if r.reduction > 0 else "higher"
            text = f"{words[r.finding]} {abs(r.reduction):.0%} {change}"
        out.append(
            f"{r.where}: {text} (CI {r.ci_low:+.0%} to {r.ci_high:+.0%}; {r.rows} held-out rows)"
        )
    return out
