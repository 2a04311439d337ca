"""Formulas as R and statsmodels users write them (``y ~ a + I(b**0.5) + C(region)``),
through formulaic, restricted to terms that are data.

formulaic evaluates a formula's Python factors (``I(...)``, ``np.log(b)``) with ``eval``.
galton never lets text reach it unchecked: every factor is parsed into a Python syntax tree
that may hold only column names, numbers, arithmetic and calls of a short whitelist of
transforms (``check_formula``), at fit time and again when a saved model is loaded, and
formulaic sees no variables but the table's columns. Anything else is one ``DataError``
line. The fitted design is stored as JSON: the formula, each factor's categories and each
stateful transform's fitted state (``center``'s mean, a spline's knots), so new rows are
transformed as the training rows were.
"""

from __future__ import annotations

import ast
import copy
import math
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from galton.errors import DataError, first_line

#: Transforms a formula may call by name (formulaic's own names).
FUNCTIONS = frozenset(
    {"I", "C", "Q", "log", "log2", "log10", "exp", "exp2", "center", "scale", "standardize"}
    | {"bs", "cr", "cs", "cc", "lag"}
)
#: Functions a formula may call as ``np.NAME``.
NUMPY_FUNCTIONS = frozenset(
    {"log", "log1p", "log2", "log10", "exp", "expm1", "exp2", "sqrt", "square", "abs"}
    | {"sin", "cos", "tan", "tanh", "arcsin", "arccos", "arctan", "arcsinh", "sinh", "cosh"}
    | {"sign", "floor", "ceil", "round", "maximum", "minimum", "clip", "power", "cbrt"}
)
MAX_FORMULA_CHARS = 10_000
#: The largest constant exponent: ``I(x ** 3)`` is a term, ``9 ** 9 ** 9`` a hang.
MAX_EXPONENT = 64
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)
_BACKTICKS = re.compile(r"`[^`]*`")


def _formulaic() -> Any:
    try:
        import formulaic
    except ImportError:
        raise DataError("formulas need formulaic: pip install 'galton[formula]'") from None
    return formulaic


def _refuse(formula: str, why: str) -> DataError:
    shown = formula if len(formula) <= 80 else formula[:77] + "..."
    return DataError(f"formula '{shown}': {why}")


def check_formula(formula: str, columns: list[str] | None = None) -> set[str]:
    """Refuse any formula that is not made of columns, numbers, arithmetic and whitelisted
    transforms; returns the column names it reads. ``columns``: the table's, for ``.``
    (all other columns); without them ``.`` stands for none.

    Raises ``DataError`` naming the offending part.
    """
    if not isinstance(formula, str) or len(formula) > MAX_FORMULA_CHARS:
        raise DataError(f"a formula is a string of at most {MAX_FORMULA_CHARS} characters")
    if "~" not in formula:
        raise _refuse(formula, "it has no '~': write 'target ~ a + b'")
    try:
        available = {"__formulaic_variables_available__": list(columns or [])}
        parsed = _formulaic().Formula(formula, _context=available)
        sides = (parsed.lhs, parsed.rhs) if hasattr(parsed, "lhs") else (parsed,)
        factors = [f for side in sides for t in side for f in t.factors]
    except Exception as exc:  # formulaic's parser raises many kinds; one line for the user
        raise _refuse(formula, first_line(exc)) from None
    names: set[str] = set()
    for factor in factors:
        method = factor.eval_method.value
        if method == "lookup":
            names.add(str(factor.expr))
        elif method == "python":
            names |= _python_factor_names(formula, str(factor.expr))
        elif method != "literal":
            raise _refuse(formula, f"'{factor.expr}' is not allowed in a galton formula")
    return names


def _python_factor_names(formula: str, expr: str) -> set[str]:
    """Column names read by one Python factor, after checking every node of its tree."""
    quoted = {f"q__{i}": m.group(0)[1:-1] for i, m in enumerate(_BACKTICKS.finditer(expr))}
    source = expr
    for placeholder, name in quoted.items():
        source = source.replace(f"`{name}`", placeholder, 1)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise _refuse(formula, f"'{expr[:60]}' is not a valid expression") from None
    names: set[str] = set()
    _check_node(formula, tree.body, names, numeric=False)
    return {quoted.get(n, n) for n in names}


