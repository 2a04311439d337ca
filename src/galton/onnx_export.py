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
from galton.errors import GaltonError

OPSET = 19


def export_onnx(model: Any, path: str | Path) -> None:
    """Write ``model`` (a fitted ``LinearRegression`` or ``NeuralRegressor``) to ``path``."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise GaltonError("ONNX export needs onnx: pip install 'galton[onnx]'") from None
    from galton.estimators import LinearRegression

    if getattr(model, "formula_", None) is not None:
        raise GaltonError("ONNX export of models fitted with a formula is not supported yet")
    nodes: list[Any] = []
    inits: list[Any] = []
    inputs: list[Any] = []
    counter = iter(range(1_000_000))

    def const(value: Any, name: str | None = None) -> str:
        name = name or f"c{next(counter)}"
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(kind: str, args: list[str], **attrs: Any) -> str:
        out = f"t{next(counter)}"
        nodes.append(helper.make_node(kind, args, [out], **attrs))
        return out

    columns: list[str] = []
    for info in model.preprocessor_.columns_:
        name = info["name"]
        if info["kind"] == "categorical":
            inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
            for level in info["categories"][1:]:
                equal = op("Equal", [name, const(np.array([level], dtype=object))])
                columns.append(op("Cast", [equal], to=TensorProto.DOUBLE))
            continue
        inputs.append(helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["N", 1]))
        value = name
        if "fill" in info:  # the imputation learned in fit
            value = op("Where", [op("IsNaN", [name]), const(np.array(info["fill"])), name])
        columns.append(value)
    X = op("Concat", columns, axis=1) if len(columns) > 1 else columns[0]

    if isinstance(model, LinearRegression):
        coef = np.nan_to_num(model.params_, nan=0.0)
        terms = []
        for term in model.terms_:
            if term.column is None:
                continue
            col = op(
                "Slice",
                [
                    X,
                    const(np.array([term.column])),
                    const(np.array([term.column + 1])),
                    const(np.array([1])),
                ],
            )
            terms.append(
                op("Pow", [col, const(np.array(float(term.power)))]) if term.power > 1 else col
            )
        weights = np.array(
            [c for c, t in zip(coef, model.terms_, strict=True) if t.column is not None]
        )
        intercept = sum(c for c, t in zip(coef, model.terms_, strict=True) if t.column is None)
        design = op("Concat", terms, axis=1) if len(terms) > 1 else terms[0]
        out = op(
            "Add",
            [op("MatMul", [design, const(weights.reshape(-1, 1))]), const(np.array([intercept]))],
        )
    else:
        standardised = op("Div", [op("Sub", [X, const(model.x_mean_)]), const(model.x_scale_)])
        means = []
        for params in model.members_:
            # the mean output only: a Gaussian-loss network's second output is its variance
            params = [*params[:-2], params[-2][:, :1], params[-1][:1]]
            n_layers = len(params) // 2
            h = standardised
            for layer in range(n_layers):
                h = op(
                    "Add",
                    [op("MatMul", [h, const(params[2 * layer])]), const(params[2 * layer + 1])],
                )
                if layer < n_layers - 1:
                    h = _activation(op, h, model.net_.activation)
            means.append(h)
        mean = means[0] if len(means) == 1 else op("Sum", means)
        scale = model.y_scale_ / len(means)  # the members' average, in the target's units
        out = op(
            "Add",
            [op("Mul", [mean, const(np.array([scale]))]), const(np.array([model.y_mean_]))],
        )
    nodes.append(helper.make_node("Identity", [out], ["prediction"]))
    output = helper.make_tensor_value_info("prediction", TensorProto.DOUBLE, ["N", 1])
    graph = helper.make_graph(nodes, "galton", inputs, [output], inits)
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
