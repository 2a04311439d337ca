"""Streaming least squares, exact online updates and the triangular factor behind both."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import galton
from galton.cli import main
from galton.data.chunks import chunk_rows_for, iter_chunks, parse_memory
from galton.errors import DataError, ParameterError
from galton.exact import build_design, polynomial_terms
from galton.exact.qr_summary import QRSummary

#: The promise: a streamed or updated fit equals the in-memory fit within this (relative).
TOL = 1e-10
STATISTICS = ("params_", "bse_", "tvalues_", "rsquared_", "rsquared_adj_", "fvalue_", "llf_")


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative difference (NaNs, for aliased terms, must agree)."""
    a, b = np.atleast_1d(a).astype(float), np.atleast_1d(b).astype(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def assert_same_fit(model: galton.LinearRegression, reference: galton.LinearRegression) -> None:
    assert model.n_samples_ == reference.n_samples_
    for name in STATISTICS:
        assert relative(getattr(model, name), getattr(reference, name)) < TOL, name
    for name in ("aic_", "bic_", "resid_std_err_"):
        assert getattr(model, name) == pytest.approx(getattr(reference, name), rel=TOL)
    assert model.aliased_ == reference.aliased_


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """20,000 rows: numeric columns on different scales, a text column, a noisy target."""
    rng = np.random.default_rng(7)
    n = 20_000
    frame = pd.DataFrame(
        rng.normal(size=(n, 4)) * [1.0, 30.0, 1e-3, 5.0], columns=["a", "b", "c", "d"]
    )
    frame["region"] = rng.choice(["north", "south", "west"], n)
    frame["y"] = (
        2 * frame.a - 0.1 * frame.b + 400 * frame.c + 3 * (frame.region == "west")
    ) + rng.normal(size=n)
    return frame


def test_factor_merges_in_any_order_to_the_least_squares_answer() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 6)) * np.logspace(-2, 3, 6)
    y = X @ rng.normal(size=6) + rng.normal(size=5000)
    D = build_design(X, polynomial_terms(6, 1, True))
    cuts = np.sort(rng.choice(np.arange(1, 5000), size=9, replace=False))
    parts = [
        QRSummary.of_rows(d, t) for d, t in zip(np.split(D, cuts), np.split(y, cuts), strict=True)
    ]
    forward = sum(parts[1:], parts[0]).solve()
    backward = sum(parts[-2::-1], parts[-1]).solve()
    exact = np.linalg.lstsq(D, y, rcond=None)[0]
    assert relative(forward.coef, exact) < TOL
    assert relative(backward.coef, forward.coef) < TOL
    resid = y - D @ exact
    assert forward.rss_scaled == pytest.approx(resid @ resid, rel=1e-10)
    assert forward.tss_scaled == pytest.approx(np.sum((y - y.mean()) ** 2), rel=1e-12)


@pytest.mark.parametrize("source", ["csv", "parquet", "directory", "glob", "list", "frames"])
def test_stream_equals_the_in_memory_fit(table: pd.DataFrame, tmp_path, source: str) -> None:
    reference = galton.LinearRegression().fit(table, "y")
    halves = [table.iloc[:12_345], table.iloc[12_345:]]
    for k, half in enumerate(halves):
        half.to_parquet(tmp_path / f"part{k}.parquet")
    table.to_csv(tmp_path / "all.csv", index=False)
    given = {
        "csv": tmp_path / "all.csv",
        "parquet": tmp_path / "part0.parquet",
        "directory": tmp_path,
        "glob": str(tmp_path / "part*.parquet"),
        "list": [tmp_path / "part0.parquet", tmp_path / "part1.parquet"],
        "frames": iter(halves),
    }[source]
    if source == "directory":  # the CSV would count the rows twice
        (tmp_path / "all.csv").unlink()
    streamed = galton.LinearRegression().fit_stream(given, "y", chunk_rows=3000)
    if source == "parquet":
        reference = galton.LinearRegression().fit(halves[0], "y")
    assert streamed.solver_ == "tsqr"
    assert_same_fit(streamed, reference)
    new = table.drop(columns="y").iloc[:50]
    assert relative(streamed.predict(new), reference.predict(new)) < TOL


