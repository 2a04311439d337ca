"""A guard at prediction time: rows a model should not be trusted on. Rows outside the
training inputs' ranges, rows of high leverage under least squares' exact factor, and
rows where two models (the line and the network) disagree beyond their intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Leverage above this many times the mean training leverage (p / n) is flagged.
LEVERAGE_TIMES = 3


def check_rows(model: Any, X: Any, against: Any = None, level: float = 0.95) -> pd.DataFrame:
    """The prediction of every row of ``X`` with its flags.

    Returns
    -------
    DataFrame (n, ...)
        ``prediction``; ``outside_range`` (the design inputs outside the training range,
        when the model knows them); ``leverage`` and ``high_leverage`` (least squares:
        ``x' (X'WX)^-1 x`` above ``LEVERAGE_TIMES`` p / n); with ``against``:
        ``other_prediction`` and ``disagree`` (the two predictions further apart than
        their ``level`` prediction intervals' half widths combined); ``flagged``: any flag.
    """
    X_arr = model._inputs(X)
    # with a second model the intervals are needed: their prediction is the point one
    mine = model.predict(X, interval=level) if against is not None else None
    out = pd.DataFrame({"prediction": model.predict(X) if mine is None else mine.prediction})
    flags = np.zeros(len(out), dtype=bool)
    outside = model.schema_.outside_ranges(X_arr)
    if outside is not None:
        names = model.feature_names_
        out["outside_range"] = [
            ", ".join(n for n, o in zip(names, row, strict=True) if o) for row in outside
        ]
        flags |= outside.any(axis=1)
    leverage = getattr(model, "leverage", None)
    if callable(leverage):
        h = leverage(X_arr)
        out["leverage"] = h
        out["high_leverage"] = h > LEVERAGE_TIMES * model.rank_ / model.n_samples_
        flags |= out["high_leverage"].to_numpy()
    if mine is not None:
        theirs = against.predict(X, interval=level)
        half = np.hypot((mine.upper - mine.lower) / 2, (theirs.upper - theirs.lower) / 2)
        out["other_prediction"] = theirs.prediction
        out["disagree"] = np.abs(mine.prediction - theirs.prediction) > half
        flags |= out["disagree"].to_numpy()
    out["flagged"] = flags
    return out
