"""Parser for NIST StRD linear least-squares files (certified values and data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from galton.errors import DataError

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class NistProblem:
    """One NIST StRD linear regression problem.

    Attributes
    ----------
    name : str
    X : DataFrame of shape (n, k)
        The predictor columns as named in the file (``x`` or ``x1``..``xk``).
    y : ndarray of shape (n,)
    fit_intercept : bool
        Whether the model has ``B0``.
    degree : int
        Polynomial degree in the single predictor (1 for a plain linear model).
    params, param_sds : ndarray of shape (p,)
        Certified estimates and their standard deviations, ``B0`` first when present.
    residual_sd, r_squared : float
        Certified residual standard deviation and R-squared (uncentred without intercept).
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    fit_intercept: bool
    degree: int
    params: np.ndarray
    param_sds: np.ndarray
    residual_sd: float
    r_squared: float


def _line_range(header: str, label: str, path: Path) -> tuple[int, int]:
    match = re.search(label + r"\s*\(lines\s+(\d+)\s+to\s+(\d+)\)", header)
    if not match:
        raise DataError(f"{path}: not a NIST StRD file (no '{label} (lines a to b)' header)")
    return int(match.group(1)), int(match.group(2))


def read_nist(path: str | Path) -> NistProblem:
    """Read a NIST StRD ``.dat`` file.

    The model is read from the ``y = ...`` line; NIST elides long polynomials with
    ``...``, so a single-predictor model whose terms use powers is taken as the raw-power
    polynomial whose degree is the highest certified parameter index.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    header = "\n".join(lines[:60])
    cert_a, cert_b = _line_range(header, "Certified Values", path)
    data_a, data_b = _line_range(header, "Data", path)

    estimates: dict[int, tuple[float, float]] = {}
    residual_sd = r_squared = float("nan")
    for line in lines[cert_a - 1 : cert_b]:
        if m := re.match(rf"\s*B(\d+)\s+({_NUMBER})\s+({_NUMBER})", line):
            estimates[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
        elif m := re.search(rf"Standard Deviation\s+({_NUMBER})", line):
            residual_sd = float(m.group(1))
        elif m := re.search(rf"R-Squared\s+({_NUMBER})", line):
            r_squared = float(m.group(1))
    if not estimates:
        raise DataError(f"{path}: no certified parameter lines (B0, B1, ...) found")

    names_line = next((ln for ln in lines[:data_a] if re.match(r"\s*Data:\s+y\b", ln)), None)
    if names_line is None:
        raise DataError(f"{path}: no 'Data: y x ...' line before the data")
    names = names_line.split(":", 1)[1].split()
    rows = [ln.split() for ln in lines[data_a - 1 : data_b] if ln.strip()]
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        raise DataError(f"{path}: non-numeric data between lines {data_a} and {data_b}") from None
    if values.ndim != 2 or values.shape[1] != len(names):
        raise DataError(f"{path}: data rows do not have {len(names)} columns ({names})")
    frame = pd.DataFrame(values, columns=names)
    predictors = [c for c in names if c != "y"]

    model_line = next((ln for ln in lines if re.match(r"\s*y\s*=", ln)), "")
    order = sorted(estimates)
    fit_intercept = 0 in estimates
    polynomial = len(predictors) == 1 and ("**" in model_line or "..." in model_line)
    degree = max(order) if polynomial else 1
    return NistProblem(
        name=path.stem,
        X=frame[predictors],
        y=frame["y"].to_numpy(),
        fit_intercept=fit_intercept,
        degree=degree,
        params=np.array([estimates[k][0] for k in order]),
        param_sds=np.array([estimates[k][1] for k in order]),
        residual_sd=residual_sd,
        r_squared=r_squared,
    )
