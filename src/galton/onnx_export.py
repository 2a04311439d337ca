"""ONNX export: the whole model, preprocessing included, as one float64 graph.

Inputs are the original columns, one ``[N, 1]`` input each (``double`` for numbers and
booleans, ``string`` for text); the graph fills missing numbers as the model was trained to
(imputation), one-hot encodes text, forms polynomial terms, scales inputs, runs the linear
model or the network and maps the prediction back to the target's units. Output:
``prediction`` of shape ``[N, 1]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from galton.atomic import atomic_write
from galton.data.preprocess import OTHER
from galton.errors import GaltonError

OPSET = 19


class _Graph:
    """Nodes, constants and inputs of the graph being built (``onnx.helper`` objects)."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.inputs: list[Any] = []
        self._counter = iter(range(1_000_000))

    def const(self, value: Any) -> str:
        """A constant tensor; returns its name."""
        name = f"c{next(self._counter)}"
        self.inits.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, kind: str, args: list[str], **attrs: Any) -> str:
        """One node of ``kind`` on ``args``; returns its output's name."""
        out = f"t{next(self._counter)}"
        self.nodes.append(self.helper.make_node(kind, args, [out], **attrs))
        return out

    def concat(self, columns: list[str]) -> str:
        return self.op("Concat", columns, axis=1) if len(columns) > 1 else columns[0]


def _inputs(g: _Graph, model: Any) -> str:
    """One input per original column, imputed and one-hot encoded as in fit: the design
    inputs (N, d)."""
    from onnx import TensorProto

    columns: list[str] = []
    for info in model.preprocessor_.columns_:
        name = info["name"]
        if info["kind"] == "date" or "unit" in info or OTHER in info.get("categories", []):
            raise GaltonError(
                f"ONNX export takes numeric and plain text columns; '{name}' is read as "
                f"{'a date' if info['kind'] == 'date' else info.get('unit', 'grouped levels')}"
                ": convert it to numbers before fitting"
            )
        if info["kind"] == "categorical":
            g.inputs.append(g.helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
            for level in info["categories"][1:]:
                equal = g.op("Equal", [name, g.const(np.array([level], dtype=object))])
                columns.append(g.op("Cast", [equal], to=TensorProto.DOUBLE))
            continue
        g.inputs.append(g.helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["N", 1]))
        value = name
        if "fill" in info:  # the imputation learned in fit
            value = g.op("Where", [g.op("IsNaN", [name]), g.const(np.array(info["fill"])), name])
        columns.append(value)
    return g.concat(columns)


def _linear(g: _Graph, model: Any, X: str) -> str:
    """Polynomial terms of the inputs times the coefficients, plus the intercept."""
    coef = np.nan_to_num(model.params_, nan=0.0)
    terms = []
    for term in model.terms_:
        if term.column is None:
            continue
        value: str | None = None
        for column, power in term.factors:  # an interaction: the product of its factors
            bounds = [g.const(np.array([column])), g.const(np.array([column + 1]))]
            col = g.op("Slice", [X, *bounds, g.const(np.array([1]))])
            factor = g.op("Pow", [col, g.const(np.array(float(power)))]) if power > 1 else col
            value = factor if value is None else g.op("Mul", [value, factor])
        if value is not None:
            terms.append(value)
    pairs = list(zip(coef, model.terms_, strict=True))
    weights = np.array([c for c, t in pairs if t.column is not None])
    intercept = sum(c for c, t in pairs if t.column is None)
    product = g.op("MatMul", [g.concat(terms), g.const(weights.reshape(-1, 1))])
    return g.op("Add", [product, g.const(np.array([intercept]))])


def _network(g: _Graph, model: Any, X: str) -> str:
    """The members' mean output on standardised inputs, in the target's units."""
    scaling = model.results_.scaling
    standardised = g.op(
        "Div", [g.op("Sub", [X, g.const(scaling.x_mean)]), g.const(scaling.x_scale)]
    )
    means = []
    for params in model.members_:
        skip = params[-1][:, :1] if len(params) % 2 else None  # the linear path
        layers = params[:-1] if skip is not None else params
        # the mean output only: a Gaussian-loss network's second output is its variance
        layers = [*layers[:-2], layers[-2][:, :1], layers[-1][:1]]
        n_layers = len(layers) // 2
        h = standardised
        for layer in range(n_layers):
            product = g.op("MatMul", [h, g.const(layers[2 * layer])])
            h = g.op("Add", [product, g.const(layers[2 * layer + 1])])
            if layer < n_layers - 1:
                h = _activation(g.op, h, model.net_.activation)
        if skip is not None:
            h = g.op("Add", [h, g.op("MatMul", [standardised, g.const(skip)])])
        means.append(h)
    mean = means[0] if len(means) == 1 else g.op("Sum", means)
    scale = scaling.y_scale / len(means)  # the members' average, in the target's units
    scaled = g.op("Mul", [mean, g.const(np.array([scale]))])
    return g.op("Add", [scaled, g.const(np.array([scaling.y_mean]))])


def export_onnx(model: Any, path: str | Path) -> None:
    """Write ``model`` (a fitted ``LinearRegression``, ``RidgeRegression`` or
    ``NeuralRegressor``) to ``path``."""
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        raise GaltonError("ONNX export needs onnx: pip install 'galton[onnx]'") from None
    from galton.estimators import LinearRegression, RidgeRegression

    if getattr(model, "formula_", None) is not None:
        raise GaltonError("ONNX export of models fitted with a formula is not supported yet")
    g = _Graph()
    X = _inputs(g, model)
    if isinstance(model, LinearRegression):
        out = _linear(g, model, X)
    elif isinstance(model, RidgeRegression):
        product = g.op("MatMul", [X, g.const(model.coef_.reshape(-1, 1))])
        out = g.op("Add", [product, g.const(np.array([model.intercept_]))])
    else:
        out = _network(g, model, X)
    g.nodes.append(helper.make_node("Identity", [out], ["prediction"]))
    output = helper.make_tensor_value_info("prediction", TensorProto.DOUBLE, ["N", 1])
    graph = helper.make_graph(g.nodes, "galton", g.inputs, [output], g.inits)
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="galton"
    )
    onnx_model.ir_version = 9
    onnx.checker.check_model(onnx_model)
    atomic_write(path, lambda tmp: onnx.save(onnx_model, tmp))


def _activation(op: Any, h: str, name: str) -> str:
    if name == "relu":
        return op("Relu", [h])
    if name == "tanh":
        return op("Tanh", [h])
    if name == "sigmoid":
        return op("Sigmoid", [h])
    if name == "silu":
        return op("Mul", [h, op("Sigmoid", [h])])
    return h


def onnx_inputs(model: Any, frame: Any) -> dict[str, np.ndarray]:
    """The input feed for onnxruntime from a table of original columns."""
    feed = {}
    for info in model.preprocessor_.columns_:
        column = frame[info["name"]]
        if info["kind"] == "categorical":
            feed[info["name"]] = column.astype(str).to_numpy(dtype=object).reshape(-1, 1)
        else:
            feed[info["name"]] = column.to_numpy(dtype=np.float64).reshape(-1, 1)
    return feed
