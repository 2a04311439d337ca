"""Reading the files people have: dialects sniffed (separator, decimal comma, thousands,
encoding), missing markers, compression, spreadsheets, text, standard input, and every
guess overridable; written here by the tests themselves."""

from __future__ import annotations

import bz2
import gzip
import lzma
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import galton
from galton.data.dialect import ReadOptions
from galton.data.loading import read_table
from galton.errors import DataError

#: A small table every dialect below writes: two numeric inputs with decimals and
#: thousands, a text column and the target.
ROWS = [
    ("north", 1234.5, 0.25, 10.5),
    ("south", 2.75, 1.5, 12.25),
    ("north", 3001.25, 2.75, 19.0),
    ("east", 4.5, 3.25, 7.75),
    ("south", 15.0, 0.5, 11.5),
    ("east", 6.25, 4.0, 15.25),
]
EXPECTED = pd.DataFrame(ROWS, columns=["region", "size", "rate", "y"])


def _fmt(value: float, decimal: str, thousands: str = "") -> str:
    text = f"{value:,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return text


def _write(path: Path, sep: str, decimal: str, thousands: str = "", encoding: str = "utf-8"):
    lines = [sep.join(EXPECTED.columns)]
    for region, size, rate, y in ROWS:
        cells = [region, _fmt(size, decimal, thousands), _fmt(rate, decimal), _fmt(y, decimal)]
        lines.append(sep.join(cells))
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _same(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(EXPECTED.columns)
    assert list(frame["region"]) == list(EXPECTED["region"])
    for column in ("size", "rate", "y"):
        assert frame[column].dtype.kind == "f", column
        np.testing.assert_allclose(frame[column], EXPECTED[column])


@pytest.mark.parametrize(
    "sep, decimal, thousands",
    [(",", ".", ""), (";", ",", "."), (";", ",", ""), ("\t", ".", ","), ("|", ".", "")],
)
def test_dialects_are_sniffed(tmp_path: Path, sep: str, decimal: str, thousands: str) -> None:
    _same(read_table(_write(tmp_path / "d.csv", sep, decimal, thousands)))


def test_every_guess_can_be_given(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.txt", ";", ",", ".")
    _same(read_table(path, options=ReadOptions(sep=";", decimal=",", thousands=".")))
    wrong = read_table(path, options=ReadOptions(sep=","))
    assert wrong.shape[1] != 4  # the user's separator wins over the sniffing


def test_a_latin1_file_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("café,prix\n1,2\n3,4\n".encode("latin-1"))
    with pytest.warns(UserWarning, match="not UTF-8; read as Windows-1252"):
        frame = read_table(path)
    assert list(frame.columns) == ["café", "prix"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # given: no note
        frame = read_table(path, options=ReadOptions(encoding="latin-1"))
    assert list(frame.columns) == ["café", "prix"]


def test_the_usual_missing_markers_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("a,b,y\n1,NA,1\n2,?,2\n3,-,3\n4,.,4\n5,,5\n6,null,6\n7,N/A,7\n8,-8,8\n")
    frame = read_table(path)
    assert frame["b"].isna().sum() == 7 and frame["b"].iloc[-1] == -8
    only = read_table(path, options=ReadOptions(na_values=("?",)))
    assert only["b"].isna().sum() == 1  # the user's list replaces the default one


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst", ".zip"])
def test_compressed_files_by_extension(tmp_path: Path, suffix: str) -> None:
    raw = _write(tmp_path / "d.csv", ";", ",").read_bytes()
    path = tmp_path / f"d.csv{suffix}"
    if suffix == ".gz":
        path.write_bytes(gzip.compress(raw))
    elif suffix == ".bz2":
        path.write_bytes(bz2.compress(raw))
    elif suffix == ".xz":
        path.write_bytes(lzma.compress(raw))
    elif suffix == ".zst":
        import zstandard  # galton[formats]

        path.write_bytes(zstandard.ZstdCompressor().compress(raw))
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("d.csv", raw)
    _same(read_table(path))


def test_spreadsheets_and_their_sheets(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"  # written by openpyxl (a test dependency)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"x": [0, 1]}).to_excel(writer, sheet_name="notes", index=False)
        EXPECTED.to_excel(writer, sheet_name="data", index=False)
    _same(read_table(path, options=ReadOptions(sheet="data")))
    _same(read_table(path, options=ReadOptions(sheet=1)))
    assert list(read_table(path).columns) == ["x"]  # the first sheet by default
    with pytest.raises(DataError, match="book.xlsx: sheet 'nope'"):
        read_table(path, options=ReadOptions(sheet="nope"))


def test_text_files_and_whitespace_columns_are_sniffed(tmp_path: Path) -> None:
    aligned = tmp_path / "a.txt"
    aligned.write_text("size rate y\n1.5   2   3\n2.5  3.5   4\n")
    assert list(read_table(aligned).columns) == ["size", "rate", "y"]
    tabbed = _write(tmp_path / "t.dat", "\t", ".")
    _same(read_table(tabbed))


def test_header_names_are_stripped_and_repeats_refused(tmp_path: Path) -> None:
    spaced = tmp_path / "s.csv"
    spaced.write_text(" a , b ,y \n1,2,3\n")
    assert list(read_table(spaced).columns) == ["a", "b", "y"]
    repeated = tmp_path / "r.csv"
    repeated.write_text("a, a,y\n1,2,3\n")
    with pytest.raises(DataError, match="duplicate column name 'a'"):
        read_table(repeated)


def test_a_stream_reads_the_same_dialect(tmp_path: Path) -> None:
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(_write(tmp_path / "p.csv", ";", ",", ".").read_bytes()))
    frame = read_table(path)[["size", "rate", "y"]]
    whole = galton.LinearRegression().fit(frame, "y")
    numeric = ["size", "rate"]  # text levels of a stream come from its first chunk
    streamed = galton.LinearRegression().fit_stream(path, "y", chunk_rows=2, features=numeric)
    np.testing.assert_allclose(streamed.params_, whole.params_, rtol=1e-9)


def _galton(*args: str, stdin: bytes | None = None, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "galton", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=600,
    )


def test_the_command_line_reads_stdin_and_takes_the_options(tmp_path: Path) -> None:
    raw = _write(tmp_path / "d.csv", ";", ",", ".").read_bytes()
    piped = _galton("fit", "-", "-t", "y", "--json", stdin=raw, cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    given = _galton(
        "fit", "d.csv", "-t", "y", "--json", "--sep", ";", "--decimal", ",", "--thousands", ".",
        cwd=tmp_path,
    )  # fmt: skip
    assert given.returncode == 0, given.stderr
    assert piped.stdout.split(b'"fit_seconds"')[0] == given.stdout.split(b'"fit_seconds"')[0]
    wrong = _galton("fit", "d.csv", "-t", "y", "--sep", ",", cwd=tmp_path)
    assert wrong.returncode == 2
    err = wrong.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "give --sep ';'" in err
    bad = _galton("fit", "d.csv", "-t", "y", "--decimal", "x", cwd=tmp_path)
    assert bad.returncode == 2 and b"--decimal must be . or ," in bad.stderr
