"""Write the messy example files the README's real output is made from.

    python examples/messy_data.py DIR

orders.csv: an order export (an id, a day-first date, percent and dollar text, a city);
wide.csv: 100 rows x 200 columns, y linear in 5 of them (least squares not identified);
stores.csv: 300 sales rows from 15 stores whose level a store-level number (size) gives
away, so random folds flatter a network that memorises stores; ``weeks`` is a row weight.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def orders(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2019-11-01", periods=n, freq="2D")
    share = rng.uniform(0, 40, n).round(1)
    price = rng.uniform(100, 5000, n).round(2)
    city = rng.choice(["Berlin", "Paris", "Rome"], n)
    x1, x2 = rng.normal(size=(2, n))
    y = 2 * x1 - x2 + 0.05 * share + 0.001 * price + (city == "Rome") + 0.1 * rng.normal(size=n)
    return pd.DataFrame(
        {
            "order": [f"ORD-{i:05d}" for i in range(n)],
            "sold": days.strftime("%d/%m/%Y"),
            "discount": [f"{v:.1f}%" for v in share],
            "price": [f"${v:,.2f}" for v in price],
            "city": city,
            "x1": x1.round(4),
            "x2": x2.round(4),
            "y": y.round(4),
        }
    )


def wide(n: int = 100, p: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, :5] @ np.array([3.0, -2.0, 1.5, 1.0, -1.0]) + rng.normal(size=n)
    return pd.DataFrame(X.round(4), columns=[f"x{j}" for j in range(p)]).assign(y=y.round(4))


def stores(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    store = rng.integers(0, 15, n)
    size, level = rng.uniform(0, 1, 15), rng.normal(size=15) * 3
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "store": [f"s{s:02d}" for s in store],
            "size": size[store].round(4),
            "x": x.round(4),
            "y": (x + level[store] + 0.3 * rng.normal(size=n)).round(4),
        }
    )
    frame["weeks"] = rng.integers(1, 5, n)  # how many weeks a row sums up: its weight
    return frame


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (("orders", orders()), ("wide", wide()), ("stores", stores())):
        frame.to_csv(out / f"{name}.csv", index=False)
        print(f"wrote {out / f'{name}.csv'}: {frame.shape[0]} rows x {frame.shape[1]} columns")
