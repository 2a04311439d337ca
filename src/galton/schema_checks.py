"""The building blocks of the model-file schema: small checks of JSON values (types,
choices, finiteness, lengths) that compose into records, each raising ``Invalid`` with the
field's path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Check = Callable[[Any, str], None]
MAX_TEXT = 10_000
MAX_ITEMS = 1_000_000


class Invalid(Exception):
    """A field that is not what the schema says; turned into one ModelFileError line."""


def fail(where: str, expected: str, value: Any) -> None:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise Invalid(f"field '{where}' must be {expected}, not {shown}")


def text(choices: tuple[str, ...] | None = None, max_len: int = MAX_TEXT) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str) or len(value) > max_len:
            fail(where, f"a string of at most {max_len} characters", value)
        if choices is not None and value not in choices:
            fail(where, f"one of {', '.join(choices)}", value)

    return check


def integer(low: int = 0, high: int = 2**53) -> Check:
    def check(value: Any, where: str) -> None:
        if type(value) is not int or not low <= value <= high:
            fail(where, f"an integer in [{low}, {high}]", value)

    return check


def number(low: float = -math.inf, high: float = math.inf, finite: bool = True) -> Check:
    def check(value: Any, where: str) -> None:
        ok = type(value) in (int, float) and (
            (math.isfinite(value) and low <= value <= high)
            or (not finite and not math.isfinite(value))
        )
        if not ok:
            fail(where, f"a {'finite ' if finite else ''}number in [{low}, {high}]", value)

    return check


def flag(value: Any, where: str) -> None:
    if type(value) is not bool:
        fail(where, "true or false", value)


def optional(inner: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if value is not None:
            inner(value, where)

    return check


def either(*options: Check) -> Check:
    def check(value: Any, where: str) -> None:
        for option in options:
            try:
                option(value, where)
                return
            except Invalid:
                continue
        fail(where, "a value of an allowed type", value)

    return check


def items(inner: Check, max_len: int = MAX_ITEMS, min_len: int = 0) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list) or not min_len <= len(value) <= max_len:
            fail(where, f"a list of {min_len} to {max_len} items", value)
        for i, item in enumerate(value):
            inner(item, f"{where}[{i}]")

    return check


def pair(first: Check, second: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list) or len(value) != 2:
            fail(where, "a list of two items", value)
        first(value[0], f"{where}[0]")
        second(value[1], f"{where}[1]")

    return check


def triple(first: Check, second: Check, third: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list) or len(value) != 3:
            fail(where, "a list of three items", value)
        for k, inner in enumerate((first, second, third)):
            inner(value[k], f"{where}[{k}]")

    return check


def record(required: dict[str, Check], optional_keys: dict[str, Check] | None = None) -> Check:
    """An object with exactly these keys (those in ``optional_keys`` may be absent)."""
    extra = optional_keys or {}

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            fail(where, "an object", value)
        for key, inner in required.items():
            if key not in value:
                raise Invalid(f"field '{where}.{key}' is missing")
            inner(value[key], f"{where}.{key}")
        for key, item in value.items():
            if key in required:
                continue
            if key not in extra:
                raise Invalid(f"field '{where}' has an unknown key {str(key)[:40]!r}")
            extra[key](item, f"{where}.{key}")

    return check


def mapping(inner: Check, max_len: int = MAX_ITEMS) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict) or len(value) > max_len:
            fail(where, "an object", value)
        for key, item in value.items():
            text()(key, f"{where} key")
            inner(item, f"{where}.{key}")

    return check


def plain(value: Any, where: str) -> None:
    """Any JSON value (its depth is already bounded by the reader)."""
    if isinstance(value, dict):
        mapping(plain)(value, where)
    elif isinstance(value, list):
        items(plain)(value, where)
    elif value is not None and type(value) not in (bool, int, float, str):
        fail(where, "a JSON value", value)
