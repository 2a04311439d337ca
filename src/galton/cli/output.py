"""Printing: JSON on stdout, text with control characters escaped, galton's warnings once."""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, arrays lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_clean(obj), indent=2) + "\n")


#: Control characters (C0, DEL, C1) and bidirectional overrides: text from files is printed
#: with these escaped, so a column name cannot move the cursor or recolour the terminal.
_CONTROLS = {
    c: f"\\x{c:02x}" if c < 256 else f"\\u{c:04x}"
    for c in [
        *range(0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
    if c not in (0x09, 0x0A)
}
_GALTON_DIR = str(Path(__file__).resolve().parent.parent)


def safe_text(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``); newlines and tabs kept."""
    return text.translate(_CONTROLS)


def echo(message: str = "", err: bool = False) -> None:
    typer.echo(safe_text(str(message)), err=err)


def warn_lines(caught: list[warnings.WarningMessage]) -> None:
    """galton's own warnings, once each; numerical warnings from NumPy and friends said
    once in galton's words; pandas' performance advice dropped."""
    said: set[str] = set()
    numerical = 0
    for w in caught:
        ours = str(w.filename).startswith(_GALTON_DIR)
        if not ours and issubclass(w.category, RuntimeWarning):
            numerical += 1
            continue
        if "PerformanceWarning" in w.category.__name__:  # pandas' advice, wherever raised
            continue
        line = f"galton: warning: {w.message}"
        if line not in said:
            said.add(line)
            echo(line, err=True)
    if numerical:
        echo(
            "galton: warning: some values overflowed or were undefined during the computation; "
            "check the data for extreme values",
            err=True,
        )


@contextmanager
def said_warnings() -> Iterator[None]:
    """The one warning capture of every command: warnings raised inside are collected and,
    when the block ends without an error, said once each (``warn_lines``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    warn_lines(caught)