def test_weighted_polynomial_stream_with_an_aliased_column(tmp_path) -> None:
    rng = np.random.default_rng(3)
    n = 8000
    frame = pd.DataFrame({"u": rng.uniform(-2, 2, n), "v": rng.normal(size=n)})
    frame["twice_v"] = 2 * frame.v  # aliased with v
    frame["w"] = rng.uniform(0.5, 3.0, n)
    frame["y"] = frame.u - frame.u**2 + 0.5 * frame.v + rng.normal(size=n) / np.sqrt(frame.w)
    path = tmp_path / "weighted.parquet"
    frame.to_parquet(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", galton.AliasedColumnsWarning)
        reference = galton.LinearRegression(degree=2).fit(
            frame[["u", "v", "twice_v"]], frame.y, sample_weight=frame.w
        )
        streamed = galton.LinearRegression(degree=2).fit_stream(
            path, "y", sample_weight="w", chunk_rows=999
        )
    assert streamed.aliased_ == ["twice_v", "twice_v^2"]
    assert_same_fit(streamed, reference)


def test_stream_errors_name_the_file_row(table: pd.DataFrame, tmp_path) -> None:
    bad = table.copy()
    bad["a"] = bad["a"].astype(object)
    bad.loc[15_001, "a"] = "oops"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"bad.csv.*'a' is not numeric: row 15002 has 'oops'"):
        galton.LinearRegression().fit_stream(path, "y", chunk_rows=4000)
    unseen = table.copy()
    unseen.loc[9000, "region"] = "east"
    unseen.to_csv(path, index=False)
    with pytest.raises(DataError, match="unknown category 'east' in row 9001"):
        galton.LinearRegression().fit_stream(path, "y", chunk_rows=4000)
    given = {"region": ["east", "north", "south", "west"]}
    model = galton.LinearRegression(categories=given).fit_stream(path, "y", chunk_rows=4000)
    assert "region=east" not in model.term_names_  # the reference level
    with pytest.raises(ParameterError, match="cannot impute"):
        galton.LinearRegression(missing="mean").fit_stream(path, "y")
    with pytest.raises(DataError, match="no column 'z'"):
        galton.LinearRegression().fit_stream(path, "z")


@pytest.mark.parametrize("rows", [300, 3000, 20_000], ids=["extended", "qr-or-cholesky", "big"])
def test_partial_fit_equals_a_refit_on_all_rows(table: pd.DataFrame, rows: int) -> None:
    """Old rows solved by each in-memory path, then updated twice with new rows."""
    start = galton.LinearRegression().fit(table.iloc[:rows], "y")
    if rows == 300:
        assert start.solver_ == "extended"
    model = galton.LinearRegression().fit(table.iloc[:rows], "y")
    rest = table.iloc[rows:] if rows < len(table) else table.iloc[:5000]
    first, second = rest.iloc[: len(rest) // 3], rest.iloc[len(rest) // 3 :]
    model.partial_fit(first).partial_fit(second.drop(columns="y"), second.y)
    reference = galton.LinearRegression().fit(pd.concat([table.iloc[:rows], rest]), "y")
    assert_same_fit(model, reference)


def test_numeric_fast_path_update_and_save_load(tmp_path) -> None:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(60_000, 8))
    y = X @ np.arange(1.0, 9.0) + rng.normal(size=60_000)
    old = galton.LinearRegression().fit(X[:40_000], y[:40_000])
    assert old.solver_ == "cholesky"
    old.save(tmp_path / "m.galton")
    model = galton.load(tmp_path / "m.galton").partial_fit(X[40_000:], y[40_000:])
    assert_same_fit(model, galton.LinearRegression().fit(X, y))
    w = rng.uniform(1, 2, 60_000)
    weighted = galton.LinearRegression().fit(X[:40_000], y[:40_000], sample_weight=w[:40_000])
    weighted.partial_fit(X[40_000:], y[40_000:], sample_weight=w[40_000:])
    assert_same_fit(weighted, galton.LinearRegression().fit(X, y, sample_weight=w))


def test_partial_fit_first_call_fits_and_formula_models_refuse(table: pd.DataFrame) -> None:
    model = galton.LinearRegression().partial_fit(table.iloc[:1000], "y")
    assert model.n_samples_ == 1000
    formula = galton.LinearRegression(formula="y ~ a + b").fit(table.iloc[:1000])
    with pytest.raises(ParameterError, match="formula"):
        formula.partial_fit(table.iloc[1000:2000])


def test_memory_sizes_and_chunk_rows(table: pd.DataFrame) -> None:
    assert parse_memory("1GB") == 1 << 30
    assert parse_memory("512 MiB") == 512 << 20
    assert parse_memory("1e6") == 1_000_000
    with pytest.raises(DataError, match="1GB"):
        parse_memory("lots")
    small, large = chunk_rows_for(table, 10 << 20), chunk_rows_for(table, 1 << 30)
    assert 1000 <= small < large <= 1_000_000
    assert [len(c.frame) for c in iter_chunks(table, 7000)] == [7000, 7000, 6000]


def test_cli_streams_and_updates(table: pd.DataFrame, tmp_path, capsys) -> None:
    import json

    data = tmp_path / "data.csv"
    table.iloc[:15_000].to_csv(data, index=False)
    more = tmp_path / "more.csv"
    table.iloc[15_000:].to_csv(more, index=False)
    model = tmp_path / "m.galton"
    # above --memory-limit the fit streams by itself
    main(["fit", str(data), "--target", "y", "--memory-limit", "100KB", "-o", str(model), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["statistics"]["solver"] == "tsqr" and body["n_samples"] == 15_000
    main(["update", str(model), str(more), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["rows_before"] == 15_000 and body["rows_added"] == 5000
    reference = galton.LinearRegression().fit(table, "y")
    coefs = [c["coef"] for c in body["coefficients"]]
    assert relative(np.array(coefs), reference.params_) < TOL
    assert galton.load(model).n_samples_ == 20_000  # written back to MODEL
    with pytest.raises(SystemExit) as stop:
        main(["update", str(model), str(tmp_path / "absent.csv")])
    assert stop.value.code == 2
    assert "absent.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["fit", str(data), "--formula", "y ~ a", "--stream"])
    assert stop.value.code == 2
    assert "not --formula" in capsys.readouterr().err
