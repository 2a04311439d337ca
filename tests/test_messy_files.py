"""A folder of messy files as people have them (issue 16), written by the tests: each
ends in the model of the clean data it was made from, or in a one-line error."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import galton
from galton.cli import main

N = 150


def _clean(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "order": [f"A-{i:04d}" for i in range(N)],
            "day": pd.date_range("2021-03-01", periods=N, freq="3D"),
            "city": rng.choice(["Zürich", "Köln", "München"], N),
            "rebate": rng.uniform(0, 30, N).round(1),
            "x1": rng.normal(size=N).round(6),
            "x2": rng.normal(size=N).round(6),
        }
    )
    frame["y"] = (
        1.5 * frame["x1"] - frame["x2"] + 0.02 * frame["rebate"] + (frame["city"] == "Köln")
    ).round(6) + rng.normal(size=N).round(6) * 0.1
    return frame


def _reference(frame: pd.DataFrame) -> pd.Series:
    """The clean data's coefficients, its design made by hand: the date as days since
    1970 and its parts that vary, the city as indicators against the first (sorted)."""
    day = frame["day"]
    design = pd.DataFrame({"day.days": (day - pd.Timestamp("1970-01-01")).dt.days})
    for part, values in (("year", day.dt.year), ("month", day.dt.month)):
        if values.nunique() > 1:
            design[f"day.{part}"] = values
    design["day.weekday"] = day.dt.day_of_week
    for city in ("München", "Zürich"):
        design[f"city={city}"] = (frame["city"] == city).astype(float)
    for name in ("rebate", "x1", "x2"):
        design[name] = frame[name]
    model = galton.LinearRegression().fit(design, frame["y"].to_numpy())
    return pd.Series(model.coef_, index=design.columns)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """European CSV (semicolons, decimal commas, Windows-1252, '?' for missing, gzip);
    a spreadsheet with real dates, percent and currency text; 200 columns."""
    here = tmp_path_factory.mktemp("messy")
    frame = _clean()
    eu = frame.assign(day=frame["day"].dt.strftime("%d.%m.%Y"))
    eu["x2"] = [repr(v).replace(".", ",") for v in eu["x2"]]  # text: to_csv keeps it as is
    eu.loc[[5, 40], "x2"] = "?"
    text = eu.to_csv(sep=";", decimal=",", index=False)
    (here / "orders_eu.csv.gz").write_bytes(gzip.compress(text.encode("cp1252")))
    sheet = frame.assign(rebate=[f"{v:.1f}%" for v in frame["rebate"]])
    sheet.to_excel(here / "orders.xlsx", index=False)
    rng = np.random.default_rng(9)
    wide = pd.DataFrame(rng.normal(size=(400, 200)), columns=[f"f{j}" for j in range(200)])
    wide["y"] = wide["f0"] - wide["f1"]
    wide.to_csv(here / "wide.csv", index=False)
    return here


def test_the_european_csv_fits_the_clean_model(folder):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        model = galton.LinearRegression(missing="drop").fit(folder / "orders_eu.csv.gz", "y")
    messages = " ".join(str(w.message) for w in said)
    assert "Windows-1252" in messages and "'order'" in messages  # the note, the dropped id
    clean = _clean().drop(index=[5, 40]).reset_index(drop=True)
    got = pd.Series(model.coef_, index=model.feature_names_)
    pd.testing.assert_series_equal(got, _reference(clean), rtol=1e-8, check_names=False)


def test_the_spreadsheet_fits_the_clean_model(folder):
    pytest.importorskip("python_calamine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = galton.LinearRegression().fit(folder / "orders.xlsx", "y")
    roles = galton.describe(folder / "orders.xlsx", target="y").set_index("column")
    assert roles.loc["day", "type"] == "date" and roles.loc["rebate", "type"] == "percent"
    assert roles.loc["order", "role"] == "dropped"
    got = pd.Series(model.coef_, index=model.feature_names_)
    pd.testing.assert_series_equal(got, _reference(_clean()), rtol=1e-8, check_names=False)


def test_two_hundred_columns_read_quietly(folder, capsys):
    main(["fit", str(folder / "wide.csv"), "-t", "y", "--model", "ridge", "-q"])
    captured = capsys.readouterr()
    assert "fragmented" not in captured.err and "warning" not in captured.err
    assert "Ridge regression" in captured.out
    roles = galton.describe(folder / "wide.csv", target="y")
    assert (roles["role"] == "feature").sum() == 200
    main(["compare", str(folder / "wide.csv"), "-t", "y", "--folds", "2", "--repeats", "1",
          "--hidden", "4", "-q"])  # fmt: skip
    captured = capsys.readouterr()
    assert "fragmented" not in captured.err and captured.out.startswith("Verdict:")


def test_cli_describe_reads_every_file_of_the_folder(folder, capsys):
    for name in ("orders_eu.csv.gz", "orders.xlsx", "wide.csv"):
        main(["describe", str(folder / name), "--target", "y"])
        out = capsys.readouterr().out
        assert out.splitlines()[0].endswith("columns") and "target" in out
