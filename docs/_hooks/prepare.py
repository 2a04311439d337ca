"""MkDocs hook: before the build, write the files the guide's examples read into a fresh
``build/docs-work/`` (the folder every executed ``console`` block runs in). The examples
then run on these files during the build, so their output on the pages is real."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "docs-work"

SALES = """region;size;rate;y
north;1.234,50;0,25;10,50
south;2,75;1,50;12,25
east;3,10;0,75;11,00
north;4,20;1,00;13,75
south;5,05;0,50;12,50
east;6,30;1,75;14,25
west;?;1,25;9,50
"""


def _zips(n: int = 300, levels: int = 89, seed: int = 0) -> pd.DataFrame:
    """A postcode column with many rare levels (Zipf-like counts) beside one number."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, levels + 1)
    zips = rng.choice(levels, size=n, p=weights / weights.sum())
    zips[:levels] = np.arange(levels)  # every level at least once
    x = rng.normal(size=n)
    return pd.DataFrame(
        {"zip": [f"Z{z + 1}" for z in zips], "x": x, "y": 2 * x + rng.normal(size=n)}
    )


def _latin1() -> bytes:
    rows = ["city,x,y"] + [
        f"{city},{i},{2 * i + 1 + (i % 3) * 0.1:.2f}"
        for i, city in enumerate(["München", "Köln", "Düsseldorf", "Zürich"] * 3)
    ]
    return ("\n".join(rows) + "\n").encode("latin-1")


def on_pre_build(config: Any, **kwargs: Any) -> None:
    """Write the example files (and nothing outside ``build/docs-work``)."""
    from galton.examples import load_dataset

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "messy_data.py"), str(WORK)],
        check=True,
        capture_output=True,
    )
    (WORK / "sales.csv").write_text(SALES)
    (WORK / "latin1.csv").write_bytes(_latin1())
    _zips().to_csv(WORK / "zips.csv", index=False)
    (WORK / "people.csv").write_text("age,education\n25,school\n50,graduate\n75,college\n")
    from statsmodels.datasets import grunfeld  # ships with statsmodels: no download

    grunfeld.load_pandas().data.to_csv(WORK / "grunfeld.csv", index=False)
    concrete = load_dataset("concrete")
    concrete.iloc[:700].to_csv(WORK / "concrete-2024.csv", index=False)
    concrete.iloc[700:].to_csv(WORK / "concrete-2025.csv", index=False)