def _check_node(formula: str, node: ast.AST, names: set[str], numeric: bool) -> None:
    """Allow a column, a number, arithmetic, or a whitelisted call; nothing else.

    ``numeric``: the node is an operand of arithmetic, where text and lists are refused
    (``'a' * 10**9`` would cost memory before any data is read).
    """
    if isinstance(node, ast.Name):
        if node.id.startswith("_") or node.id in FUNCTIONS or node.id == "np":
            raise _refuse(formula, f"'{node.id}' cannot be used as a value")
        names.add(node.id)
    elif isinstance(node, ast.Constant):
        allowed = (int, float) if numeric else (int, float, str, bool, type(None))
        if type(node.value) not in allowed or (
            isinstance(node.value, str) and len(node.value) > 1000
        ):
            raise _refuse(formula, f"the constant {str(node.value)[:40]!r} is not allowed")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check_node(formula, node.operand, names, numeric=True)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
        _check_arithmetic(formula, node, names)
    elif isinstance(node, ast.Call):
        _check_call(formula, node, names)
    elif isinstance(node, ast.List | ast.Tuple) and not numeric:
        for item in node.elts:
            if not isinstance(item, ast.Constant | ast.UnaryOp):
                raise _refuse(formula, "a list may hold only constants")
            _check_node(formula, item, names, numeric=False)
    else:
        raise _refuse(
            formula,
            f"'{ast.unparse(node)[:60]}' is not allowed (columns, numbers, arithmetic and "
            "log, exp, sqrt, center, scale, splines, C, I only)",
        )


def _constant_only(node: ast.AST) -> bool:
    return all(not isinstance(n, ast.Name | ast.Call) for n in ast.walk(node))


def _check_arithmetic(formula: str, node: ast.BinOp, names: set[str]) -> None:
    if isinstance(node.op, ast.Pow):
        exponent = node.right
        if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub | ast.UAdd):
            exponent = exponent.operand
        if (
            not isinstance(exponent, ast.Constant)
            or not isinstance(exponent.value, int | float)
            or isinstance(exponent.value, bool)
            or not math.isfinite(exponent.value)
            or abs(exponent.value) > MAX_EXPONENT
            or _constant_only(node.left)
        ):
            raise _refuse(
                formula,
                f"a power needs a column on the left and a number up to {MAX_EXPONENT} "
                "on the right",
            )
    _check_node(formula, node.left, names, numeric=True)
    _check_node(formula, node.right, names, numeric=True)


def _check_call(formula: str, node: ast.Call, names: set[str]) -> None:
    func = node.func
    allowed = (isinstance(func, ast.Name) and func.id in FUNCTIONS) or (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("np", "numpy")
        and func.attr in NUMPY_FUNCTIONS
    )
    if not allowed:
        called = ast.unparse(func)[:40]
        raise _refuse(formula, f"'{called}' is not a transform galton allows")
    if isinstance(func, ast.Name) and func.id == "Q":
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Constant):
            raise _refuse(formula, "Q() takes one quoted column name")
        names.add(str(node.args[0].value))
        return
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(formula, "starred arguments are not allowed")
        _check_node(formula, arg, names, numeric=False)
    for keyword in node.keywords:
        if keyword.arg is None or keyword.arg.startswith("_"):
            raise _refuse(formula, "keyword arguments must be named")
        _check_node(formula, keyword.value, names, numeric=False)


def _require_columns(formula: str, frame: pd.DataFrame, source: str) -> None:
    """Check ``formula`` and that every name it reads is a column of ``frame``, so
    formulaic can resolve no other name."""
    columns = {str(c) for c in frame.columns}
    names = check_formula(formula, sorted(columns))
    missing = sorted(n for n in names if n not in columns)
    if missing:
        raise DataError(f"{source}: formula '{formula}': no column {missing[0]!r}")


