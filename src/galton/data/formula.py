"""Formulas as R and statsmodels users write them (``y ~ a + I(b**0.5) + C(region)``),
through formulaic. The fitted design is stored as JSON (the formula and each factor's
categories), so a saved model applies it to new rows without pickle."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from galton.errors import DataError, first_line


def _formulaic() -> Any:
    try:
        import formulaic
    except ImportError:
        raise DataError("formulas need formulaic: pip install 'galton[formula]'") from None
    return formulaic


class FormulaDesign:
    """The right-hand side of a formula as numeric columns, and its target.

    Attributes after ``fit``: ``target_`` (the left-hand side column), ``columns_`` (the
    design's column names without the intercept), ``intercept_`` (whether the formula keeps
    one) and ``state_`` (JSON-ready encoder state).
    """

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def fit(self, frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.Series]:
        """Evaluate the formula on ``frame``; returns the design (n, k) and the target (n,)."""
        formulaic = _formulaic()
        if "~" not in self.formula:
            raise DataError(f"formula '{self.formula}' has no '~': write 'target ~ a + b'")
        lhs_text = self.formula.split("~", 1)[0].strip()
        try:
            matrices = formulaic.model_matrix(self.formula, frame, na_action="ignore")
        except Exception as exc:  # formulaic raises many kinds; the user needs one line
            raise DataError(f"{source}: formula '{self.formula}': {first_line(exc)}") from None
        lhs, rhs = matrices.lhs, matrices.rhs
        if lhs.shape[1] != 1:
            raise DataError(f"formula '{self.formula}': the left side must be one column")
        spec = rhs.model_spec
        self.rhs_ = str(spec.formula)
        self.target_ = lhs_text if lhs_text in frame.columns else str(lhs.columns[0])
        self.intercept_ = "Intercept" in rhs.columns
        self.columns_ = [str(c) for c in rhs.columns if c != "Intercept"]
        self.state_ = {
            name: [
                kind.value,
                {"categories": list(map(str, info["categories"]))} if "categories" in info else {},
            ]
            for name, (kind, info) in spec.encoder_state.items()
        }
        design = pd.DataFrame(
            rhs[self.columns_].to_numpy(float), columns=self.columns_, index=frame.index
        )
        return design, pd.Series(
            lhs.iloc[:, 0].to_numpy(float), index=frame.index, name=self.target_
        )

    def transform(self, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        """The fitted design evaluated on new rows (categories as learned in ``fit``)."""
        formulaic = _formulaic()
        from formulaic.parser.types import Factor

        state = {k: (Factor.Kind(kind), info) for k, (kind, info) in self.state_.items()}
        spec = formulaic.ModelSpec(formula=self.rhs_, encoder_state=state)
        try:
            with warnings.catch_warnings():  # formulaic would turn unseen levels into NaN
                warnings.filterwarnings("error", message="Data has categories outside")
                rhs = spec.get_model_matrix(frame, na_action="ignore")
        except Exception as exc:
            raise DataError(f"{source}: formula '{self.formula}': {first_line(exc)}") from None
        return pd.DataFrame(
            rhs[self.columns_].to_numpy(float), columns=self.columns_, index=frame.index
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fitted state."""
        return {
            "formula": self.formula,
            "rhs": self.rhs_,
            "target": self.target_,
            "intercept": self.intercept_,
            "columns": self.columns_,
            "state": self.state_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormulaDesign:
        """Rebuild from ``to_dict`` output."""
        design = cls(data["formula"])
        design.rhs_, design.target_ = data["rhs"], data["target"]
        design.intercept_, design.columns_ = data["intercept"], data["columns"]
        design.state_ = data["state"]
        return design
