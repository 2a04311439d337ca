"""Declarative parameter constraints, checked in one place (like scikit-learn's
``_parameter_constraints``).

An estimator lists, per constructor parameter, a ``Rule``: a predicate and the words that
describe what it accepts. ``validate`` checks them all and raises one ``ParameterError``
in one template for the first parameter that breaks its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from galton.errors import ParameterError


@dataclass(frozen=True)
class Rule:
    """What a parameter accepts: ``ok(value)``, described by ``expected``."""

    ok: Callable[[Any], bool]
    expected: str

    def __or__(self, other: Rule) -> Rule:
        return Rule(lambda v: self.ok(v) or other.ok(v), f"{self.expected} or {other.expected}")


def check(owner: str, name: str, value: Any, ok: bool, expected: str) -> None:
    """One error template for every parameter, like scikit-learn's."""
    if not ok:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be {expected}. Got {value!r} instead."
        )


def validate(owner: str, values: Mapping[str, Any], rules: Mapping[str, Rule]) -> None:
    """Check every ``values[name]`` against ``rules[name]``, in the rules' order."""
    for name, rule in rules.items():
        check(owner, name, values[name], rule.ok(values[name]), rule.expected)


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def one_of(allowed: Iterable[Any]) -> Rule:
    """A value among ``allowed`` (strings are described as a set)."""
    options = tuple(allowed)
    return Rule(lambda v: v in options, f"a str among {set(options)}")


BOOL = Rule(lambda v: isinstance(v, bool), "a bool")
INT = Rule(_is_int, "an int")
POSITIVE_INT = Rule(lambda v: _is_int(v) and v > 0, "a positive int")
NON_NEGATIVE_INT = Rule(lambda v: _is_int(v) and v >= 0, "a non-negative int")
POSITIVE = Rule(lambda v: _is_real(v) and v > 0, "a positive float")
NON_NEGATIVE = Rule(lambda v: _is_real(v) and v >= 0, "a non-negative float")


def interval(low: float, high: float) -> Rule:
    """A real number in ``[low, high)``."""
    return Rule(lambda v: _is_real(v) and low <= v < high, f"a float in [{low}, {high})")


def optional(rule: Rule) -> Rule:
    """``None`` or what ``rule`` accepts."""
    return Rule(lambda v: v is None or rule.ok(v), f"None or {rule.expected}")


def literal(*values: Any) -> Rule:
    """Exactly one of ``values`` (compared with ``is`` for bools, ``==`` otherwise)."""
    return Rule(
        lambda v: any(v is x if isinstance(x, bool) else v == x for x in values),
        " or ".join(repr(x) for x in values),
    )


def int_tuple(expected: str) -> Rule:
    """A tuple or list of positive ints (possibly empty)."""
    return Rule(
        lambda v: isinstance(v, tuple | list) and all(POSITIVE_INT.ok(h) for h in v), expected
    )


#: The column-role parameters every estimator has.
COLUMN_RULES = {
    "max_levels": optional(Rule(lambda v: _is_int(v) and v >= 2, "an int >= 2")),
    "group_rare": BOOL,
}
