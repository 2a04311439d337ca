"""Column roles (issue 16): dates, IDs, percents, currency, many levels, shown by
``describe`` before any fit and followed by the fit."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import galton
from galton.cli import main
from galton.errors import DataError

N = 200


def _orders(seed: int = 0, n: int = N) -> pd.DataFrame:
    """An export from an order system: an order id, a sale date, a discount in percent,
    a price in dollars, a city, two measurements and the target."""
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
            "x1": x1,
            "x2": x2,
            "y": y,
        }
    )


@pytest.fixture()
def orders_csv(tmp_path):
    path = tmp_path / "orders.csv"
    _orders().to_csv(path, index=False)
    return path


def test_describe_names_every_columns_type_and_role(orders_csv):
    table = galton.describe(orders_csv, target="y").set_index("column")
    assert table.loc["order", ["type", "role"]].tolist() == ["ID-like", "dropped"]
    assert table.loc["sold", ["type", "role"]].tolist() == ["date", "feature"]
    assert "2019-11-01" in table.loc["sold", "detail"]  # day first: 13/11 exists
    assert table.loc["discount", "type"] == "percent"
    assert table.loc["price", "type"] == "currency"
    assert "1 indicator" not in table.loc["city", "why"]
    assert table.loc["city", ["type", "role"]].tolist() == ["categorical", "feature"]
    assert table.loc["y", "role"] == "target"


def test_fit_follows_the_roles_and_parses_numbers(orders_csv):
    with pytest.warns(UserWarning, match=r"dropped ID-like column\(s\) 'order'"):
        model = galton.LinearRegression().fit(orders_csv, "y")
    assert model.feature_names_in_ == ["sold", "discount", "price", "city", "x1", "x2"]
    assert model.feature_names_[:3] == ["sold.days", "sold.year", "sold.month"]
    coef = dict(zip(model.feature_names_, model.coef_, strict=True))
    # the parsed numbers carry the effects they were built with
    assert coef["discount"] == pytest.approx(0.05, abs=0.005)
    assert coef["price"] == pytest.approx(0.001, abs=1e-4)
    assert coef["city=Rome"] == pytest.approx(1.0, abs=0.1)
    # the same parsing by hand: dates day first, percents and dollars as numbers
    raw = _orders()
    dates = pd.to_datetime(raw["sold"], format="%d/%m/%Y")
    assert np.allclose(
        model._inputs(orders_csv)[:, :4],
        np.column_stack(
            [
                (dates - pd.Timestamp("1970-01-01")).dt.days,
                dates.dt.year,
                dates.dt.month,
                dates.dt.day_of_week,
            ]
        ),
    )


def test_a_saved_model_reads_new_rows_the_same_way(orders_csv, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = galton.NeuralRegressor(hidden=(8,), max_epochs=5, seed=1).fit(orders_csv, "y")
    model.save(tmp_path / "m.galton")
    again = galton.load(tmp_path / "m.galton")
    rows = _orders(seed=3).head(20).drop(columns=["order"])  # no id needed to predict
    assert np.array_equal(again.predict(rows), model.predict(rows))
    rows.loc[rows.index[4], "discount"] = "lots"
    with pytest.raises(DataError, match=r"column 'discount' is percent text, but row 5 has 'lots'"):
        again.predict(rows)


def test_a_bad_date_in_new_rows_names_its_row(orders_csv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = galton.LinearRegression().fit(orders_csv, "y")
    rows = _orders(seed=2).head(5)
    rows.loc[2, "sold"] = "31/02/2020"
    with pytest.raises(DataError, match=r"column 'sold' is dates \(%d/%m/%Y\), but row 3"):
        model.predict(rows)


def test_missing_dates_are_imputed_with_the_median_day():
    frame = _orders().drop(columns=["order"])
    frame.loc[[3, 50], "sold"] = np.nan
    model = galton.LinearRegression(missing="median").fit(frame, "y")
    days = pd.to_datetime(frame["sold"], format="%d/%m/%Y")
    median = float(np.nanmedian((days - pd.Timestamp("1970-01-01")).dt.days))
    assert model._inputs(frame.iloc[[3]])[0, 0] == median


def test_ids_named_like_ids_and_monotone_are_dropped_others_kept():
    rng = np.random.default_rng(0)
    x = rng.normal(size=N)
    frame = pd.DataFrame({"customer_id": np.arange(1000, 1000 + N), "x": x, "y": x + 1})
    with pytest.warns(UserWarning, match="'customer_id'"):
        model = galton.LinearRegression().fit(frame, "y")
    assert model.feature_names_in_ == ["x"]
    # a CamelCase id is one; a word that merely ends in "id" is not
    renamed = frame.rename(columns={"customer_id": "CustomerID"})
    assert galton.LinearRegression().fit(renamed, "y").feature_names_in_ == ["x"]
    paid = frame.rename(columns={"customer_id": "paid"})
    assert galton.LinearRegression().fit(paid, "y").feature_names_in_ == ["paid", "x"]
    # a monotone count not named like an id is a predictor (time trend)
    frame = frame.rename(columns={"customer_id": "t"})
    assert galton.LinearRegression().fit(frame, "y").feature_names_in_ == ["t", "x"]
    # named like an id but shuffled: kept (it may be a code with meaning)
    frame = frame.rename(columns={"t": "store_id"}).assign(store_id=rng.permutation(N))
    assert "store_id" in galton.LinearRegression().fit(frame, "y").feature_names_in_


def test_too_many_levels_is_refused_or_grouped():
    rng = np.random.default_rng(1)
    stores = rng.choice([f"s{i:02d}" for i in range(60)], N)
    frame = pd.DataFrame({"store": stores, "x": rng.normal(size=N)})
    frame["y"] = frame["x"] + (frame["store"] < "s10")
    levels = frame["store"].nunique()
    message = rf"column 'store' has {levels} distinct text values, more than the 20 allowed"
    with pytest.raises(DataError, match=message):
        galton.LinearRegression().fit(frame, "y")
    model = galton.LinearRegression(max_levels=8, group_rare=True).fit(frame, "y")
    levels = model.preprocessor_.columns_[0]["categories"]
    top = frame["store"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    assert levels == sorted([*top.index[:7], "(other)"])
    # a level never seen is one of the rare ones
    new = pd.DataFrame({"store": ["s99", "s00"], "x": [0.0, 0.0]})
    other = pd.DataFrame({"store": ["(other)", "s00"], "x": [0.0, 0.0]})
    assert np.array_equal(model.predict(new), model.predict(other))
    assert galton.LinearRegression(max_levels=100).fit(frame, "y").n_features_in_ == 2


def test_a_formula_keeps_the_columns_it_names():
    frame = _orders().assign(id=np.arange(N))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "dropped ID-like column"
        model = galton.LinearRegression(formula="y ~ x1 + id").fit(frame)
    assert model.feature_names_in_ == ["x1", "id"]


def test_cli_describe_and_fit_verbose(orders_csv, capsys):
    main(["describe", str(orders_csv), "-t", "y"])
    out = capsys.readouterr().out
    assert out.startswith(f"{N} rows, 8 columns")
    assert re.search(r"^order +ID-like .* dropped +text with 200 distinct", out, re.M)
    main(["describe", str(orders_csv), "-t", "y", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert [c["role"] for c in body["columns"]].count("feature") == 6
    main(["fit", str(orders_csv), "-t", "y", "--verbose"])
    captured = capsys.readouterr()
    assert captured.out.index("ID-like") < captured.out.index("Least squares regression")
    assert "dropped ID-like column(s) 'order'" in captured.err


def test_cli_refuses_many_levels_in_one_line(tmp_path, capsys):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"zip": rng.choice([f"Z{i}" for i in range(90)], N)})
    frame["y"] = rng.normal(size=N)
    frame.to_csv(tmp_path / "zip.csv", index=False)
    with pytest.raises(SystemExit) as stop:
        main(["fit", str(tmp_path / "zip.csv"), "-t", "y"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'zip'" in err and "--group-rare" in err
    main(["fit", str(tmp_path / "zip.csv"), "-t", "y", "--max-levels", "5", "--group-rare"])
    out = capsys.readouterr().out  # the 4 most frequent zips against the rest
    assert out.count("\nzip=Z") == 4 and "zip=(other)" not in out


def test_describe_flags_few_target_values_and_missing_columns():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "sparse": np.where(rng.uniform(size=N) < 0.7, np.nan, rng.normal(size=N)),
            "empty": np.nan,
            "one": 1.0,
            "grade": rng.integers(1, 4, N),
        }
    )
    table = galton.describe(frame, target="grade").set_index("column")
    assert table.loc["sparse", "type"] == "numeric (mostly missing)"
    assert table.loc["empty", "role"] == "refused"
    assert table.loc["one", "type"] == "constant"
    assert "only 3 distinct values" in table.loc["grade", "why"]
    with pytest.raises(DataError, match="no column 'nope'"):
        galton.describe(frame, target="nope")
