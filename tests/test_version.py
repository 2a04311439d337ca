"""The version (issue 20, item 3): from the git tags through setuptools-scm, one value for
``galton --version``, ``galton.__version__`` and the installed metadata."""

from __future__ import annotations

import importlib.metadata
import re

import pytest

import galton
from galton.cli import main


def test_version_is_the_installed_one_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    installed = importlib.metadata.version("galton")
    assert galton.__version__ == installed
    assert re.fullmatch(r"\d+\.\d+\.\d+([.+].+)?", installed)  # PEP 440, never hand-written
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code in (0, None)
    assert capsys.readouterr().out.strip() == f"galton {installed}"


def test_the_model_file_records_this_version(tmp_path) -> None:
    from galton.io import read_model_file

    path = tmp_path / "m.galton"
    galton.LinearRegression().fit("seed-least-squares", "y").save(path)
    meta, _ = read_model_file(path)
    assert meta["galton_version"] == galton.__version__
