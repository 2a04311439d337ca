"""Analysis of variance for least squares: type I, II and III tables of a model's terms,
and the comparison of nested models (F and likelihood-ratio tests).

A term is a group of design columns: the indicators of one text column or formula factor
(``city=Rome``, ``C(firm)[T.IBM]``), the parts of a date, one numeric column or power, or an
interaction (``a:b``, ``age:education``: the product of its factors). Sums of squares come
from refits on the whitened rows (``sqrt(w) x``), with the conventions of statsmodels'
``anova_lm`` and R's ``anova`` and ``car::Anova``: type I adds the terms in the model's
order (after the intercept); type II tests each term after every term that does not
contain it (marginality: ``a`` after ``b`` but not after ``a:b``); type III drops each
term from the full model and adds the intercept's row. Without interactions types II and
III agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from galton.exact.distributions import chi2_sf, f_sf


@dataclass
class TermGroup:
    """One row of the table: the term's name, its design columns and its factors (the
    variables it multiplies; ``a:b`` has ``{a, b}``)."""

    term: str
    columns: list[int]
    factors: frozenset[str]


def term_groups(names: list[str], sources: list[tuple[str, ...]]) -> list[TermGroup]:
    """Design columns grouped by the term they come from, in order; ``sources`` gives the
    factors of every column (``("const",)`` for the intercept, left out)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, (name, factors) in enumerate(zip(names, sources, strict=True)):
        if name != "const":
            groups.setdefault(factors, []).append(index)
    return [TermGroup(":".join(f), cols, frozenset(f)) for f, cols in groups.items()]


def formula_factors(name: str) -> tuple[str, ...]:
    """The factors of a formula's design column: ``C(g)[T.y]:a`` -> ``("C(g)", "a")``
    (``:`` inside a level's brackets is part of the level)."""
    if name in ("const", "Intercept"):
        return ("const",)
    parts, depth, current = [], 0, ""
    for char in name:
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(char, 0)
        if char == ":" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return tuple(part.split("[", 1)[0] if part.endswith("]") else part for part in parts)


def _rss(X: np.ndarray, y: np.ndarray, columns: list[int]) -> tuple[float, int]:
    """Residual sum of squares and rank of ``y`` on ``X[:, columns]``."""
    if not columns:
        return float(y @ y), 0
    Z = X[:, columns]
    coef, _, rank, _ = np.linalg.lstsq(Z, y, rcond=None)
    resid = y - Z @ coef
    return float(resid @ resid), int(rank)


def anova_rows(
    X: np.ndarray,
    y: np.ndarray,
    groups: list[TermGroup],
    intercept: int | None,
    typ: int,
) -> list[dict[str, Any]]:
    """The table's rows: term, sum of squares, df, F and p, then the residual row.

    Parameters
    ----------
    X : array (n, p)
        The whitened design (all columns, aliased ones included).
    y : array (n,)
        The whitened target.
    groups : list of TermGroup
    intercept : int or None
        The intercept's column.
    typ : {1, 2, 3}
    """
    everything = list(range(X.shape[1]))
    rss_full, rank_full = _rss(X, y, everything)
    df_resid = len(y) - rank_full
    scale = rss_full / df_resid
    base = [] if intercept is None else [intercept]
    rows: list[dict[str, Any]] = []
    if typ == 3 and intercept is not None:
        rows.append(_row("Intercept", X, y, everything, [intercept], rss_full, rank_full, scale))
    used = list(base)
    for group in groups:
        if typ == 1:
            before = _rss(X, y, used)
            used = used + group.columns
            rows.append(_sequential(group.term, before, _rss(X, y, used), scale, df_resid))
        elif typ == 2:
            # after every term that does not contain this one
            others = base + [c for g in groups if not group.factors <= g.factors for c in g.columns]
            after = _rss(X, y, others + group.columns)
            rows.append(_sequential(group.term, _rss(X, y, others), after, scale, df_resid))
        else:
            rows.append(
                _row(group.term, X, y, everything, group.columns, rss_full, rank_full, scale)
            )
    for row in rows:
        row["p"] = f_sf(row["F"], row["df"], df_resid) if row["df"] else math.nan
    rows.append(
        {
            "term": "Residual",
            "sum_sq": rss_full,
            "df": float(df_resid),
            "F": math.nan,
            "p": math.nan,
        }
    )
    return rows


def _row(
    term: str,
    X: np.ndarray,
    y: np.ndarray,
    everything: list[int],
    columns: list[int],
    rss_full: float,
    rank_full: int,
    scale: float,
) -> dict[str, Any]:
    rss, rank = _rss(X, y, [c for c in everything if c not in columns])
    df = rank_full - rank
    ss = rss - rss_full
    return {"term": term, "sum_sq": ss, "df": float(df), "F": ss / df / scale if df else math.nan}


def _sequential(
    term: str, before: tuple[float, int], after: tuple[float, int], scale: float, df_resid: int
) -> dict[str, Any]:
    ss, df = before[0] - after[0], after[1] - before[1]
    return {"term": term, "sum_sq": ss, "df": float(df), "F": ss / df / scale if df else math.nan}


@dataclass
class NestedTest:
    """The comparison of a restricted model with a larger one that contains it."""

    df_diff: int
    ss_diff: float
    F: float
    F_p: float
    lr: float
    lr_p: float


def nested_test(small: tuple[float, int, float], large: tuple[float, int, float]) -> NestedTest:
    """F and likelihood-ratio tests of ``(ssr, df_resid, llf)`` of a restricted model
    against a larger one."""
    (ssr0, df0, llf0), (ssr1, df1, llf1) = small, large
    df_diff = df0 - df1
    if df_diff <= 0:
        raise ValueError(
            f"the first model must be the smaller (nested) one: it has {df0} residual "
            f"degrees of freedom, the second {df1}"
        )
    ss = ssr0 - ssr1
    F = ss / df_diff / (ssr1 / df1)
    lr = -2 * (llf0 - llf1)
    return NestedTest(df_diff, ss, F, f_sf(F, df_diff, df1), lr, chi2_sf(lr, df_diff))
