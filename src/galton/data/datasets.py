"""Bundled datasets: the tutorial examples, a synthetic curve, and three UCI benchmarks.

The UCI files are copies of ``shared/data/uci/<name>/data/data.txt`` (the splits used by
Hernandez-Lobato & Adams 2015) with the UCI column names as a header row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """A bundled dataset and where it came from."""

    name: str
    target: str
    description: str
    source: str
    licence: str
    loader: Callable[[], pd.DataFrame]
    rows: int
    columns: int

    def load(self) -> pd.DataFrame:
        """The data as a new DataFrame."""
        return self.loader()


def _seed_least_squares() -> pd.DataFrame:
    import pandas as pd

    x = np.arange(10, dtype=np.float64)
    y = np.array([1, 3, 2, 5, 7, 8, 8, 9, 10, 12], dtype=np.float64)
    return pd.DataFrame({"x": x, "y": y})


def seed_tensorflow_data() -> tuple[pd.DataFrame, float, float]:
    """The TensorFlow tutorial's 50 points and its initial ``W`` and ``b``.

    Generated exactly as the tutorial did: NumPy's legacy global seed 101, the noise of
    ``x`` drawn before that of ``y``, then ``W = randn()`` and ``b = randn()``.
    """
    import pandas as pd

    rng = np.random.RandomState(101)
    x = np.linspace(0, 50, 50) + rng.uniform(-4, 4, 50)
    y = np.linspace(0, 50, 50) + rng.uniform(-4, 4, 50)
    w0, b0 = float(rng.randn()), float(rng.randn())
    return pd.DataFrame({"x": x, "y": y}), w0, b0


def _seed_pytorch() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]})


THEANO_X = [3, 4, 5, 6.1, 6.3, 2.88, 8.89, 5.62, 6.9, 1.97, 8.22, 9.81, 4.83, 7.27, 5.14, 3.08]
THEANO_Y = [
    0.9,
    1.6,
    1.9,
    2.9,
    1.54,
    1.43,
    3.06,
    2.36,
    2.3,
    1.11,
    2.57,
    3.15,
    1.5,
    2.64,
    2.20,
    1.21,
]


def _seed_theano() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"x": np.array(THEANO_X, float), "y": np.array(THEANO_Y, float)})


def age_income_data(n: int = 3000, seed: int = 20240) -> pd.DataFrame:
    """Synthetic income over age: an inverted U that no straight line can follow.

    ``age`` is uniform on [18, 80]; ``education`` is school, college or graduate (40/40/20 %);
    ``income = 16000 + 52000 * exp(-((age - 49) / 16)**2) * lift + noise``, where ``lift`` is
    1.0, 1.25 or 1.5 by education and the noise is normal with standard deviation 4000.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 80, n).round(1)
    education = rng.choice(["school", "college", "graduate"], size=n, p=[0.4, 0.4, 0.2])
    lift = pd.Series(education).map({"school": 1.0, "college": 1.25, "graduate": 1.5}).to_numpy()
    curve = 16000 + 52000 * np.exp(-(((age - 49) / 16) ** 2)) * lift
    income = (curve + rng.normal(0, 4000, n)).round(0)
    return pd.DataFrame({"age": age, "education": education, "income": income})


def _bundled_csv(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import pandas as pd

        with resources.files("galton.data.bundled").joinpath(f"{name}.csv").open("r") as f:
            return pd.read_csv(f)

    return load


_UCI = "UCI ML Repository (splits of Hernandez-Lobato & Adams 2015)"
DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "seed-least-squares",
            "y",
            "tutorial 1: ten points for the least-squares formula",
            "galton tutorial examples",
            "public domain",
            _seed_least_squares,
            10,
            2,
        ),
        Dataset(
            "seed-tensorflow",
            "y",
            "tutorial 2: 50 noisy points on y = x (NumPy legacy seed 101)",
            "galton tutorial examples",
            "public domain",
            lambda: seed_tensorflow_data()[0],
            50,
            2,
        ),
        Dataset(
            "seed-pytorch",
            "y",
            "tutorial 3: y = 2x at x = 1, 2, 3",
            "galton tutorial examples",
            "public domain",
            _seed_pytorch,
            3,
            2,
        ),
        Dataset(
            "seed-theano",
            "y",
            "tutorial 4: 16 points for slope and intercept as shared variables",
            "galton tutorial examples",
            "public domain",
            _seed_theano,
            16,
            2,
        ),
        Dataset(
            "age-income",
            "income",
            "synthetic inverted-U income over age, with education",
            "galton generator (seed 20240)",
            "public domain",
            age_income_data,
            3000,
            3,
        ),
        Dataset(
            "concrete",
            "strength",
            "concrete compressive strength (MPa) from its mixture and age",
            _UCI,
            "CC BY 4.0",
            _bundled_csv("concrete"),
            1030,
            9,
        ),
        Dataset(
            "energy",
            "heating_load",
            "heating load of buildings from their shape",
            _UCI,
            "CC BY 4.0",
            _bundled_csv("energy"),
            768,
            9,
        ),
        Dataset(
            "yacht",
            "residuary_resistance",
            "residuary resistance of sailing yachts from hull geometry",
            _UCI,
            "CC BY 4.0",
            _bundled_csv("yacht"),
            308,
            7,
        ),
    ]
}


def load_dataset(name: str) -> pd.DataFrame:
    """Load a bundled dataset by name (see ``DATASETS``)."""
    return DATASETS[name].load()