def _jsonable(value: Any) -> Any:
    """Fitted transform state as plain JSON (numpy scalars and arrays to numbers and lists)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise TypeError(type(value).__name__)


def _storable_state(transform_state: dict[str, Any]) -> dict[str, Any]:
    """The stateful transforms' fitted numbers. ``C()`` also keeps a contrasts object;
    its levels are already in the encoder state, so such entries are left out."""
    out = {}
    for name, state in transform_state.items():
        try:
            out[str(name)] = _jsonable(state)
        except TypeError:
            continue
    return out


def _rhs_text(terms: Any) -> str:
    """The expanded right-hand side as formula text that parses back to the same terms
    (column names that are not identifiers keep their backticks)."""

    def factor_text(factor: Any) -> str:
        expr = str(factor.expr)
        lookup = factor.eval_method.value == "lookup"
        return f"`{expr}`" if lookup and not expr.isidentifier() else expr

    return " + ".join(":".join(factor_text(f) for f in term.factors) for term in terms)


class FormulaDesign:
    """The right-hand side of a formula as numeric columns, and its target.

    Attributes after ``fit``: ``target_`` (the left-hand side column), ``columns_`` (the
    design's column names without the intercept), ``intercept_`` (whether the formula keeps
    one), ``state_`` (JSON-ready encoder state) and ``transform_state_`` (JSON-ready state
    of stateful transforms such as ``center`` and splines).
    """

    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.transform_state_: dict[str, Any] | None = None

    def fit(self, frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.Series]:
        """Evaluate the formula on ``frame``; returns the design (n, k) and the target (n,)."""
        formulaic = _formulaic()
        _require_columns(self.formula, frame, source)
        lhs_text = self.formula.split("~", 1)[0].strip()
        try:
            matrices = formulaic.model_matrix(self.formula, frame, na_action="ignore", context={})
        except Exception as exc:  # formulaic raises many kinds; the user needs one line
            raise DataError(f"{source}: formula '{self.formula}': {first_line(exc)}") from None
        lhs, rhs = matrices.lhs, matrices.rhs
        if lhs.shape[1] != 1:
            raise DataError(f"formula '{self.formula}': the left side must be one column")
        spec = rhs.model_spec
        self.rhs_ = _rhs_text(spec.formula)
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
        self.transform_state_ = _storable_state(dict(spec.transform_state))
        design = pd.DataFrame(
            rhs[self.columns_].to_numpy(float), columns=self.columns_, index=frame.index
        )
        return design, pd.Series(
            lhs.iloc[:, 0].to_numpy(float), index=frame.index, name=self.target_
        )

    def transform(self, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        """The fitted design evaluated on new rows (categories and transform state as
        learned in ``fit``)."""
        formulaic = _formulaic()
        from formulaic.parser.types import Factor

        # the formula was checked when it was fitted or loaded; the terms are checked
        # against these rows' columns once more (formulaic must resolve no other name)
        _require_columns(f"~ {self.rhs_}", frame, source)
        # formulaic adds its own objects to the states it is given: hand it copies
        state = {k: (Factor.Kind(kind), dict(info)) for k, (kind, info) in self.state_.items()}
        used = copy.deepcopy(self.transform_state_ or {})
        spec = formulaic.ModelSpec(formula=self.rhs_, encoder_state=state, transform_state=used)
        try:
            with warnings.catch_warnings():  # formulaic would turn unseen levels into NaN
                warnings.filterwarnings("error", message="Data has categories outside")
                rhs = spec.get_model_matrix(frame, na_action="ignore", context={})
        except Exception as exc:
            raise DataError(f"{source}: formula '{self.formula}': {first_line(exc)}") from None
        lacking = [c for c in self.columns_ if c not in rhs.columns]
        if lacking:
            raise DataError(
                f"formula '{self.formula}': its terms do not make column {lacking[0]!r}"
            )
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
            "transform_state": self.transform_state_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormulaDesign:
        """Rebuild from ``to_dict`` output; the formula is checked, never evaluated here."""
        check_formula(data["formula"])
        check_formula(f"~ {data['rhs']}")
        design = cls(data["formula"])
        design.rhs_, design.target_ = data["rhs"], data["target"]
        design.intercept_, design.columns_ = data["intercept"], data["columns"]
        design.state_ = data["state"]
        # None: a file from galton 0.1, which kept no transform state (center() & co. saw
        # each new batch; kept so those files predict as they did)
        design.transform_state_ = data.get("transform_state")
        return design
