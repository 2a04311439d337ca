"""DuckDB and SQLite files as inputs, opened read-only."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import pytest
from test_cli import assert_user_error, galton_cli

import galton
from galton.data.datasets import load_dataset
from galton.data.loading import read_database


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("db")
    frame = load_dataset("concrete")
    with duckdb.connect(str(folder / "mix.duckdb")) as con:
        con.register("frame", frame)
        con.execute("CREATE TABLE mix AS SELECT * FROM frame")
    con = sqlite3.connect(folder / "mix.sqlite")
    frame.to_sql("mix", con, index=False)
    con.close()
    return folder


@pytest.mark.parametrize("name", ["mix.duckdb", "mix.sqlite"])
def test_query_then_fit_in_python_and_on_the_command_line(databases: Path, name: str) -> None:
    sql = "SELECT cement, water, age, strength FROM mix WHERE age >= 7"
    frame = read_database(databases / name, sql)
    expected = load_dataset("concrete").query("age >= 7")
    assert len(frame) == len(expected)
    reference = (
        galton.LinearRegression()
        .fit(expected[["cement", "water", "age"]], expected["strength"])
        .params_
    )
    out = galton_cli(
        "fit", "--db", str(databases / name), "--sql", sql, "--target", "strength", "--json"
    )
    assert out.returncode == 0, out.stderr
    got = [c["coef"] for c in json.loads(out.stdout)["coefficients"]]
    assert got == pytest.approx(list(reference), rel=1e-10)


@pytest.mark.parametrize("name", ["mix.duckdb", "mix.sqlite"])
def test_connections_are_read_only_and_errors_are_one_line(databases: Path, name: str) -> None:
    with pytest.raises(galton.DataError, match="query failed|one SELECT"):
        read_database(databases / name, "DROP TABLE mix")
    assert len(read_database(databases / name, "SELECT * FROM mix")) == 1030  # still there
    assert_user_error(
        galton_cli(
            "fit", "--db", str(databases / name), "--sql", "SELECT * FROM nothing", "-t", "strength"
        ),
        "query failed",
    )
    assert_user_error(
        galton_cli("fit", "--db", str(databases / name), "-t", "strength"),
        "--db and --sql go together",
    )
    with pytest.raises(galton.DataError, match="no rows"):
        read_database(databases / name, "SELECT * FROM mix WHERE age < 0")
